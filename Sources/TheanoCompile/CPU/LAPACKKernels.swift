import TheanoArray
import TheanoGraph
import TheanoTensor

/// What the report calls these kernels.
let lapackBlocks = "LAPACK blocks"

/// The CPU kernel of the batched factorisations and solves (`inv`, `det`, `slogdet`,
/// `solve`, `solveTriangular`, `cholesky`, `luFactor`, `luSolve`): LAPACK on every block where
/// it lies in the stacked input, written into an output from the buffer recycler, with scratch
/// shared by the blocks of a chunk, chunks of small matrices spread over the thread pool
/// (`TheanoTensor`'s `runLAPACKBlockKernel`, with ``ParallelBlocks``). The op's `perform`,
/// which copies each block through row-major LAPACKE, is the reference it is tested against.
struct LAPACKBlockKernel: Kernel {
    func run(_ node: Apply, _ inputs: [NDArray], _ context: KernelContext) throws -> [NDArray] {
        let pool = context.pool
        return try runLAPACKBlockKernel(
            node, inputs, allocate: { shape, dtype in try context.buffers.allocate(shape, dtype) },
            parallel: { parts, body in try ParallelBlocks.forEach(parts, pool: pool, body) })
    }
}

extension CPUBackend {
    /// The LAPACK block kernel for `node`, when its op has one.
    static func lapackKernel(_ node: Apply) -> KernelChoice? {
        hasLAPACKBlockKernel(node) ? .kernel(LAPACKBlockKernel(), implementation: lapackBlocks) : nil
    }
}
