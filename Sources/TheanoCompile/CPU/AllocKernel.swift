import TheanoArray
import TheanoGraph
import TheanoTensor

extension Alloc: CPUKernelOp {
    func cpuKernel(_ node: Apply, _ session: LinkSession) throws -> KernelChoice? {
        .kernel(AllocKernel(op: self), implementation: "fill")
    }
}

/// An ``Alloc`` (a new array filled by broadcasting a value) written into a buffer of the
/// function's recycler: the reference's checks and broadcast view, then one fill. A training
/// step's gradient seed (`zeros` of a whole sequence) otherwise takes fresh pages, and their
/// page faults, at every call.
struct AllocKernel: Kernel {
    let op: Alloc

    func run(_ node: Apply, _ inputs: [NDArray], _ context: KernelContext) throws -> [NDArray] {
        let view = try broadcastValue(node, inputs, opName: op.description)
        // A size memory cannot hold: the reference's error, which names the op.
        guard let out = try? context.buffers.allocate(view.shape, view.dtype) else { return try op.perform(node, inputs) }
        try NDArray.assign(view, into: out)
        return [out]
    }
}
