import CTheano

// Matrix products through BLAS (`sgemm`, which picks oneDNN or OpenBLAS, and `cblas_dgemm`;
// `gemv` for matrix-vector shapes). `NDArray.matmul` calls `blasMatmul` for float32 and float64; the
// plain loop in `NDArray+Matmul.swift` is the reference it is tested against.

/// The element types OpenBLAS multiplies: `Float` (the `s` routines) and `Double` (`d`).
protocol BLASScalar: NDArrayElement {
    /// `C[m, n] = op(A) * op(B)`, all row-major; `op` transposes when the flag is set.
    static func gemm(
        transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
        a: UnsafePointer<Self>, lda: Int, b: UnsafePointer<Self>, ldb: Int,
        c: UnsafeMutablePointer<Self>, ldc: Int)

    /// `y = op(A) x` for a row-major `rows x cols` matrix `A`.
    static func gemv(
        transpose: Bool, rows: Int, cols: Int, a: UnsafePointer<Self>, lda: Int,
        x: UnsafePointer<Self>, incx: Int, y: UnsafeMutablePointer<Self>)
}

@inline(__always)
private func blasTranspose(_ t: Bool) -> CBLAS_TRANSPOSE { t ? CblasTrans : CblasNoTrans }

extension Float: BLASScalar {
    static func gemm(
        transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
        a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        sgemm(
            transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: 1,
            a: a, lda: lda, b: b, ldb: ldb, beta: 0, c: c, ldc: ldc)
    }

    static func gemv(
        transpose: Bool, rows: Int, cols: Int, a: UnsafePointer<Float>, lda: Int,
        x: UnsafePointer<Float>, incx: Int, y: UnsafeMutablePointer<Float>
    ) {
        cblas_sgemv(
            CblasRowMajor, blasTranspose(transpose), blasint(rows), blasint(cols), 1, a, blasint(lda),
            x, blasint(incx), 0, y, 1)
    }
}

extension Double: BLASScalar {
    static func gemm(
        transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
        a: UnsafePointer<Double>, lda: Int, b: UnsafePointer<Double>, ldb: Int,
        c: UnsafeMutablePointer<Double>, ldc: Int
    ) {
        cblas_dgemm(
            CblasRowMajor, blasTranspose(transposeA), blasTranspose(transposeB),
            blasint(m), blasint(n), blasint(k), 1, a, blasint(lda), b, blasint(ldb), 0, c, blasint(ldc))
    }

    static func gemv(
        transpose: Bool, rows: Int, cols: Int, a: UnsafePointer<Double>, lda: Int,
        x: UnsafePointer<Double>, incx: Int, y: UnsafeMutablePointer<Double>
    ) {
        cblas_dgemv(
            CblasRowMajor, blasTranspose(transpose), blasint(rows), blasint(cols), 1, a, blasint(lda),
            x, blasint(incx), 0, y, 1)
    }
}

/// The largest size or stride BLAS takes (its `blasint`); larger products use the plain loop.
let blasMaxDimension = Int(blasint.max)

/// How BLAS reads a `rows x cols` matrix view in place: as a row-major matrix with leading
/// dimension `ld`, or as the transpose of a row-major `cols x rows` matrix (a column-major
/// view, such as `a.T` of a contiguous `a`).
struct BLASMatrixLayout: Equatable {
    var transposed: Bool
    var ld: Int

    /// The layout of a view with the given strides, or nil when BLAS cannot read it in place
    /// (negative, zero or interleaved strides): then the caller copies it to C order.
    /// The stride of an axis of size 1 does not matter.
    init?(rows: Int, cols: Int, rowStride: Int, colStride: Int) {
        let fits = { (x: Int) in x <= blasMaxDimension }
        // Row-major: the elements of a row are adjacent, rows are `ld` apart.
        let rs = rows == 1 ? Swift.max(cols, 1) : rowStride
        let cs = cols == 1 ? 1 : colStride
        if cs == 1 && rs >= Swift.max(cols, 1) && fits(rs) {
            self.init(transposed: false, ld: rs)
            return
        }
        // Column-major: the elements of a column are adjacent, columns are `ld` apart.
        let rsT = rows == 1 ? 1 : rowStride
        let csT = cols == 1 ? Swift.max(rows, 1) : colStride
        if rsT == 1 && csT >= Swift.max(rows, 1) && fits(csT) {
            self.init(transposed: true, ld: csT)
            return
        }
        return nil
    }

    init(transposed: Bool, ld: Int) {
        self.transposed = transposed
        self.ld = ld
    }

    /// The distance between neighbours along a row (the column stride BLAS sees).
    var columnStride: Int { transposed ? ld : 1 }
    /// The distance between neighbours along a column (the row stride BLAS sees).
    var rowStride: Int { transposed ? 1 : ld }
}

extension NDArray {
    /// The BLAS layout of the last two axes, or nil when BLAS cannot read them in place.
    var matrixLayout: BLASMatrixLayout? {
        BLASMatrixLayout(
            rows: shape[rank - 2], cols: shape[rank - 1],
            rowStride: strides[rank - 2], colStride: strides[rank - 1])
    }

