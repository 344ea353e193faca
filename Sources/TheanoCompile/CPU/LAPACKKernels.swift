import CTheanoRuntime
import TheanoArray
import TheanoGraph
import TheanoTensor

/// What the report calls these kernels.
let lapackBlocks = "LAPACK blocks"

/// The CPU kernel of the batched factorisations and solves (`inv`, `det`, `slogdet`,
/// `solve`, `solveTriangular`, `cholesky`, `luFactor`, `luSolve`): LAPACK on every block where
/// it lies in the stacked input, written into an output from the buffer recycler, with scratch
/// shared by the blocks of a chunk, chunks of small matrices spread over the thread pool
/// (`TheanoTensor`'s `runLAPACKBlockKernel`). The op's `perform`, which copies each block
/// through row-major LAPACKE, is the reference it is tested against.
struct LAPACKBlockKernel: Kernel {
    func run(_ node: Apply, _ inputs: [NDArray], _ context: KernelContext) throws -> [NDArray] {
        let pool = context.pool
        return try runLAPACKBlockKernel(
            node, inputs, allocate: { shape, dtype in try context.buffers.allocate(shape, dtype) },
            parallel: pool.map { pool in { count, grain, body in pool.parallelFor(count, grain: grain, body) } })
    }
}

extension CPUBackend {
    /// The LAPACK block kernel for `node`, when its op has one.
    static func lapackKernel(_ node: Apply) -> KernelChoice? {
        hasLAPACKBlockKernel(node) ? .kernel(LAPACKBlockKernel(), implementation: lapackBlocks) : nil
    }
}

/// The Swift body of one `th_parallel_for` call, reached from the C trampoline.
private final class ChunkBody {
    let run: (Int, Int) -> Void
    init(_ run: @escaping (Int, Int) -> Void) { self.run = run }
}

extension ThreadPool {
    /// Runs `body(begin, end)` over chunks of `0..<count` of about `grain` items on the pool's
    /// threads and the caller's; returns when all are done.
    func parallelFor(_ count: Int, grain: Int, _ body: (Int, Int) -> Void) {
        withoutActuallyEscaping(body) { body in
            let chunk = ChunkBody(body)
            withExtendedLifetime(chunk) {
                th_parallel_for(UnsafeMutableRawPointer(handle), Int64(count), Int64(grain), Unmanaged.passUnretained(chunk).toOpaque()) { context, begin, end in
                    guard let context else { return }
                    Unmanaged<ChunkBody>.fromOpaque(context).takeUnretainedValue().run(Int(begin), Int(end))
                }
            }
        }
    }
}
