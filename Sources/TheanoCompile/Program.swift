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
    var graph: FunctionGraph
    let slotCount: Int
    let inputSlots: [Int]
    /// The inputs (by position) that only device kernels read: copied to the device once at
    /// the start of a call, by ``residentBackend``.
    let residentInputs: [Int]
    /// The backend that places ``residentInputs`` (nil when there are none).
    let residentBackend: (any KernelBackend)?
    /// How many constants were placed on the device when the program was made.
    let residentConstantCount: Int
    let constants: [(slot: Int, value: NDArray)]
    /// Shared values read at each call; `overwritten` ones are updated in place.
    var sharedReads: [(slot: Int, storage: SharedValue, overwritten: Bool)]
    var instructions: [Instruction]
    let outputSlots: [Int]
    let updateSlots: [Int]
    var updateTargets: [(storage: SharedValue, name: String)]
    /// Update slots computed in place in their shared variable's buffer.
    let inPlaceUpdateSlots: Set<Int>
    /// The instructions from this index on overwrite shared variables (in-place updates);
    /// they run after every check of the call has passed.
    let inPlaceStart: Int
    /// Every shared variable a call reads or updates (inner graphs' included), with how: a
    /// call holds these locks from its first read to its last store.
    var sharedAccess: [(SharedValue, SharedValue.Access)]
    /// The most inputs any node reads (the size of the per-call argument buffer).
    let maxInputCount: Int
    /// Whether some node runs an inner graph (which reads shared values from the call's
    /// snapshot, ``SharedValue/callSnapshot``).
    let hasInnerGraphs: Bool
    /// Keeps what the kernels need (loaded libraries) alive.
    let resources: [AnyObject]
    /// DebugMode: compare every fast kernel with the reference and check inputs are unchanged.
    let checksKernels: Bool
    /// Timing collector when profiling.
    var profile: Profile?
    /// What each kernel may use: storage reused across nodes and calls, the thread pool.
    var context: KernelContext
    var buffers: BufferRecycler { context.buffers }
    /// The kernel of every instruction (upgraded when background compiles complete).
    let kernels: KernelTable
    /// Background compiles of this program and its nested programs.
    let upgrades: [KernelUpgrade]
    let backendName: String
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
        self.kernels = KernelTable(choices)
        self.upgrades = kernels.follow(choices) + session.upgrades
        self.backendName = options.backend.name
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
            instructions.append(Instruction(node: node, inputSlots: ins, outputSlots: outs, release: Array(release) + unread))
        }
        self.instructions = instructions
        // Arrays that only device kernels read go to the device once: constants now, inputs
        // at the start of each call (not once per kernel reading them).
        let backend = options.backend.implementation
        // Whether every read of a slot is a device read.
        var deviceRead: [Int: Bool] = [:]
        for (i, inst) in instructions.enumerated() {
            for (k, s) in inst.inputSlots.enumerated() {
                let onDevice = choices[i].kernel?.readsOnDevice(input: k, of: inst.node) ?? false
                deviceRead[s] = (deviceRead[s] ?? true) && onDevice
            }
        }
        for s in graph.outputs.map(slot) { deviceRead[s] = false }
        let onlyDeviceReads = Set(deviceRead.filter(\.value).keys)
        var placedConstants: [(Int, NDArray)] = []
        for (s, value) in constants {
            // A constant that cannot be placed stays on the host (each kernel copies it then).
            let placed = value.rank >= 1 && onlyDeviceReads.contains(s) ? try? backend.residentCopy(of: value) : nil
            placedConstants.append((s, placed ?? value))
        }
        self.constants = placedConstants
        self.residentConstantCount = zip(constants, placedConstants).filter { $0.0.1.storage !== $0.1.1.storage }.count
        var resident: [Int] = []
        for (k, v) in graph.inputs.enumerated() where v.type.rank >= 1 && onlyDeviceReads.contains(slot(v)) { resident.append(k) }
        self.residentInputs = resident
        self.residentBackend = resident.isEmpty ? nil : backend
        self.sharedReads = shared
        self.slotCount = slotOf.count
        let allOutputs = graph.outputs.map(slot)
        self.outputSlots = Array(allOutputs[..<outputCount])
        self.updateSlots = Array(allOutputs[outputCount...])
        self.inPlaceUpdateSlots = Set(graph.outputs[outputCount...].filter { $0.owner.map(destroysShared) ?? false }.map(slot))
        self.updateTargets = updateTargets.map { (storage: $0.0, name: $0.1) }
        self.inPlaceStart = nodes.firstIndex(where: destroysShared) ?? nodes.count
        self.maxInputCount = nodes.map(\.inputs.count).max() ?? 0
        let inner = innerGraphSharedValues(nodes)
        self.hasInnerGraphs = nodes.contains { $0.op is any InnerGraphOp }
        self.sharedAccess = shared.map { ($0.1, SharedValue.Access.read) } + inner.map { ($0, .read) }
            + updateTargets.map { ($0.0, .write) }
    }
}

extension Program {
    /// How every node runs now (kernels compiling in the background are reported as what runs
    /// until they are ready).
    var kernelReport: KernelReport {
        var report = KernelReport(backend: backendName, entries: zip(instructions, kernels.current()).map { inst, entry in
            let choice = entry.choice
            return KernelReport.Entry(node: nodeLabel(inst.node), op: opTypeName(inst.node.op), kind: choice.kind,
                                      implementation: choice.implementation, note: choice.note, nested: choice.nested)
        })
        let inputs = residentInputs.map { k in graph.inputs[k].name.map { "input \($0)" } ?? "input \(k)" }
        if !inputs.isEmpty { report.placedOnDevice.append("\(inputs.joined(separator: ", ")) (copied once per call)") }
        if residentConstantCount > 0 {
            report.placedOnDevice.append("\(residentConstantCount) constant\(residentConstantCount == 1 ? "" : "s") (copied when compiled)")
        }
        return report
    }

    /// Blocks until every kernel compiling in the background (nested programs' included) is
    /// ready.
    func waitForKernels() {
        for upgrade in upgrades { upgrade.wait() }
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

/// The shared variables read by the inner graphs of `nodes`, at any depth.
func innerGraphSharedValues(_ nodes: [Apply]) -> [SharedValue] {
    var found: [ObjectIdentifier: SharedValue] = [:]
    var pending = nodes.compactMap { ($0.op as? any InnerGraphOp)?.innerGraphs }.flatMap { $0 }
    while let graph = pending.popLast() {
        let inner = toposort(outputs: graph.outputs, stoppingAt: Set(graph.inputs))
        for v in inner.flatMap(\.inputs) + graph.outputs {
            if let storage = v.sharedValue { found[ObjectIdentifier(storage)] = storage }
        }
        pending += inner.compactMap { ($0.op as? any InnerGraphOp)?.innerGraphs }.flatMap { $0 }
    }
    return Array(found.values)
}
