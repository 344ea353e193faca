import TheanoArray
import TheanoGraph

// mean, var, std and logsumexp, composed from Reduce and elementwise nodes so that they get
// gradients, fusion and stabilisation from their parts.

/// The float dtype statistics compute in: floats keep their dtype; bool and integers use
/// float64 (NumPy's rule for mean, var and std; scipy's for logsumexp).
func statisticsDType(_ dtype: DType) -> DType {
    dtype.isFloatingPoint ? dtype : .float64
}

/// The number of elements over `axes` of `x`, minus `ddof` and at least 0, as a scalar of
/// `dtype`: a constant when the sizes are static, else computed from the shape.
/// `ddof` must be at least ``minimumDDOF``.
func reductionCount(_ x: Tensor, axes: [Int], ddof: Int = 0, dtype: DType) throws -> Tensor {
    var unknown: [Tensor] = []
    for a in axes where x.staticShape[a] == nil { unknown.append(try x.shape(a)) }
    let context = "the number of elements over axes \(axes) of \(describeVariable(x.variable))"
    let known = try checkedShapeSize(axes.compactMap { x.staticShape[$0] }, context: context)
    guard var count = unknown.first else {
        return Tensor.constant(Double(Swift.max(known - ddof, 0)), dtype)
    }
    for n in unknown.dropFirst() { count = try count * n }
    if known != 1 { count = try count * Tensor(integerLiteral: known) }
    if ddof != 0 { count = try maximum(count - Tensor(integerLiteral: ddof), 0) }
    return try cast(count, dtype)
}

/// The smallest `ddof` of `var` and `std`: `n - ddof` fits in an int64 for any `n` up to
/// ``maxElementCount``.
let minimumDDOF = -(1 << 62)

/// `x` with the reduced `axes` (which have static size 1) dropped.
func dropReducedAxes(_ x: Tensor, _ axes: [Int]) throws -> Tensor {
    guard !axes.isEmpty else { return x }
    return try DimShuffle(inputRank: x.rank, order: (0..<x.rank).filter { !axes.contains($0) }).apply([x])
}

/// mean over normalised axes. Integers are converted to float64 before summing, as NumPy
/// does, so large values do not wrap.
func meanOver(_ x: Tensor, _ axes: [Int], keepdims: Bool) throws -> Tensor {
    let xf = try cast(x, statisticsDType(x.dtype))
    let total = try Reduce(.sum, axes: axes, keepdims: keepdims).apply([xf])
    return try total / reductionCount(xf, axes: axes, dtype: xf.dtype)
}

/// var over normalised axes: mean((x - mean(x))^2) with divisor max(n - ddof, 0).
func varianceOver(_ x: Tensor, _ axes: [Int], ddof: Int, keepdims: Bool, op: String = "var") throws -> Tensor {
    guard ddof >= minimumDDOF else {
        throw TheanoError.invalidArgument(
            "\(op): ddof \(ddof) is out of range for \(describeVariable(x.variable)): it must be at least \(minimumDDOF) (-2^62), so that n - ddof stays an int64")
    }
    let xf = try cast(x, statisticsDType(x.dtype))
    let deviation = try xf - meanOver(xf, axes, keepdims: true)
    let squares = try Reduce(.sum, axes: axes, keepdims: keepdims).apply([deviation * deviation])
    return try squares / reductionCount(xf, axes: axes, ddof: ddof, dtype: xf.dtype)
}

/// logsumexp over normalised axes: m + log(sum(exp(x - m))) with m the maximum, replaced by 0
/// where it is infinite (so all -inf gives -inf and +inf gives +inf).
func logsumexpOver(_ x: Tensor, _ axes: [Int], keepdims: Bool) throws -> Tensor {
    let xf = try cast(x, statisticsDType(x.dtype))
    let m = try Reduce(.max, axes: axes, keepdims: true).apply([xf])
    let shift = try `where`(isinf(m), 0, m)
    let total = try Reduce(.sum, axes: axes, keepdims: true).apply([exp(xf - shift)])
    let result = try log(total) + shift
    return keepdims ? result : try dropReducedAxes(result, axes)
}

/// Normalises user axes for the statistics functions (messages name `op` and `x`).
private func statisticsAxes(_ axes: [Int]?, _ x: Tensor, op: String) throws -> [Int] {
    try normalizeReductionAxes(axes, rank: x.rank, op: op, input: describeVariable(x.variable))
}

/// The arithmetic mean over `axis` (nil: every axis). Floats keep their dtype; bool and
/// integers give float64. The mean of an empty axis is NaN.
public func mean(_ x: Tensor, axis: Int? = nil, keepdims: Bool = false) throws -> Tensor {
    try meanOver(x, statisticsAxes(axis.map { [$0] }, x, op: "mean"), keepdims: keepdims)
}
/// The arithmetic mean over several axes; see ``mean(_:axis:keepdims:)``.
public func mean(_ x: Tensor, axes: [Int], keepdims: Bool = false) throws -> Tensor {
    try meanOver(x, statisticsAxes(axes, x, op: "mean"), keepdims: keepdims)
}

