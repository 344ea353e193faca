import TheanoArray
import TheanoGraph

/// Applies any op to every block of its inputs' leading batch axes (PyTensor's `Blockwise`,
/// NumPy's gufuncs): input `i` has ``coreRanks``[i] trailing core axes, which the ``core`` op
/// sees; the axes before them are batch axes, broadcast between inputs like NumPy's (only
/// axes of static size 1 broadcast; unknown sizes must agree at run time), and every output
/// gets the broadcast batch axes in front of the core op's output axes.
///
/// ```swift
/// // outer products of matching rows: [b, n] x [b, m] -> [b, n, m]
/// let z = try blockwise(Outer(), coreRanks: [1, 1], [x, y])[0]
/// ```
///
/// - `perform` runs the core op's `perform` on every block (each block a view) and stacks the
///   results, which must all have one shape;
/// - `inferShape` is the batch shape followed by the core op's `inferShape`;
/// - the gradient is the core op's gradient graph packaged as an ``OpFromGraph`` and applied
///   blockwise too, then summed over the batch axes an input broadcast, so double
///   differentiation works wherever the core op's does.
///
/// The core op's output types may depend on its inputs' static core shapes but not on their
/// values (a core `Reshape` with a shape input is not supported). The LAPACK ops batch
/// natively through ``BatchedLinalgOp``; this wrapper is for ops that do not.
public struct Blockwise: Op {
    public let core: any Op
    public let coreRanks: [Int]

    public init(_ core: any Op, coreRanks: [Int]) {
        self.core = core
        self.coreRanks = coreRanks
    }

    public var description: String { "Blockwise{\(core)}" }

    public static func == (a: Blockwise, b: Blockwise) -> Bool {
        a.coreRanks == b.coreRanks && a.core.isEqual(to: b.core)
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(coreRanks)
        hasher.combine(core)
    }

    public func makeNode(_ inputs: [Variable]) throws -> Apply {
        guard inputs.count == coreRanks.count else {
            throw TheanoError.invalidArgument("\(self): expected \(coreRanks.count) inputs (one per core rank), got \(inputs.count)")
        }
        if let bad = coreRanks.first(where: { $0 < 0 }) {
            throw TheanoError.invalidArgument("\(self): core ranks must not be negative, got \(bad) in \(coreRanks)")
        }
        for (i, v) in inputs.enumerated() where v.type.rank < coreRanks[i] {
            throw TheanoError.invalidArgument(
                "\(self): input \(i) \(describeVariable(v)) has rank \(v.type.rank), but its core has \(coreRanks[i]) axes")
        }
        let batch = try LinalgBatch.staticShape(description, inputs, coreRanks: coreRanks)
        let coreNode = try coreApply(inputs.map(\.type))
        var types: [TensorType] = []
        for (k, t) in coreNode.outputTypes.enumerated() {
            let shape = batch + t.shape
            _ = try checkedShapeSize(known: shape, context: "\(self): output \(k)")
            types.append(TensorType(t.dtype, shape: shape))
        }
        return Apply(op: self, inputs: inputs, outputTypes: types)
    }

    /// The core op's node on fresh inputs of the core types of `types`.
    func coreApply(_ types: [TensorType]) throws -> Apply {
        let dummies = types.enumerated().map { i, t in
            Variable(type: TensorType(t.dtype, shape: Array(t.shape.suffix(coreRanks[i]))), name: "core\(i)")
        }
        return try core.makeNode(dummies)
    }

    public func perform(_ node: Apply, _ inputs: [NDArray]) throws -> [NDArray] {
        let batch = try LinalgBatch.runtimeShape(description, node, inputs, coreRanks: coreRanks)
        let coreNode = try coreApply(node.inputs.map(\.type))
        var full: [NDArray] = []
        for (i, value) in inputs.enumerated() {
            full.append(try value.broadcast(to: batch + Array(value.shape.suffix(coreRanks[i]))))
        }
        let count = shapeSize(batch)
        if count == 0 { return try emptyOutputs(node, coreNode, inputs, batch) }
        var stacks: [[NDArray]] = Array(repeating: [], count: node.outputs.count)
        for b in 0..<count {
            let index = LinalgBatch.batchIndex(b, batch).map { ArrayIndex.index($0) }
            let blocks = try full.map { try $0.slice(index) }
            let results = try core.perform(coreNode, blocks)
            for (k, r) in results.enumerated() {
                if let first = stacks[k].first, Array(first.shape.dropFirst()) != r.shape {
                    throw TheanoError.shapeMismatch(
                        "\(self): output \(k) of the core op has shape \(formatShape(r.shape)) at batch index \(LinalgBatch.batchIndex(b, batch)) but \(formatShape(Array(first.shape.dropFirst()))) at the first block; blocks must agree")
                }
                stacks[k].append(try r.expandingDims(0))
            }
        }
        return try stacks.map { blocks in
            let joined = try NDArray.concatenate(blocks, axis: 0)
            return try joined.reshaped(batch + Array(joined.shape.dropFirst()))
        }
    }

