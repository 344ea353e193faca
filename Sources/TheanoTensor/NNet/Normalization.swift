import TheanoArray
import TheanoGraph

// Batch and layer normalisation, written as expressions of reductions and elementwise ops
// (PyTensor's `batch_normalization_train`/`_test` compute the same formulas in their own
// ops). As expressions they differentiate with the ordinary gradients (no separate backward
// op to keep right, second derivatives included), the optimiser fuses the elementwise parts
// with the reductions into generated loops, and the graphs print as the formulas below.

/// What ``batchNormalizationTrain(_:_:_:axes:epsilon:)`` returns: the normalised output and
/// the batch statistics it used, each of the shape of `x` without the normalised axes (`[c]`
/// for `x` `[n, c]` over `[0]`, or `[n, c, h, w]` over `[0, 2, 3]`), ready for running
/// averages (``batchNormRunningUpdates(mean:variance:runningMean:runningVariance:momentum:count:)``).
public struct BatchNormalization {
    /// `gamma * (x - mean) * invStd + beta`, of `x`'s shape.
    public let output: Tensor
    /// The batch mean over the normalised axes.
    public let mean: Tensor
    /// The biased batch variance over the normalised axes (divided by the element count,
    /// as the normalisation uses it).
    public let variance: Tensor
    /// `1 / sqrt(variance + epsilon)`.
    public let invStd: Tensor
    /// The number of elements each statistic averages (an int64 scalar), for the unbiased
    /// variance `variance * count / (count - 1)`.
    public let count: Tensor
}

/// Batch normalisation in training mode (PyTensor's `batch_normalization_train`): normalises
/// `x` with the mean and biased variance over `axes`, then scales by `gamma` and shifts by
/// `beta`:
/// `output = (x - mean) / sqrt(variance + epsilon) * gamma + beta`.
///
/// `axes` are the axes statistics are taken over: `[0]` (the default) for `[n, features]`,
/// `[0, 2, 3]` for `[n, channels, h, w]` (PyTensor's `'spatial'`). `gamma` and `beta` have
/// either the shape of the remaining axes (`[features]`, `[channels]`) or `x`'s rank with size
/// 1 on `axes` (`[1, c, 1, 1]`). `epsilon` defaults to 1e-5 (PyTorch's; PyTensor's is 1e-4).
/// Integer `x` is converted to floating point; `gamma` and `beta` to `x`'s dtype.
///
/// The gradient flows through the batch statistics, as in every framework's training mode.
///
/// - Throws: out-of-range or repeated `axes`; a shape error when `gamma` or `beta` fit
///   neither form (the message names both shapes).
public func batchNormalizationTrain(
    _ x: Tensor, _ gamma: Tensor, _ beta: Tensor, axes: [Int] = [0], epsilon: Double = 1e-5
) throws -> BatchNormalization {
    let name = "batchNormalizationTrain"
    let x = try convert(x, to: x.dtype.floatingPointResult)
    let axes = try normalizedAxes(axes, x: x, op: name)
    let mean = try TheanoTensor.mean(x, axes: axes, keepdims: true)
    let centered = try x - mean
    let variance = try TheanoTensor.mean(square(centered), axes: axes, keepdims: true)
    let invStd = try reciprocal(sqrt(variance + Tensor(floatLiteral: epsilon)))
    let g = try parameter(gamma, "gamma", x: x, axes: axes, op: name)
    let b = try parameter(beta, "beta", x: x, axes: axes, op: name)
    let output = try centered * (invStd * g) + b
    var count: Tensor = Tensor(shapeConstant(1))
    for a in axes { count = try count * x.shape(a) }
    return BatchNormalization(output: output, mean: try squeeze(mean, axes: axes), variance: try squeeze(variance, axes: axes),
                              invStd: try squeeze(invStd, axes: axes), count: count)
}

/// Batch normalisation in inference mode (PyTensor's `batch_normalization_test`), with given
/// statistics (usually running averages):
/// `output = (x - mean) / sqrt(variance + epsilon) * gamma + beta`.
///
/// `gamma`, `beta`, `mean` and `variance` each have the shape of `x` without `axes`, or `x`'s
/// rank with size 1 on `axes`; see ``batchNormalizationTrain(_:_:_:axes:epsilon:)``.
///
/// - Throws: as ``batchNormalizationTrain(_:_:_:axes:epsilon:)``.
public func batchNormalizationInference(
    _ x: Tensor, _ gamma: Tensor, _ beta: Tensor, mean: Tensor, variance: Tensor,
    axes: [Int] = [0], epsilon: Double = 1e-5
) throws -> Tensor {
    let name = "batchNormalizationInference"
    let x = try convert(x, to: x.dtype.floatingPointResult)
    let axes = try normalizedAxes(axes, x: x, op: name)
    let m = try parameter(mean, "mean", x: x, axes: axes, op: name)
    let v = try parameter(variance, "variance", x: x, axes: axes, op: name)
    let g = try parameter(gamma, "gamma", x: x, axes: axes, op: name)
    let b = try parameter(beta, "beta", x: x, axes: axes, op: name)
    return try (x - m) * (reciprocal(sqrt(v + Tensor(floatLiteral: epsilon))) * g) + b
}

