import TheanoArray
import TheanoGraph

/// The running sum of `x` along `axis` (negative counts from the end), or of the flattened
/// `x` when `axis` is nil (NumPy's `cumsum`). Floats keep their dtype; bool and integers give
/// int64. See ``CumOp``.
///
/// ```swift
/// let c = try cumsum(x)                    // [1, 2, 3] -> [1, 3, 6]
/// ```
public func cumsum(_ x: Tensor, axis: Int? = nil) throws -> Tensor {
    let (input, a) = try inputAlongAxis(x, axis: axis, function: "cumsum")
    return try CumOp(.sum, axis: a).apply([input])
}

/// The running product of `x` along `axis` (negative counts from the end), or of the flattened
/// `x` when `axis` is nil (NumPy's `cumprod`). Its gradient divides by nothing, so it is
/// exact where `x` has zeros, and is itself differentiable (see ``LinearRecurrence``).
///
/// ```swift
/// let c = try cumprod(x)                   // [1, 2, 3] -> [1, 2, 6]
/// ```
public func cumprod(_ x: Tensor, axis: Int? = nil) throws -> Tensor {
    let (input, a) = try inputAlongAxis(x, axis: axis, function: "cumprod")
    return try CumOp(.prod, axis: a).apply([input])
}

/// The `n`-th discrete difference of `x` along `axis` (NumPy's `diff`):
/// `x[1:] - x[:-1]`, applied `n` times; the axis shrinks by `n` (to 0 when shorter). For bool
/// inputs the difference is `!=`, as in NumPy. Built from slices and subtraction, so it is
/// differentiable.
///
/// ```swift
/// let d = try diff(x)                      // [1, 4, 9] -> [3, 5]
/// ```
public func diff(_ x: Tensor, n: Int = 1, axis: Int = -1) throws -> Tensor {
    guard n >= 0 else {
        throw TheanoError.invalidArgument("diff: the order n must be non-negative, got \(n) for \(describeVariable(x.variable))")
    }
    guard x.rank > 0 else {
        throw TheanoError.outOfRange("diff: \(describeVariable(x.variable)) has rank 0; diff needs at least one axis")
    }
    let a = try normalizeAxis(axis, rank: x.rank, context: "diff of \(describeVariable(x.variable))")
    var result = x
    for _ in 0..<n {
        var upper: [any TensorIndexConvertible] = Array(repeating: TensorIndex.all, count: x.rank)
        var lower = upper
        upper[a] = TensorIndex.slice(1, nil)
        lower[a] = TensorIndex.slice(nil, -1)
        let later = try result.indexed(upper)
        let earlier = try result.indexed(lower)
        result = x.dtype == .bool ? try neq(later, earlier) : try sub(later, earlier)
    }
    return result
}

extension Tensor {
    /// The running sum along `axis` (flattened when nil); see ``cumsum(_:axis:)``.
    public func cumsum(axis: Int? = nil) throws -> Tensor { try TheanoTensor.cumsum(self, axis: axis) }
    /// The running product along `axis` (flattened when nil); see ``cumprod(_:axis:)``.
    public func cumprod(axis: Int? = nil) throws -> Tensor { try TheanoTensor.cumprod(self, axis: axis) }
    /// The `n`-th discrete difference along `axis`; see ``diff(_:n:axis:)``.
    public func diff(n: Int = 1, axis: Int = -1) throws -> Tensor { try TheanoTensor.diff(self, n: n, axis: axis) }
}
