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

extension Scan: CPUKernelOp {
    /// The body compiled once into a nested program on this backend; the loop runs it once per
    /// step, writing each step's outputs into buffers allocated once.
    func cpuKernel(_ node: Apply, _ session: LinkSession) throws -> KernelChoice? {
        let body = try session.compile(innerGraphs[0])
        return .kernel(ScanKernel(op: self, body: body), implementation: nestedProgram, nested: [body.kernelReport])
    }
}

/// Runs a ``Scan``: its loop with the compiled body as the step.
struct ScanKernel: Kernel {
    let op: Scan
    let body: CompiledGraph

    func run(_ node: Apply, _ inputs: [NDArray], _ context: KernelContext) throws -> [NDArray] {
        let scratch = body.makeScratch()
        let direct = op.hasUntil ? nil : ScanDirectProgram(body, context: context)
        return try op.run(inputs, allocate: { try context.buffers.allocate($0, $1) }, recycle: { context.buffers.release(&$0) },
                          direct: direct) { t, arguments in
            try body.runStep(arguments, in: context, checkingInputs: t == 0, scratch: scratch)
        }
    }
}
