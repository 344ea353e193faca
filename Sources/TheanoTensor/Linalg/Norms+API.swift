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

/// The `ord` argument of ``norm(_:ord:axes:keepdims:)``: NumPy's `ord` values.
public enum NormOrder: Hashable, Sendable {
    /// The Frobenius norm (`'fro'`), matrices only.
    case frobenius
    /// The nuclear norm (`'nuc'`), matrices only.
    case nuclear
    /// A number: `p` for vectors; `1`, `-1`, `2`, `-2`, `±.infinity` for matrices.
    case p(Double)
}

/// A vector or matrix norm with NumPy's `linalg.norm` rules.
///
/// - `axes` nil: with `ord` nil, the 2-norm of all elements (any rank); otherwise `x` must be
///   1-D (a vector norm) or 2-D (a matrix norm).
/// - one axis: the vector norm over it (``vectorNorm(_:ord:axis:keepdims:)``);
/// - two axes: the matrix norm over them (``matrixNorm(_:ord:keepdims:)``), with `ord` nil
///   meaning Frobenius.
///
/// - Throws: for an order that does not apply (`.nuclear` of a vector, `p(3)` of a matrix),
///   axes out of range or repeated, or more than two axes.
public func norm(_ x: Tensor, ord: NormOrder? = nil, axes: [Int]? = nil, keepdims: Bool = false) throws -> Tensor {
    let resolved: [Int]
    if let axes {
        resolved = try axes.map { try normalizeAxis($0, rank: x.rank, context: "norm: \(describeVariable(x.variable))") }
    } else if ord == nil {
        return try vectorNorm(x, ord: 2, axis: nil, keepdims: keepdims)
    } else {
        resolved = Array(0..<x.rank)
    }
    switch resolved.count {
    case 1:
        guard case let .p(p) = ord ?? .p(2) else {
            throw TheanoError.invalidArgument("norm: \(ord.map { "\($0)" } ?? "") is a matrix norm, but the norm of \(describeVariable(x.variable)) is taken over one axis")
        }
        return try vectorNorm(x, ord: p, axis: resolved[0], keepdims: keepdims)
    case 2:
        guard resolved[0] != resolved[1] else {
            throw TheanoError.invalidArgument("norm: the two axes \(resolved) of \(describeVariable(x.variable)) must differ")
        }
        let order = try matrixOrder(ord ?? .frobenius)
        let others = (0..<x.rank).filter { !resolved.contains($0) }
        let moved = try transpose(x, axes: others + resolved)
        let result = try matrixNorm(moved, ord: order)
        if !keepdims { return result }
        var order2: [Int] = []
        var next = 0
        for axis in 0..<x.rank {
            if resolved.contains(axis) {
                order2.append(DimShuffle.newAxis)
            } else {
                order2.append(next)
                next += 1
            }
        }
        return try dimshuffle(result, order2)
    default:
        throw TheanoError.invalidArgument(
            "norm: a norm is over one axis (vector) or two (matrix); got axes \(resolved) of \(describeVariable(x.variable))")
    }
}

/// The matrix order for a ``NormOrder``.
private func matrixOrder(_ ord: NormOrder) throws -> MatrixNormOrder {
    switch ord {
    case .frobenius: return .frobenius
    case .nuclear: return .nuclear
    case .p(1): return .one
    case .p(-1): return .minusOne
    case .p(2): return .two
    case .p(-2): return .minusTwo
    case .p(.infinity): return .infinity
    case .p(-.infinity): return .minusInfinity
    case .p(let p):
        throw TheanoError.invalidArgument("norm: \(p) is not a matrix norm order (use 1, -1, 2, -2, ±infinity, .frobenius or .nuclear)")
    }
}
