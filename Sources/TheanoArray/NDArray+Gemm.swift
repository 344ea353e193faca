import CTheano

// The BLAS update routines with scale factors: GEMM (`C = alpha A B + beta C`), GEMV
// (`y = alpha A x + beta y`) and GER (`A = A + alpha x y^T`), for float32 and float64.
// Each comes in two forms: a functional one that returns a new C-contiguous array, and an
// in-place one that writes into the storage of its accumulator (for in-place ops, whose
// runtime guarantees that nobody else reads that storage).
//
// Semantics, shared by all forms:
// - transposes are views (`a.transposed()`): BLAS reads transposed and strided matrices in
//   place when it can, else they are copied to C order first;
// - the accumulator may broadcast (size-1 axes) in the functional forms;
// - `beta = 0` with an accumulator multiplies it by zero, as `0 * c` would (NaN and infinity
//   give NaN), unlike raw BLAS, which ignores `c`; `alpha = 0` follows BLAS: the operands are
//   not read.

/// The BLAS update routines with alpha and beta (row-major).
protocol BLASUpdateScalar: BLASScalar {
    /// `C = alpha op(A) op(B) + beta C`.
    static func scaledGemm(
        transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Self,
        a: UnsafePointer<Self>, lda: Int, b: UnsafePointer<Self>, ldb: Int, beta: Self,
        c: UnsafeMutablePointer<Self>, ldc: Int)

    /// `y = alpha op(A) x + beta y` for a `rows x cols` matrix `A`.
    static func scaledGemv(
        transpose: Bool, rows: Int, cols: Int, alpha: Self, a: UnsafePointer<Self>, lda: Int,
        x: UnsafePointer<Self>, incx: Int, beta: Self, y: UnsafeMutablePointer<Self>, incy: Int)

    /// `A = A + alpha x y^T` for an `m x n` matrix `A`.
    static func ger(
        m: Int, n: Int, alpha: Self, x: UnsafePointer<Self>, incx: Int,
        y: UnsafePointer<Self>, incy: Int, a: UnsafeMutablePointer<Self>, lda: Int)
}

@inline(__always)
private func transposeFlag(_ t: Bool) -> CBLAS_TRANSPOSE { t ? CblasTrans : CblasNoTrans }

extension Float: BLASUpdateScalar {
    static func scaledGemm(
        transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Float,
        a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int, beta: Float,
        c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        sgemm(
            transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: alpha,
            a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
    }

    static func scaledGemv(
        transpose: Bool, rows: Int, cols: Int, alpha: Float, a: UnsafePointer<Float>, lda: Int,
        x: UnsafePointer<Float>, incx: Int, beta: Float, y: UnsafeMutablePointer<Float>, incy: Int
    ) {
        cblas_sgemv(
            CblasRowMajor, transposeFlag(transpose), blasint(rows), blasint(cols), alpha, a, blasint(lda),
            x, blasint(incx), beta, y, blasint(incy))
    }

    static func ger(
        m: Int, n: Int, alpha: Float, x: UnsafePointer<Float>, incx: Int,
        y: UnsafePointer<Float>, incy: Int, a: UnsafeMutablePointer<Float>, lda: Int
    ) {
        cblas_sger(CblasRowMajor, blasint(m), blasint(n), alpha, x, blasint(incx), y, blasint(incy), a, blasint(lda))
    }
}

extension Double: BLASUpdateScalar {
    static func scaledGemm(
        transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Double,
        a: UnsafePointer<Double>, lda: Int, b: UnsafePointer<Double>, ldb: Int, beta: Double,
        c: UnsafeMutablePointer<Double>, ldc: Int
    ) {
        cblas_dgemm(
            CblasRowMajor, transposeFlag(transposeA), transposeFlag(transposeB), blasint(m), blasint(n), blasint(k),
            alpha, a, blasint(lda), b, blasint(ldb), beta, c, blasint(ldc))
    }

    static func scaledGemv(
        transpose: Bool, rows: Int, cols: Int, alpha: Double, a: UnsafePointer<Double>, lda: Int,
        x: UnsafePointer<Double>, incx: Int, beta: Double, y: UnsafeMutablePointer<Double>, incy: Int
    ) {
        cblas_dgemv(
            CblasRowMajor, transposeFlag(transpose), blasint(rows), blasint(cols), alpha, a, blasint(lda),
            x, blasint(incx), beta, y, blasint(incy))
    }

