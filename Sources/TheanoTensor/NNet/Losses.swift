import TheanoArray
import TheanoGraph

// Loss functions. Each returns losses per example (per row for the categorical losses, per
// element for the binary and regression ones, PyTorch's `reduction='none'`): take `mean()`
// (or `sum()`) for a training objective. Predictions keep their floating-point dtype (integer
// predictions are converted like `exp`'s input); targets are converted to it.

/// The categorical cross-entropy of predicted class probabilities, Theano's
/// `categorical_crossentropy`: one loss per row.
///
/// - `targets` with the rank of `probabilities` (one-hot rows, or any probability rows):
///   `-sum(targets * log(probabilities), axis: -1)`.
/// - `targets` an integer vector of labels, `probabilities` a matrix `[n, k]`:
///   `-log(probabilities[arange(n), targets])` (labels count from the end when negative, as
///   in NumPy indexing; others out of `-k..<k` are a run-time error).
///
/// For probabilities that come from ``softmax(_:axis:)``, prefer
/// ``softmaxCrossEntropy(logits:labels:)`` or ``softmaxCrossEntropy(logits:targets:axis:)``.
/// The optimiser does that itself where it can: `log(softmax(x))` becomes the stable
/// ``logSoftmax(_:axis:)``, and the label form becomes one ``CrossEntropySoftmax1Hot`` node
/// (the `crossentropy_softmax_1hot` rewrite). A probability of exactly 0 for the target class
/// gives an infinite loss.
///
/// - Throws: a type error for labels that are not integers or ranks that fit neither form; a
///   shape error when static sizes (the batch, or the rows) disagree, naming both shapes.
public func categoricalCrossEntropy(_ probabilities: Tensor, _ targets: Tensor) throws -> Tensor {
    let name = "categoricalCrossEntropy"
    let p = try floatingPrediction(probabilities, op: name)
    if targets.rank == p.rank - 1 {
        guard targets.dtype.isInteger, p.rank == 2, targets.rank == 1 else {
            throw TheanoError.typeMismatch(
                "\(name): with one rank less than the probabilities, the targets must be integer labels [n] for probabilities [n, k]; got probabilities \(describeVariable(p.variable)) and targets \(describeVariable(targets.variable))")
        }
        try checkBatch(p, targets, op: name)
        return try -log(p[arange(p.shape(0)), targets])
    }
    let t = try matchingTargets(targets, like: p, op: name)
    return try -sum(t * log(p), axis: -1)
}

/// The softmax cross-entropy of `logits` `[n, k]` against integer `labels` `[n]`:
/// `-logSoftmax(logits)[i, labels[i]]` for each row, computed by one
/// ``CrossEntropySoftmax1Hot`` node (finite for all finite logits; its gradient
/// `softmax - oneHot(labels)` is one ``CrossEntropySoftmax1HotGrad`` node).
///
/// Negative labels count from the end (`-1` is the last class); a label outside `-k..<k` is
/// a run-time error naming the op. Integer logits are converted to floating point.
///
/// - Throws: a type error when `logits` is not a matrix or `labels` not an integer vector; a
///   shape error when their static batch sizes differ (the message names both shapes).
public func softmaxCrossEntropy(logits: Tensor, labels: Tensor) throws -> Tensor {
    let name = "softmaxCrossEntropy"
    let x = try floatingPrediction(logits, op: name)
    guard x.rank == 2 else {
        throw TheanoError.typeMismatch("\(name): the logits must be a matrix [n, k], got \(describeVariable(x.variable))")
    }
    guard labels.dtype.isInteger, labels.rank == 1 else {
        throw TheanoError.typeMismatch(
            "\(name): the labels must be an integer vector [n], got \(describeVariable(labels.variable)); for probability or one-hot targets use softmaxCrossEntropy(logits:targets:)")
    }
    try checkBatch(x, labels, op: name)
    return try CrossEntropySoftmax1Hot().applyAll([x, labels])[0]
}

/// The softmax cross-entropy of `logits` against probability (or one-hot) `targets` of the
/// same shape, along `axis`: `-sum(targets * logSoftmax(logits, axis), axis)`, one loss per
/// lane (per row for a matrix). Built on the stable ``logSoftmax(_:axis:)``, so it is finite
/// for all finite logits, and its gradient is `softmax(logits) * sum(targets) - targets`.
///
/// - Throws: a shape error when the two have different ranks or different static sizes; an
///   out-of-range error for a bad `axis`.
public func softmaxCrossEntropy(logits: Tensor, targets: Tensor, axis: Int = -1) throws -> Tensor {
    let name = "softmaxCrossEntropy"
    let x = try floatingPrediction(logits, op: name)
    let t = try matchingTargets(targets, like: x, op: name)
    let a = try normalizeAxis(axis, rank: x.rank, context: "\(name) of \(describeVariable(x.variable))")
    return try -sum(t * logSoftmax(x, axis: a), axis: a)
}

