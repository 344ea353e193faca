import CTheano
import TheanoArray

// The LAPACK routines behind the linear-algebra ops' reference implementations, through
// LAPACKE (OpenBLAS). Matrices are dense row-major (C order) Swift arrays; LAPACKE transposes
// them internally. Every size passed to LAPACK is checked to fit its 32-bit `lapack_int`
// first (``lapackSize(_:_:)``), so a huge matrix throws instead of wrapping.

/// A float type LAPACK computes in: `Float` (the `s` routines) or `Double` (the `d` routines).
protocol LAPACKScalar: BinaryFloatingPoint, NDArrayElement {
    /// LU factorisation with partial pivoting (`getrf`).
    static func getrf(_ m: Int32, _ n: Int32, _ a: UnsafeMutablePointer<Self>, _ ipiv: UnsafeMutablePointer<Int32>) -> Int32
    /// Solves with an LU factorisation (`getrs`); `transposed` solves `A^T x = b`.
    static func getrs(_ transposed: Bool, _ n: Int32, _ nrhs: Int32, _ a: UnsafePointer<Self>, _ ipiv: UnsafePointer<Int32>, _ b: UnsafeMutablePointer<Self>) -> Int32
    /// Cholesky factorisation (`potrf`) of the lower or upper triangle.
    static func potrf(_ lower: Bool, _ n: Int32, _ a: UnsafeMutablePointer<Self>) -> Int32
    /// Solves with a Cholesky factor (`potrs`).
    static func potrs(_ lower: Bool, _ n: Int32, _ nrhs: Int32, _ a: UnsafePointer<Self>, _ b: UnsafeMutablePointer<Self>) -> Int32
    /// Solves a symmetric indefinite system reading one triangle (`sysv`, Bunch-Kaufman).
    static func sysv(_ lower: Bool, _ n: Int32, _ nrhs: Int32, _ a: UnsafeMutablePointer<Self>, _ ipiv: UnsafeMutablePointer<Int32>, _ b: UnsafeMutablePointer<Self>) -> Int32
    /// Solves a triangular system (`trtrs`); `unit` takes the diagonal as ones without reading it.
    static func trtrs(_ lower: Bool, _ unit: Bool, _ n: Int32, _ nrhs: Int32, _ a: UnsafePointer<Self>, _ b: UnsafeMutablePointer<Self>) -> Int32
    /// Eigenvalues (ascending) and optionally eigenvectors of a symmetric matrix (`syevd`).
    static func syevd(_ vectors: Bool, _ lower: Bool, _ n: Int32, _ a: UnsafeMutablePointer<Self>, _ w: UnsafeMutablePointer<Self>) -> Int32
    /// Singular value decomposition (`gesdd`); `job` is `A` (full), `S` (reduced) or `N` (values).
    static func gesdd(_ job: UInt8, _ m: Int32, _ n: Int32, _ a: UnsafeMutablePointer<Self>, _ s: UnsafeMutablePointer<Self>, _ u: UnsafeMutablePointer<Self>, _ ldu: Int32, _ vt: UnsafeMutablePointer<Self>, _ ldvt: Int32) -> Int32
    /// QR factorisation in Householder form (`geqrf`).
    static func geqrf(_ m: Int32, _ n: Int32, _ a: UnsafeMutablePointer<Self>, _ tau: UnsafeMutablePointer<Self>) -> Int32
    /// The first `n` columns of Q from `geqrf`'s reflectors (`orgqr`); `a` has `n` columns.
    static func orgqr(_ m: Int32, _ n: Int32, _ k: Int32, _ a: UnsafeMutablePointer<Self>, _ tau: UnsafePointer<Self>) -> Int32

    // Column-major forms for the in-place block kernels (``BatchedLinalgOp``'s pointer path):
    // LAPACKE's `_work` entry points with `LAPACK_COL_MAJOR`, which neither transpose nor scan
    // for NaN, so a block is factorised where it lies. A row-major matrix read as column-major
    // is its transpose; the kernels' comments say how they use that.

