// A matrix product on raw addresses, for callers that fixed every layout once and then run the
// same product many times (a loop's direct steps): no array is built per call. It takes the
// same library route as `NDArray`'s products (oneDNN or OpenBLAS for float32, OpenBLAS for
// float64), so its results equal theirs bit for bit.

/// How BLAS reads a `rows x cols` matrix with the given element strides: `(transposed, ld)`,
/// or nil when it cannot read it in place (see ``NDArray`` products, which then copy).
package func blasLayout(rows: Int, cols: Int, rowStride: Int, colStride: Int) -> (transposed: Bool, ld: Int)? {
    BLASMatrixLayout(rows: rows, cols: cols, rowStride: rowStride, colStride: colStride).map { ($0.transposed, $0.ld) }
}

/// `C = alpha op(A) op(B) + beta C` for row-major float32 or float64 matrices at raw addresses
/// (`C` is not read when `beta` is 0). Sizes and leading dimensions must be valid for BLAS
/// (``blasLayout(rows:cols:rowStride:colStride:)`` gives them); other dtypes do nothing and
/// return false.
@discardableResult
package func rawGemm(
    dtype: DType, transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Double,
    a: UnsafeRawPointer, lda: Int, b: UnsafeRawPointer, ldb: Int, beta: Double,
    c: UnsafeMutableRawPointer, ldc: Int
) -> Bool {
    switch dtype {
    case .float32:
        Float.scaledGemm(
            transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: Float(alpha),
            a: a.assumingMemoryBound(to: Float.self), lda: lda, b: b.assumingMemoryBound(to: Float.self), ldb: ldb,
            beta: Float(beta), c: c.assumingMemoryBound(to: Float.self), ldc: ldc)
    case .float64:
        Double.scaledGemm(
            transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: alpha,
            a: a.assumingMemoryBound(to: Double.self), lda: lda, b: b.assumingMemoryBound(to: Double.self), ldb: ldb,
            beta: beta, c: c.assumingMemoryBound(to: Double.self), ldc: ldc)
    default:
        return false
    }
    return true
}

/// `C[m, n] = A[m, k] B[k, n]` into a C-contiguous block at raw addresses, exactly as a
/// two-dimensional ``NDArray/matmul(_:_:)`` computes it (GEMV for a single row or column, else
/// GEMM), so results are equal bit for bit. Layouts come from
/// ``blasLayout(rows:cols:rowStride:colStride:)``; sizes must be positive. Other dtypes do
/// nothing and return false.
@discardableResult
package func rawMatrixProduct(
    dtype: DType, m: Int, n: Int, k: Int, a: UnsafeRawPointer, transposeA: Bool, lda: Int,
    b: UnsafeRawPointer, transposeB: Bool, ldb: Int, c: UnsafeMutableRawPointer
) -> Bool {
    let la = BLASMatrixLayout(transposed: transposeA, ld: lda), lb = BLASMatrixLayout(transposed: transposeB, ld: ldb)
    switch dtype {
    case .float32:
        product(a.assumingMemoryBound(to: Float.self), la, b.assumingMemoryBound(to: Float.self), lb,
                c.assumingMemoryBound(to: Float.self), m: m, n: n, k: k)
    case .float64:
        product(a.assumingMemoryBound(to: Double.self), la, b.assumingMemoryBound(to: Double.self), lb,
                c.assumingMemoryBound(to: Double.self), m: m, n: n, k: k)
    default:
        return false
    }
    return true
}