    static func ger(
        m: Int, n: Int, alpha: Double, x: UnsafePointer<Double>, incx: Int,
        y: UnsafePointer<Double>, incy: Int, a: UnsafeMutablePointer<Double>, lda: Int
    ) {
        cblas_dger(CblasRowMajor, blasint(m), blasint(n), alpha, x, blasint(incx), y, blasint(incy), a, blasint(lda))
    }
}

// MARK: - Public entry points

extension NDArray {
    /// `alpha * a @ b + beta * c` as a new C-contiguous `[m, n]` array, through BLAS GEMM.
    ///
    /// `a` is `[m, k]` and `b` is `[k, n]`, any layout (pass `x.transposed()` for a transposed
    /// operand: BLAS reads it in place). `c`, when given, must broadcast to `[m, n]` (a bias
    /// row `[1, n]` works); without it the result is `alpha * a @ b`. All three share one
    /// dtype, float32 or float64.
    ///
    /// - Throws: a type error for other or mixed dtypes, a shape error when the operands do
    ///   not align or `c` does not broadcast to the product's shape.
    public static func gemm(alpha: Double, _ a: NDArray, _ b: NDArray, beta: Double = 1, adding c: NDArray? = nil) throws -> NDArray {
        let (m, _, n) = try gemmSizes(a, b, c)
        var (out, effectiveBeta) = try freshAccumulator(c, [m, n], dtype: a.dtype, beta: beta)
        try out.runGemm(alpha: alpha, a, b, beta: effectiveBeta)
        return out
    }

    /// Writes `alpha * a @ b + beta * c` into `c`'s storage and returns `c` (for in-place ops:
    /// every value sharing that storage sees the change). `c` must have the product's shape
    /// `[m, n]`. When `c` overlaps itself (a broadcast view), nothing is written and the
    /// result is a new array, as ``gemm(alpha:_:_:beta:adding:)`` gives.
    public static func gemm(alpha: Double, _ a: NDArray, _ b: NDArray, beta: Double, updating c: NDArray) throws -> NDArray {
        let (m, _, n) = try gemmSizes(a, b, c)
        guard c.shape == [m, n], c.isWritableInPlace else { return try gemm(alpha: alpha, a, b, beta: beta, adding: c) }
        let (pa, pb) = (a.unaliased(from: c), b.unaliased(from: c))
        var target = c
        if beta == 0 { target.scaleInPlace(by: 0) }
        try target.runGemm(alpha: alpha, pa, pb, beta: beta == 0 ? 1 : beta)
        return c
    }

    /// ``gemm(alpha:_:_:beta:adding:)`` written into `out`, a C-contiguous `[m, n]` buffer of
    /// the operands' dtype whose contents are ignored (a recycled buffer); returns `out`.
    /// Neither operand may share storage with `out`.
    public static func gemm(alpha: Double, _ a: NDArray, _ b: NDArray, beta: Double = 1, adding c: NDArray? = nil,
                            into out: NDArray) throws -> NDArray {
        let (m, k, n) = try gemmSizes(a, b, c)
        try checkOutputBuffer("gemm", out, [m, n], a.dtype, operands: [a, b] + (c.map { [$0] } ?? []))
        var target = out
        if let c {
            try NDArray.assign(try c.broadcast(to: [m, n]), into: target)
            if beta == 0 { target.scaleInPlace(by: 0) }
            try target.runGemm(alpha: alpha, a, b, beta: beta == 0 ? 1 : beta)
        } else if k == 0 || alpha == 0 {
            try NDArray.assign(NDArray(zeros: [], dtype: a.dtype).broadcast(to: [m, n]), into: target)
        } else {
            // BLAS does not read C when beta is 0.
            try target.runGemm(alpha: alpha, a, b, beta: 0)
        }
        return out
    }

    /// ``gemv(alpha:_:_:beta:adding:)`` written into `out`, a C-contiguous `[m]` buffer whose
    /// contents are ignored; returns `out`. Neither operand may share storage with `out`.
    public static func gemv(alpha: Double, _ a: NDArray, _ x: NDArray, beta: Double = 1, adding y: NDArray? = nil,
                            into out: NDArray) throws -> NDArray {
        let (m, k) = try gemvSizes(a, x, y)
        try checkOutputBuffer("gemv", out, [m], a.dtype, operands: [a, x] + (y.map { [$0] } ?? []))
        var target = out
        if let y {
            try NDArray.assign(try y.broadcast(to: [m]), into: target)
            if beta == 0 { target.scaleInPlace(by: 0) }
            try target.runGemv(alpha: alpha, a, x, beta: beta == 0 ? 1 : beta)
        } else if k == 0 || alpha == 0 {
            try NDArray.assign(NDArray(zeros: [], dtype: a.dtype).broadcast(to: [m]), into: target)
        } else {
            try target.runGemv(alpha: alpha, a, x, beta: 0)
        }
        return out
    }