    /// `getrf` of the column-major `n x n` matrix `a`.
    static func getrfColumnMajor(_ n: Int32, _ a: UnsafeMutablePointer<Self>, _ ipiv: UnsafeMutablePointer<Int32>) -> Int32
    /// `getri`: the inverse from `getrf`'s column-major factors, with `lwork` elements of `work`.
    static func getriColumnMajor(_ n: Int32, _ a: UnsafeMutablePointer<Self>, _ ipiv: UnsafePointer<Int32>, _ work: UnsafeMutablePointer<Self>, _ lwork: Int32) -> Int32
    /// `potrf` of one triangle (`upper`, else lower) of the column-major `n x n` matrix `a`.
    static func potrfColumnMajor(upper: Bool, _ n: Int32, _ a: UnsafeMutablePointer<Self>) -> Int32
    /// `trsm` on row-major operands, left side: `b <- op(A)^-1 b` for the `n x nrhs` matrix `b`
    /// (leading dimension `nrhs`), reading the `lower` (else upper) triangle of the `n x n`
    /// matrix `a`, transposed when `transposed`, with ones on the diagonal when `unit`.
    static func trsmRowMajor(lower: Bool, transposed: Bool, unit: Bool, _ n: Int32, _ nrhs: Int32, _ a: UnsafePointer<Self>, _ b: UnsafeMutablePointer<Self>)
}

private let rowMajor = Int32(LAPACK_ROW_MAJOR)
private let columnMajor = Int32(LAPACK_COL_MAJOR)

private func triangle(_ lower: Bool) -> CBLAS_UPLO { lower ? CblasLower : CblasUpper }
private func transpose(_ t: Bool) -> CBLAS_TRANSPOSE { t ? CblasTrans : CblasNoTrans }
private func diagonal(_ unit: Bool) -> CBLAS_DIAG { unit ? CblasUnit : CblasNonUnit }

private func flag(_ c: Character) -> CChar { CChar(bitPattern: c.asciiValue ?? 0) }

extension Float: LAPACKScalar {
    static func getrf(_ m: Int32, _ n: Int32, _ a: UnsafeMutablePointer<Float>, _ ipiv: UnsafeMutablePointer<Int32>) -> Int32 {
        LAPACKE_sgetrf(rowMajor, m, n, a, Swift.max(n, 1), ipiv)
    }
    static func getrs(_ transposed: Bool, _ n: Int32, _ nrhs: Int32, _ a: UnsafePointer<Float>, _ ipiv: UnsafePointer<Int32>, _ b: UnsafeMutablePointer<Float>) -> Int32 {
        LAPACKE_sgetrs(rowMajor, flag(transposed ? "T" : "N"), n, nrhs, a, Swift.max(n, 1), ipiv, b, Swift.max(nrhs, 1))
    }
    static func potrf(_ lower: Bool, _ n: Int32, _ a: UnsafeMutablePointer<Float>) -> Int32 {
        LAPACKE_spotrf(rowMajor, flag(lower ? "L" : "U"), n, a, Swift.max(n, 1))
    }
    static func potrs(_ lower: Bool, _ n: Int32, _ nrhs: Int32, _ a: UnsafePointer<Float>, _ b: UnsafeMutablePointer<Float>) -> Int32 {
        LAPACKE_spotrs(rowMajor, flag(lower ? "L" : "U"), n, nrhs, a, Swift.max(n, 1), b, Swift.max(nrhs, 1))
    }
    static func sysv(_ lower: Bool, _ n: Int32, _ nrhs: Int32, _ a: UnsafeMutablePointer<Float>, _ ipiv: UnsafeMutablePointer<Int32>, _ b: UnsafeMutablePointer<Float>) -> Int32 {
        LAPACKE_ssysv(rowMajor, flag(lower ? "L" : "U"), n, nrhs, a, Swift.max(n, 1), ipiv, b, Swift.max(nrhs, 1))
    }
    static func trtrs(_ lower: Bool, _ unit: Bool, _ n: Int32, _ nrhs: Int32, _ a: UnsafePointer<Float>, _ b: UnsafeMutablePointer<Float>) -> Int32 {
        LAPACKE_strtrs(rowMajor, flag(lower ? "L" : "U"), flag("N"), flag(unit ? "U" : "N"), n, nrhs, a, Swift.max(n, 1), b, Swift.max(nrhs, 1))
    }
    static func syevd(_ vectors: Bool, _ lower: Bool, _ n: Int32, _ a: UnsafeMutablePointer<Float>, _ w: UnsafeMutablePointer<Float>) -> Int32 {
        LAPACKE_ssyevd(rowMajor, flag(vectors ? "V" : "N"), flag(lower ? "L" : "U"), n, a, Swift.max(n, 1), w)
    }
    static func gesdd(_ job: UInt8, _ m: Int32, _ n: Int32, _ a: UnsafeMutablePointer<Float>, _ s: UnsafeMutablePointer<Float>, _ u: UnsafeMutablePointer<Float>, _ ldu: Int32, _ vt: UnsafeMutablePointer<Float>, _ ldvt: Int32) -> Int32 {
        LAPACKE_sgesdd(rowMajor, CChar(bitPattern: job), m, n, a, Swift.max(n, 1), s, u, ldu, vt, ldvt)
    }
    static func geqrf(_ m: Int32, _ n: Int32, _ a: UnsafeMutablePointer<Float>, _ tau: UnsafeMutablePointer<Float>) -> Int32 {
        LAPACKE_sgeqrf(rowMajor, m, n, a, Swift.max(n, 1), tau)
    }
    static func orgqr(_ m: Int32, _ n: Int32, _ k: Int32, _ a: UnsafeMutablePointer<Float>, _ tau: UnsafePointer<Float>) -> Int32 {
        LAPACKE_sorgqr(rowMajor, m, n, k, a, Swift.max(n, 1), tau)
    }
    static func getrfColumnMajor(_ n: Int32, _ a: UnsafeMutablePointer<Float>, _ ipiv: UnsafeMutablePointer<Int32>) -> Int32 {
        LAPACKE_sgetrf_work(columnMajor, n, n, a, Swift.max(n, 1), ipiv)
    }
    static func getriColumnMajor(_ n: Int32, _ a: UnsafeMutablePointer<Float>, _ ipiv: UnsafePointer<Int32>, _ work: UnsafeMutablePointer<Float>, _ lwork: Int32) -> Int32 {
        LAPACKE_sgetri_work(columnMajor, n, a, Swift.max(n, 1), ipiv, work, lwork)
    }
    static func potrfColumnMajor(upper: Bool, _ n: Int32, _ a: UnsafeMutablePointer<Float>) -> Int32 {
        LAPACKE_spotrf_work(columnMajor, flag(upper ? "U" : "L"), n, a, Swift.max(n, 1))
    }
    static func trsmRowMajor(lower: Bool, transposed: Bool, unit: Bool, _ n: Int32, _ nrhs: Int32, _ a: UnsafePointer<Float>, _ b: UnsafeMutablePointer<Float>) {
        cblas_strsm(CblasRowMajor, CblasLeft, triangle(lower), transpose(transposed), diagonal(unit), n, nrhs, 1, a, Swift.max(n, 1), b, Swift.max(nrhs, 1))
    }
}

