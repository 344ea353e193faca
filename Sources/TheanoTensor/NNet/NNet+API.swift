import TheanoArray
import TheanoGraph

// Basic neural-network functions: free functions and methods.

/// The rectified linear unit, `max(x, 0)` elementwise (NaN stays NaN). Keeps `x`'s dtype.
public func relu(_ x: Tensor) throws -> Tensor {
    try maximum(x, 0)
}

/// The softmax along `axis` (negative counts from the end): `exp(x) / sum(exp(x))`, so every
/// lane along `axis` is non-negative and sums to 1.
///
/// Computed stably (`softmax([1000, 1000]) == [0.5, 0.5]`). A lane whose entries are all
/// `-inf` is uniform, the limit that a mask of very negative numbers gives; entries equal to
/// `+inf` share the whole mass; NaN makes the lane NaN. Integer and bool inputs are converted
/// to floating point first, like ``exp(_:)`` (int8/int16/uint8/bool to float32, wider
/// integers to float64).
///
/// With `axis: nil` the softmax is over all elements together (every element is
/// non-negative and all sum to 1; a scalar gives 1).
///
/// - Throws: an out-of-range error when `axis` is not an axis of `x` (a scalar has none).
public func softmax(_ x: Tensor, axis: Int? = -1) throws -> Tensor {
    guard let axis else { return try overAllElements(x) { try softmax($0, axis: 0) } }
    let a = try normalizeAxis(axis, rank: x.rank, context: "softmax of \(describeVariable(x.variable))")
    return try Softmax(axis: a).apply([try convert(x, to: x.dtype.floatingPointResult)])
}

/// The logarithm of the softmax along `axis`: `x - log(sum(exp(x)))`, computed without
/// forming the softmax, so it stays finite where the softmax underflows
/// (`logSoftmax([1000, 0]) == [0, -1000]`). Lanes of all `-inf` give `-log(n)`; see
/// ``softmax(_:axis:)`` for the other special values and dtype conversion.
///
/// `axis: nil` normalises over all elements together.
///
/// - Throws: an out-of-range error when `axis` is not an axis of `x` (a scalar has none).
public func logSoftmax(_ x: Tensor, axis: Int? = -1) throws -> Tensor {
    guard let axis else { return try overAllElements(x) { try logSoftmax($0, axis: 0) } }
    let a = try normalizeAxis(axis, rank: x.rank, context: "logSoftmax of \(describeVariable(x.variable))")
    return try LogSoftmax(axis: a).apply([try convert(x, to: x.dtype.floatingPointResult)])
}

/// `f` applied to `x` flattened to a vector, reshaped back to `x`'s shape and static type.
private func overAllElements(_ x: Tensor, _ f: (Tensor) throws -> Tensor) throws -> Tensor {
    let result = try reshape(f(reshape(x, [-1])), x.shapeList())
    return try result.staticShape == x.staticShape ? result : specifyShape(result, x.staticShape)
}

extension Tensor {
    /// The rectified linear unit, `max(x, 0)`; see ``relu(_:)``.
    public func relu() throws -> Tensor { try TheanoTensor.relu(self) }

    /// The softmax along `axis`; see ``softmax(_:axis:)``.
    public func softmax(axis: Int? = -1) throws -> Tensor { try TheanoTensor.softmax(self, axis: axis) }

    /// The log-softmax along `axis`; see ``logSoftmax(_:axis:)``.
    public func logSoftmax(axis: Int? = -1) throws -> Tensor { try TheanoTensor.logSoftmax(self, axis: axis) }
}