    /// Throws unless `out` is a C-contiguous buffer of `shape` and `dtype` that no operand
    /// shares storage with.
    private static func checkOutputBuffer(_ op: String, _ out: NDArray, _ shape: [Int], _ dtype: DType, operands: [NDArray]) throws {
        guard out.shape == shape, out.dtype == dtype, out.isContiguous else {
            throw TheanoError.invalidArgument("\(op): the output buffer must be a C-contiguous \(dtype) array of shape \(formatShape(shape)), got \(out.dtype) \(formatShape(out.shape))")
        }
        guard !operands.contains(where: { $0.sharesStorage(with: out) }) else {
            throw TheanoError.invalidArgument("\(op): the output buffer shares storage with an operand")
        }
    }

    /// Throws every error ``gemm(alpha:_:_:beta:updating:)`` could throw for these operands,
    /// without computing anything.
    public static func validateGemm(_ a: NDArray, _ b: NDArray, updating c: NDArray) throws {
        _ = try gemmSizes(a, b, c)
    }

    /// Throws every error ``gemv(alpha:_:_:beta:updating:)`` could throw, without computing.
    public static func validateGemv(_ a: NDArray, _ x: NDArray, updating y: NDArray) throws {
        _ = try gemvSizes(a, x, y)
    }

    /// Throws every error ``ger(alpha:_:_:updating:)`` could throw, without computing.
    public static func validateGer(_ x: NDArray, _ y: NDArray, updating a: NDArray) throws {
        _ = try gerSizes(x, y, a)
    }

    /// `alpha * a @ x + beta * y` as a new C-contiguous `[m]` array, through BLAS GEMV.
    ///
    /// `a` is `[m, k]` (any layout; pass `a.transposed()` for `a^T x`), `x` is `[k]`, and `y`,
    /// when given, must broadcast to `[m]`. One dtype, float32 or float64.
    public static func gemv(alpha: Double, _ a: NDArray, _ x: NDArray, beta: Double = 1, adding y: NDArray? = nil) throws -> NDArray {
        let (m, _) = try gemvSizes(a, x, y)
        var (out, effectiveBeta) = try freshAccumulator(y, [m], dtype: a.dtype, beta: beta)
        try out.runGemv(alpha: alpha, a, x, beta: effectiveBeta)
        return out
    }

    /// Writes `alpha * a @ x + beta * y` into `y`'s storage and returns `y`; see
    /// ``gemm(alpha:_:_:beta:updating:)`` for the in-place contract.
    public static func gemv(alpha: Double, _ a: NDArray, _ x: NDArray, beta: Double, updating y: NDArray) throws -> NDArray {
        let (m, _) = try gemvSizes(a, x, y)
        guard y.shape == [m], y.isWritableInPlace else { return try gemv(alpha: alpha, a, x, beta: beta, adding: y) }
        let (pa, px) = (a.unaliased(from: y), x.unaliased(from: y))
        var target = y
        if beta == 0 { target.scaleInPlace(by: 0) }
        try target.runGemv(alpha: alpha, pa, px, beta: beta == 0 ? 1 : beta)
        return y
    }

    /// `a + alpha * outer(x, y)` as a new C-contiguous `[m, n]` array, through BLAS GER.
    ///
    /// `x` is `[m]`, `y` is `[n]`, and `a` must broadcast to `[m, n]`. One dtype, float32 or
    /// float64.
    public static func ger(alpha: Double, _ x: NDArray, _ y: NDArray, adding a: NDArray) throws -> NDArray {
        let (m, n) = try gerSizes(x, y, a)
        var (out, _) = try freshAccumulator(a, [m, n], dtype: a.dtype, beta: 1)
        try out.runGer(alpha: alpha, x, y)
        return out
    }

