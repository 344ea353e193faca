import TheanoArray

/// Common-subexpression elimination: equal constants become one constant, and nodes with
/// equal ops and identical inputs become one node.
///
/// Nodes are visited in topological order, so once inputs are merged, nodes built on them
/// compare equal too; one pass reaches the fixed point. Nodes that overwrite inputs
/// (`destroyMap`) are never merged.
public let mergePass = RewritePass.custom("merge") { graph, context in
    // Merging constants changes no node, so one order serves both steps.
    let order = graph.toposort()
    try mergeConstants(graph, order, context)
    // Invariant: every visited node whose first input has two or more readers is in `seen`.
    // A twin reads the same first input, so a node that is its first input's only reader has
    // none yet and stays out of the table (most nodes of a large graph); should a merge later
    // bring that input more readers, its reader joins the table then.
    var seen: [NodeKey: Apply] = [:]
    for node in order where graph.nodes.contains(node) && node.op.destroyMap.isEmpty {
        if let first = node.inputs.first, graph.clients(of: first).count < 2 { continue }
        let key = NodeKey(node)
        guard let existing = seen[key] else {
            seen[key] = node
            continue
        }
        if existing === node { continue }
        for (old, new) in zip(node.outputs, existing.outputs) where graph.contains(old) {
            let readers = graph.clients(of: new)
            if readers.count == 1, let reader = readers[0].node, reader.op.destroyMap.isEmpty {
                let readerKey = NodeKey(reader)
                if seen[readerKey] == nil { seen[readerKey] = reader }
            }
            try graph.replace(old, with: new, reason: "merge")
            context.trace?.record("merge", before: old, after: new)
        }
    }
}

/// A node as a table key: equal when the ops are equal and the inputs identical. The hash is
/// computed once; nothing is copied.
private struct NodeKey: Hashable {
    let node: Apply
    let hash: Int

    init(_ node: Apply) {
        self.node = node
        func opHash<O: Op>(_ op: O) -> Int { op.hashValue }
        var hasher = Hasher()
        hasher.combine(opHash(node.op))
        for input in node.inputs { hasher.combine(ObjectIdentifier(input)) }
        hash = hasher.finalize()
    }

    static func == (a: NodeKey, b: NodeKey) -> Bool {
        guard a.hash == b.hash else { return false }
        let (x, y) = (a.node.inputs, b.node.inputs)
        guard x.count == y.count, zip(x, y).allSatisfy({ $0 === $1 }) else { return false }
        func sameOp<O: Op>(_ op: O, _ other: any Op) -> Bool { (other as? O) == op }
        return sameOp(a.node.op, b.node.op)
    }

    func hash(into hasher: inout Hasher) { hasher.combine(hash) }
}

/// Replaces every constant by the first constant with the same dtype, shape and values (and
/// weakness), in the order the nodes read them.
private func mergeConstants(_ graph: FunctionGraph, _ nodes: [Apply], _ context: RewriteContext) throws {
    // The first constant seen for each key, and any later ones with the same key but other values.
    var first: [ConstantKey: Variable] = [:]
    var others: [ConstantKey: [Variable]] = [:]
    func visit(_ c: Variable) throws {
        guard c.owner == nil, let value = c.constantValue, graph.contains(c) else { return }
        let key = ConstantKey(value)
        guard let head = first[key] else {
            first[key] = c
            return
        }
        if head === c { return }
        let candidates = [head] + (others[key] ?? [])
        if candidates.contains(where: { $0 === c }) { return }
        if let twin = candidates.first(where: { other in
            other.isWeakConstant == c.isWeakConstant && other.constantValue.map { sameValue($0, value) } == true
        }) {
            try graph.replace(c, with: twin, reason: "merge")
            context.trace?.record("merge", before: c, after: twin)
        } else {
            others[key, default: []].append(c)
        }
    }
    for node in nodes {
        for v in node.inputs { try visit(v) }
    }
    for v in graph.outputs { try visit(v) }
}

/// Whether two constants hold the same bits: same dtype and shape, and every element equal
/// including the sign of zero (`0.0` and `-0.0` are different constants: `1 / x` tells them
/// apart); all NaNs are alike.
func identicalValues(_ a: NDArray, _ b: NDArray) -> Bool {
    guard a.dtype == b.dtype, a.shape == b.shape else { return false }
    guard a.dtype.isFloatingPoint else { return a == b }
    return zip(a.doubles, b.doubles).allSatisfy { x, y in x.bitPattern == y.bitPattern || (x.isNaN && y.isNaN) }
}

/// A cheap fingerprint of a constant: dtype, shape and its first few values, hashed once
/// (equal constants have equal keys; the table then compares values in full).
private struct ConstantKey: Hashable {
    let hash: Int

    init(_ value: NDArray) {
        var hasher = Hasher()
        hasher.combine(value.dtype)
        hasher.combine(value.shape)
        let sample = value.count == 1 ? [firstValue(value)] : leadingValues(value, 8)
        // NaN-safe: every NaN hashes alike.
        for x in sample { hasher.combine(x.isNaN ? Double.infinity : x) }
        hash = hasher.finalize()
    }
}

/// Constants above this many elements are merged only when they are the same view of the same
/// storage: comparing them element by element would read (and copy) every element of what may
/// be a broadcast view of one value standing for more elements than memory holds.
private let maxComparedElements = 1 << 24

/// Whether two constants hold equal values (see ``maxComparedElements``).
private func sameValue(_ a: NDArray, _ b: NDArray) -> Bool {
    if a.count > maxComparedElements || b.count > maxComparedElements {
        return a.dtype == b.dtype && a.shape == b.shape && a.strides == b.strides && a.offset == b.offset && a.sharesStorage(with: b)
    }
    return identicalValues(a, b)
}

/// The first `n` elements of `value` in C order, as Doubles, read one by one.
private func leadingValues(_ value: NDArray, _ n: Int) -> [Double] {
    var index = Array(repeating: 0, count: value.rank)
    var out: [Double] = []
    for _ in 0..<Swift.min(n, value.count) {
        out.append((try? value.element(index, as: Double.self)) ?? 0)
        var axis = value.rank - 1
        while axis >= 0 {
            index[axis] += 1
            if index[axis] < value.shape[axis] { break }
            index[axis] = 0
            axis -= 1
        }
    }
    return out
}

/// The single element of a one-element array as a Double, read without building an array.
func firstValue(_ value: NDArray) -> Double {
    (try? value.element(Array(repeating: 0, count: value.rank), as: Double.self)) ?? value.doubles[0]
}
