import TheanoArray
import TheanoGraph

/// A linear-algebra op defined on *core blocks* (a matrix for `inv`; a matrix and a vector or
/// matrix for `solve`) and applied to every block of its inputs' leading *batch* axes, as
/// PyTensor's `Blockwise` and NumPy's gufuncs.
///
/// Input `i` has ``coreRanks``[i] trailing core axes; the axes before them are batch axes,
/// which broadcast between inputs like NumPy's (and, as everywhere in the graph, an axis
/// broadcasts only when its static size is 1; unknown sizes must agree at run time). Every
/// output has the broadcast batch axes followed by its core axes.
///
/// A conforming op describes one block; the extension gives it `makeBatchedNode` (dtype, rank
/// and batch checks), `performBatched` (a loop over the blocks, calling
/// ``computeBlock(_:_:_:)`` in the input's float type) and `inferBatchedShape`, which the op's
/// public `makeNode`, `perform` and `inferShape` forward to. Gradients are written with batched graph ops
/// (`matmul` of stacks, transposes of the last two axes), so they batch too;
/// ``reduceToInput(_:_:_:)`` sums a gradient over the batch axes an input broadcast.
///
/// Inputs must be float32 or float64 (all the same dtype); the user functions check and
/// promote first. Non-finite input values are refused at run time, as SciPy's (and
/// PyTensor's) default `check_finite=True`.
protocol BatchedLinalgOp: Op {
    /// The function users call, for messages (`"inv"`, `"solve"`).
    var name: String { get }
    /// The number of core (trailing) axes of each input.
    var coreRanks: [Int] { get }
    /// Checks the inputs' static core shapes (the last ``coreRanks`` axes) and returns each
    /// output's static core shape. Errors name ``name``, the input and the shapes.
    func staticCoreShapes(_ inputs: [Variable], _ cores: [[Int?]]) throws -> [[Int?]]
    /// The outputs' core shapes from the inputs' run-time core shapes, after checking them.
    func runtimeCoreShapes(_ node: Apply, _ cores: [[Int]]) throws -> [[Int]]
    /// The outputs' symbolic core shapes from the inputs' symbolic core sizes.
    func symbolicCoreShapes(_ node: Apply, _ cores: [[Variable]]) throws -> [[Variable]]
    /// Computes one block: `inputs[i]` is input `i`'s block in C order (shape `shapes[i]`);
    /// returns each output's block in C order. `location` names the block for messages.
    func computeBlock<T: LAPACKScalar>(_ inputs: [[T]], _ shapes: [[Int]], _ location: String) throws -> [[T]]
    /// The dtype of output `i` (default: the inputs' float type).
    func outputDType(_ index: Int, input: DType) -> DType
    /// Inputs that hold int32 indices (LU pivots) instead of floats (default: none). Their
    /// blocks reach ``computeBlock(_:_:_:)`` converted to the float type. Input 0 is a float.
    var integerInputs: Set<Int> { get }
    /// Whether the op has a pointer kernel (``computeBlock(in:_:_:_:)``), which the CPU backend
    /// runs instead of `perform` (default: false). `perform`, the reference, always computes
    /// blocks through ``computeBlock(_:_:_:)`` on copies.
    var hasBlockKernel: Bool { get }
    /// The scratch bytes one block of the pointer kernel needs, shared by all blocks of a
    /// call; `elementSize` is the float type's size.
    func scratchBytes(_ cores: [[Int]], elementSize: Int) -> Int
    /// Computes one block from ``LinalgBlock``'s pointers, writing every element of every
    /// output. `cores` are the inputs' core shapes; `location` names the block for messages.
    func computeBlock<T: LAPACKScalar>(in block: LinalgBlock, _ cores: [[Int]], _ type: T.Type, _ location: () -> String) throws
}

extension BatchedLinalgOp {
    func outputDType(_ index: Int, input: DType) -> DType { input }
    var integerInputs: Set<Int> { [] }

