import RealModule
import TheanoArray

// One-block computations on row-major Swift arrays, shared by several ops (LU with partial
// pivoting and solves with it). `op` and `location` only feed error messages.

enum LAPACKBlocks {
    /// The LU factorisation of the `n x n` matrix `a` (`getrf`): the packed factors (unit
    /// lower triangle below the diagonal, U on and above it), the 1-based pivot rows, and
    /// whether U has an exactly zero diagonal entry (a singular matrix).
    static func luFactor<T: LAPACKScalar>(_ a: [T], _ n: Int, _ op: String) throws -> (lu: [T], pivots: [Int32], singular: Bool) {
        var lu = a
        var pivots = [Int32](repeating: 0, count: n)
        if n == 0 { return (lu, pivots, false) }
        let size = try lapackSize(n, op)
        let info = lu.withUnsafeMutableBufferPointer { l in
            pivots.withUnsafeMutableBufferPointer { p in T.getrf(size, size, l.baseAddress!, p.baseAddress!) }
        }
        try checkLAPACKStatus(info, routine: "getrf", op)
        return (lu, pivots, info > 0)
    }

    /// Solves `A x = b` (or `A^T x = b`) for the `n x nrhs` right-hand side `b`, given `A`'s
    /// LU factorisation (`getrs`).
    static func luSolve<T: LAPACKScalar>(_ lu: [T], _ pivots: [Int32], _ n: Int, _ b: [T], nrhs: Int, transposed: Bool, _ op: String) throws -> [T] {
        var x = b
        if n == 0 || nrhs == 0 { return x }
        let (size, columns) = (try lapackSize(n, op), try lapackSize(nrhs, op))
        let info = lu.withUnsafeBufferPointer { l in
            pivots.withUnsafeBufferPointer { p in
                x.withUnsafeMutableBufferPointer { xb in
                    T.getrs(transposed, size, columns, l.baseAddress!, p.baseAddress!, xb.baseAddress!)
                }
            }
        }
        try checkLAPACKStatus(info, routine: "getrs", op)
        return x
    }

    /// The error for an exactly singular matrix, as NumPy's `LinAlgError: Singular matrix`.
    static func singular(_ op: String, _ input: String, _ location: String) -> TheanoError {
        TheanoError.invalidArgument("\(op): \(input) is singular\(location): its LU factorisation has an exactly zero pivot")
    }

    /// The `n x n` identity, row-major.
    static func identity<T: LAPACKScalar>(_ n: Int, _ type: T.Type) -> [T] {
        var out = [T](repeating: 0, count: n * n)
        for i in 0..<n { out[i * n + i] = 1 }
        return out
    }

    /// The sign and the natural logarithm of the absolute value of the determinant, from an
    /// LU factorisation (sign 0 and log -inf for a singular matrix, as NumPy's `slogdet`).
    static func signAndLogDeterminant<T: LAPACKScalar>(_ lu: [T], _ pivots: [Int32], _ n: Int) -> (sign: Double, log: Double) {
        lu.withUnsafeBufferPointer { l in
            pivots.withUnsafeBufferPointer { p in
                guard let lBase = l.baseAddress, let pBase = p.baseAddress else { return (1, 0) }
                return signAndLogDeterminant(diagonalOf: lBase, pBase, n)
            }
        }
    }

    /// The error for a matrix whose leading minor of order `order` is not positive (`potrf`'s
    /// positive status), as NumPy's `LinAlgError`.
    static func notPositiveDefinite(_ op: String, _ order: Int32, _ location: String) -> TheanoError {
        TheanoError.invalidArgument("\(op): input 0 is not positive definite\(location): the leading minor of order \(order) is not positive")
    }

    /// Zeroes the triangle of the row-major `n x n` matrix `f` that a `lower` (else upper)
    /// Cholesky factor does not use.
    static func zeroOtherTriangle<T: LAPACKScalar>(_ f: UnsafeMutablePointer<T>, _ n: Int, lower: Bool) {
        for i in 0..<n {
            for j in 0..<n where (lower && j > i) || (!lower && j < i) { f[i * n + j] = 0 }
        }
    }
}
