import TheanoArray
import TheanoGraph

/// Canonicalisation of reductions: chains of the same reduction become one, reductions over
/// nothing or over axes of size 1 become views, and a reduction across stacked operands
/// becomes the elementwise op between them.
public enum CanonicalizeReductions {
    /// `reduce(reduce(x, a1), a2)` -> `reduce(x, a1 ∪ a2)` for the same kind (sum, prod, max,
    /// min, all, any): `a.sum(0).sum(0).sum(0)` -> `a.sum([0, 1, 2])`. Either reduction may
    /// keep its axes; where only one does, the result is the reduction with kept axes and a
    /// ``DimShuffle`` dropping the axes the chain dropped. Declines when the inner reduction
    /// has other readers.
    ///
    /// Dtypes agree by construction (an integer sum is int64 either way, and exact); float sums
    /// and products may round differently.
    public static let reduceChain = rule("reduce_chain", tracks: [Reduce.self]) { graph, node in
        guard let outer = node.op as? Reduce, let innerNode = node.inputs[0].owner,
              let inner = innerNode.op as? Reduce, inner.kind == outer.kind,
              hasSingleClient(node.inputs[0], in: graph) else { return nil }
        let x = innerNode.inputs[0]
        let rank = x.type.rank
        // The axes of x that the inner reduction's output shows, in order.
        let shown = inner.keepdims ? Array(0..<rank) : (0..<rank).filter { !inner.axes.contains($0) }
        let outerAxes = outer.axes.map { shown[$0] }
        let axes = Array(Set(inner.axes + outerAxes)).sorted()
        if inner.keepdims == outer.keepdims {
            return sameType(try Reduce(outer.kind, axes: axes, keepdims: outer.keepdims).makeNode([x]).output, as: node.output)
        }
        // Only one kept its axes: reduce keeping all, then drop what the chain dropped.
        let dropped = inner.keepdims ? Set(outerAxes) : Set(inner.axes)
        let kept = try Reduce(outer.kind, axes: axes, keepdims: true).makeNode([x]).output
        let order = (0..<rank).filter { !dropped.contains($0) }
        return sameType(try DimShuffle(inputRank: rank, order: order).makeNode([kept]).output, as: node.output)
    }

    /// A reduction whose axes all have static size 1 (or that has no axes) -> a view dropping
    /// them (kept with `keepdims`), cast to the result's dtype (`all`/`any` of a non-bool value
    /// becomes `x != 0`); one that also reduces other axes reduces only those, after dropping
    /// the size-1 ones. Exact: each result is the one element reduced.
    public static let reduceBroadcastable = rule("reduce_broadcastable", tracks: [Reduce.self]) { _, node in
        guard let op = node.op as? Reduce else { return nil }
        let x = node.inputs[0]
        let rank = x.type.rank
        let ones = op.axes.filter { x.type.shape[$0] == 1 }
        guard !ones.isEmpty || op.axes.isEmpty else { return nil }
        let rest = op.axes.filter { x.type.shape[$0] != 1 }
        var result = x
        if op.keepdims {
            if !rest.isEmpty { result = try Reduce(op.kind, axes: rest, keepdims: true).makeNode([x]).output }
        } else {
            let order = (0..<rank).filter { !ones.contains($0) }
            if !ones.isEmpty { result = try DimShuffle(inputRank: rank, order: order).makeNode([x]).output }
            if !rest.isEmpty {
                let renumbered = rest.map { axis in order.firstIndex(of: axis) ?? axis }
                result = try Reduce(op.kind, axes: renumbered, keepdims: false).makeNode([result]).output
            }
        }
        let dtype = node.outputTypes[0].dtype
        if result.type.dtype != dtype {
            if op.kind == .all || op.kind == .any {
                let zero = Variable(constant: NDArray(repeating: 0, shape: Array(repeating: 1, count: result.type.rank), dtype: result.type.dtype))
                result = try applyScalar(.neq, [result, zero])
            } else {
                result = try applyScalar(.cast(dtype), [result])
            }
        }
        return satisfying(result, node.output)
    }

    /// `reduce(join(a, x1, x2, ...), axis a)` where each `xi` has size 1 on axis `a` (as
    /// `stack` builds) -> `x1 op x2 op ...` with `op` the elementwise form of the reduction
    /// (`add`, `mul`, `maximum`, `minimum`; `and`/`or` for bool `all`/`any`), the axis dropped
    /// unless kept: `sum(stack([x, y]), axis: 0)` -> `x + y`. Integer sums and products are
    /// taken in the result's dtype (int64), as the reduction does. Declines when the join has
    /// other readers.
    public static let reduceJoin = rule("reduce_join", tracks: [Reduce.self]) { graph, node in
        guard let op = node.op as? Reduce, op.axes.count == 1, let joinNode = node.inputs[0].owner,
              let join = joinNode.op as? Join, join.axis == op.axes[0], joinNode.inputs.count >= 2,
              hasSingleClient(node.inputs[0], in: graph) else { return nil }
        let axis = join.axis
        let parts = joinNode.inputs
        guard parts.allSatisfy({ $0.type.shape[axis] == 1 }) else { return nil }
        let inputDType = parts[0].type.dtype
        let dtype = node.outputTypes[0].dtype
        let scalar: ScalarOp
        switch op.kind {
        case .sum: scalar = .add
        case .prod: scalar = .mul
        case .max: scalar = .maximum
        case .min: scalar = .minimum
        case .all, .any:
            guard inputDType == .bool else { return nil }
            scalar = op.kind == .all ? .and : .or
        }
        let rank = parts[0].type.rank
        let order = (0..<rank).filter { $0 != axis }
        let operands = try parts.map { part -> Variable in
            var v = part
            if !op.keepdims { v = try DimShuffle(inputRank: rank, order: order).makeNode([v]).output }
            if v.type.dtype != dtype { v = try applyScalar(.cast(dtype), [v]) }
            return v
        }
        var result = operands[0]
        for operand in operands.dropFirst() { result = try applyScalar(scalar, [result, operand]) }
        return satisfying(result, node.output)
    }

    /// The reduction rules, in the order they are tried on a node.
    public static let all: [Rewrite] = [reduceChain, reduceJoin, reduceBroadcastable]
}