extension Double: LAPACKScalar {
    static func getrf(_ m: Int32, _ n: Int32, _ a: UnsafeMutablePointer<Double>, _ ipiv: UnsafeMutablePointer<Int32>) -> Int32 {
        LAPACKE_dgetrf(rowMajor, m, n, a, Swift.max(n, 1), ipiv)
    }
    static func getrs(_ transposed: Bool, _ n: Int32, _ nrhs: Int32, _ a: UnsafePointer<Double>, _ ipiv: UnsafePointer<Int32>, _ b: UnsafeMutablePointer<Double>) -> Int32 {
        LAPACKE_dgetrs(rowMajor, flag(transposed ? "T" : "N"), n, nrhs, a, Swift.max(n, 1), ipiv, b, Swift.max(nrhs, 1))
    }
    static func potrf(_ lower: Bool, _ n: Int32, _ a: UnsafeMutablePointer<Double>) -> Int32 {
        LAPACKE_dpotrf(rowMajor, flag(lower ? "L" : "U"), n, a, Swift.max(n, 1))
    }
    static func potrs(_ lower: Bool, _ n: Int32, _ nrhs: Int32, _ a: UnsafePointer<Double>, _ b: UnsafeMutablePointer<Double>) -> Int32 {
        LAPACKE_dpotrs(rowMajor, flag(lower ? "L" : "U"), n, nrhs, a, Swift.max(n, 1), b, Swift.max(nrhs, 1))
    }
    static func sysv(_ lower: Bool, _ n: Int32, _ nrhs: Int32, _ a: UnsafeMutablePointer<Double>, _ ipiv: UnsafeMutablePointer<Int32>, _ b: UnsafeMutablePointer<Double>) -> Int32 {
        LAPACKE_dsysv(rowMajor, flag(lower ? "L" : "U"), n, nrhs, a, Swift.max(n, 1), ipiv, b, Swift.max(nrhs, 1))
    }
    static func trtrs(_ lower: Bool, _ unit: Bool, _ n: Int32, _ nrhs: Int32, _ a: UnsafePointer<Double>, _ b: UnsafeMutablePointer<Double>) -> Int32 {
        LAPACKE_dtrtrs(rowMajor, flag(lower ? "L" : "U"), flag("N"), flag(unit ? "U" : "N"), n, nrhs, a, Swift.max(n, 1), b, Swift.max(nrhs, 1))
    }
    static func syevd(_ vectors: Bool, _ lower: Bool, _ n: Int32, _ a: UnsafeMutablePointer<Double>, _ w: UnsafeMutablePointer<Double>) -> Int32 {
        LAPACKE_dsyevd(rowMajor, flag(vectors ? "V" : "N"), flag(lower ? "L" : "U"), n, a, Swift.max(n, 1), w)
    }
    static func gesdd(_ job: UInt8, _ m: Int32, _ n: Int32, _ a: UnsafeMutablePointer<Double>, _ s: UnsafeMutablePointer<Double>, _ u: UnsafeMutablePointer<Double>, _ ldu: Int32, _ vt: UnsafeMutablePointer<Double>, _ ldvt: Int32) -> Int32 {
        LAPACKE_dgesdd(rowMajor, CChar(bitPattern: job), m, n, a, Swift.max(n, 1), s, u, ldu, vt, ldvt)
    }
    static func geqrf(_ m: Int32, _ n: Int32, _ a: UnsafeMutablePointer<Double>, _ tau: UnsafeMutablePointer<Double>) -> Int32 {
        LAPACKE_dgeqrf(rowMajor, m, n, a, Swift.max(n, 1), tau)
    }
    static func orgqr(_ m: Int32, _ n: Int32, _ k: Int32, _ a: UnsafeMutablePointer<Double>, _ tau: UnsafePointer<Double>) -> Int32 {
        LAPACKE_dorgqr(rowMajor, m, n, k, a, Swift.max(n, 1), tau)
    }
    static func getrfColumnMajor(_ n: Int32, _ a: UnsafeMutablePointer<Double>, _ ipiv: UnsafeMutablePointer<Int32>) -> Int32 {
        LAPACKE_dgetrf_work(columnMajor, n, n, a, Swift.max(n, 1), ipiv)
    }
    static func getriColumnMajor(_ n: Int32, _ a: UnsafeMutablePointer<Double>, _ ipiv: UnsafePointer<Int32>, _ work: UnsafeMutablePointer<Double>, _ lwork: Int32) -> Int32 {
        LAPACKE_dgetri_work(columnMajor, n, a, Swift.max(n, 1), ipiv, work, lwork)
    }
    static func potrfColumnMajor(upper: Bool, _ n: Int32, _ a: UnsafeMutablePointer<Double>) -> Int32 {
        LAPACKE_dpotrf_work(columnMajor, flag(upper ? "U" : "L"), n, a, Swift.max(n, 1))
    }
    static func trsmRowMajor(lower: Bool, transposed: Bool, unit: Bool, _ n: Int32, _ nrhs: Int32, _ a: UnsafePointer<Double>, _ b: UnsafeMutablePointer<Double>) {
        cblas_dtrsm(CblasRowMajor, CblasLeft, triangle(lower), transpose(transposed), diagonal(unit), n, nrhs, 1, a, Swift.max(n, 1), b, Swift.max(nrhs, 1))
    }
}

/// `n` as a LAPACK integer.
///
/// - Throws: `.invalidArgument` naming `op` when it exceeds LAPACK's 32-bit `lapack_int`.
func lapackSize(_ n: Int, _ op: String) throws -> Int32 {
    guard n >= 0, n <= Int(Int32.max) else {
        throw TheanoError.invalidArgument(
            "\(op): a size of \(n) is too large for LAPACK, whose sizes are 32-bit integers (at most \(Int32.max))")
    }
    return Int32(n)
}

/// Turns a LAPACK status into an error: negative values are an illegal argument (a bug here,
/// or LAPACKE's workspace allocation failing, -1010), positive values are left to the caller.
func checkLAPACKStatus(_ info: Int32, routine: String, _ op: String) throws {
    if info == -1010 {
        throw TheanoError.outOfMemory("\(op): LAPACK (\(routine)) could not allocate its workspace")
    }
    if info < 0 {
        throw TheanoError.invalidArgument("\(op): LAPACK's \(routine) rejected argument \(-info)")
    }
}
