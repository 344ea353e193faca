import TheanoArray
import TheanoGraph

/// A user-defined op built from a subgraph: `inputs -> outputs` packaged as one node.
///
/// By default the optimiser inlines it (the rewrite `inline_op_from_graph`), so the whole
/// graph optimises together. With `inline: false` it stays one node: the optimiser optimises
/// its inner graph once, on its own (it is an ``InnerGraphOp``), and the backend compiles it
/// into a nested program (on the CPU, with fused C kernels inside); `perform`, the reference,
/// evaluates the inner graph node by node. It is differentiated through its inner graph, or
/// with `gradient` when given.
///
/// ```swift
/// let a = Tensor.vector("a"), b = Tensor.vector("b")
/// let axpy = try OpFromGraph(inputs: [a, b], outputs: [a * 2 + b], name: "axpy")
/// let y = try axpy(x, z)
/// ```
public struct OpFromGraph: InnerGraphOp {
    /// The gradient override: given the node's inputs and the gradients of its outputs
    /// (`nil`: that output does not reach the cost), return one gradient per input (`nil`:
    /// disconnected).
    public typealias GradientOverride = @Sendable (_ inputs: [Tensor], _ outputGradients: [Tensor?]) throws -> [Tensor?]

    /// The inner graph, shared by every copy of the op (ops compare by its identity).
    final class Definition: @unchecked Sendable {
        let name: String
        let inputs: [Variable]
        let outputs: [Variable]
        let inline: Bool
        let gradient: GradientOverride?

        init(name: String, inputs: [Variable], outputs: [Variable], inline: Bool, gradient: GradientOverride?) {
            self.name = name
            self.inputs = inputs
            self.outputs = outputs
            self.inline = inline
            self.gradient = gradient
        }
    }

    let definition: Definition

    /// Packages `outputs` as a function of `inputs`. The inner graph is copied, so later
    /// changes to the caller's variables do not affect the op.
    public init(inputs: [Tensor], outputs: [Tensor], name: String = "OpFromGraph", inline: Bool = true,
                gradient: GradientOverride? = nil) throws {
        for (i, t) in inputs.enumerated() where t.variable.owner != nil || t.variable.constantValue != nil || t.variable.sharedValue != nil {
            throw TheanoError.invalidArgument("\(name): input \(i) (\(describeVariable(t.variable))) must be a plain symbolic input, not a constant, shared variable or computed value")
        }
        let cloned = try cloneGraph(inputs: inputs.map(\.variable), outputs: outputs.map(\.variable))
        definition = Definition(name: name, inputs: cloned.inputs, outputs: cloned.outputs, inline: inline, gradient: gradient)
    }

    private init(definition: Definition) {
        self.definition = definition
    }

    public var innerGraphs: [InnerGraph] {
        [InnerGraph(name: definition.name, inputs: definition.inputs, outputs: definition.outputs)]
    }

    public func replacingInnerGraphs(_ graphs: [InnerGraph]) throws -> OpFromGraph {
        guard graphs.count == 1, graphs[0].inputs.count == definition.inputs.count,
              graphs[0].outputs.count == definition.outputs.count else {
            throw TheanoError.graph("\(definition.name): an OpFromGraph has one inner graph with \(definition.inputs.count) inputs and \(definition.outputs.count) outputs")
        }
        for (old, new) in zip(definition.inputs + definition.outputs, graphs[0].inputs + graphs[0].outputs)
        where !old.type.isSatisfied(by: new.type) {
            throw TheanoError.typeMismatch("\(definition.name): a replacement inner graph changes the type \(old.type) to \(new.type)")
        }
        return OpFromGraph(definition: Definition(
            name: definition.name, inputs: graphs[0].inputs, outputs: graphs[0].outputs,
            inline: definition.inline, gradient: definition.gradient))
    }

    /// Whether the optimiser inlines this op.
    public var inlines: Bool { definition.inline }

    public var description: String { definition.name }

    public static func == (a: OpFromGraph, b: OpFromGraph) -> Bool { a.definition === b.definition }
    public func hash(into hasher: inout Hasher) { hasher.combine(ObjectIdentifier(definition)) }

