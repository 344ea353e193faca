import TheanoArray

/// Common-subexpression elimination: equal constants become one constant, and nodes with
/// equal ops and identical inputs become one node.
///
/// Nodes are visited in topological order, so once inputs are merged, nodes built on them
/// compare equal too; one pass reaches the fixed point. Nodes that overwrite inputs
/// (`destroyMap`) are never merged.
public let mergePass = RewritePass.custom("merge") { graph, context in
    try mergeConstants(graph, context)
    var seen: [NodeKey: Apply] = [:]
    for node in graph.toposort() where graph.nodes.contains(node) && node.op.destroyMap.isEmpty {
        let key = NodeKey(node)
        guard let existing = seen[key] else {
            seen[key] = node
            continue
        }
        for (old, new) in zip(node.outputs, existing.outputs) where graph.contains(old) {
            try graph.replace(old, with: new, reason: "merge")
            context.trace?.record("merge", before: old, after: new)
        }
    }
}

private struct NodeKey: Hashable {
    let op: AnyHashable
    let inputs: [ObjectIdentifier]

    init(_ node: Apply) {
        func erase<O: Op>(_ op: O) -> AnyHashable { AnyHashable(op) }
        op = erase(node.op)
        inputs = node.inputs.map { ObjectIdentifier($0) }
    }
}

/// Replaces every constant by the first constant with the same dtype, shape and values.
private func mergeConstants(_ graph: FunctionGraph, _ context: RewriteContext) throws {
    var byKey: [ConstantKey: [Variable]] = [:]
    var order: [Variable] = []
    var listed = Set<Variable>()
    for v in graph.toposort().flatMap(\.inputs) + graph.outputs where v.constantValue != nil && listed.insert(v).inserted {
        order.append(v)
    }
    for c in order {
        guard let value = c.constantValue else { continue }
        let key = ConstantKey(value)
        if let twin = byKey[key]?.first(where: { $0.constantValue == value && $0.isWeakConstant == c.isWeakConstant }) {
            try graph.replace(c, with: twin, reason: "merge")
            context.trace?.record("merge", before: c, after: twin)
        } else {
            byKey[key, default: []].append(c)
        }
    }
}

private struct ConstantKey: Hashable {
    let dtype: DType
    let shape: [Int]
    let sample: [Double]

    init(_ value: NDArray) {
        dtype = value.dtype
        shape = value.shape
        // A cheap fingerprint: the first few values (NaN-safe through their bit patterns).
        sample = Array(value.toArray(of: Double.self).prefix(8)).map { $0.isNaN ? Double.infinity : $0 }
    }
}