    /// Writes `a + alpha * outer(x, y)` into `a`'s storage and returns `a`; see
    /// ``gemm(alpha:_:_:beta:updating:)`` for the in-place contract.
    public static func ger(alpha: Double, _ x: NDArray, _ y: NDArray, updating a: NDArray) throws -> NDArray {
        let (m, n) = try gerSizes(x, y, a)
        guard a.shape == [m, n], a.isWritableInPlace else { return try ger(alpha: alpha, x, y, adding: a) }
        var target = a
        try target.runGer(alpha: alpha, x.unaliased(from: a), y.unaliased(from: a))
        return a
    }
}

// MARK: - Checks

extension NDArray {
    /// `(m, k, n)` of `a @ b`, after checking dtypes and shapes.
    private static func gemmSizes(_ a: NDArray, _ b: NDArray, _ c: NDArray?) throws -> (Int, Int, Int) {
        try checkBLASOperands("gemm", [("a", a, 2), ("b", b, 2)] + (c.map { [("c", $0, 2)] } ?? []))
        let (m, k, n) = (a.shape[0], a.shape[1], b.shape[1])
        guard b.shape[0] == k else {
            throw TheanoError.shapeMismatch(
                "gemm: a of shape \(formatShape(a.shape)) and b of shape \(formatShape(b.shape)) are not aligned: \(k) columns vs \(b.shape[0]) rows")
        }
        if let c { try checkAccumulator("gemm", "c", c, [m, n]) }
        _ = try checkedAllocation([m, n], dtype: a.dtype, context: "gemm")
        return (m, k, n)
    }

    /// `(m, k)` of `a @ x`, after checking dtypes and shapes.
    private static func gemvSizes(_ a: NDArray, _ x: NDArray, _ y: NDArray?) throws -> (Int, Int) {
        try checkBLASOperands("gemv", [("a", a, 2), ("x", x, 1)] + (y.map { [("y", $0, 1)] } ?? []))
        let (m, k) = (a.shape[0], a.shape[1])
        guard x.shape[0] == k else {
            throw TheanoError.shapeMismatch(
                "gemv: a of shape \(formatShape(a.shape)) and x of shape \(formatShape(x.shape)) are not aligned: \(k) columns vs \(x.shape[0]) elements")
        }
        if let y { try checkAccumulator("gemv", "y", y, [m]) }
        return (m, k)
    }

    /// `(m, n)` of `outer(x, y)`, after checking dtypes and shapes.
    private static func gerSizes(_ x: NDArray, _ y: NDArray, _ a: NDArray) throws -> (Int, Int) {
        try checkBLASOperands("ger", [("a", a, 2), ("x", x, 1), ("y", y, 1)])
        try checkAccumulator("ger", "a", a, [x.shape[0], y.shape[0]])
        _ = try checkedAllocation([x.shape[0], y.shape[0]], dtype: a.dtype, context: "ger")
        return (x.shape[0], y.shape[0])
    }

    /// Every operand has its rank, the first operand's dtype, and that dtype is a float.
    private static func checkBLASOperands(_ op: String, _ operands: [(String, NDArray, Int)]) throws {
        let dtype = operands[0].1.dtype
        guard dtype == .float32 || dtype == .float64 else {
            throw TheanoError.typeMismatch("\(op): BLAS multiplies float32 or float64 arrays, got \(operands[0].0) of dtype \(dtype)")
        }
        for (name, value, rank) in operands {
            guard value.dtype == dtype else {
                throw TheanoError.typeMismatch("\(op): all operands must have dtype \(dtype), got \(name) of dtype \(value.dtype)")
            }
            guard value.rank == rank else {
                throw TheanoError.shapeMismatch("\(op): \(name) must have rank \(rank), got shape \(formatShape(value.shape))")
            }
            guard value.shape.allSatisfy({ $0 <= blasMaxDimension }) else {
                throw TheanoError.unsupported("\(op): \(name) of shape \(formatShape(value.shape)) is larger than BLAS's 32-bit sizes allow")
            }
        }
    }

    /// The accumulator broadcasts to the result's shape.
    private static func checkAccumulator(_ op: String, _ name: String, _ value: NDArray, _ shape: [Int]) throws {
        for (axis, size) in value.shape.enumerated() where size != 1 && size != shape[axis] {
            throw TheanoError.shapeMismatch(
                "\(op): \(name) of shape \(formatShape(value.shape)) does not broadcast to the product's shape \(formatShape(shape)) (axis \(axis): \(size) vs \(shape[axis]))")
        }
    }

