import TheanoArray
import TheanoGraph
import TheanoTensor

/// What the report calls these kernels.
let lapackBlocks = "LAPACK blocks"

/// The CPU kernel of the batched factorisations and solves (`inv`, `det`, `slogdet`,
/// `solve`, `solveTriangular`, `cholesky`, `luFactor`, `luSolve`): LAPACK on every block where
/// it lies in the stacked input, written into an output from the buffer recycler, with scratch
/// shared by all blocks (`TheanoTensor`'s `runLAPACKBlockKernel`). The op's `perform`, which
/// copies each block through row-major LAPACKE, is the reference it is tested against.
struct LAPACKBlockKernel: Kernel {
    func run(_ node: Apply, _ inputs: [NDArray], _ context: KernelContext) throws -> [NDArray] {
        try runLAPACKBlockKernel(node, inputs) { shape, dtype in try context.buffers.allocate(shape, dtype) }
    }
}

extension CPUBackend {
    /// The LAPACK block kernel for `node`, when its op has one.
    static func lapackKernel(_ node: Apply) -> KernelChoice? {
        hasLAPACKBlockKernel(node) ? .kernel(LAPACKBlockKernel(), implementation: lapackBlocks) : nil
    }
}