    func makeBatchedNode(_ inputs: [Variable]) throws -> Apply {
        let ranks = coreRanks
        guard inputs.count == ranks.count else {
            throw TheanoError.invalidArgument("\(name): expected \(ranks.count) inputs, got \(inputs.count)")
        }
        let dtype = inputs[0].type.dtype
        for (i, v) in inputs.enumerated() {
            if integerInputs.contains(i) {
                guard v.type.dtype == .int32 else {
                    throw TheanoError.typeMismatch("\(name): input \(i) \(describeVariable(v)) must be int32 (pivot indices), got \(v.type.dtype)")
                }
                guard v.type.rank >= ranks[i] else {
                    throw TheanoError.invalidArgument(
                        "\(name): input \(i) \(describeVariable(v)) has rank \(v.type.rank), but needs at least \(ranks[i]) (\(coreDescription(ranks[i])), after any batch axes)")
                }
                continue
            }
            guard v.type.dtype == .float32 || v.type.dtype == .float64 else {
                throw TheanoError.typeMismatch(
                    "\(name): input \(i) \(describeVariable(v)) must be float32 or float64 (cast integers with cast(x, .float64)), got \(v.type.dtype)")
            }
            guard v.type.dtype == dtype else {
                throw TheanoError.typeMismatch(
                    "\(name): all inputs must have one dtype (the function \(name) promotes them); input 0 is \(describeVariable(inputs[0])), input \(i) is \(describeVariable(v))")
            }
            guard v.type.rank >= ranks[i] else {
                throw TheanoError.invalidArgument(
                    "\(name): input \(i) \(describeVariable(v)) has rank \(v.type.rank), but needs at least \(ranks[i]) (\(coreDescription(ranks[i])), after any batch axes)")
            }
        }
        let cores: [[Int?]] = inputs.enumerated().map { i, v in Array(v.type.shape.suffix(ranks[i])) }
        let outCores = try staticCoreShapes(inputs, cores)
        let batch = try LinalgBatch.staticShape(name, inputs, coreRanks: ranks)
        var types: [TensorType] = []
        for (k, core) in outCores.enumerated() {
            let shape = batch + core
            _ = try checkedShapeSize(known: shape, context: "\(name): output \(k)")
            types.append(TensorType(outputDType(k, input: dtype), shape: shape))
        }
        return Apply(op: self, inputs: inputs, outputTypes: types)
    }

    func performBatched(_ node: Apply, _ inputs: [NDArray]) throws -> [NDArray] {
        switch inputs[0].dtype {
        case .float32: return try performBlocks(node, inputs, Float.self)
        case .float64: return try performBlocks(node, inputs, Double.self)
        default:
            throw TheanoError.typeMismatch("\(name): expected float32 or float64 values, got \(inputs[0].dtype)")
        }
    }

    /// The loop over blocks: copies each input to C order once (without repeating the blocks
    /// of broadcast batch axes), and fills each output block by block.
    private func performBlocks<T: LAPACKScalar>(_ node: Apply, _ inputs: [NDArray], _ type: T.Type) throws -> [NDArray] {
        let ranks = coreRanks
        let (batch, cores, outCores) = try blockShapes(node, inputs)
        let count = try checkedShapeSize(batch, context: name)
        var flats: [[T]] = []
        for (i, value) in inputs.enumerated() {
            _ = try checkedAllocation(value.shape, dtype: T.dtype, context: "\(name): input \(i)")
            flats.append(value.toArray(of: T.self))
        }
        var outFlats: [[T]] = []
        for (k, core) in outCores.enumerated() {
            let size = try checkedAllocation(batch + core, dtype: T.dtype, context: "\(name): output \(k)") / T.dtype.byteSize
            outFlats.append([T](repeating: 0, count: size))
        }
        let inSizes = cores.map(shapeSize), outSizes = outCores.map(shapeSize)
        for b in 0..<count {
            let index = LinalgBatch.batchIndex(b, batch)
            var blocks: [[T]] = []
            for i in flats.indices {
                let start = LinalgBatch.blockOffset(index, own: Array(inputs[i].shape.dropLast(ranks[i]))) * inSizes[i]
                let block = Array(flats[i][start..<(start + inSizes[i])])
                if block.contains(where: { !$0.isFinite }) {
                    throw TheanoError.invalidArgument(
                        "\(name): input \(i) \(expressionText(node.inputs[i])) contains NaN or infinity\(LinalgBatch.blockText(b, batch)); linear algebra needs finite values")
                }
                blocks.append(block)
            }
            let results: [[T]]
            do {
                results = try computeBlock(blocks, cores, LinalgBatch.blockText(b, batch))
            } catch let error as TheanoError {
                // Name the inputs behind a numerical failure (singular, not positive definite).
                let named = node.inputs.indices.map { i in
                    "input \(i) is \(expressionText(node.inputs[i])) of shape \(formatShape(inputs[i].shape))"
                }
                throw TheanoError(error.kind, error.message + "; " + named.joined(separator: ", "))
            }
            for k in results.indices {
                guard results[k].count == outSizes[k] else {
                    throw TheanoError.graph("\(name): output \(k) has \(results[k].count) elements, expected \(outSizes[k])")
                }
                outFlats[k].replaceSubrange((b * outSizes[k])..<((b + 1) * outSizes[k]), with: results[k])
            }
        }
        var outputs: [NDArray] = []
        for k in outFlats.indices {
            let array = try NDArray(outFlats[k], shape: batch + outCores[k])
            outputs.append(array.dtype == node.outputTypes[k].dtype ? array : array.astype(node.outputTypes[k].dtype))
        }
        return outputs
    }

