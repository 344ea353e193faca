import TheanoArray
import TheanoGraph

/// Canonicalisation of filled arrays (``Alloc`` as `zeros`, `ones` and `full` build them, and
/// ``BroadcastTo`` as gradients seed them): elementwise work moves onto the small fill value,
/// and fills that another operand's shape makes redundant disappear.
public enum CanonicalizeFill {
    /// `f(alloc(v, sizes), c...)` -> `alloc(f(v, c...), sizes)` when every other operand is a
    /// constant: `exp(zeros(n, m))` -> `alloc(exp(0), n, m)`, computed on one element (the same
    /// for `broadcastTo`). Also when the other operands are variables none of which has the
    /// output's whole shape (else `elemwise_alloc` drops the fill): `log(onesLike(y) + row)`
    /// -> `alloc(log(1 + row), ...)`, computed on the row, and then `log1p`.
    public static let fillSink = rule("fill_sink", tracks: [Elemwise.self]) { _, node in
        guard let scalar = scalarOp(node),
              let k = node.inputs.firstIndex(where: isFill),
              let alloc = node.inputs[k].owner else { return nil }
        let out = node.outputTypes[0]
        var inputs = node.inputs
        let othersConstant = inputs.indices.allSatisfy { i in
            i == k || (inputs[i].constantValue?.count ?? Int.max) <= ruleConstantLimit
        }
        if !othersConstant {
            // Variables: only where none has the whole shape, and no other fill is involved.
            guard inputs.indices.allSatisfy({ i in i == k || (!isFill(inputs[i]) && inputs[i].type.shape != out.shape) })
            else { return nil }
        }
        inputs[k] = try padToRank(alloc.inputs[0], out.rank)
        guard let small = try? Elemwise(scalar).makeNode(inputs) else { return nil }
        if othersConstant {
            guard let sunk = try? alloc.op.makeNode([small.output] + alloc.inputs.dropFirst()) else { return nil }
            return sameType(sunk.output, as: node.output)
        }
        // Worth it only where the fill was what broadcast some axis.
        guard zip(small.outputTypes[0].shape, out.shape).contains(where: { $0 == 1 && $1 != 1 }) else { return nil }
        return try fit(small.output, to: node.output, from: node)
    }

    /// `f(alloc(v, sizes), y)` -> `f(v, y)` when `y` alone has the output's shape (same static
    /// sizes, unknown where the output's are), so the fill only repeated what broadcasting
    /// does: `zerosLike(x) + x` -> `0 + x` (the same for `broadcastTo`).
    ///
    /// The sizes given to the fill are no longer checked against `y`'s at run time (a
    /// mismatch that raised an error now broadcasts or raises a different one), as in
    /// Theano.
    public static let elemwiseAlloc = rule("elemwise_alloc", tracks: [Elemwise.self]) { _, node in
        guard let scalar = scalarOp(node), node.inputs.count > 1,
              node.inputs.contains(where: isFill) else { return nil }
        let out = node.outputTypes[0]
        guard node.inputs.contains(where: { !isFill($0) && $0.type.shape == out.shape }) else { return nil }
        let inputs = try node.inputs.map { input -> Variable in
            guard isFill(input), let alloc = input.owner else { return input }
            return try padToRank(alloc.inputs[0], out.rank)
        }
        guard let direct = try? Elemwise(scalar).makeNode(inputs) else { return nil }
        return sameType(direct.output, as: node.output)
    }

    /// The fill rules, in the order they are tried on a node.
    public static let all: [Rewrite] = [fillSink, elemwiseAlloc]
}

/// Whether `v` is computed by ``Alloc`` or ``BroadcastTo`` (a value repeated to a shape).
func isFill(_ v: Variable) -> Bool {
    guard let node = v.owner else { return false }
    return node.op is Alloc || node.op is BroadcastTo
}
