import TheanoArray
import TheanoGraph

/// Ops that have a variant overwriting one of their inputs.
public protocol InPlaceCapable {
    /// The in-place variants for `node` with the input each overwrites, best first.
    func inPlaceVariants(_ node: Apply) -> [(op: any Op, destroys: Int)]
}

extension Gemm: InPlaceCapable {
    public func inPlaceVariants(_ node: Apply) -> [(op: any Op, destroys: Int)] {
        guard !inPlace, node.inputs.count == 5, node.inputs[0].type == node.outputTypes[0] else { return [] }
        return [(Gemm(transposeX: transposeX, transposeY: transposeY, inPlace: true), 0)]
    }
}

extension Gemv: InPlaceCapable {
    public func inPlaceVariants(_ node: Apply) -> [(op: any Op, destroys: Int)] {
        guard !inPlace, node.inputs.count == 5, node.inputs[0].type == node.outputTypes[0] else { return [] }
        return [(Gemv(transposeA: transposeA, inPlace: true), 0)]
    }
}

extension Ger: InPlaceCapable {
    public func inPlaceVariants(_ node: Apply) -> [(op: any Op, destroys: Int)] {
        guard !inPlace, node.inputs[0].type == node.outputTypes[0] else { return [] }
        return [(Ger(inPlace: true), 0)]
    }
}

extension IncSubtensor: InPlaceCapable {
    public func inPlaceVariants(_ node: Apply) -> [(op: any Op, destroys: Int)] {
        guard !inPlace, node.inputs[0].type == node.outputTypes[0] else { return [] }
        return [(IncSubtensor(entries, mode: mode, inPlace: true), 0)]
    }
}

extension Composite: InPlaceCapable {
    public func inPlaceVariants(_ node: Apply) -> [(op: any Op, destroys: Int)] {
        // Integer pow can fail half-way through a loop; never let it write into an input.
        guard inPlaceInput == nil, let out = node.outputTypes.first, !out.shape.contains(1),
              !program.steps.contains(where: { $0.op == .pow && !$0.dtype.isFloatingPoint }) else { return [] }
        return node.inputs.indices.filter { node.inputs[$0].type == out }.map { (Composite(program, inPlaceInput: $0), $0) }
    }
}

extension Elemwise: InPlaceCapable {
    public func inPlaceVariants(_ node: Apply) -> [(op: any Op, destroys: Int)] {
        let types = node.inputs.map(\.type.dtype)
        let step = ScalarProgram.Step(op: scalar, operands: types.indices.map { .input($0) }, dtype: node.outputTypes[0].dtype)
        let composite = Composite(ScalarProgram(inputTypes: types, steps: [step], outputs: [.step(0)]))
        return composite.inPlaceVariants(node)
    }
}

/// The last pass of ``StandardPipelines/fastRun``: nodes that can write their result into an
/// input's buffer do so when nothing else needs that input afterwards (the destroy handler's
/// rules):
/// - never a function input, a constant, a graph output, a view or a viewed variable;
/// - an intermediate value only when the node is its only reader;
/// - a shared variable only when the node's result is that variable's update and is read by
///   nothing else; the runtime then runs the node after every other node and writes into the
///   shared buffer only when no caller holds that value (else into a copy), so an SGD step
///   rewrites the weights without copying them.
public let inplacePass = RewritePass.custom("inplace") { graph, context in
    var destroyed = Set<Variable>()
    let outputs = Set(graph.outputs)
    for node in graph.toposort() where graph.nodes.contains(node) {
        guard let capable = node.op as? any InPlaceCapable else { continue }
        let legal = capable.inPlaceVariants(node).first { variant in
            let v = node.inputs[variant.destroys]
            return !destroyed.contains(v) && isDestroyable(v, by: node, in: graph, outputs: outputs)
        }
        guard let variant = legal, let replacement = try? variant.op.makeNode(node.inputs) else { continue }
        let v = node.inputs[variant.destroys]
        for (old, new) in zip(node.outputs, replacement.outputs) where graph.contains(old) {
            try graph.replace(old, with: new, reason: "inplace")
            context.trace?.record("inplace", before: old, after: new)
        }
        destroyed.insert(v)
    }
}

private func isDestroyable(_ v: Variable, by node: Apply, in graph: FunctionGraph, outputs: Set<Variable>) -> Bool {
    if v.constantValue != nil || graph.inputs.contains(v) || outputs.contains(v) { return false }
    // Not a view of something else, and not viewed by anything.
    if let owner = v.owner, owner.op.viewMap[v.index] != nil { return false }
    let clients = graph.clients(of: v)
    for c in clients {
        guard let reader = c.node else { return false }
        if reader.op.viewMap.values.contains(where: { $0.contains(c.index) }) { return false }
    }
    if v.sharedValue != nil {
        // Only as the update of this very shared variable, read by nothing else.
        let outs = node.outputs
        guard outs.count == 1 else { return false }
        let readers = graph.clients(of: outs[0])
        return readers.count == 1 && readers[0].node == nil && graph.updateTargets[readers[0].index] === v
    }
    return clients.count == 1 && clients[0].node === node
}
