import TheanoArray
import TheanoGraph

// Decompositions, least squares and the matrix exponential: free functions. Batching,
// dtypes and errors as in Decompositions+API.swift.

/// The singular value decomposition `a = u diag(s) vt` of every matrix (NumPy's
/// `linalg.svd`), singular values descending. With `fullMatrices` (NumPy's default) `u` is
/// `[m, m]` and `vt` `[n, n]`; otherwise `[m, k]` and `[k, n]`, `k = min(m, n)`. Gradients
/// flow through the reduced factors and through `s` of either (see ``SVD``).
public func svd(_ a: Tensor, fullMatrices: Bool = true) throws -> (u: Tensor, s: Tensor, vt: Tensor) {
    try LinalgChecks.rank("svd", a, 0, atLeast: 2)
    let outs = try SVD(mode: fullMatrices ? .full : .reduced).applyAll([LinalgChecks.floatOperand("svd", a, 0)])
    return (outs[0], outs[1], outs[2])
}

/// The singular values (descending) of every matrix (NumPy's `linalg.svdvals`).
public func svdvals(_ a: Tensor) throws -> Tensor {
    try LinalgChecks.rank("svdvals", a, 0, atLeast: 2)
    return try SVD(mode: .values).apply([LinalgChecks.floatOperand("svdvals", a, 0)])
}

/// The QR factorisation `a = q r` of every matrix (NumPy's `linalg.qr`): reduced (`q`
/// `[m, k]`, `r` `[k, n]`) or, with `complete`, `q` `[m, m]` and `r` `[m, n]`. Differentiable
/// for square and tall matrices (reduced, or complete when square).
public func qr(_ a: Tensor, complete: Bool = false) throws -> (q: Tensor, r: Tensor) {
    try LinalgChecks.rank("qr", a, 0, atLeast: 2)
    let outs = try QR(mode: complete ? .complete : .reduced).applyAll([LinalgChecks.floatOperand("qr", a, 0)])
    return (outs[0], outs[1])
}

/// The `r` factor alone of ``qr(_:complete:)`` (NumPy's `mode='r'`), `[k, n]`.
public func qrR(_ a: Tensor) throws -> Tensor {
    try LinalgChecks.rank("qrR", a, 0, atLeast: 2)
    return try QR(mode: .r).apply([LinalgChecks.floatOperand("qrR", a, 0)])
}

/// The pseudo-inverse of every matrix (NumPy's `linalg.pinv`): singular values at most
/// `rcond` times the largest are treated as zero. Differentiable where the rank is constant.
public func pinv(_ a: Tensor, rcond: Double = 1e-15) throws -> Tensor {
    try LinalgChecks.rank("pinv", a, 0, atLeast: 2)
    return try Pinv(rcond: rcond).apply([LinalgChecks.floatOperand("pinv", a, 0)])
}

/// The minimum-norm least-squares solution `x` of `a x ≈ b` (the first result of NumPy's
/// `linalg.lstsq`), as `pinv(a) @ b`: `a` is `[..., m, n]`, `b` a vector `[m]` or matrices
/// `[..., m, k]`. `rcond` nil cuts singular values at `max(m, n) * eps` of the largest
/// (NumPy's default). Residuals, rank and singular values are not returned (use ``svdvals(_:)``).
public func lstsq(_ a: Tensor, _ b: Tensor, rcond: Double? = nil) throws -> Tensor {
    try LinalgChecks.rank("lstsq", a, 0, atLeast: 2)
    try LinalgChecks.rank("lstsq", b, 1, atLeast: 1)
    let (fa, fb) = try LinalgChecks.floatPair("lstsq", a, b)
    let rowsB = b.rank == 1 ? b.staticShape[0] : b.staticShape[b.rank - 2]
    if let m = a.staticShape[a.rank - 2], let rows = rowsB, m != rows {
        throw TheanoError.shapeMismatch(
            "lstsq: input 1 \(describeVariable(b.variable)) has \(rows) rows in its core axes, but input 0 \(describeVariable(a.variable)) has \(m) rows")
    }
    return try matmul(Pinv(rcond: rcond).apply([fa]), fb)
}

/// The matrix exponential of every square matrix (SciPy's `linalg.expm`), with its gradient
/// (the adjoint Fréchet derivative).
public func expm(_ a: Tensor) throws -> Tensor {
    try LinalgChecks.rank("expm", a, 0, atLeast: 2)
    return try Expm().apply([LinalgChecks.floatOperand("expm", a, 0)])
}

/// The packed LU factorisation of every square matrix and its 0-based int32 pivots (SciPy's
/// `linalg.lu_factor`), for ``luSolve(_:_:_:transposed:)``.
public func luFactor(_ a: Tensor) throws -> (lu: Tensor, pivots: Tensor) {
    try LinalgChecks.rank("luFactor", a, 0, atLeast: 2)
    let outs = try LUFactor().applyAll([LinalgChecks.floatOperand("luFactor", a, 0)])
    return (outs[0], outs[1])
}

/// The LU decomposition `a = p l u` of every square matrix (SciPy's `linalg.lu`): `p` a
/// permutation matrix, `l` unit lower triangular, `u` upper triangular, all in `a`'s dtype.
/// Composed from ``luFactor(_:)``, so it batches and differentiates as that (`p` is piecewise
/// constant).
public func lu(_ a: Tensor) throws -> (p: Tensor, l: Tensor, u: Tensor) {
    let (packed, pivots) = try luFactor(a)
    let (l, u) = try unpackLU(packed)
    let p = try PivotRows(inverse: true).apply([identityLike(packed), pivots])
    return (p, l, u)
}

/// Solves `A x = b` (or `A^T x = b` when `transposed`) from ``luFactor(_:)``'s outputs
/// (SciPy's `linalg.lu_solve`); `b` as in ``solve(_:_:assume:lower:)``.
public func luSolve(_ lu: Tensor, _ pivots: Tensor, _ b: Tensor, transposed: Bool = false) throws -> Tensor {
    try LinalgChecks.rank("luSolve", lu, 0, atLeast: 2)
    try LinalgChecks.rank("luSolve", pivots, 1, atLeast: 1)
    try LinalgChecks.rank("luSolve", b, 2, atLeast: 1)
    let fb = try LinalgChecks.floatOperand("luSolve", b, 2)
    let flu = try LinalgChecks.floatOperand("luSolve", lu, 0)
    let common: DType = flu.dtype == fb.dtype ? flu.dtype : .float64
    return try LUSolve(transposed: transposed, vectorRHS: b.rank == 1).apply([cast(flu, common), pivots, cast(fb, common)])
}
