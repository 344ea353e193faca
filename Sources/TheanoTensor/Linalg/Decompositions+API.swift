import TheanoArray
import TheanoGraph

// Linear algebra through LAPACK: free functions and methods. Every function batches over the
// leading axes of its operands (all but the last two of a matrix, the last one of a vector),
// which broadcast like NumPy's. Inputs must be float32 or float64 (two operands of different
// float types become float64); integers throw, so cast them first. docs/LINALG.md describes
// the ops, their errors and their gradients.

/// The inverse of every square matrix in the last two axes (NumPy's `linalg.inv`).
///
/// ```swift
/// let a = Tensor.matrix("a", .float64)
/// let x = try inv(a)          // float64[?, ?]
/// ```
///
/// - Throws: when `a` has rank < 2, is not square or is not float; at run time, when a matrix
///   is exactly singular or holds NaN or infinity (an `.invalidArgument` naming `inv`).
public func inv(_ a: Tensor) throws -> Tensor {
    try LinalgChecks.rank("inv", a, 0, atLeast: 2)
    return try MatrixInverse().apply([LinalgChecks.floatOperand("inv", a, 0)])
}

/// The determinant of every square matrix in the last two axes (NumPy's `linalg.det`): 0 for
/// a singular matrix, 1 for an empty one. Its gradient is `det(A) inv(A)^T`.
public func det(_ a: Tensor) throws -> Tensor {
    try LinalgChecks.rank("det", a, 0, atLeast: 2)
    return try Determinant().apply([LinalgChecks.floatOperand("det", a, 0)])
}

/// The sign and the natural logarithm of the absolute determinant of every square matrix
/// (NumPy's `linalg.slogdet`): `det(a) == sign * exp(logAbsDet)` without overflow. A singular
/// matrix gives sign 0 and log -inf. The sign has a zero gradient.
public func slogdet(_ a: Tensor) throws -> (sign: Tensor, logAbsDet: Tensor) {
    try LinalgChecks.rank("slogdet", a, 0, atLeast: 2)
    let outs = try SignLogDeterminant().applyAll([LinalgChecks.floatOperand("slogdet", a, 0)])
    return (outs[0], outs[1])
}

/// Solves `a x = b` (SciPy's `linalg.solve`, NumPy's `linalg.solve`).
///
/// `a` is a stack of square matrices `[..., n, n]`; `b` is a vector `[n]` when 1-D, and
/// otherwise a stack of matrices `[..., n, k]` (NumPy 2's rule: to solve for a batch of
/// vectors, pass `b[..., None]`). Batch axes broadcast. `assume` picks the factorisation:
/// LU for ``SolveAssumption/general``, `LDL^T` for ``SolveAssumption/symmetric`` and Cholesky
/// for ``SolveAssumption/positiveDefinite``; both of the latter read only the `lower` (NumPy's
/// convention, the default) or upper (SciPy's default) triangle of `a`.
///
/// - Throws: on ranks, shapes or dtypes that do not fit; at run time, for a singular matrix
///   or, with `.positiveDefinite`, one that is not positive definite.
public func solve(_ a: Tensor, _ b: Tensor, assume: SolveAssumption = .general, lower: Bool = true) throws -> Tensor {
    try LinalgChecks.rank("solve", a, 0, atLeast: 2)
    try LinalgChecks.rank("solve", b, 1, atLeast: 1)
    let (fa, fb) = try LinalgChecks.floatPair("solve", a, b)
    return try Solve(assume: assume, lower: lower, vectorRHS: b.rank == 1).apply([fa, fb])
}