    /// The run-time batch shape, the inputs' core shapes (each checked to fit LAPACK's
    /// 32-bit indices) and the outputs' core shapes: what both block loops start from.
    func blockShapes(_ node: Apply, _ inputs: [NDArray]) throws -> (batch: [Int], cores: [[Int]], outCores: [[Int]]) {
        let ranks = coreRanks
        let batch = try LinalgBatch.runtimeShape(name, node, inputs, coreRanks: ranks)
        let cores: [[Int]] = inputs.enumerated().map { i, v in Array(v.shape.suffix(ranks[i])) }
        for (i, core) in cores.enumerated() {
            // LAPACK indexes a block with 32-bit integers.
            _ = try lapackSize(shapeSize(core), "\(name): input \(i) \(expressionText(node.inputs[i])) of shape \(formatShape(inputs[i].shape))")
        }
        return (batch, cores, try runtimeCoreShapes(node, cores))
    }

    func inferBatchedShape(_ node: Apply, _ inputShapes: [[Variable]]) throws -> [[Variable]] {
        let ranks = coreRanks
        let batch = LinalgBatch.symbolicShape(node, inputShapes, coreRanks: ranks)
        let cores: [[Variable]] = inputShapes.enumerated().map { i, s in Array(s.suffix(ranks[i])) }
        let outCores = try symbolicCoreShapes(node, cores)
        return outCores.enumerated().map { k, core in
            let outType = node.outputTypes[k]
            return (batch + core).enumerated().map { axis, v in outType.shape[axis].map(shapeConstant) ?? v }
        }
    }

    /// The gradient `g` for input `index`, summed over the batch axes that input lacks or
    /// broadcast, so it has the input's shape.
    func reduceToInput(_ g: Tensor, _ node: Apply, _ index: Int) throws -> Tensor {
        try LinalgBatch.reduce(g, to: node.inputs[index], coreRank: coreRanks[index])
    }
}

/// `"a matrix"`, `"a vector"`: what a core rank means, for messages.
func coreDescription(_ rank: Int) -> String {
    switch rank {
    case 0: return "a scalar"
    case 1: return "a vector"
    case 2: return "a matrix"
    default: return "\(rank) core axes"
    }
}

/// The batch-axis arithmetic shared by the batched linear-algebra ops.
enum LinalgBatch {
    /// The static broadcast of the inputs' batch axes (all but the last `coreRanks[i]`).
    static func staticShape(_ op: String, _ inputs: [Variable], coreRanks: [Int]) throws -> [Int?] {
        let batches: [[Int?]] = inputs.enumerated().map { i, v in Array(v.type.shape.dropLast(coreRanks[i])) }
        let rank = batches.map(\.count).max() ?? 0
        var out: [Int?] = Array(repeating: 1, count: rank)
        for (i, b) in batches.enumerated() {
            let lead = rank - b.count
            for (j, size) in b.enumerated() {
                let axis = lead + j
                switch (out[axis], size) {
                case (_, .some(1)): break
                case (.some(1), _): out[axis] = size
                case let (x?, y?) where x != y:
                    throw TheanoError.shapeMismatch(
                        "\(op): the batch axes of the inputs cannot be broadcast together: batch axis \(axis) has size \(x) in an earlier input but \(y) in input \(i) \(describeVariable(inputs[i]))")
                case (nil, let y?): out[axis] = y
                default: break
                }
            }
        }
        return out
    }