/// The binary cross-entropy of predicted probabilities, elementwise (Theano's
/// `binary_crossentropy`): `-(t * log(p) + (1 - t) * log(1 - p))`.
///
/// Unlike PyTorch's `BCELoss`, the logarithms are not clamped at -100: a probability of
/// exactly 0 or 1 on the wrong side gives an infinite loss. When the probabilities are
/// `sigmoid(x)`, the optimiser rewrites the logarithms into the stable `-softplus(∓x)`; better
/// still, use ``binaryCrossEntropyWithLogits(_:_:)`` on `x`.
///
/// - Throws: a shape error when the two have different ranks or different static sizes.
public func binaryCrossEntropy(_ probabilities: Tensor, _ targets: Tensor) throws -> Tensor {
    let name = "binaryCrossEntropy"
    let p = try floatingPrediction(probabilities, op: name)
    let t = try matchingTargets(targets, like: p, op: name)
    return try -(t * log(p) + (1 - t) * log(1 - p))
}

/// The binary cross-entropy of `sigmoid(logits)` against `targets`, elementwise, computed
/// from the logits: `max(x, 0) - x * t + log(1 + exp(-|x|))` (the last term as
/// `softplus(-|x|)`), which is finite for every finite `x` (PyTorch's
/// `BCEWithLogitsLoss`, TensorFlow's `sigmoid_cross_entropy_with_logits`). Its gradient is
/// `sigmoid(x) - t`.
///
/// - Throws: a shape error when the two have different ranks or different static sizes.
public func binaryCrossEntropyWithLogits(_ logits: Tensor, _ targets: Tensor) throws -> Tensor {
    let name = "binaryCrossEntropyWithLogits"
    let x = try floatingPrediction(logits, op: name)
    let t = try matchingTargets(targets, like: x, op: name)
    return try maximum(x, 0) - x * t + softplus(-abs(x))
}

/// The squared error, elementwise: `(predictions - targets)²`. Its mean is the mean squared
/// error (PyTorch's `mse_loss` with `reduction='none'`, then `.mean()`).
///
/// - Throws: a shape error when the two have different ranks or different static sizes.
public func meanSquaredError(_ predictions: Tensor, _ targets: Tensor) throws -> Tensor {
    let name = "meanSquaredError"
    let p = try floatingPrediction(predictions, op: name)
    let t = try matchingTargets(targets, like: p, op: name)
    return try square(p - t)
}

/// The binary hinge loss, elementwise: `max(0, 1 - targets * scores)`, for targets of -1 and
/// +1 (targets of 0 and 1 must be mapped with `2 * t - 1` first; they are not converted).
///
/// - Throws: a shape error when the two have different ranks or different static sizes.
public func hinge(_ scores: Tensor, _ targets: Tensor) throws -> Tensor {
    let name = "hinge"
    let s = try floatingPrediction(scores, op: name)
    let t = try matchingTargets(targets, like: s, op: name)
    return try maximum(1 - t * s, 0)
}

/// The multiclass hinge loss of Crammer and Singer (Lasagne's `multiclass_hinge_loss`), one
/// loss per row of `scores` `[n, k]`: `max(0, margin + max_{j ≠ y} scores[j] - scores[y])`
/// with `y = labels[i]`.
///
/// Labels count from the end when negative; a label outside `-k..<k` is a run-time error
/// (from the indexing). With one class the loss is 0.
///
/// - Throws: a type error when `scores` is not a matrix or `labels` not an integer vector; a
///   shape error when their static batch sizes differ.
public func multiclassHinge(_ scores: Tensor, labels: Tensor, margin: Double = 1) throws -> Tensor {
    let name = "multiclassHinge"
    let s = try floatingPrediction(scores, op: name)
    guard s.rank == 2, labels.dtype.isInteger, labels.rank == 1 else {
        throw TheanoError.typeMismatch(
            "\(name): expected scores [n, k] and integer labels [n], got \(describeVariable(s.variable)) and \(describeVariable(labels.variable))")
    }
    try checkBatch(s, labels, op: name)
    let k = try s.shape(1)
    let y = try `where`(labels .< 0, labels + cast(k, labels.dtype), labels)
    let correct = try s[arange(s.shape(0)), y]
    let isLabel = try arange(k).expandDims(axis: 0) .== y.expandDims(axis: 1)
    let others = try max(`where`(isLabel, Tensor.constant(-.infinity, s.dtype), s), axis: 1)
    return try maximum(others - correct + Tensor(floatLiteral: margin), 0)
}

// MARK: - Checks

/// Predictions (probabilities, logits, scores) in floating point.
private func floatingPrediction(_ x: Tensor, op: String) throws -> Tensor {
    try convert(x, to: x.dtype.floatingPointResult)
}

/// `targets` converted to `prediction`'s dtype after checking that the shapes can match:
/// the same rank and no static size that differs.
private func matchingTargets(_ targets: Tensor, like prediction: Tensor, op: String) throws -> Tensor {
    let (a, b) = (prediction.staticShape, targets.staticShape)
    let clash = a.count != b.count || zip(a, b).contains { x, y in x != nil && y != nil && x != y }
    if clash {
        throw TheanoError.shapeMismatch(
            "\(op): the targets \(describeVariable(targets.variable)) must have the shape of the predictions \(describeVariable(prediction.variable))")
    }
    return try convert(targets, to: prediction.dtype)
}

/// The batch (first) sizes of predictions `[n, k]` and labels `[n]` agree where static.
private func checkBatch(_ prediction: Tensor, _ labels: Tensor, op: String) throws {
    if let n = prediction.staticShape[0], let m = labels.staticShape[0], n != m {
        throw TheanoError.shapeMismatch(
            "\(op): the labels \(describeVariable(labels.variable)) have \(m) entries but the predictions \(describeVariable(prediction.variable)) have \(n) rows")
    }
}