/// Solves `a x = b` for triangular `a` (SciPy's `linalg.solve_triangular`): only the lower
/// (`lower: true`) or upper triangle of `a` is read; with `unitDiagonal` the diagonal is taken
/// as ones and not read. `b` as in ``solve(_:_:assume:lower:)``.
///
/// - Throws: as ``solve(_:_:assume:lower:)``; at run time, when the diagonal has a zero.
public func solveTriangular(_ a: Tensor, _ b: Tensor, lower: Bool = false, unitDiagonal: Bool = false) throws -> Tensor {
    try LinalgChecks.rank("solveTriangular", a, 0, atLeast: 2)
    try LinalgChecks.rank("solveTriangular", b, 1, atLeast: 1)
    let (fa, fb) = try LinalgChecks.floatPair("solveTriangular", a, b)
    return try SolveTriangular(lower: lower, unitDiagonal: unitDiagonal, vectorRHS: b.rank == 1).apply([fa, fb])
}

/// The Cholesky factor of every symmetric positive-definite matrix: `L` with `a = L L^T`
/// (`lower: true`, NumPy's default) or `U` with `a = U^T U`. Reads one triangle of `a`.
///
/// - Throws: at run time, when a matrix is not positive definite (NumPy's `LinAlgError`).
public func cholesky(_ a: Tensor, lower: Bool = true) throws -> Tensor {
    try LinalgChecks.rank("cholesky", a, 0, atLeast: 2)
    return try Cholesky(lower: lower).apply([LinalgChecks.floatOperand("cholesky", a, 0)])
}

/// Solves `A x = b` given the Cholesky factor `c` of `A` (SciPy's `linalg.cho_solve`): `c`
/// is `L` (`lower: true`, `A = L L^T`) or `U` (`A = U^T U`), and `b` is as in
/// ``solve(_:_:assume:lower:)``. Two triangular solves, so it batches and differentiates as
/// ``solveTriangular(_:_:lower:unitDiagonal:)``.
public func choSolve(_ c: Tensor, _ b: Tensor, lower: Bool = true) throws -> Tensor {
    try LinalgChecks.rank("choSolve", c, 0, atLeast: 2)
    try LinalgChecks.rank("choSolve", b, 1, atLeast: 1)
    let (fc, fb) = try LinalgChecks.floatPair("choSolve", c, b)
    let ct = try matrixTranspose(fc)
    let vector = b.rank == 1
    if lower {
        let y = try SolveTriangular(lower: true, vectorRHS: vector).apply([fc, fb])
        return try SolveTriangular(lower: false, vectorRHS: vector).apply([ct, y])
    }
    let y = try SolveTriangular(lower: true, vectorRHS: vector).apply([ct, fb])
    return try SolveTriangular(lower: false, vectorRHS: vector).apply([fc, y])
}

/// The eigenvalues (ascending) and eigenvectors (columns) of every real symmetric matrix
/// (NumPy's `linalg.eigh`): `a = v diag(w) v^T`. Reads the lower triangle (`lower: true`,
/// NumPy's `UPLO='L'`) or the upper one.
public func eigh(_ a: Tensor, lower: Bool = true) throws -> (values: Tensor, vectors: Tensor) {
    try LinalgChecks.rank("eigh", a, 0, atLeast: 2)
    let outs = try Eigh(lower: lower, vectors: true).applyAll([LinalgChecks.floatOperand("eigh", a, 0)])
    return (outs[0], outs[1])
}

/// The eigenvalues (ascending) of every real symmetric matrix (NumPy's `linalg.eigvalsh`).
public func eigvalsh(_ a: Tensor, lower: Bool = true) throws -> Tensor {
    try LinalgChecks.rank("eigvalsh", a, 0, atLeast: 2)
    return try Eigh(lower: lower, vectors: false).apply([LinalgChecks.floatOperand("eigvalsh", a, 0)])
}

extension Tensor {
    /// The inverse of every square matrix; see ``inv(_:)``.
    public func inv() throws -> Tensor { try TheanoTensor.inv(self) }

    /// The determinant of every square matrix; see ``det(_:)``.
    public func det() throws -> Tensor { try TheanoTensor.det(self) }

    /// The Cholesky factor of every positive-definite matrix; see ``cholesky(_:lower:)``.
    public func cholesky(lower: Bool = true) throws -> Tensor { try TheanoTensor.cholesky(self, lower: lower) }
}
