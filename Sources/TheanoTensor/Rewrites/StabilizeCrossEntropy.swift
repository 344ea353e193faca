import TheanoArray
import TheanoGraph

/// The softmax cross-entropy with integer labels, fused: the textbook spellings of
/// `-log(softmax(x))[arange(n), y]` become one ``CrossEntropySoftmax1Hot`` node (Theano's
/// `crossentropy_to_crossentropy_with_softmax` and `local_crossentropy_to_crossentropy_with_softmax_grad`
/// forward half). Runs in the stabilize pass after ``StabilizeSoftmax``, whose `log_softmax`
/// rule first turns `log(softmax(x)[i, y])` and `log(softmax(x))[i, y]` into
/// `logSoftmax(x)[i, y]`; what is left to match is that gather, negated.
public enum StabilizeCrossEntropy {
    /// `-logSoftmax(x, axis: 1)[arange(n), y]` and `(-logSoftmax(x, axis: 1))[arange(n), y]`
    /// -> `CrossEntropySoftmax1Hot(x, y)[0]`, for a matrix `x`, an integer vector `y` and
    /// `arange(n)` over exactly the rows of `x` (`arange(x.shape[0])`, or a constant `n` equal
    /// to the static row count). The fused op gives the same values, and the same errors for
    /// out-of-range labels (it counts negative labels from the end, as the indexing does).
    public static let crossEntropySoftmax1Hot = rule("crossentropy_softmax_1hot", tracks: [Elemwise.self, AdvancedSubtensor.self]) { _, node in
        let gather: Apply
        let logSoftmax: Variable
        if scalarOp(node) == .neg {
            // -(logSoftmax(x)[rows, y])
            guard let g = node.inputs[0].owner, g.op is AdvancedSubtensor else { return nil }
            gather = g
            logSoftmax = g.inputs[0]
        } else if node.op is AdvancedSubtensor, let negated = negatedOperand(node.inputs[0]) {
            // (-logSoftmax(x))[rows, y]
            gather = node
            logSoftmax = negated
        } else {
            return nil
        }
        guard let op = gather.op as? AdvancedSubtensor, op.entries == [.array, .array], gather.inputs.count == 3,
              let softmaxNode = logSoftmax.owner, let ls = softmaxNode.op as? LogSoftmax, ls.axis == 1 else { return nil }
        let x = softmaxNode.inputs[0]
        let (rows, labels) = (gather.inputs[1], gather.inputs[2])
        guard x.type.rank == 2, labels.type.rank == 1, labels.type.dtype.isInteger,
              coversRows(rows, of: x, logSoftmax) else { return nil }
        let fused = try CrossEntropySoftmax1Hot().makeNode([x, labels]).outputs[0]
        return satisfying(fused, node.output)
    }

    /// The cross-entropy rules, in the order they are tried on a node.
    public static let all: [Rewrite] = [crossEntropySoftmax1Hot]
}

/// Whether `rows` is `0, 1, ..., n - 1` for the `n` rows of `x` (or of `alias`, which has
/// `x`'s shape): an ``ARange`` from 0 by 1 to a size of axis 0 of either, or a constant
/// vector equal to that range when the row count is static.
private func coversRows(_ rows: Variable, of x: Variable, _ alias: Variable) -> Bool {
    let n = x.type.shape[0] ?? alias.type.shape[0]
    if let value = rows.constantValue {
        guard let n, value.rank == 1, value.shape[0] == n else { return false }
        return value.toArray(of: Int64.self).enumerated().allSatisfy { Int64($0.offset) == $0.element }
    }
    guard let node = rows.owner, node.op is ARange,
          uniformConstant(node.inputs[0]) == 0, uniformConstant(node.inputs[2]) == 1 else { return false }
    let stop = node.inputs[1]
    if let n, uniformConstant(stop) == Double(n) { return true }
    guard let size = stop.owner, let index = size.op as? ShapeIndex, index.axis == 0 else { return false }
    return sameExpression(size.inputs[0], x) || sameExpression(size.inputs[0], alias)
}