    /// The result buffer of a functional form and the beta to run BLAS with: zeros and 0
    /// without `c`; else `c` broadcast and copied, and `beta` (when `beta` is 0, the copy is
    /// multiplied by zero here, so NaNs in `c` stay NaN, and BLAS gets 1).
    private static func freshAccumulator(_ c: NDArray?, _ shape: [Int], dtype: DType, beta: Double) throws -> (NDArray, Double) {
        guard let c else { return (try NDArray(allocating: shape, dtype: dtype, zeroed: true, context: "gemm"), 0) }
        var out = try c.broadcast(to: shape).materialized()
        if beta == 0 { out.scaleInPlace(by: 0) }
        return (out, beta == 0 ? 1 : beta)
    }

    /// A C-contiguous copy of this (float) view, with fast paths for rows that are contiguous
    /// (copied as blocks) or broadcast (filled): a bias row repeated over a batch.
    private func materialized() -> NDArray {
        func run<T: NDArrayElement>(_: T.Type) -> NDArray {
            let out = NDArray(allocating: shape, dtype: dtype, zeroed: false)
            let (source, target) = (UnsafePointer(storagePointer(as: T.self)), out.storagePointer(as: T.self))
            StridedWalk(shape: shape, strides: [out.strides, strides], offsets: [0, offset]).forEachRow { offs, n, inner in
                switch inner[1] {
                case 1: (target + offs[0]).update(from: source + offs[1], count: n)
                case 0: (target + offs[0]).update(repeating: source[offs[1]], count: n)
                default: for i in 0..<n { target[offs[0] + i] = source[offs[1] + i * inner[1]] }
                }
            }
            return out
        }
        switch dtype {
        case .float32: return run(Float.self)
        case .float64: return run(Double.self)
        default: return copy()
        }
    }

    /// This operand, or a copy of it when it shares storage with `target` (which is about to
    /// be written, and BLAS must not read what it writes).
    func unaliased(from target: NDArray) -> NDArray {
        sharesStorage(with: target) ? copy() : self
    }

    /// Whether writing through this view touches each element's memory exactly once: no axis
    /// of size > 1 has stride 0. (Views made by slicing, transposing and flipping qualify;
    /// broadcast views do not.)
    public var isWritableInPlace: Bool {
        !zip(shape, strides).contains { $0 > 1 && $1 == 0 }
    }
}

// MARK: - Kernels

extension NDArray {
    /// Multiplies every element of this view by `factor`, in its storage.
    mutating func scaleInPlace(by factor: Double) {
        func run<T: NDArrayElement & FloatingPoint>(_: T.Type) {
            let p = storagePointer(as: T.self)
            let s = T.element(fromDouble: factor)
            StridedWalk(shape: shape, strides: [strides], offsets: [offset]).forEachRow { offs, n, inner in
                for i in 0..<n { p[offs[0] + i * inner[0]] *= s }
            }
        }
        switch dtype {
        case .float32: run(Float.self)
        case .float64: run(Double.self)
        default: break
        }
    }

    /// Calls `body` on this view when BLAS can write it in place (`layoutOK`), else on a
    /// C-contiguous copy whose values are then written back into this view's storage.
    private mutating func writeThrough(_ layoutOK: (NDArray) -> Bool, _ body: (inout NDArray) throws -> Void) throws {
        if layoutOK(self) {
            try body(&self)
            return
        }
        var tmp = copy()
        try body(&tmp)
        try NDArray.assign(tmp, into: self)
    }

    /// `self = alpha * a @ b + beta * self`, written into this `[m, n]` view's storage, which
    /// must not overlap itself.
    fileprivate mutating func runGemm(alpha: Double, _ a: NDArray, _ b: NDArray, beta: Double) throws {
        func run<T: BLASUpdateScalar>(_: T.Type) throws {
            try writeThrough({ $0.matrixLayout != nil }) { c in gemmKernel(T.element(fromDouble: alpha), a, b, T.element(fromDouble: beta), c) }
        }
        switch dtype {
        case .float32: try run(Float.self)
        case .float64: try run(Double.self)
        default: throw TheanoError.typeMismatch("gemm: BLAS multiplies float32 or float64 arrays, got \(dtype)")
        }
    }

    /// `self = alpha * a @ x + beta * self` for this `[m]` view.
    fileprivate mutating func runGemv(alpha: Double, _ a: NDArray, _ x: NDArray, beta: Double) throws {
        func run<T: BLASUpdateScalar>(_: T.Type) throws {
            try writeThrough({ $0.shape[0] <= 1 || $0.strides[0] > 0 }) { y in gemvKernel(T.element(fromDouble: alpha), a, x, T.element(fromDouble: beta), y) }
        }
        switch dtype {
        case .float32: try run(Float.self)
        case .float64: try run(Double.self)
        default: throw TheanoError.typeMismatch("gemv: BLAS multiplies float32 or float64 arrays, got \(dtype)")
        }
    }