    /// The run-time batch shape: the inputs' batch axes broadcast, where only axes of static
    /// size 1 broadcast and the others must agree.
    static func runtimeShape(_ op: String, _ node: Apply, _ values: [NDArray], coreRanks: [Int]) throws -> [Int] {
        let rank = values.indices.map { values[$0].rank - coreRanks[$0] }.max() ?? 0
        var out = Array(repeating: 1, count: rank)
        var owner: [Int?] = Array(repeating: nil, count: rank)
        for (i, v) in values.enumerated() {
            let own = v.rank - coreRanks[i]
            for j in 0..<own where node.inputs[i].type.shape[j] != 1 {
                let axis = rank - own + j
                if let o = owner[axis], out[axis] != v.shape[j] {
                    throw TheanoError.shapeMismatch(
                        "\(op): at run time, the batch axes of input \(o) \(expressionText(node.inputs[o])) of shape \(formatShape(values[o].shape)) and input \(i) \(expressionText(node.inputs[i])) of shape \(formatShape(v.shape)) differ (\(out[axis]) vs \(v.shape[j])) and are not declared broadcastable (static size 1)")
                }
                out[axis] = v.shape[j]
                owner[axis] = i
            }
        }
        return out
    }

    /// Symbolic batch sizes: from the static type when known, else from an input whose axis
    /// does not broadcast.
    static func symbolicShape(_ node: Apply, _ inputShapes: [[Variable]], coreRanks: [Int]) -> [Variable] {
        let own: [Int] = node.inputs.indices.map { node.inputs[$0].type.rank - coreRanks[$0] }
        let rank = own.max() ?? 0
        var dims: [Variable] = []
        for axis in 0..<rank {
            var dim = shapeConstant(1)
            for i in node.inputs.indices {
                let j = axis - (rank - own[i])
                if j >= 0, node.inputs[i].type.shape[j] != 1 {
                    dim = inputShapes[i][j]
                    break
                }
            }
            dims.append(dim)
        }
        return dims
    }

    /// `g` (batch axes then `coreRank` core axes) summed over the batch axes that `input`
    /// lacks (leading) or broadcasts (static size 1).
    static func reduce(_ g: Tensor, to input: Variable, coreRank: Int) throws -> Tensor {
        var result = g
        let extra = g.rank - input.type.rank
        if extra > 0 { result = try sum(result, axes: Array(0..<extra)) }
        let batchRank = input.type.rank - coreRank
        let broadcast = (0..<batchRank).filter { input.type.shape[$0] == 1 && result.staticShape[$0] != 1 }
        if !broadcast.isEmpty { result = try sum(result, axes: broadcast, keepdims: true) }
        return result
    }

    /// `" (at batch index [1, 0])"` for a batch, `""` without batch axes: where an error
    /// happened.
    static func blockText(_ flat: Int, _ batch: [Int]) -> String {
        batch.isEmpty ? "" : " (at batch index \(batchIndex(flat, batch)))"
    }

    /// The position, among an input's own blocks (C order), of the block at batch `index`:
    /// the input's batch axes (`own`, aligned to the right of the index) of size 1 broadcast.
    static func blockOffset(_ index: [Int], own: [Int]) -> Int {
        var offset = 0
        let lead = index.count - own.count
        for (j, size) in own.enumerated() {
            offset = offset * size + (size == 1 ? 0 : index[lead + j])
        }
        return offset
    }

    /// The batch index of the `flat`-th block (C order).
    static func batchIndex(_ flat: Int, _ batch: [Int]) -> [Int] {
        var index = Array(repeating: 0, count: batch.count)
        var rest = flat
        for axis in stride(from: batch.count - 1, through: 0, by: -1) where batch[axis] > 0 {
            index[axis] = rest % batch[axis]
            rest /= batch[axis]
        }
        return index
    }
}