    public func makeNode(_ inputs: [Variable]) throws -> Apply {
        guard inputs.count == definition.inputs.count else {
            throw TheanoError.invalidArgument("\(definition.name): expected \(definition.inputs.count) inputs, got \(inputs.count)")
        }
        for (i, (outer, inner)) in zip(inputs, definition.inputs).enumerated() where !inner.type.isSatisfied(by: outer.type) {
            throw TheanoError.typeMismatch(
                "\(definition.name): input \(i) must have type \(inner.type), got \(describeVariable(outer))")
        }
        return Apply(op: self, inputs: inputs, outputTypes: definition.outputs.map(\.type))
    }

    /// Evaluates the inner graph node by node; outputs that would share storage with an input
    /// (or with each other) are copies.
    public func perform(_ node: Apply, _ inputs: [NDArray]) throws -> [NDArray] {
        unaliasedOutputs(try evaluateGraph(inputs: definition.inputs, outputs: definition.outputs, values: inputs), from: inputs)
    }

    /// The inner graph with its inputs replaced by `arguments`: what inlining inserts.
    public func expand(_ arguments: [Variable]) throws -> [Variable] {
        let replacements = Dictionary(uniqueKeysWithValues: zip(definition.inputs, arguments))
        return try cloneGraph(inputs: [], outputs: definition.outputs, replacements: replacements).outputs
    }

    public func inferShape(_ node: Apply, _ inputShapes: [[Variable]]) throws -> [[Variable]] {
        // Shapes through the inner graph, from the outer inputs' shapes, rewritten so they
        // mention only outer variables.
        var shapes: [Variable: [Variable]] = Dictionary(uniqueKeysWithValues: zip(definition.inputs, inputShapes))
        for inner in toposort(outputs: definition.outputs, stoppingAt: Set(definition.inputs)) {
            let ins = try inner.inputs.map { v in
                try shapes[v] ?? v.type.shape.enumerated().map { axis, size in
                    try size.map(shapeConstant) ?? ShapeIndex(axis).makeNode([v]).output
                }
            }
            let outs = try inner.op.inferShape(inner, ins)
            for (v, s) in zip(inner.outputs, outs) { shapes[v] = s }
        }
        let flat = definition.outputs.flatMap { shapes[$0] ?? [] }
        let replacements = Dictionary(uniqueKeysWithValues: zip(definition.inputs, node.inputs))
        let rewritten = try cloneGraph(inputs: [], outputs: flat, replacements: replacements).outputs
        var result: [[Variable]] = []
        var offset = 0
        for out in definition.outputs {
            result.append(Array(rewritten[offset..<offset + out.type.rank]))
            offset += out.type.rank
        }
        return result
    }

    public func pullback(_ node: Apply, _ outputGradients: [Variable?]) throws -> [Variable?] {
        if let override = definition.gradient {
            let grads = try override(node.inputs.map(Tensor.init), outputGradients.map { $0.map(Tensor.init) })
            guard grads.count == node.inputs.count else {
                throw TheanoError.invalidArgument("\(definition.name): the gradient override returned \(grads.count) gradients for \(node.inputs.count) inputs")
            }
            return grads.map { $0?.variable }
        }
        // Differentiate the inner graph at the node's own inputs.
        let outputs = try expand(node.inputs).map(Tensor.init)
        var known: [Tensor: Tensor] = [:]
        for (out, g) in zip(outputs, outputGradients) {
            if let g { known[out] = Tensor(g) }
        }
        guard !known.isEmpty else { return node.inputs.map { _ in nil } }
        let wrt = node.inputs.map(Tensor.init)
        let floats = wrt.filter { $0.dtype.isFloatingPoint }
        let grads = try grad(nil, wrt: floats, disconnected: .zero, knownGrads: known)
        var byInput: [Variable: Variable] = [:]
        for (w, g) in zip(floats, grads) { byInput[w.variable] = g.variable }
        return node.inputs.map { byInput[$0] }
    }
}

extension OpFromGraph {
    /// Applies the op to tensors; returns its outputs.
    public func callAsFunction(_ inputs: Tensor...) throws -> [Tensor] {
        try applyAll(inputs)
    }
}

/// The rewrite that replaces an inlinable ``OpFromGraph`` node by its inner graph.
public let inlineOpFromGraph = Rewrite("inline_op_from_graph", tracks: [OpFromGraph.self]) { _, node in
    guard let op = node.op as? OpFromGraph, op.inlines else { return nil }
    return try op.expand(node.inputs)
}
