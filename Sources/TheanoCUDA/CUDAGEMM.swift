import Foundation
import TheanoArray

/// One strided batched matrix product in cuBLAS's column-major terms: for each `b` in
/// `0..<batch`, `C_b = alpha * op(A_b) * op(B_b) + beta * C_b`, where `op(A_b)` is `m x k`,
/// `op(B_b)` is `k x n`, `C_b` is `m x n`, and matrix `X_b` starts `b * strideX` elements
/// after `x` (a stride of 0 repeats one matrix over the batch).
///
/// This is `cublasSgemmStridedBatched` / `cublasDgemmStridedBatched`; ``CUDADevice/gemm(_:)``
/// runs it with cuBLAS on a GPU and with ``runOnHost(_:)`` on the emulator. Row-major callers
/// swap the operands (``rowMajor(dtype:m:n:k:...)``).
public struct GEMMCall: Sendable, Equatable {
    /// float32 or float64.
    public var dtype: DType
    public var transposeA: Bool
    public var transposeB: Bool
    public var m: Int, n: Int, k: Int
    public var alpha: Double
    public var beta: Double
    public var a: DeviceAddress, lda: Int, strideA: Int
    public var b: DeviceAddress, ldb: Int, strideB: Int
    public var c: DeviceAddress, ldc: Int, strideC: Int
    public var batch: Int

    public init(dtype: DType, transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Double, beta: Double,
                a: DeviceAddress, lda: Int, strideA: Int, b: DeviceAddress, ldb: Int, strideB: Int,
                c: DeviceAddress, ldc: Int, strideC: Int, batch: Int) {
        self.dtype = dtype
        (self.transposeA, self.transposeB) = (transposeA, transposeB)
        (self.m, self.n, self.k) = (m, n, k)
        (self.alpha, self.beta) = (alpha, beta)
        (self.a, self.lda, self.strideA) = (a, lda, strideA)
        (self.b, self.ldb, self.strideB) = (b, ldb, strideB)
        (self.c, self.ldc, self.strideC) = (c, ldc, strideC)
        self.batch = batch
    }

    /// The call that computes the row-major product `C = alpha * op(X) @ op(Y) + beta * C`
    /// (`op(X)` is `m x k`, `op(Y)` is `k x n`, `C` is `m x n` with rows of `n`): a row-major
    /// matrix read column-major is its transpose, so cuBLAS computes `C^T = op(Y)^T op(X)^T`.
    /// `x` and `y` are stored row-major with rows of `ldx` and `ldy` elements; `transposeX`
    /// means the stored matrix is `X^T`.
    public static func rowMajor(dtype: DType, m: Int, n: Int, k: Int, alpha: Double, beta: Double,
                                x: DeviceAddress, ldx: Int, strideX: Int, transposeX: Bool,
                                y: DeviceAddress, ldy: Int, strideY: Int, transposeY: Bool,
                                c: DeviceAddress, strideC: Int, batch: Int) -> GEMMCall {
        GEMMCall(dtype: dtype, transposeA: transposeY, transposeB: transposeX, m: n, n: m, k: k, alpha: alpha, beta: beta,
                 a: y, lda: ldy, strideA: strideY, b: x, ldb: ldx, strideB: strideX, c: c, ldc: n, strideC: strideC, batch: batch)
    }

    /// Checks what cuBLAS would reject (its sizes and leading dimensions are 32-bit `int`s).
    ///
    /// - Throws: `TheanoError.invalidArgument` naming the first bad parameter.
    public func validate() throws {
        guard dtype == .float32 || dtype == .float64 else {
            throw TheanoError.typeMismatch("CUDA GEMM: cuBLAS multiplies float32 or float64, got \(dtype)")
        }
        let limit = Int(Int32.max)
        for (name, value) in [("m", m), ("n", n), ("k", k), ("batch", batch)] where value < 0 || value > limit {
            throw TheanoError.invalidArgument("CUDA GEMM: \(name) = \(value) is outside cuBLAS's range 0...\(limit)")
        }
        let rowsA = transposeA ? k : m, rowsB = transposeB ? n : k
        for (name, ld, rows) in [("lda", lda, rowsA), ("ldb", ldb, rowsB), ("ldc", ldc, m)] where ld < Swift.max(1, rows) || ld > limit {
            throw TheanoError.invalidArgument("CUDA GEMM: \(name) = \(ld) must be at least \(Swift.max(1, rows)) and at most \(limit)")
        }
        for (name, stride) in [("strideA", strideA), ("strideB", strideB), ("strideC", strideC)] where stride < 0 {
            throw TheanoError.invalidArgument("CUDA GEMM: \(name) = \(stride) is negative")
        }
    }

    /// The product by plain loops over host memory (the emulator's device memory), with
    /// cuBLAS's documented meaning: column-major operands, `beta = 0` does not read `C`, and
    /// `alpha = 0` does not read `A` or `B`. Sums run in double precision.
    public func runOnHost() throws {
        try validate()
        guard let pa = UnsafeMutableRawPointer(bitPattern: UInt(a.raw)), let pb = UnsafeMutableRawPointer(bitPattern: UInt(b.raw)),
              let pc = UnsafeMutableRawPointer(bitPattern: UInt(c.raw)) else {
            throw TheanoError.invalidArgument("CUDA GEMM: a device address is 0")
        }
        switch dtype {
        case .float32: loops(pa.assumingMemoryBound(to: Float.self), pb.assumingMemoryBound(to: Float.self), pc.assumingMemoryBound(to: Float.self))
        default: loops(pa.assumingMemoryBound(to: Double.self), pb.assumingMemoryBound(to: Double.self), pc.assumingMemoryBound(to: Double.self))
        }
    }