    /// `self = self + alpha * outer(x, y)` for this `[m, n]` view.
    fileprivate mutating func runGer(alpha: Double, _ x: NDArray, _ y: NDArray) throws {
        func run<T: BLASUpdateScalar>(_: T.Type) throws {
            try writeThrough({ $0.matrixLayout != nil }) { a in gerKernel(T.element(fromDouble: alpha), x, y, a) }
        }
        switch dtype {
        case .float32: try run(Float.self)
        case .float64: try run(Double.self)
        default: throw TheanoError.typeMismatch("ger: BLAS multiplies float32 or float64 arrays, got \(dtype)")
        }
    }
}

/// `c = alpha a b + beta c` where BLAS can write `c` (row- or column-major) in place.
private func gemmKernel<T: BLASUpdateScalar>(_ alpha: T, _ a: NDArray, _ b: NDArray, _ beta: T, _ c: NDArray) {
    let (m, k, n) = (a.shape[0], a.shape[1], b.shape[1])
    if m == 0 || n == 0 { return }
    guard let lc = c.matrixLayout else { return }
    if k == 0 {
        var target = c
        target.scaleInPlace(by: beta.doubleValue)
        return
    }
    if lc.transposed {
        // A column-major c: write its transpose, c^T = alpha b^T a^T + beta c^T.
        gemmKernel(alpha, b.T, a.T, beta, c.T)
        return
    }
    let (pa, la) = a.preparedForBLAS()
    let (pb, lb) = b.preparedForBLAS()
    T.scaledGemm(
        transposeA: la.transposed, transposeB: lb.transposed, m: m, n: n, k: k, alpha: alpha,
        a: pa.storagePointer(as: T.self) + pa.offset, lda: la.ld,
        b: pb.storagePointer(as: T.self) + pb.offset, ldb: lb.ld, beta: beta,
        c: c.storagePointer(as: T.self) + c.offset, ldc: lc.ld)
}

/// `y = alpha a x + beta y` where `y` has a positive stride (or at most one element).
private func gemvKernel<T: BLASUpdateScalar>(_ alpha: T, _ a: NDArray, _ x: NDArray, _ beta: T, _ y: NDArray) {
    let (m, k) = (a.shape[0], a.shape[1])
    if m == 0 { return }
    if k == 0 {
        var target = y
        target.scaleInPlace(by: beta.doubleValue)
        return
    }
    let (pa, la) = a.preparedForBLAS()
    let px = x.positiveStrideVector()
    T.scaledGemv(
        transpose: la.transposed, rows: la.transposed ? k : m, cols: la.transposed ? m : k, alpha: alpha,
        a: pa.storagePointer(as: T.self) + pa.offset, lda: la.ld,
        x: px.storagePointer(as: T.self) + px.offset, incx: px.vectorIncrement, beta: beta,
        y: y.storagePointer(as: T.self) + y.offset, incy: y.vectorIncrement)
}

/// `a = a + alpha x y^T` where BLAS can write `a` (row- or column-major) in place.
private func gerKernel<T: BLASUpdateScalar>(_ alpha: T, _ x: NDArray, _ y: NDArray, _ a: NDArray) {
    let (m, n) = (x.shape[0], y.shape[0])
    if m == 0 || n == 0 { return }
    guard let la = a.matrixLayout else { return }
    if la.transposed {
        // A column-major a: update its transpose, a^T += alpha y x^T.
        gerKernel(alpha, y, x, a.T)
        return
    }
    let px = x.positiveStrideVector(), py = y.positiveStrideVector()
    T.ger(
        m: m, n: n, alpha: alpha, x: px.storagePointer(as: T.self) + px.offset, incx: px.vectorIncrement,
        y: py.storagePointer(as: T.self) + py.offset, incy: py.vectorIncrement,
        a: a.storagePointer(as: T.self) + a.offset, lda: la.ld)
}

extension NDArray {
    /// This vector when its stride is positive (or it has at most one element), else a
    /// contiguous copy: BLAS increments must be positive here.
    fileprivate func positiveStrideVector() -> NDArray {
        shape[0] <= 1 || strides[0] > 0 ? self : copy()
    }

    /// The BLAS increment of a vector view with a positive stride.
    fileprivate var vectorIncrement: Int { shape[0] <= 1 ? 1 : strides[0] }
}
