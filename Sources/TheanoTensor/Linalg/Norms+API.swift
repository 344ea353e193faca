import TheanoArray
import TheanoGraph

/// The matrix norms of ``matrixNorm(_:ord:keepdims:)`` (NumPy's `ord` values).
public enum MatrixNormOrder: String, Hashable, Sendable {
    /// `sqrt(sum(a^2))` (`'fro'`, the default).
    case frobenius
    /// The sum of the singular values (`'nuc'`).
    case nuclear
    /// The largest column sum of `|a|` (`1`).
    case one
    /// The smallest column sum of `|a|` (`-1`).
    case minusOne
    /// The largest singular value (`2`).
    case two
    /// The smallest singular value (`-2`).
    case minusTwo
    /// The largest row sum of `|a|` (`inf`).
    case infinity
    /// The smallest row sum of `|a|` (`-inf`).
    case minusInfinity
}

/// The vector `ord`-norm over `axis` (every axis when nil, as NumPy's `linalg.vector_norm`):
/// `2` (default) `sqrt(sum(x^2))`, `1` `sum(|x|)`, `.infinity` `max(|x|)`, `-.infinity`
/// `min(|x|)`, `0` the number of non-zero entries, any other `p` `sum(|x|^p)^(1/p)`. Integers
/// and bool are converted to float64. Differentiable (at 0 the 2-norm's gradient is NaN, as
/// in PyTensor).
public func vectorNorm(_ x: Tensor, ord: Double = 2, axis: Int? = nil, keepdims: Bool = false) throws -> Tensor {
    let f = try x.dtype.isFloatingPoint ? x : cast(x, .float64)
    let axes = try axis.map { [try normalizeAxis($0, rank: x.rank, context: "vectorNorm: \(describeVariable(x.variable))")] } ?? Array(0..<x.rank)
    switch ord {
    case 2: return try sqrt(sum(f * f, axes: axes, keepdims: keepdims))
    case 1: return try sum(abs(f), axes: axes, keepdims: keepdims)
    case .infinity: return try max(abs(f), axes: axes, keepdims: keepdims)
    case -.infinity: return try min(abs(f), axes: axes, keepdims: keepdims)
    case 0: return try sum(cast(neq(f, 0), f.dtype), axes: axes, keepdims: keepdims)
    default:
        guard ord.isFinite else {
            throw TheanoError.invalidArgument("vectorNorm: ord must be a number or ±infinity, got \(ord)")
        }
        return try pow(sum(pow(abs(f), Tensor(ord)), axes: axes, keepdims: keepdims), Tensor(1 / ord))
    }
}

/// The matrix norm of every matrix in the last two axes (NumPy's `linalg.matrix_norm`),
/// batched over the leading axes; `keepdims` keeps the two axes with size 1. The 2, -2 and
/// nuclear norms use the singular values (``svdvals(_:)``). Integers and bool are converted
/// to float64.
public func matrixNorm(_ a: Tensor, ord: MatrixNormOrder = .frobenius, keepdims: Bool = false) throws -> Tensor {
    try LinalgChecks.rank("matrixNorm", a, 0, atLeast: 2)
    let f = try a.dtype.isFloatingPoint ? a : cast(a, .float64)
    let r = a.rank
    let result: Tensor
    switch ord {
    case .frobenius: result = try sqrt(sum(f * f, axes: [r - 2, r - 1]))
    case .nuclear: result = try sum(svdvals(f), axis: r - 2)
    case .two: result = try max(svdvals(f), axis: r - 2)
    case .minusTwo: result = try min(svdvals(f), axis: r - 2)
    case .one: result = try max(sum(abs(f), axis: r - 2), axis: r - 2)
    case .minusOne: result = try min(sum(abs(f), axis: r - 2), axis: r - 2)
    case .infinity: result = try max(sum(abs(f), axis: r - 1), axis: r - 2)
    case .minusInfinity: result = try min(sum(abs(f), axis: r - 1), axis: r - 2)
    }
    if !keepdims { return result }
    return try dimshuffle(result, Array(0..<(r - 2)) + [DimShuffle.newAxis, DimShuffle.newAxis])
}
