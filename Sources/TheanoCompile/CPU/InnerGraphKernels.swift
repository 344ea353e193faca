import TheanoArray
import TheanoGraph
import TheanoTensor

/// Names the nested programs in reports.
let nestedProgram = "nested program"

extension OpFromGraph: CPUKernelOp {
    /// A non-inlined `OpFromGraph` runs its (already optimised) inner graph as a nested
    /// program on this backend, fused C kernels included.
    func cpuKernel(_ node: Apply, _ session: LinkSession) throws -> KernelChoice? {
        let compiled = try session.compile(innerGraphs[0])
        return .kernel(CallInnerGraphKernel(body: compiled), implementation: nestedProgram, nested: [compiled.kernelReport])
    }
}

/// Runs a node whose outputs are its inner graph applied to its inputs.
struct CallInnerGraphKernel: Kernel {
    let body: CompiledGraph

    func run(_ node: Apply, _ inputs: [NDArray], _ context: KernelContext) throws -> [NDArray] {
        try body.run(inputs, in: context)
    }
}

extension JacobianOp: CPUKernelOp {
    /// The vector-Jacobian product's inner graph, compiled once as a nested program on this
    /// backend and run once per row.
    func cpuKernel(_ node: Apply, _ session: LinkSession) throws -> KernelChoice? {
        let compiled = try session.compile(innerGraphs[0])
        return .kernel(JacobianRowsKernel(body: compiled), implementation: nestedProgram, nested: [compiled.kernelReport])
    }
}

/// Runs a ``JacobianOp``: its compiled inner graph once per row.
struct JacobianRowsKernel: Kernel {
    let body: CompiledGraph

    func run(_ node: Apply, _ inputs: [NDArray], _ context: KernelContext) throws -> [NDArray] {
        [try JacobianOp.rows(of: inputs) { arguments in try body.run(arguments, in: context)[0] }]
    }
}