    /// This array when BLAS can read its last two axes in place, else a C-contiguous copy;
    /// with the layout BLAS should use.
    func preparedForBLAS() -> (NDArray, BLASMatrixLayout) {
        if let layout = matrixLayout { return (self, layout) }
        let c = copy()
        // A C-contiguous matrix always has a row-major layout.
        return (c, c.matrixLayout ?? BLASMatrixLayout(transposed: false, ld: Swift.max(shape[rank - 1], 1)))
    }
}

extension MatmulPlan {
    /// The unreduced product (`[batch..., m, n]`) through BLAS. An operand whose matrices BLAS
    /// cannot read in place is copied to C order once, before its batch axes are broadcast.
    func blasProduct<T: BLASScalar>(_: T.Type) throws -> NDArray {
        let (pa, la) = a.preparedForBLAS()
        let (pb, lb) = b.preparedForBLAS()
        return blasMatmul(
            try pa.broadcast(to: batch + [m, k]), la, try pb.broadcast(to: batch + [k, n]), lb, T.self,
            batch: batch, m: m, n: n, k: k)
    }
}

/// Batched matrix product with BLAS: `a` is `[batch..., m, k]`, `b` is `[batch..., k, n]`, both
/// already broadcast to the same batch shape (broadcast axes have stride 0), any layout. The
/// result is a new C-contiguous `[batch..., m, n]` array.
///
/// Operands must be readable in place with layouts `la` and `lb` (see
/// ``MatmulPlan/blasProduct(_:)``); transposed views are passed as transpose flags. One GEMM
/// runs per batch entry, or a single GEMM when `b` is shared by the whole batch and `a`'s
/// matrices are stacked in memory; matrix-vector shapes use GEMV.
func blasMatmul<T: BLASScalar>(
    _ a: NDArray, _ la: BLASMatrixLayout, _ b: NDArray, _ lb: BLASMatrixLayout, _: T.Type,
    batch: [Int], m: Int, n: Int, k: Int
) -> NDArray {
    let out = NDArray(allocating: batch + [m, n], dtype: T.dtype, zeroed: k == 0)
    if m == 0 || n == 0 || k == 0 || shapeSize(batch) == 0 { return out }
    let pa = UnsafePointer(a.storagePointer(as: T.self))
    let pb = UnsafePointer(b.storagePointer(as: T.self))
    let pc = out.storagePointer(as: T.self)
    let batchAxes = batch.count

    // One GEMM for a whole batch of stacked row-major matrices times one shared matrix.
    if batchAxes > 0, !la.transposed, b.strides.prefix(batchAxes).allSatisfy({ $0 == 0 }),
       rowsStack(a, batch: batch, rows: m, ld: la.ld), shapeSize(batch) * m <= blasMaxDimension
    {
        product(pa + a.offset, la, pb + b.offset, lb, pc, m: shapeSize(batch) * m, n: n, k: k)
        return out
    }

    let walk = StridedWalk(
        shape: batch,
        strides: [Array(a.strides.prefix(batchAxes)), Array(b.strides.prefix(batchAxes)),
                  Array(out.strides.prefix(batchAxes))],
        offsets: [a.offset, b.offset, 0])
    walk.forEachRow { offs, count, inner in
        for i in 0..<count {
            product(
                pa + offs[0] + i * inner[0], la, pb + offs[1] + i * inner[1], lb,
                pc + offs[2] + i * inner[2], m: m, n: n, k: k)
        }
    }
    return out
}

/// One `[m, k] x [k, n]` product into a C-contiguous `[m, n]` block.
func product<T: BLASScalar>(
    _ a: UnsafePointer<T>, _ la: BLASMatrixLayout, _ b: UnsafePointer<T>, _ lb: BLASMatrixLayout,
    _ c: UnsafeMutablePointer<T>, m: Int, n: Int, k: Int
) {
    if n == 1 {
        // c[m] = A[m, k] * b[:, 0]; A is stored as [m, k] (or [k, m] when transposed).
        T.gemv(
            transpose: la.transposed, rows: la.transposed ? k : m, cols: la.transposed ? m : k,
            a: a, lda: la.ld, x: b, incx: k == 1 ? 1 : lb.rowStride, y: c)
    } else if m == 1 {
        // c[n] = B^T a[0, :]; B is stored as [k, n] (or [n, k] when transposed).
        T.gemv(
            transpose: !lb.transposed, rows: lb.transposed ? n : k, cols: lb.transposed ? k : n,
            a: b, lda: lb.ld, x: a, incx: k == 1 ? 1 : la.columnStride, y: c)
    } else {
        T.gemm(
            transposeA: la.transposed, transposeB: lb.transposed, m: m, n: n, k: k,
            a: a, lda: la.ld, b: b, ldb: lb.ld, c: c, ldc: n)
    }
}

/// Whether the batch axes and the row axis of `a` stack into one `[batch * rows, k]` row-major
/// matrix whose rows are `ld` apart.
private func rowsStack(_ a: NDArray, batch: [Int], rows: Int, ld: Int) -> Bool {
    var expected = rows * ld
    for axis in stride(from: batch.count - 1, through: 0, by: -1) where batch[axis] != 1 {
        guard a.strides[axis] == expected else { return false }
        expected *= batch[axis]
    }
    return true
}