    private func loops<T: BinaryFloatingPoint>(_ pa: UnsafeMutablePointer<T>, _ pb: UnsafeMutablePointer<T>, _ pc: UnsafeMutablePointer<T>) {
        for batchIndex in 0..<batch {
            let a = pa + batchIndex * strideA, b = pb + batchIndex * strideB, c = pc + batchIndex * strideC
            for j in 0..<n {
                for i in 0..<m {
                    var sum = 0.0
                    if alpha != 0 {
                        for l in 0..<k {
                            let x = transposeA ? a[l + i * lda] : a[i + l * lda]
                            let y = transposeB ? b[j + l * ldb] : b[l + j * ldb]
                            sum += Double(x) * Double(y)
                        }
                    }
                    let previous = beta == 0 ? 0 : beta * Double(c[i + j * ldc])
                    c[i + j * ldc] = T(alpha * sum + previous)
                }
            }
        }
    }
}

/// cuBLAS, loaded with `dlopen` on first use: one handle per device, products queued on the
/// device's stream (ordered with the backend's launches and copies).
final class CUBLAS: @unchecked Sendable {
    private typealias Status = Int32
    private typealias Create = @convention(c) (UnsafeMutablePointer<OpaquePointer?>) -> Status
    private typealias SetStream = @convention(c) (OpaquePointer?, OpaquePointer?) -> Status
    private typealias SGEMMBatched = @convention(c) (OpaquePointer?, Int32, Int32, Int32, Int32, Int32,
                                                     UnsafePointer<Float>, UInt64, Int32, Int64, UInt64, Int32, Int64,
                                                     UnsafePointer<Float>, UInt64, Int32, Int64, Int32) -> Status
    private typealias DGEMMBatched = @convention(c) (OpaquePointer?, Int32, Int32, Int32, Int32, Int32,
                                                     UnsafePointer<Double>, UInt64, Int32, Int64, UInt64, Int32, Int64,
                                                     UnsafePointer<Double>, UInt64, Int32, Int64, Int32) -> Status

    private let library: LoadedLibrary
    private let handle: OpaquePointer?
    private let sgemm: SGEMMBatched
    private let dgemm: DGEMMBatched
    private let lock = NSLock()

    /// Loads cuBLAS and creates a handle on the calling thread's current context, its products
    /// queued on `stream`.
    ///
    /// - Throws: `TheanoError.unsupported` naming where the library was looked for, or
    ///   `cublasCreate`'s or `cublasSetStream`'s status.
    init(stream: OpaquePointer?, locator: CUDALibraryLocator = CUDALibraryLocator()) throws {
        library = try locator.load(.cublas)
        let create = try library.function("cublasCreate_v2", as: Create.self)
        sgemm = try library.function("cublasSgemmStridedBatched", as: SGEMMBatched.self)
        dgemm = try library.function("cublasDgemmStridedBatched", as: DGEMMBatched.self)
        var h: OpaquePointer?
        let status = create(&h)
        guard status == 0 else {
            throw TheanoError.unsupported("cuBLAS (\(library.path)): cublasCreate failed with status \(status)\(status == 1 ? " (not initialised: no usable GPU context)" : "")")
        }
        handle = h
        let setStream = try library.function("cublasSetStream_v2", as: SetStream.self)
        let streamStatus = setStream(h, stream)
        guard streamStatus == 0 else {
            throw TheanoError.unsupported("cuBLAS (\(library.path)): cublasSetStream failed with status \(streamStatus)")
        }
    }

    /// Runs `call` (validated first).
    func gemm(_ call: GEMMCall, device: String) throws {
        try call.validate()
        guard call.m > 0, call.n > 0, call.batch > 0 else { return }
        let ta: Int32 = call.transposeA ? 1 : 0, tb: Int32 = call.transposeB ? 1 : 0  // CUBLAS_OP_T, CUBLAS_OP_N
        lock.lock()
        defer { lock.unlock() }
        let status: Status
        if call.dtype == .float32 {
            var alpha = Float(call.alpha), beta = Float(call.beta)
            status = sgemm(handle, ta, tb, Int32(call.m), Int32(call.n), Int32(call.k), &alpha, call.a.raw, Int32(call.lda), Int64(call.strideA),
                           call.b.raw, Int32(call.ldb), Int64(call.strideB), &beta, call.c.raw, Int32(call.ldc), Int64(call.strideC), Int32(call.batch))
        } else {
            var alpha = call.alpha, beta = call.beta
            status = dgemm(handle, ta, tb, Int32(call.m), Int32(call.n), Int32(call.k), &alpha, call.a.raw, Int32(call.lda), Int64(call.strideA),
                           call.b.raw, Int32(call.ldb), Int64(call.strideB), &beta, call.c.raw, Int32(call.ldc), Int64(call.strideC), Int32(call.batch))
        }
        guard status == 0 else {
            let meaning = [3: "allocation failed", 7: "invalid value", 8: "architecture mismatch", 13: "execution failed", 14: "internal error"][Int(status)]
            throw TheanoError.unsupported("cuBLAS on \(device): a \(call.dtype) GEMM (\(call.m)x\(call.n)x\(call.k), batch \(call.batch)) failed with status \(status)\(meaning.map { " (\($0))" } ?? "")")
        }
    }
}
