import TheanoArray

/// Blocks with at most this many rows are solved by plain substitution here rather than by
/// `cblas_?trsm`: OpenBLAS spreads even a 32 x 32 `trsm` over its threads, and called from
/// several of ours at once (the block kernel splits batches over the pool) that made a batch
/// of 256 small inverses several times slower than solving each block on one thread.
let substitutionRowLimit = 128

extension LAPACKBlocks {
    /// Solves `op(A) X = B` in place for the row-major `n x n` triangular `A` (its `lower`,
    /// else upper, triangle; `op` transposes when `transposed`; ones on the diagonal when
    /// `unit`) and the row-major `n x k` right-hand side `b`: substitution row by row, each
    /// step a loop over `b`'s contiguous columns, for small `n`; `trsm` otherwise.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    static func triangularSolve<T: LAPACKScalar>(
        lower: Bool, transposed: Bool, unit: Bool, _ n: Int, _ k: Int, _ a: UnsafePointer<T>, _ b: UnsafeMutablePointer<T>
    ) {
        if n == 0 || k == 0 { return }
        if n > substitutionRowLimit {
            T.trsmRowMajor(lower: lower, transposed: transposed, unit: unit, Int32(n), Int32(k), a, b)
            return
        }
        // Entry (i, j) of op(A).
        func entry(_ i: Int, _ j: Int) -> T { transposed ? a[j * n + i] : a[i * n + j] }
        // op(A) is lower triangular when exactly one of `lower` and `transposed` holds.
        let forward = lower != transposed
        for step in 0..<n {
            let i = forward ? step : n - 1 - step
            let row = b + i * k
            let others = forward ? 0..<i : (i + 1)..<n
            for j in others {
                let c = entry(i, j)
                if c == 0 { continue }
                let solved = b + j * k
                for column in 0..<k { row[column] -= c * solved[column] }
            }
            if !unit {
                let d = entry(i, i)
                for column in 0..<k { row[column] /= d }
            }
        }
    }
}
