import TheanoArray
import TheanoGraph
import TheanoTensor

/// The default backend: everything on the host, as fast as this machine allows.
///
/// For each node, in this order:
/// 1. an op with a CPU kernel of its own (``CPUKernelOp``: OpenBLAS for the matrix products,
///    a nested program for `OpFromGraph`; ``LAPACKBlockKernel`` for the batched solves and
///    factorisations);
/// 2. elementwise and reduction nodes (``CKernelOp``): one generated C kernel each, all
///    compiled together in one translation unit (``CLinker``);
/// 3. anything else runs its reference `perform`, which on the host is the implementation
///    (views, shape arithmetic, indexing, softmax).
///
/// When C cannot be generated or compiled, the nodes concerned are reported as missing, with
/// the reason, in the function's ``KernelReport`` (an error with ``CompileOptions/strict``).
struct CPUBackend: KernelBackend {
    var name: String { "cpu" }

    func kernels(for nodes: [Apply], in session: LinkSession) throws -> [KernelChoice] {
        var choices: [KernelChoice?] = []
        var generated: [(index: Int, node: Apply, program: KernelProgram)] = []
        for (i, node) in nodes.enumerated() {
            if let op = node.op as? any CPUKernelOp, let choice = try op.cpuKernel(node, session) {
                choices.append(choice)
            } else if let choice = CPUBackend.lapackKernel(node) {
                choices.append(choice)
            } else if let op = node.op as? any CKernelOp, let program = op.kernelProgram(node) {
                generated.append((i, node, program))
                choices.append(nil)
            } else {
                choices.append(.reference)
            }
        }
        if !generated.isEmpty {
            let linked = CLinker.link(generated.map { ($0.node, $0.program) }, in: session)
            for (entry, choice) in zip(generated, linked) { choices[entry.index] = choice }
        }
        return choices.map { $0 ?? .reference }
    }
}

/// An op with a kernel of its own on the CPU backend. Conformances live in this folder, next
/// to the kernels (the op's own module never names a backend).
protocol CPUKernelOp {
    /// The kernel for `node`, or nil when this node is not one the kernel handles (a dtype
    /// BLAS does not take, say); the backend then tries its other implementations.
    func cpuKernel(_ node: Apply, _ session: LinkSession) throws -> KernelChoice?
}
