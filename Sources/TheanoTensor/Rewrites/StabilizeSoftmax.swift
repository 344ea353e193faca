import TheanoArray
import TheanoGraph

/// Stabilisation of softmax expressions: logarithms of softmaxes become ``LogSoftmax``, and
/// the textbook spellings of the log-softmax and of the softmax of a log-softmax become the ops.
public enum StabilizeSoftmax {
    /// `log(softmax(x))` -> `logSoftmax(x)` (same axis), also through indexing and
    /// dimshuffles between them (PyTensor's `local_logsoftmax`): `log(softmax(x)[i, y])` ->
    /// `logSoftmax(x)[i, y]`, finite where the softmax underflows to 0
    /// (`log(softmax([1000, 0]))[1]` is -1000, not -inf).
    public static let logSoftmax = rule("log_softmax", tracks: [Elemwise.self]) { _, node in
        guard scalarOp(node) == .log else { return nil }
        let (base, chain) = throughSelections(node.inputs[0])
        guard let softmax = base.owner, let op = softmax.op as? Softmax else { return nil }
        let logSoftmax = try LogSoftmax(axis: op.axis).makeNode(softmax.inputs).output
        return sameType(try reapply(chain, to: logSoftmax), as: node.output)
    }

    /// `exp(logSoftmax(x))` -> `softmax(x)` (PyTensor's `local_exp_log_softmax`), unless the
    /// log-softmax is computed for another reader anyway.
    public static let expLogSoftmax = rule("exp_log_softmax", tracks: [Elemwise.self]) { graph, node in
        guard scalarOp(node) == .exp, let logSoftmax = node.inputs[0].owner, let op = logSoftmax.op as? LogSoftmax,
              hasSingleClient(node.inputs[0], in: graph) else { return nil }
        return sameType(try Softmax(axis: op.axis).makeNode(logSoftmax.inputs).output, as: node.output)
    }

    /// `x - logsumexp(x, axis, keepdims: true)` -> `logSoftmax(x, axis)` (PyTensor's
    /// `local_log_softmax_from_logsumexp`), for one axis, unless the logsumexp has other
    /// readers. Also what `x - log(sum(exp(x), axis, keepdims: true))` becomes after
    /// `log_sum_exp`.
    public static let logSoftmaxFromLogsumexp = rule("log_softmax_from_logsumexp", tracks: [Elemwise.self]) { graph, node in
        guard scalarOp(node) == .sub, let total = elemwiseNode(node.inputs[1], .add),
              hasSingleClient(node.inputs[1], in: graph) else { return nil }
        let x = node.inputs[0]
        for (logSide, shift) in [(total.inputs[0], total.inputs[1]), (total.inputs[1], total.inputs[0])] {
            guard let sumNode = argument(of: logSide, .log)?.owner, let sum = sumNode.op as? Reduce,
                  sum.kind == .sum, sum.keepdims, sum.axes.count == 1,
                  let shifted = argument(of: sumNode.inputs[0], .exp),
                  isMaxShifted(shifted, axes: sum.axes), let difference = elemwiseNode(shifted, .sub),
                  sameExpression(difference.inputs[0], x), sameExpression(difference.inputs[1], shift) else { continue }
            return sameType(try LogSoftmax(axis: sum.axes[0]).makeNode([x]).output, as: node.output)
        }
        return nil
    }

    /// `incSubtensor(zeros, v / s[i], i) * s` -> `incSubtensor(zeros, v / s[i] * s[i], i)`
    /// (for basic and advanced indices, set or increment): moves a factor into the values
    /// scattered into zeros, where it cancels the division (`cancel_common_factors`). The
    /// gradient of `log(softmax(x)[i])` is such a product; at positions outside `i` the
    /// product is 0 either way.
    public static let mulIntoIncSubtensor = rule("mul_into_inc_subtensor", tracks: [Elemwise.self]) { _, node in
        guard scalarOp(node) == .mul else { return nil }
        for (scattered, factor) in [(node.inputs[0], node.inputs[1]), (node.inputs[1], node.inputs[0])] {
            guard let inc = scattered.owner, let op = inc.op as? IncSubtensor, isZeros(inc.inputs[0]),
                  node.output.type == scattered.type else { continue }
            let value = inc.inputs[1]
            let indices = Array(inc.inputs.dropFirst(2))
            let gathered = Product(factor: value).denominator.first { d in
                guard let g = d.owner, g.inputs.count == indices.count + 1, sameExpression(g.inputs[0], factor) else { return false }
                let entries = (g.op as? Subtensor)?.entries ?? (g.op as? AdvancedSubtensor)?.entries
                return entries == op.entries && zip(g.inputs.dropFirst(), indices).allSatisfy { sameExpression($0, $1) }
            }
            guard let gathered else { continue }
            let scaled = try applyScalar(.mul, [try padToRank(value, gathered.type.rank), gathered])
            return sameType(try op.makeNode([inc.inputs[0], scaled] + indices).output, as: node.output)
        }
        return nil
    }

    /// The softmax rules, in the order they are tried on a node.
    public static let all: [Rewrite] = [logSoftmax, expLogSoftmax, logSoftmaxFromLogsumexp, mulIntoIncSubtensor]
}

/// Whether `v` is an array of zeros: a small constant or an ``Alloc`` of one.
private func isZeros(_ v: Variable) -> Bool {
    if uniformConstant(v) == 0 { return true }
    guard let node = v.owner, node.op is Alloc else { return false }
    return uniformConstant(node.inputs[0]) == 0
}
