import TheanoArray
import TheanoGraph

/// Canonicalisation of layout ops: identity transposes, reshapes and broadcasts disappear,
/// chains of them become one, and transposes move below elementwise ops and matrix products
/// towards the inputs, where they meet other transposes and cancel or merge.
public enum CanonicalizeLayout {
    /// A ``DimShuffle`` that keeps every axis in place -> its input.
    public static let uselessDimShuffle = rule("useless_dimshuffle", tracks: [DimShuffle.self]) { _, node in
        guard let op = node.op as? DimShuffle, op.order == Array(0..<op.inputRank) else { return nil }
        return sameType(node.inputs[0], as: node.output)
    }

    /// `DimShuffle(DimShuffle(x))` -> one ``DimShuffle`` of `x` (or `x` when they cancel, as
    /// two transposes do).
    public static let dimShuffleChain = rule("dimshuffle_chain", tracks: [DimShuffle.self]) { _, node in
        guard let outer = node.op as? DimShuffle, let innerNode = node.inputs[0].owner,
              let inner = innerNode.op as? DimShuffle else { return nil }
        let order = outer.order.map { $0 == DimShuffle.newAxis ? DimShuffle.newAxis : inner.order[$0] }
        let x = innerNode.inputs[0]
        if order == Array(0..<inner.inputRank) { return sameType(x, as: node.output) }
        guard let combined = try? DimShuffle(inputRank: inner.inputRank, order: order).makeNode([x]) else { return nil }
        return sameType(combined.output, as: node.output)
    }

    /// `reshape(x, shape)` where `shape` is `x`'s own shape -> `x`: each target size is a
    /// constant equal to `x`'s static size, `x.shape[i]` itself, or a single -1.
    public static let uselessReshape = rule("useless_reshape", tracks: [Reshape.self]) { _, node in
        guard let op = node.op as? Reshape else { return nil }
        let x = node.inputs[0]
        guard x.type.rank == op.ndim, let entries = shapeVectorEntries(node.inputs[1]) else { return nil }
        var inferred = 0
        for (axis, entry) in entries.enumerated() {
            if let n = shapeConstantValue(entry) {
                if n == -1 { inferred += 1 } else if x.type.shape[axis] != n { return nil }
            } else if !isShapeIndex(entry, of: x, axis: axis) {
                return nil
            }
        }
        guard inferred <= 1 else { return nil }
        return satisfying(x, node.output)
    }

    /// `reshape(reshape(x, s1), s2)` -> `reshape(x, s2)` (C-order reshapes compose).
    public static let reshapeChain = rule("reshape_chain", tracks: [Reshape.self]) { _, node in
        guard let op = node.op as? Reshape, let inner = node.inputs[0].owner, inner.op is Reshape,
              let combined = try? op.makeNode([inner.inputs[0], node.inputs[1]]) else { return nil }
        return satisfying(combined.output, node.output)
    }

    /// `alloc(x, sizes)` or `broadcastTo(x, sizes)` where `sizes` is `x`'s own shape (static
    /// sizes equal to `x`'s, or `x.shape[i]`) -> `x`.
    public static let uselessAlloc = rule("useless_alloc", tracks: [Alloc.self, BroadcastTo.self]) { _, node in
        let x = node.inputs[0]
        let sizes = node.inputs.dropFirst()
        guard x.type.rank == sizes.count else { return nil }
        for (axis, size) in sizes.enumerated() {
            if let n = shapeConstantValue(size) {
                guard x.type.shape[axis] == n else { return nil }
            } else if !isShapeIndex(size, of: x, axis: axis) {
                return nil
            }
        }
        return satisfying(x, node.output)
    }

    /// `DimShuffle(f(x, y))` -> `f(DimShuffle(x), DimShuffle(y))` for an elementwise `f` read
    /// only by the ``DimShuffle``: `transpose(exp(x))` -> `exp(transpose(x))`. Transposes then
    /// meet at the inputs, where `dimshuffle_chain` cancels or merges them; constants are
    /// transposed at compile time.
    public static let liftDimShuffle = rule("lift_dimshuffle", tracks: [DimShuffle.self]) { graph, node in
        guard let op = node.op as? DimShuffle, let inner = node.inputs[0].owner, let scalar = scalarOp(inner),
              hasSingleClient(node.inputs[0], in: graph) else { return nil }
        let shuffled: [Variable] = try inner.inputs.map { input in
            let shuffle = try op.makeNode([input])
            // Constants are transposed now unless they are large (perhaps broadcast views
            // standing for more than memory holds).
            if let value = input.constantValue, value.count <= 1 << 16 {
                return Variable(constant: try op.perform(shuffle, [value])[0].copy())
            }
            return shuffle.output
        }
        guard let lifted = try? Elemwise(scalar).makeNode(shuffled) else { return nil }
        return sameType(lifted.output, as: node.output)
    }

    /// `transpose(dot(X, Y))` -> `dot(transpose(Y), transpose(X))` for matrices, when the
    /// product has no other reader: the transposes move towards the inputs, where they cancel
    /// (`dot(X, Y.T).T` -> `dot(Y, X.T)`) or become BLAS transpose flags, so `b * Z + a *
    /// dot(X, Y).T` is one GEMM. Exact (the same sums of the same products).
    public static let transposeOfDot = rule("transpose_of_dot", tracks: [DimShuffle.self]) { graph, node in
        guard let op = node.op as? DimShuffle, op.inputRank == 2, op.order == [1, 0],
              let product = node.inputs[0].owner, product.op is MatMul,
              product.inputs.allSatisfy({ $0.type.rank == 2 }),
              hasSingleClient(node.inputs[0], in: graph) else { return nil }
        let transpose = DimShuffle(inputRank: 2, order: [1, 0])
        let (x, y) = (product.inputs[0], product.inputs[1])
        let lifted = try MatMul().makeNode([try transpose.makeNode([y]).output, try transpose.makeNode([x]).output])
        return sameType(lifted.output, as: node.output)
    }

    /// The layout rules, in the order they are tried on a node.
    public static let all: [Rewrite] = [
        uselessDimShuffle, dimShuffleChain, uselessReshape, reshapeChain, uselessAlloc, liftDimShuffle, transposeOfDot,
    ]
}

/// The entries of an int64 shape vector as scalar variables (constants for a constant
/// vector, the inputs of a ``MakeVector``), or nil for other vectors.
func shapeVectorEntries(_ v: Variable) -> [Variable]? {
    if let value = v.constantValue { return value.toArray(of: Int.self).map(shapeConstant) }
    if let node = v.owner, node.op is MakeVector { return node.inputs }
    return nil
}

/// Whether `v` is `x.shape[axis]` (a ``ShapeIndex`` node on `x`).
func isShapeIndex(_ v: Variable, of x: Variable, axis: Int) -> Bool {
    guard let node = v.owner, let op = node.op as? ShapeIndex else { return false }
    return op.axis == axis && node.inputs[0] === x
}
