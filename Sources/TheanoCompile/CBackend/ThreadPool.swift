import CTheanoRuntime
import Foundation

/// The runtime's one pool of worker threads for large elementwise loops and reductions.
///
/// Workers spin briefly waiting for work, then sleep, so a short gap between kernels costs no
/// wake-up. The pool is shared by every compiled function (pools must not stack); kernels only
/// split work above a size threshold, and OpenBLAS runs its own threads only inside GEMM calls,
/// which never overlap our kernels.
public final class ThreadPool: @unchecked Sendable {
    let handle: OpaquePointer?

    /// Number of threads taking part in parallel loops (including the caller).
    public let threads: Int

    init(threads: Int) {
        handle = th_pool_create(Int32(Swift.max(1, threads)))
        self.threads = Int(th_pool_threads(handle))
    }

    deinit { th_pool_destroy(handle) }

    /// The shared pool, with one thread per available core.
    public static let shared = ThreadPool(threads: ProcessInfo.processInfo.activeProcessorCount)
}