/// The updates of running statistics after a training step, as `function(updates:)` takes
/// them: `running = (1 - momentum) * running + momentum * batch` for the mean and for the
/// variance (PyTorch's convention: `momentum` is the weight of the new batch, default 0.1).
///
/// With `count` (``BatchNormalization/count``) the variance is made unbiased first,
/// `variance * count / (count - 1)`, as PyTorch and PyTensor do for the running variance;
/// without it the batch variance is used as given.
///
/// ```swift
/// let bn = try batchNormalizationTrain(x, gamma, beta)
/// let updates = try batchNormRunningUpdates(mean: bn.mean, variance: bn.variance,
///                                           runningMean: rm, runningVariance: rv, count: bn.count)
/// let step = try function([x], [loss], updates: updates.merging(sgd) { a, _ in a })
/// ```
///
/// - Throws: a shape error when a statistic's static shape differs from its running
///   variable's.
public func batchNormRunningUpdates(
    mean: Tensor, variance: Tensor, runningMean: Shared, runningVariance: Shared,
    momentum: Double = 0.1, count: Tensor? = nil
) throws -> [Shared: Tensor] {
    var variance = variance
    if let count {
        let n = try cast(count, variance.dtype)
        variance = try variance * n / maximum(n - 1, 1)
    }
    var updates: [Shared: Tensor] = [:]
    for (batch, running, what) in [(mean, runningMean, "mean"), (variance, runningVariance, "variance")] {
        let (a, b) = (batch.staticShape, running.staticShape)
        guard a.count == b.count, !zip(a, b).contains(where: { $0 != nil && $1 != nil && $0 != $1 }) else {
            throw TheanoError.shapeMismatch(
                "batchNormRunningUpdates: the batch \(what) \(describeVariable(batch.variable)) does not fit the running \(what) \(describeVariable(running.variable))")
        }
        let m = Tensor(floatLiteral: momentum)
        let updated = try running * (1 - m) + cast(batch, running.dtype) * m
        updates[running] = try cast(updated, running.dtype)
    }
    return updates
}

/// Layer normalisation (Ba et al., 2016): each lane along `axis` is normalised by its own
/// mean and biased variance, then scaled by `gamma` and shifted by `beta`, both vectors of
/// the size of `axis`:
/// `(x - mean) / sqrt(variance + epsilon) * gamma + beta`.
///
/// `axis` defaults to the last axis (PyTorch's `LayerNorm(normalized_shape=d)`); `epsilon`
/// to 1e-5. Integer `x` is converted to floating point; `gamma` and `beta` to `x`'s dtype.
///
/// - Throws: an out-of-range error for `axis`; a shape error when `gamma` or `beta` is not a
///   vector of that axis's size (the message names both shapes).
public func layerNormalization(
    _ x: Tensor, _ gamma: Tensor, _ beta: Tensor, axis: Int = -1, epsilon: Double = 1e-5
) throws -> Tensor {
    let name = "layerNormalization"
    let x = try convert(x, to: x.dtype.floatingPointResult)
    let a = try normalizeAxis(axis, rank: x.rank, context: "\(name) of \(describeVariable(x.variable))")
    let others = (0..<x.rank).filter { $0 != a }
    let mean = try TheanoTensor.mean(x, axis: a, keepdims: true)
    let centered = try x - mean
    let variance = try TheanoTensor.mean(square(centered), axis: a, keepdims: true)
    let invStd = try reciprocal(sqrt(variance + Tensor(floatLiteral: epsilon)))
    let g = try parameter(gamma, "gamma", x: x, axes: others, op: name)
    let b = try parameter(beta, "beta", x: x, axes: others, op: name)
    return try centered * invStd * g + b
}

// MARK: - Shapes

/// `axes` non-negative, sorted, without repeats.
private func normalizedAxes(_ axes: [Int], x: Tensor, op: String) throws -> [Int] {
    let normalized = try axes.map { try normalizeAxis($0, rank: x.rank, context: "\(op) of \(describeVariable(x.variable))") }.sorted()
    guard Set(normalized).count == normalized.count else {
        throw TheanoError.invalidArgument("\(op): axes \(axes) name an axis twice")
    }
    return normalized
}

/// A per-feature parameter (`gamma`, `beta`, a statistic) broadcast against `x`: given
/// either with `x`'s rank (size 1 on `axes`) or with the shape of `x` without `axes`, in
/// which case size-1 axes are inserted at `axes`. Converted to `x`'s dtype.
private func parameter(_ p: Tensor, _ what: String, x: Tensor, axes: [Int], op: String) throws -> Tensor {
    let kept = (0..<x.rank).filter { !axes.contains($0) }
    let fits: Bool
    let expanded: Tensor
    if p.rank == x.rank {
        fits = axes.allSatisfy { p.staticShape[$0] == 1 || p.staticShape[$0] == nil }
            && kept.allSatisfy { k in p.staticShape[k] == nil || x.staticShape[k] == nil || p.staticShape[k] == x.staticShape[k] || p.staticShape[k] == 1 }
        expanded = p
    } else if p.rank == kept.count {
        let sizes = x.staticShape
        fits = zip(kept, p.staticShape).allSatisfy { (k: Int, s: Int?) -> Bool in
            guard let s, let n = sizes[k] else { return true }
            return s == n || s == 1
        }
        var order = [Int]()
        var next = 0
        for axis in 0..<x.rank {
            if axes.contains(axis) { order.append(DimShuffle.newAxis) } else { order.append(next); next += 1 }
        }
        expanded = fits ? try dimshuffle(p, order) : p
    } else {
        fits = false
        expanded = p
    }
    guard fits else {
        throw TheanoError.shapeMismatch(
            "\(op): \(what) \(describeVariable(p.variable)) does not fit \(describeVariable(x.variable)) normalised over axes \(axes): it needs the shape of the other axes (\(kept.map { x.staticShape[$0].map(String.init) ?? "?" }.joined(separator: ", "))) or size 1 on the normalised axes")
    }
    return try convert(expanded, to: x.dtype)
}
