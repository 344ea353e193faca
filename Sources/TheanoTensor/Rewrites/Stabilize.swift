import TheanoArray
import TheanoGraph

/// Numerical stabilisation: expressions that lose precision or overflow, rewritten into the
/// accurate functions that compute the same values (`log(1 + x)` -> `log1p(x)`,
/// `log(softmax(x))` -> `logSoftmax(x)`, ...). The families live beside this file:
/// ``StabilizeSigmoid``, ``StabilizeLogExp``, ``StabilizeSoftmax`` and ``StabilizeProducts``
/// (the gradients' divisions); ``all`` is the stabilize pass.
public enum Stabilize {
    /// `log(1 + x)` -> `log1p(x)`: accurate for tiny `x` (`log(1 + 1e-10)` rounds to 0 in
    /// float32 and to 1.00000008e-10 in float64; `log1p` gives 1e-10). The constants of a sum
    /// of several terms add up to 1 (`log(2 + x - y - onesLike(z))` -> `log1p(x - y)`), filled
    /// constants (`onesLike(z)`) included; the result is broadcast like the sum (PyTensor's
    /// `local_log1p`).
    public static let log1pFromLog = rule("log1p_from_log", tracks: [Elemwise.self]) { _, node in
        guard scalarOp(node) == .log, let sumNode = node.inputs[0].owner, let op = scalarOp(sumNode), op == .add || op == .sub,
              let sum = SignedSum(node.inputs[0]), sum.constant == 1, let rest = try sum.termsSum() else { return nil }
        let result = try applyScalar(.log1p, [rest])
        return try sum.broadcast(result, like: sumNode.output, from: sumNode).flatMap { satisfying($0, node.output) }
    }

    /// `log(1 - x)` -> `log1p(-x)`: accurate for tiny `x`.
    public static let log1pFromLogOneMinus = rule("log1p_from_log_one_minus", tracks: [Elemwise.self]) { _, node in
        guard scalarOp(node) == .log, let difference = elemwiseNode(node.inputs[0], .sub),
              uniformConstant(difference.inputs[0]) == 1, difference.inputs[1].constantValue == nil else { return nil }
        let negated = try applyScalar(.neg, [difference.inputs[1]])
        return try fitUnary(.log1p, negated, to: node.output, sumNode: difference)
    }

    /// `exp(x) - 1` and `exp(x) + (-1)` -> `expm1(x)`: accurate for tiny `x`.
    public static let expm1FromExp = rule("expm1_from_exp", tracks: [Elemwise.self]) { _, node in
        guard let op = scalarOp(node) else { return nil }
        let exponential: Variable
        switch op {
        case .sub:
            guard uniformConstant(node.inputs[1]) == 1 else { return nil }
            exponential = node.inputs[0]
        case .add:
            guard let (e, _) = operandAndConstant(node, commutative: true, { $0 == -1 }) else { return nil }
            exponential = e
        default:
            return nil
        }
        guard let exp = elemwiseNode(exponential, .exp) else { return nil }
        return try fit(try applyScalar(.expm1, [exp.inputs[0]]), to: node.output, from: node)
    }

    /// `log(sum(exp(x)))` over any axes -> `logsumexp(x)`, the max-shifted form
    /// `m + log(sum(exp(x - m)))`: finite for large `x` (`log(sum(exp([1000, 1000])))` is
    /// 1000.69..., not inf).
    ///
    /// A documented difference: over an axis of size 0 the original gives -inf, the rewritten
    /// form throws when the function runs (the maximum of an empty axis), as ``logsumexp(_:axis:keepdims:)``
    /// does. The shifted form itself is recognised and left alone. Dimshuffles, reshapes and
    /// indexing between the log and the sum stay where they were (PyTensor's
    /// `local_log_sum_exp` with a dimshuffle).
    public static let logSumExp = rule("log_sum_exp", tracks: [Elemwise.self]) { _, node in
        guard scalarOp(node) == .log else { return nil }
        let (base, chain) = throughSelections(node.inputs[0])
        guard let sumNode = base.owner, let sum = sumNode.op as? Reduce,
              sum.kind == .sum, let exp = elemwiseNode(sumNode.inputs[0], .exp) else { return nil }
        let x = exp.inputs[0]
        guard x.type.dtype == node.outputTypes[0].dtype, !isMaxShifted(x, axes: sum.axes) else { return nil }
        let stable = try logsumexpOver(Tensor(x), sum.axes, keepdims: sum.keepdims).variable
        return sameType(try reapply(chain, to: stable), as: node.output)
    }

    /// The stabilisation rules, in the order they are tried on a node: cancelled factors first
    /// (`(1 + exp(-x)) / (1 + exp(-x))` must cancel before either becomes a sigmoid), softmax
    /// and sigmoid forms before the general logarithm rules (which would otherwise take
    /// `log(1 - sigmoid(x))`), the other rules on products (gradients) last.
    public static let all: [Rewrite] = [StabilizeProducts.cancelCommonFactors]
        + StabilizeSoftmax.all + StabilizeSigmoid.all + StabilizeLogExp.all
        + [logSumExp, log1pFromLogOneMinus, log1pFromLog, expm1FromExp]
        + [StabilizeProducts.expOverSumExp, StabilizeProducts.distributeToCancel, CanonicalizeArithmetic.doubleNeg]
        // Chains of transposes collapse here too, so that factors built on both sides of a
        // dimshuffle (a forward value and its gradient) compare equal.
        + [CanonicalizeLayout.uselessDimShuffle, CanonicalizeLayout.dimShuffleChain]
}

/// `op(x)` standing for `old`, where `x` is an operand (or a function of one) of the
/// elementwise `sumNode` that feeds `old`'s node: broadcast as `sumNode`'s output broadcast.
private func fitUnary(_ op: ScalarOp, _ x: Variable, to old: Variable, sumNode: Apply) throws -> Variable? {
    let applied = op == .identity ? x : try applyScalar(op, [x])
    // Broadcast to the argument's shape first (the constant may have enlarged it), then the
    // unary op keeps that shape.
    guard let shaped = try fit(applied, to: sumNode.output, from: sumNode) else { return nil }
    return satisfying(shaped, old)
}

/// Whether `x` is `y - where(isinf(m), c, m)` with `m = max(y, axes, keepdims)`: the shifted
/// argument that `logsumexp` itself builds.
func isMaxShifted(_ x: Variable, axes: [Int]) -> Bool {
    guard let sub = elemwiseNode(x, .sub), let select = elemwiseNode(sub.inputs[1], .where),
          let maxNode = select.inputs[2].owner, let max = maxNode.op as? Reduce else { return false }
    return max.kind == .max && max.axes == axes && maxNode.inputs[0] === sub.inputs[0]
}
