import TheanoArray
import TheanoGraph
import TheanoTensor

extension IfElse: CPUKernelOp {
    /// Both branches compiled once into nested programs on this backend; each call runs only
    /// the one the condition chooses.
    func cpuKernel(_ node: Apply, _ session: LinkSession) throws -> KernelChoice? {
        let branches = try innerGraphs.map { try session.compile($0) }
        return .kernel(IfElseKernel(then: branches[0], else: branches[1]), implementation: nestedProgram,
                       nested: branches.map(\.kernelReport))
    }
}

/// Runs an ``IfElse``: the nested program of the branch the condition chooses.
struct IfElseKernel: Kernel {
    let then: CompiledGraph
    let `else`: CompiledGraph

    func run(_ node: Apply, _ inputs: [NDArray], _ context: KernelContext) throws -> [NDArray] {
        let condition = inputs[0].doubles.first.map { $0 != 0 } ?? false
        return try (condition ? then : `else`).run(Array(inputs.dropFirst()), in: context)
    }
}