    /// Outputs of an empty batch: the core output shapes from the core op's shape inference.
    private func emptyOutputs(_ node: Apply, _ coreNode: Apply, _ inputs: [NDArray], _ batch: [Int]) throws -> [NDArray] {
        let shapes: [[Variable]] = inputs.enumerated().map { i, v in v.shape.suffix(coreRanks[i]).map(shapeConstant) }
        let inferred = try core.inferShape(coreNode, shapes)
        let sizes = try evaluateGraph(inputs: [], outputs: inferred.flatMap { $0 }, values: [])
        var outputs: [NDArray] = []
        var next = 0
        for (k, dims) in inferred.enumerated() {
            let core = try sizes[next..<(next + dims.count)].map { try $0.item(Int.self) }
            next += dims.count
            outputs.append(try NDArray(allocating: batch + core, dtype: node.outputTypes[k].dtype, zeroed: true, context: description))
        }
        return outputs
    }

    public func inferShape(_ node: Apply, _ inputShapes: [[Variable]]) throws -> [[Variable]] {
        let batch = LinalgBatch.symbolicShape(node, inputShapes, coreRanks: coreRanks)
        let coreNode = try coreApply(node.inputs.map(\.type))
        let cores: [[Variable]] = inputShapes.enumerated().map { i, s in Array(s.suffix(coreRanks[i])) }
        let inferred = try core.inferShape(coreNode, cores)
        return inferred.enumerated().map { k, dims in
            (batch + dims).enumerated().map { axis, v in node.outputTypes[k].shape[axis].map(shapeConstant) ?? v }
        }
    }

    public func pullback(_ node: Apply, _ outputGradients: [Variable?]) throws -> [Variable?] {
        let coreNode = try coreApply(node.inputs.map(\.type))
        // The core gradient graph, on fresh core inputs and core output gradients.
        let coreGradients: [Variable?] = coreNode.outputs.enumerated().map { k, out in
            outputGradients[k] == nil ? nil : Variable(type: out.type, name: "coreGradient\(k)")
        }
        let grads = try core.pullback(coreNode, coreGradients)
        let wanted = grads.indices.filter { grads[$0] != nil }
        if wanted.isEmpty { return Array(repeating: nil, count: node.inputs.count) }
        let given = coreGradients.indices.filter { coreGradients[$0] != nil }
        let inner = try OpFromGraph(
            inputs: coreNode.inputs.map(Tensor.init) + given.compactMap { coreGradients[$0].map(Tensor.init) },
            outputs: wanted.compactMap { grads[$0].map(Tensor.init) },
            name: "\(core)Gradient", inline: false)
        let ranks = coreRanks + given.map { coreNode.outputs[$0].type.rank }
        let arguments = node.inputs.map(Tensor.init) + given.compactMap { outputGradients[$0].map(Tensor.init) }
        let batched = try Blockwise(inner, coreRanks: ranks).applyAll(arguments)
        var result: [Variable?] = Array(repeating: nil, count: node.inputs.count)
        for (g, i) in zip(batched, wanted) {
            result[i] = try LinalgBatch.reduce(g, to: node.inputs[i], coreRank: coreRanks[i]).variable
        }
        return result
    }
}

/// Applies `op` to every block of `inputs`' leading batch axes; see ``Blockwise``.
///
/// - Throws: when an input has fewer axes than its core rank, batch axes cannot broadcast,
///   or the core op rejects the inputs' core types (its own error).
public func blockwise(_ op: any Op, coreRanks: [Int], _ inputs: [Tensor]) throws -> [Tensor] {
    try Blockwise(op, coreRanks: coreRanks).applyAll(inputs)
}
