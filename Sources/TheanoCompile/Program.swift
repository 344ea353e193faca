import Dispatch
import TheanoArray
import TheanoGraph
import TheanoTensor

/// A scheduled graph, ready to run: nodes in order, each reading and writing numbered slots,
/// with each intermediate value dropped as soon as its last reader has run.
///
/// This is the interpreter linker: it runs every node's reference ``Op/perform(_:_:)``.
struct Program: @unchecked Sendable {
    struct Instruction {
        let node: Apply
        /// The compiled kernel, when the C linker compiled this node.
        let kernel: CompiledKernel?
        let inputSlots: [Int]
        let outputSlots: [Int]
        /// Slots whose last reader is this instruction (freed after it runs).
        let release: [Int]
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
    /// Keeps the compiled kernels loaded.
    let library: SharedLibrary?
    let pool: ThreadPool?
    /// DebugMode: compare every fast kernel with the reference and check inputs are unchanged.
    let checksKernels: Bool
    /// Timing collector when profiling.
    let profile: Profile?
    /// Storage reused across nodes and calls.
    let buffers = BufferRecycler()
    /// What the C linker did (nil for the interpreter).
    let linkReport: LinkReport?

    struct LinkReport {
        let kernelCount: Int
        let compiled: Bool
        let codegenSeconds: Double
        let compileSeconds: Double
        let source: String
    }

    /// Schedules `graph`, whose outputs are the function's outputs followed by one value per
    /// update target.
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
        var kernels: [CompiledKernel?] = nodes.map { _ in nil }
        var library: SharedLibrary? = nil
        var report: LinkReport? = nil
        if options.linker == .c {
            if let compiler = options.compilerPath.flatMap({ CCompiler.find(preferred: $0) }) ?? defaultCompiler {
                let cache = KernelCache(directory: options.cacheDirectory ?? KernelCache.defaultDirectory)
                let linked = try CLinker(compiler: compiler, cache: cache).link(nodes)
                kernels = linked.kernels
                library = linked.library
                report = LinkReport(kernelCount: kernels.compactMap { $0 }.count, compiled: linked.compiled,
                                    codegenSeconds: linked.codegenSeconds, compileSeconds: linked.compileSeconds, source: linked.source)
            } else {
                warnNoCompiler()
            }
        }
        self.library = library
        self.linkReport = report
        self.pool = (options.threads ?? 2) > 1 ? ThreadPool.shared : nil
        self.profile = options.profile ? Profile(nodes: nodes.enumerated().map { i, node in
            ("\(node.op)(\(node.inputs.map { $0.type.description }.joined(separator: ", ")))",
             String("\(node.op)".prefix { $0 != "{" }), kernels[i] != nil)
        }) : nil
        var instructions: [Instruction] = []
        for (i, node) in nodes.enumerated() {
            let ins = node.inputs.map(slot)
            let outs = node.outputs.map(slot)
            let release = Set(ins).filter { lastUse[$0] == i && !keep.contains($0) }
            // Outputs nobody reads are released at once.
            let unread = outs.filter { lastUse[$0] == nil && !keep.contains($0) }
            instructions.append(Instruction(node: node, kernel: kernels[i], inputSlots: ins, outputSlots: outs, release: Array(release) + unread))
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
    func run(_ arguments: [NDArray]) throws -> [NDArray] {
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
                results = try DebugCheck.run(inst.node, inputs) { try inst.kernel?.run(inst.node, $0, pool: pool, buffers: buffers) ?? inst.node.op.perform(inst.node, $0) }
            } else {
                results = try inst.kernel?.run(inst.node, inputs, pool: pool, buffers: buffers) ?? inst.node.op.perform(inst.node, inputs)
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
        for v in outputs { buffers.lend(v) }
        for (v, s) in zip(newValues, updateSlots) where !inPlaceUpdateSlots.contains(s) { buffers.lend(v) }
        profile?.record(call: Double(DispatchTime.now().uptimeNanoseconds - callStart) / 1e9, nodes: times)
        return outputs
    }
}
