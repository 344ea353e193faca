import Dispatch
import TheanoArray
import TheanoGraph
import TheanoTensor

/// A scheduled graph, ready to run: nodes in order, each reading and writing numbered slots,
/// with each intermediate value dropped as soon as its last reader has run.
///
/// The program asks the function's ``Backend`` for one ``KernelChoice`` per node and holds the
/// resulting kernels only through the ``Kernel`` protocol; a node without a kernel runs its
/// reference `perform`. It names no concrete backend.
struct Program: @unchecked Sendable {
    struct Instruction {
        let node: Apply
        let kernel: any Kernel
        /// Whether `kernel` is an implementation of its own (``Mode/debug`` compares it with
        /// the reference); false when it runs the reference `perform`.
        let isFastKernel: Bool
        let inputSlots: [Int]
        let outputSlots: [Int]
        /// Slots whose last reader is this instruction (freed after it runs).
        let release: [Int]
    }

    /// What linking produced, for ``Function/compileStatistics`` and printing.
    struct Statistics {
        var codegenSeconds = 0.0
        var compileSeconds = 0.0
        var ranCompiler = false
        var sources: [(language: String, text: String)] = []
    }

    /// The optimised graph (for printing).
    let graph: FunctionGraph
    let slotCount: Int
    let inputSlots: [Int]
    let constants: [(slot: Int, value: NDArray)]
    /// Shared values read at each call; `overwritten` ones are updated in place.
    let sharedReads: [(slot: Int, storage: SharedValue, overwritten: Bool)]
    let instructions: [Instruction]
    let outputSlots: [Int]
    let updateSlots: [Int]
    let updateTargets: [(storage: SharedValue, name: String)]
    /// Update slots computed in place in their shared variable's buffer.
    let inPlaceUpdateSlots: Set<Int>
    /// Keeps what the kernels need (loaded libraries) alive.
    let resources: [AnyObject]
    /// DebugMode: compare every fast kernel with the reference and check inputs are unchanged.
    let checksKernels: Bool
    /// Timing collector when profiling.
    let profile: Profile?
    /// What each kernel may use: storage reused across nodes and calls, the thread pool.
    let context: KernelContext
    var buffers: BufferRecycler { context.buffers }
    /// How every node runs.
    let kernelReport: KernelReport
    let statistics: Statistics

    /// Schedules `graph`, whose outputs are the function's outputs followed by one value per
    /// update target, and prepares its kernels on `options.backend`.
    init(graph: FunctionGraph, outputCount: Int, updateTargets: [(SharedValue, String)], options: CompileOptions,
         checksKernels: Bool = false) throws {
        self.graph = graph
        self.checksKernels = checksKernels
        var slotOf: [Variable: Int] = [:]
        func slot(_ v: Variable) -> Int {
            if let s = slotOf[v] { return s }
            let s = slotOf.count
            slotOf[v] = s
            return s
        }
        inputSlots = graph.inputs.map(slot)
        // Nodes that overwrite a shared variable (in-place updates) run after every other node,
        // so everything that reads the old value has read it.
        let sorted = graph.toposort()
        let destroysShared: (Apply) -> Bool = { node in
            node.op.destroyMap.values.flatMap { $0 }.contains { node.inputs[$0].sharedValue != nil }
        }
        let nodes = sorted.filter { !destroysShared($0) } + sorted.filter(destroysShared)
        let destroyedShared = Set(nodes.filter(destroysShared).flatMap { node in
            node.op.destroyMap.values.flatMap { $0 }.map { node.inputs[$0] }
        })
        var constants: [(Int, NDArray)] = []
        var shared: [(Int, SharedValue, Bool)] = []
        var seenRoots = Set<Variable>()
        func noteRoot(_ v: Variable) {
            guard v.owner == nil, seenRoots.insert(v).inserted else { return }
            switch v.role {
            case .constant(let value, _): constants.append((slot(v), value))
            case .shared(let storage): shared.append((slot(v), storage, destroyedShared.contains(v)))
            default: _ = slot(v)
            }
        }
        for v in graph.outputs { noteRoot(v) }
        for node in nodes { node.inputs.forEach(noteRoot) }

        // Last reader of each slot; outputs are never released.
        let keep = Set(graph.outputs.map(slot) + inputSlots)
        var lastUse: [Int: Int] = [:]
        for (i, node) in nodes.enumerated() {
            for v in node.inputs { lastUse[slot(v)] = i }
        }

        // Kernels: one choice per node from the backend.
        let session = LinkSession(options: options, checksKernels: checksKernels)
        let choices = try options.backend.implementation.kernels(for: nodes, in: session)
        guard choices.count == nodes.count else {
            throw TheanoError.graph("backend \(options.backend.name) returned \(choices.count) kernel choices for \(nodes.count) nodes")
        }
        if options.strict, let i = choices.firstIndex(where: { $0.kind == .missing }) {
            throw TheanoError.unsupported(
                "backend \(options.backend.name) has no implementation for \(nodeLabel(nodes[i]))\(choices[i].note.map { ": \($0)" } ?? ""); compiled with strict: true, so this is an error instead of running the reference implementation")
        }
        self.kernelReport = KernelReport(backend: options.backend.name, entries: zip(nodes, choices).map { node, choice in
            KernelReport.Entry(node: nodeLabel(node), op: opTypeName(node.op), kind: choice.kind,
                               implementation: choice.implementation, note: choice.note, nested: choice.nested)
        })
        self.resources = session.resources
        self.statistics = Statistics(codegenSeconds: session.codegenSeconds, compileSeconds: session.compileSeconds,
                                     ranCompiler: session.ranCompiler, sources: session.sources)
        self.context = KernelContext(buffers: BufferRecycler(), pool: (options.threads ?? 2) > 1 ? ThreadPool.shared : nil)
        self.profile = options.profile ? Profile(nodes: zip(nodes, choices).map { node, choice in
            (nodeLabel(node), opTypeName(node.op), choice.implementation)
        }) : nil
        var instructions: [Instruction] = []
        for (i, node) in nodes.enumerated() {
            let ins = node.inputs.map(slot)
            let outs = node.outputs.map(slot)
            let release = Set(ins).filter { lastUse[$0] == i && !keep.contains($0) }
            // Outputs nobody reads are released at once.
            let unread = outs.filter { lastUse[$0] == nil && !keep.contains($0) }
            let kernel = choices[i].kernel
            instructions.append(Instruction(node: node, kernel: kernel ?? ReferenceKernel(), isFastKernel: kernel != nil,
                                            inputSlots: ins, outputSlots: outs, release: Array(release) + unread))
        }
        self.instructions = instructions
        self.constants = constants
        self.sharedReads = shared
        self.slotCount = slotOf.count
        let allOutputs = graph.outputs.map(slot)
        self.outputSlots = Array(allOutputs[..<outputCount])
        self.updateSlots = Array(allOutputs[outputCount...])
        self.inPlaceUpdateSlots = Set(graph.outputs[outputCount...].filter { $0.owner.map(destroysShared) ?? false }.map(slot))
        self.updateTargets = updateTargets.map { (storage: $0.0, name: $0.1) }
    }

