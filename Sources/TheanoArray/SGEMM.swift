import CDNNL
import CTheano
#if canImport(Glibc)
import Glibc
#endif

// Which library runs a float32 GEMM. oneDNN's `dnnl_sgemm` (JIT-generated AVX-512/AVX2 code)
// beats OpenBLAS's `cblas_sgemm` on the products of the dense layers (a batch of 64-128 rows
// against hundreds of columns, in all three transpose forms), and loses on the thin ones
// (a 10-column classifier layer), where OpenBLAS's small-matrix paths win. docs/DNNL.md has
// the measurements behind the threshold. float64 always runs on OpenBLAS: oneDNN has no
// double-precision GEMM. oneDNN is used only when OpenMP's wait policy is passive (see
// ``SGEMMLibrary/choose(m:n:k:openMPIsPassive:)``).

/// The libraries that can run a float32 GEMM.
package enum SGEMMLibrary: Equatable {
    case openBLAS
    case oneDNN

    /// The smallest row and column count of `C` that goes to oneDNN.
    static let oneDNNMinimumSide = 32

    /// The library for `C[m, n] = op(A)[m, k] op(B)[k, n]` in this process.
    static func choose(m: Int, n: Int, k: Int) -> SGEMMLibrary {
        forced ?? choose(m: m, n: n, k: k, openMPIsPassive: openMPIsPassive)
    }

    /// The library for `C[m, n] = op(A)[m, k] op(B)[k, n]`: oneDNN for products with both
    /// sides of `C` at least ``oneDNNMinimumSide``, provided OpenMP's idle threads sleep.
    ///
    /// oneDNN runs on OpenMP threads, which by default keep spinning after each parallel
    /// region and take the cores from the kernels' thread pool and OpenBLAS's threads (on two
    /// cores the MLP step became 5-8 times slower). The policy is fixed when OpenMP loads, so
    /// a process started without `OMP_WAIT_POLICY=PASSIVE` (the `theano` executable sets it)
    /// keeps OpenBLAS.
    static func choose(m: Int, n: Int, k: Int, openMPIsPassive: Bool) -> SGEMMLibrary {
        openMPIsPassive && m >= oneDNNMinimumSide && n >= oneDNNMinimumSide ? .oneDNN : .openBLAS
    }

    /// Products with fewer multiply-adds (`m * n * k`) run on one OpenMP thread: waking the
    /// sleeping (passive) threads costs more than they save. When every OpenMP thread slept at
    /// once, a 32x128x128 product (an RNN step's) took 3x longer on two threads than on one,
    /// and the limit was 4M. Now the threads spin about 0.1 ms before sleeping
    /// (`GOMP_SPINCOUNT`) and a loop's steps run back to back on row addresses, so the RNN's
    /// step products stay warm on two threads: its training step went from 12.3 to 10.9 ms
    /// (medians of ten interleaved runs) with the limit at 512K. Smaller products (a 16x128x128
    /// step, a thin layer) still run on one.
    static let singleThreadProductLimit = 1 << 19

    /// Whether `m * n * k` is under ``singleThreadProductLimit`` (without overflowing).
    static func isSmall(m: Int, n: Int, k: Int) -> Bool {
        let (mn, o1) = m.multipliedReportingOverflow(by: n)
        let (mnk, o2) = mn.multipliedReportingOverflow(by: k)
        return !o1 && !o2 && mnk < singleThreadProductLimit
    }

    /// Whether this process started with `OMP_WAIT_POLICY=PASSIVE`.
    package static let openMPIsPassive: Bool = getenv("OMP_WAIT_POLICY").map { String(cString: $0).lowercased() == "passive" } ?? false

    /// For measurements: `THEANO_SGEMM=openblas` or `onednn` sends every float32 GEMM to one
    /// library. Read once, when the first GEMM runs.
    package static let forced: SGEMMLibrary? = {
        guard let value = getenv("THEANO_SGEMM").map({ String(cString: $0) }) else { return nil }
        switch value.lowercased() {
        case "openblas": return .openBLAS
        case "onednn", "dnnl": return .oneDNN
        default: return nil
        }
    }()
}

/// `C = alpha op(A) op(B) + beta C`, all row-major, on the library ``SGEMMLibrary/choose(m:n:k:)``
/// picks. When `beta` is 0, `C` is not read (as in BLAS). Falls back to OpenBLAS if oneDNN
/// rejects the call (it returns a status instead of stopping the process).
func sgemm(
    transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Float,
    a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int, beta: Float,
    c: UnsafeMutablePointer<Float>, ldc: Int
) {
    if SGEMMLibrary.choose(m: m, n: n, k: k) == .oneDNN {
        if transposeB && !transposeA && SGEMMLibrary.forced == nil, let matmul = DNNLMatmulPrimitives.shared {
            let done = OpenMPThreads.one(when: SGEMMLibrary.isSmall(m: m, n: n, k: k)) {
                matmul.multiplyTransposed(m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
            }
            if done { return }
        }
        let status = OpenMPThreads.one(when: SGEMMLibrary.isSmall(m: m, n: n, k: k)) {
            oneDNNSGEMM(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: alpha,
                        a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
        }
        if status == dnnl_success { return }
    }
    cblas_sgemm(
        CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
        blasint(m), blasint(n), blasint(k), alpha, a, blasint(lda), b, blasint(ldb), beta, c, blasint(ldc))
}

/// `C = alpha op(A) op(B) + beta C` through oneDNN's `dnnl_sgemm` (row-major; `C` is not read
/// when `beta` is 0). Returns oneDNN's status: invalid sizes or leading dimensions are refused,
/// not fatal.
func oneDNNSGEMM(
    transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Float,
    a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int, beta: Float,
    c: UnsafeMutablePointer<Float>, ldc: Int
) -> dnnl_status_t {
    dnnl_sgemm(
        CChar(UInt8(ascii: transposeA ? "T" : "N")), CChar(UInt8(ascii: transposeB ? "T" : "N")),
        dnnl_dim_t(m), dnnl_dim_t(n), dnnl_dim_t(k), alpha, a, dnnl_dim_t(lda), b, dnnl_dim_t(ldb),
        beta, c, dnnl_dim_t(ldc))
}

/// The calling thread's OpenMP thread count (an OpenMP setting per thread), reached at run
/// time in the OpenMP runtime that oneDNN loads, so no OpenMP header or link is needed.
enum OpenMPThreads {
    private typealias SetThreads = @convention(c) (Int32) -> Void
    private typealias GetThreads = @convention(c) () -> Int32

    private static let set: SetThreads? = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "omp_set_num_threads")
        .map { unsafeBitCast($0, to: SetThreads.self) }
    private static let get: GetThreads? = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "omp_get_max_threads")
        .map { unsafeBitCast($0, to: GetThreads.self) }

    /// Runs `body` with this thread's OpenMP regions on one thread when `condition` holds (and
    /// the runtime is found), restoring the count after.
    static func one<R>(when condition: Bool, _ body: () -> R) -> R {
        guard condition, let set, let get else { return body() }
        let saved = get()
        guard saved > 1 else { return body() }
        set(1)
        defer { set(saved) }
        return body()
    }
}