/// The variance over `axis` (nil: every axis): the mean squared deviation from the mean, with
/// divisor `n - ddof` (NumPy's `var`; `ddof: 1` gives the unbiased estimate). Floats keep their
/// dtype; bool and integers give float64. When `n - ddof <= 0` the divisor is 0 (giving NaN or
/// infinity, as NumPy does). As a free function it is written `` `var`(x) ``; the method is
/// `x.var()`.
public func `var`(_ x: Tensor, axis: Int? = nil, ddof: Int = 0, keepdims: Bool = false) throws -> Tensor {
    try varianceOver(x, statisticsAxes(axis.map { [$0] }, x, op: "var"), ddof: ddof, keepdims: keepdims)
}
/// The variance over several axes; see ``var(_:axis:ddof:keepdims:)``.
public func `var`(_ x: Tensor, axes: [Int], ddof: Int = 0, keepdims: Bool = false) throws -> Tensor {
    try varianceOver(x, statisticsAxes(axes, x, op: "var"), ddof: ddof, keepdims: keepdims)
}

/// The standard deviation over `axis` (nil: every axis): the square root of
/// ``var(_:axis:ddof:keepdims:)``, with the same `ddof` and dtypes.
public func std(_ x: Tensor, axis: Int? = nil, ddof: Int = 0, keepdims: Bool = false) throws -> Tensor {
    try sqrt(varianceOver(x, statisticsAxes(axis.map { [$0] }, x, op: "std"), ddof: ddof, keepdims: keepdims, op: "std"))
}
/// The standard deviation over several axes; see ``std(_:axis:ddof:keepdims:)``.
public func std(_ x: Tensor, axes: [Int], ddof: Int = 0, keepdims: Bool = false) throws -> Tensor {
    try sqrt(varianceOver(x, statisticsAxes(axes, x, op: "std"), ddof: ddof, keepdims: keepdims, op: "std"))
}

/// log(sum(exp(x))) over `axis` (nil: every axis), computed stably as
/// `m + log(sum(exp(x - m)))` with `m` the maximum: `logsumexp([1000, 1000])` is
/// `1000 + log 2`, all `-inf` gives `-inf`. Floats keep their dtype; bool and integers give
/// float64. An axis of size 0 throws when the function runs (the maximum of nothing is
/// undefined; scipy returns -inf).
public func logsumexp(_ x: Tensor, axis: Int? = nil, keepdims: Bool = false) throws -> Tensor {
    try logsumexpOver(x, statisticsAxes(axis.map { [$0] }, x, op: "logsumexp"), keepdims: keepdims)
}
/// log(sum(exp(x))) over several axes; see ``logsumexp(_:axis:keepdims:)``.
public func logsumexp(_ x: Tensor, axes: [Int], keepdims: Bool = false) throws -> Tensor {
    try logsumexpOver(x, statisticsAxes(axes, x, op: "logsumexp"), keepdims: keepdims)
}

extension Tensor {
    /// The arithmetic mean over `axis` (nil: every axis); see ``mean(_:axis:keepdims:)``.
    public func mean(axis: Int? = nil, keepdims: Bool = false) throws -> Tensor {
        try TheanoTensor.mean(self, axis: axis, keepdims: keepdims)
    }
    /// The arithmetic mean over several axes; see ``mean(_:axes:keepdims:)``.
    public func mean(axes: [Int], keepdims: Bool = false) throws -> Tensor {
        try TheanoTensor.mean(self, axes: axes, keepdims: keepdims)
    }
    /// The variance over `axis` (nil: every axis); see ``var(_:axis:ddof:keepdims:)``.
    public func `var`(axis: Int? = nil, ddof: Int = 0, keepdims: Bool = false) throws -> Tensor {
        try TheanoTensor.var(self, axis: axis, ddof: ddof, keepdims: keepdims)
    }
    /// The variance over several axes; see ``var(_:axes:ddof:keepdims:)``.
    public func `var`(axes: [Int], ddof: Int = 0, keepdims: Bool = false) throws -> Tensor {
        try TheanoTensor.var(self, axes: axes, ddof: ddof, keepdims: keepdims)
    }
    /// The standard deviation over `axis` (nil: every axis); see ``std(_:axis:ddof:keepdims:)``.
    public func std(axis: Int? = nil, ddof: Int = 0, keepdims: Bool = false) throws -> Tensor {
        try TheanoTensor.std(self, axis: axis, ddof: ddof, keepdims: keepdims)
    }
    /// The standard deviation over several axes; see ``std(_:axes:ddof:keepdims:)``.
    public func std(axes: [Int], ddof: Int = 0, keepdims: Bool = false) throws -> Tensor {
        try TheanoTensor.std(self, axes: axes, ddof: ddof, keepdims: keepdims)
    }
    /// log(sum(exp(x))) over `axis` (nil: every axis), computed stably; see ``logsumexp(_:axis:keepdims:)``.
    public func logsumexp(axis: Int? = nil, keepdims: Bool = false) throws -> Tensor {
        try TheanoTensor.logsumexp(self, axis: axis, keepdims: keepdims)
    }
    /// log(sum(exp(x))) over several axes, computed stably; see ``logsumexp(_:axes:keepdims:)``.
    public func logsumexp(axes: [Int], keepdims: Bool = false) throws -> Tensor {
        try TheanoTensor.logsumexp(self, axes: axes, keepdims: keepdims)
    }
}