    /// Runs the program; updates are checked, then stored together, only after every node ran.
    ///
    /// A nested program (an inner graph run by a kernel) runs in its caller's `context`, so
    /// that both allocate from one recycler, and leaves lending its results to the caller.
    func run(_ arguments: [NDArray], in callerContext: KernelContext? = nil) throws -> [NDArray] {
        let context = callerContext ?? self.context
        let buffers = context.buffers
        var slots = [NDArray?](repeating: nil, count: slotCount)
        for (s, value) in zip(inputSlots, arguments) { slots[s] = value }
        for (s, value) in constants { slots[s] = value }
        for (s, storage, overwritten) in sharedReads {
            // A value updated in place is written directly only when no caller holds it;
            // otherwise into a copy, so arrays a caller holds never change.
            slots[s] = overwritten ? storage.withLock { v in v.isUniquelyReferenced() ? v : v.copy() } : storage.value
        }
        let profiling = profile != nil
        var times: [Double] = profiling ? Array(repeating: 0, count: instructions.count) : []
        let callStart = profiling ? DispatchTime.now().uptimeNanoseconds : 0
        // One argument buffer for every node (no allocation per node).
        var inputs: [NDArray] = []
        inputs.reserveCapacity(instructions.map(\.inputSlots.count).max() ?? 0)
        for (index, inst) in instructions.enumerated() {
            let nodeStart = profiling ? DispatchTime.now().uptimeNanoseconds : 0
            for s in inst.inputSlots {
                guard let v = slots[s] else {
                    throw TheanoError.graph("internal error: \(inst.node.op) read slot \(s) before it was computed")
                }
                inputs.append(v)
            }
            let results: [NDArray]
            if checksKernels {
                results = try DebugCheck.run(inst.node, inputs, comparesWithReference: inst.isFastKernel) {
                    try inst.kernel.run(inst.node, $0, context)
                }
            } else {
                results = try inst.kernel.run(inst.node, inputs, context)
            }
            inputs.removeAll(keepingCapacity: true)  // drop the references so released slots can be recycled
            guard results.count == inst.outputSlots.count else {
                throw TheanoError.graph("internal error: \(inst.node.op) returned \(results.count) outputs, expected \(inst.outputSlots.count)")
            }
            for (s, r) in zip(inst.outputSlots, results) { slots[s] = r }
            for s in inst.release { buffers.release(&slots[s]) }
            if profiling { times[index] = Double(DispatchTime.now().uptimeNanoseconds - nodeStart) / 1e9 }
        }
        let outputs = try outputSlots.map { s -> NDArray in
            guard let v = slots[s] else { throw TheanoError.graph("internal error: output slot \(s) was not computed") }
            return v
        }
        var newValues: [NDArray] = []
        for (s, target) in zip(updateSlots, updateTargets) {
            guard let v = slots[s] else { throw TheanoError.graph("internal error: update slot \(s) was not computed") }
            if let problem = target.storage.type.mismatch(with: v) {
                throw TheanoError.shapeMismatch("update of shared variable '\(target.name)': the new value does not fit: \(problem); no shared variable was changed")
            }
            newValues.append(v)
        }
        for (target, value) in zip(updateTargets, newValues) { target.storage.setUnchecked(value) }
        // Results now belong to the caller and the shared variables; their storage is reused
        // only after they let go of it.
        if callerContext == nil {
            for v in outputs { buffers.lend(v) }
            for (v, s) in zip(newValues, updateSlots) where !inPlaceUpdateSlots.contains(s) { buffers.lend(v) }
        }
        profile?.record(call: Double(DispatchTime.now().uptimeNanoseconds - callStart) / 1e9, nodes: times)
        return outputs
    }
}

/// A node as reports print it: its op and input types.
func nodeLabel(_ node: Apply) -> String {
    "\(node.op)(\(node.inputs.map { $0.type.description }.joined(separator: ", ")))"
}

/// An op's type name: its description up to the first `{` or `(`.
func opTypeName(_ op: any Op) -> String {
    String("\(op)".prefix { $0 != "{" && $0 != "(" })
}
