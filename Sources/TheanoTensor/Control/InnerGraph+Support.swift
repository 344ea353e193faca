import TheanoArray
import TheanoGraph

// Helpers shared by the ops that carry inner graphs (`IfElse`, `Scan`).

/// `outputs` rebuilt with every variable of `map`'s keys replaced by its value: the nodes
/// between the keys and `outputs` are copied onto the new variables, nothing above the keys
/// is touched (unlike `cloneGraph` with replacements, which copies the replacements' own
/// graphs too).
func substituting(_ outputs: [Variable], _ map: [Variable: Variable]) -> [Variable] {
    var m = map
    for node in toposort(outputs: outputs, stoppingAt: Set(map.keys)) {
        let copy = Apply(op: node.op, inputs: node.inputs.map { m[$0] ?? $0 }, outputTypes: node.outputTypes)
        for (old, new) in zip(node.outputs, copy.outputs) {
            new.name = old.name
            m[old] = new
        }
    }
    return outputs.map { m[$0] ?? $0 }
}

/// Compares two expressions structurally: equal ops applied to equal inputs, equal
/// constants, and the variables of `pairs` (left to right) taken as equal.
struct ExpressionComparator {
    private var pairs: [Variable: Variable]

    init(pairs: [Variable: Variable] = [:]) { self.pairs = pairs }

    mutating func same(_ a: Variable, _ b: Variable) -> Bool {
        if a === b { return true }
        if let p = pairs[a] { return p === b }
        guard a.type == b.type else { return false }
        if let x = a.constantValue, let y = b.constantValue {
            return x.dtype == y.dtype && x.shape == y.shape && x.doubles == y.doubles
        }
        guard let na = a.owner, let nb = b.owner, a.index == b.index, na.op.isEqual(to: nb.op),
              na.inputs.count == nb.inputs.count else { return false }
        for (x, y) in zip(na.inputs, nb.inputs) where !same(x, y) { return false }
        for (x, y) in zip(na.outputs, nb.outputs) { pairs[x] = y }
        return true
    }
}

/// The symbolic shapes of an inner graph's outputs, given the (outer) shapes of its inputs: one
/// entry per axis, nil where the size depends on a value computed inside the graph (it
/// cannot be written in terms of the outer variables).
func innerOutputShapes(_ graph: InnerGraph, _ inputShapes: [[Variable]]) -> [[Variable?]] {
    var shapes: [Variable: [Variable]] = Dictionary(zip(graph.inputs, inputShapes), uniquingKeysWith: { a, _ in a })
    func rootShape(_ v: Variable) -> [Variable] {
        v.type.shape.enumerated().map { axis, size in
            size.map(shapeConstant) ?? ((try? ShapeIndex(axis).makeNode([v]).output) ?? v)
        }
    }
    for node in toposort(outputs: graph.outputs, stoppingAt: Set(graph.inputs)) {
        let ins = node.inputs.map { shapes[$0] ?? rootShape($0) }
        let outs = (try? node.op.inferShape(node, ins)) ?? node.outputs.map(rootShape)
        for (v, s) in zip(node.outputs, outs) where s.count == v.type.rank { shapes[v] = withStaticSizes(s, of: v.type) }
    }
    let inner = Set(graph.inputs)
    return graph.outputs.map { out in
        let dims = shapes[out] ?? rootShape(out)
        return dims.map { dim in
            let roots = graphRoots(outputs: [dim])
            if roots.contains(where: inner.contains) { return nil }
            // A size computed from a variable of the inner graph other than its inputs (a
            // value only the graph computes) cannot be used outside either.
            let nodes = toposort(outputs: [dim])
            let innerNodes = Set(toposort(outputs: graph.outputs, stoppingAt: inner).map(ObjectIdentifier.init))
            if nodes.contains(where: { innerNodes.contains(ObjectIdentifier($0)) }) { return nil }
            return dim
        }
    }
}

/// Whether a scalar value counts as true (nonzero; NaN is true).
func isTrue(_ value: NDArray) -> Bool {
    value.doubles.first.map { $0 != 0 } ?? false
}
