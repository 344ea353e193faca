import Dispatch
import TheanoArray
import TheanoGraph

// Running a program: one call of a compiled function.
//
// A call is all-or-nothing for shared variables, and calls are linearizable:
// 1. the call takes the locks of every shared variable it reads (shared) or updates
//    (exclusive), in one global order, and holds them until its updates are stored;
// 2. every node runs except those that overwrite a shared variable (in-place updates), which
//    the scheduler put last;
// 3. every check that can fail happens next: outputs computed, every update value fits its
//    variable, and each in-place update kernel validates its inputs (``InPlaceKernel``); an
//    in-place node whose kernel cannot validate runs now on a private copy of the variable;
// 4. the validated in-place kernels write into the variables' buffers (they cannot fail any
//    more), and all updates are stored.
// A call that throws before step 4 has changed no shared variable.

extension Program {
    /// Runs the program; updates are checked, then stored together, only after every node ran.
    ///
    /// A nested program (an inner graph run by a kernel) runs in its caller's `context`, so
    /// that both allocate from one recycler, reads shared values from the caller's snapshot,
    /// and leaves lending its results to the caller.
    ///
    /// `scratch` (for a nested program run many times in a row, such as a loop's body) keeps
    /// the call's working arrays between runs, so a run allocates none of its own.
    func run(_ arguments: [NDArray], in callerContext: KernelContext? = nil, scratch: ProgramScratch? = nil) throws -> [NDArray] {
        if callerContext != nil || sharedAccess.isEmpty {
            return try execute(arguments, callerContext: callerContext, locked: false, scratch: scratch)
        }
        return try SharedValue.lockAll(sharedAccess) {
            try execute(arguments, callerContext: nil, locked: true, scratch: scratch)
        }
    }

    private func execute(_ arguments: [NDArray], callerContext: KernelContext?, locked: Bool,
                         scratch: ProgramScratch?) throws -> [NDArray] {
        let context = callerContext ?? self.context
        let buffers = context.buffers
        // A nested run is part of its caller's call, which counts the demand.
        let outermost = callerContext == nil
        if outermost { buffers.beginCall() }
        defer { if outermost { buffers.endCall() } }
        var slots: [NDArray?]
        if let scratch, scratch.slots.count == slotCount {
            slots = scratch.slots
            scratch.slots = []
        } else {
            slots = [NDArray?](repeating: nil, count: slotCount)
        }
        defer {
            if let scratch {
                // Keep the array, not the values.
                for i in slots.indices { slots[i] = nil }
                scratch.slots = slots
            }
        }
        for (s, value) in zip(inputSlots, arguments) { slots[s] = value }
        if let residentBackend {
            for k in residentInputs where k < arguments.count {
                if let placed = try residentBackend.residentCopy(of: arguments[k]) { slots[inputSlots[k]] = placed }
            }
        }
        for (s, value) in constants { slots[s] = value }
        for (s, storage, overwritten) in sharedReads {
            if !locked {
                slots[s] = storage.storedValue()
            } else if overwritten {
                // Written in place only when nobody else holds the array and it is contiguous;
                // otherwise into a copy.
                slots[s] = storage.valueForInPlaceUpdateWhileLocked()
            } else {
                slots[s] = storage.valueWhileLocked()
            }
        }
        let profiling = profile != nil
        var times: [Double] = profiling ? Array(repeating: 0, count: instructions.count) : []
        let callStart = profiling ? DispatchTime.now().uptimeNanoseconds : 0
        // One generation of kernels for the whole call; a loop's steps keep the one its first
        // step took (the steps are one call of the outer function).
        let generation: [KernelTable.Entry]
        if let scratch, let kept = scratch.kernels {
            generation = kept
        } else {
            generation = kernels.current()
            scratch?.kernels = generation
        }
        var runner = NodeRunner(instructions: instructions, kernels: generation, checksKernels: checksKernels,
                                context: context, profiling: profiling, maxInputs: maxInputCount,
                                arguments: scratch?.takeArguments() ?? [])
        defer { scratch?.arguments = runner.arguments }

        // Inner graphs read the shared values this call read.
        func runAll() throws {
            for index in 0..<inPlaceStart {
                try runner.run(index, &slots, &times)
            }
        }
        if locked && hasInnerGraphs {
            var snapshot: [ObjectIdentifier: NDArray] = [:]
            for (storage, _) in sharedAccess { snapshot[ObjectIdentifier(storage)] = storage.valueWhileLocked() }
            try SharedValue.$callSnapshot.withValue(SharedValue.CallSnapshot(values: snapshot)) { try runAll() }
        } else {
            try runAll()
        }

        // Everything that can fail, before the first write into a shared variable. A call
        // returns host arrays (update values may stay on a device, in their variables).
        let outputs = try outputSlots.map { s -> NDArray in
            guard let v = slots[s] else { throw TheanoError.graph("internal error: output slot \(s) was not computed") }
            return try v.onHost()
        }
        var validated: [Int] = []
        for index in inPlaceStart..<instructions.count {
            let inst = instructions[index]
            // A host kernel reads host copies of device values: made once here, for its
            // validation and its run (fresh memory, private to this call).
            var downloaded = Set<Int>()
            if !runner.kernels[index].onDevice {
                for s in Set(inst.inputSlots) where slots[s]?.isOnDevice == true {
                    slots[s] = try slots[s]?.onHost()
                    downloaded.insert(s)
                }
            }
            let inputs = try runner.inputs(of: inst, slots)
            if let kernel = runner.kernels[index].kernel as? any InPlaceKernel, !checksKernels {
                try kernel.validate(inst.node, inputs)
                validated.append(index)
            } else {
                // No validation: run on private copies of the variables it overwrites, so a
                // failure changes nothing. Kernels that take device arrays never overwrite them
                // (``Kernel/acceptsDeviceArrays``).
                for k in Set(inst.node.op.destroyMap.values.flatMap({ $0 })) where !downloaded.contains(inst.inputSlots[k]) {
                    if let v = slots[inst.inputSlots[k]], !v.isOnDevice { slots[inst.inputSlots[k]] = v.copy() }
                }
                try runner.run(index, &slots, &times)
            }
        }
        var newValues: [NDArray?] = []
        for (s, target) in zip(updateSlots, updateTargets) {
            guard let v = slots[s] else {
                newValues.append(nil)  // computed in place below
                continue
            }
            if let problem = target.storage.type.mismatch(with: v) {
                throw TheanoError.shapeMismatch("update of shared variable '\(target.name)': the new value does not fit: \(problem); no shared variable was changed")
            }
            newValues.append(v)
        }

        // From here on nothing fails: validated in-place kernels write, then updates are stored.
        for index in validated {
            try runner.run(index, &slots, &times)
        }
        var stored: [NDArray] = []
        for (k, (s, target)) in zip(updateSlots, updateTargets).enumerated() {
            guard let v = newValues[k] ?? slots[s] else {
                throw TheanoError.graph("internal error: update slot \(s) was not computed")
            }
            if locked { target.storage.setWhileLocked(v) } else { target.storage.setUnchecked(v) }
            stored.append(v)
        }
        // Results now belong to the caller and the shared variables; their storage is reused
        // only after they let go of it.
        if callerContext == nil {
            for v in outputs { buffers.lend(v) }
            for (v, s) in zip(stored, updateSlots) where !inPlaceUpdateSlots.contains(s) { buffers.lend(v) }
        }
        profile?.record(call: Double(DispatchTime.now().uptimeNanoseconds - callStart) / 1e9, nodes: times)
        return outputs
    }
}

/// Runs one instruction: gathers its inputs, runs its kernel (checked against the reference
/// in DebugMode), stores its outputs and releases the slots it read last.
private struct NodeRunner {
    let instructions: [Program.Instruction]
    /// The kernels of this call (one generation for the whole call).
    let kernels: [KernelTable.Entry]
    let checksKernels: Bool
    let context: KernelContext
    let profiling: Bool
    /// One argument buffer for every node (no allocation per node).
    var arguments: [NDArray] = []

    init(instructions: [Program.Instruction], kernels: [KernelTable.Entry], checksKernels: Bool, context: KernelContext,
         profiling: Bool, maxInputs: Int, arguments: [NDArray]) {
        self.instructions = instructions
        self.kernels = kernels
        self.checksKernels = checksKernels
        self.context = context
        self.profiling = profiling
        self.arguments = arguments
        self.arguments.removeAll(keepingCapacity: true)
        self.arguments.reserveCapacity(maxInputs)
    }

    func inputs(of inst: Program.Instruction, _ slots: [NDArray?]) throws -> [NDArray] {
        try inst.inputSlots.map { s in
            guard let v = slots[s] else {
                throw TheanoError.graph("internal error: \(inst.node.op) read slot \(s) before it was computed")
            }
            return v
        }
    }

    mutating func run(_ index: Int, _ slots: inout [NDArray?], _ times: inout [Double]) throws {
        let inst = instructions[index]
        let entry = kernels[index]
        let nodeStart = profiling ? DispatchTime.now().uptimeNanoseconds : 0
        for s in inst.inputSlots {
            guard let v = slots[s] else {
                throw TheanoError.graph("internal error: \(inst.node.op) read slot \(s) before it was computed")
            }
            arguments.append(v)
        }
        defer { arguments.removeAll(keepingCapacity: true) }  // drop the references so released slots can be recycled
        if !entry.onDevice { try arguments.bringToHost() }
        let results: [NDArray]
        if checksKernels {
            results = try DebugCheck.run(inst.node, arguments, comparesWithReference: entry.isFast) {
                try entry.kernel.run(inst.node, $0, context)
            }
        } else {
            results = try entry.kernel.run(inst.node, arguments, context)
        }
        guard results.count == inst.outputSlots.count else {
            throw TheanoError.graph("internal error: \(inst.node.op) returned \(results.count) outputs, expected \(inst.outputSlots.count)")
        }
        arguments.removeAll(keepingCapacity: true)
        for (s, r) in zip(inst.outputSlots, results) { slots[s] = r }
        for s in inst.release { context.buffers.release(&slots[s]) }
        if profiling { times[index] = Double(DispatchTime.now().uptimeNanoseconds - nodeStart) / 1e9 }
    }
}

/// The working arrays of a program's run, kept between the runs of a nested program that
/// runs many times in a row (a loop's body), so that each run allocates none. One per loop
/// call: not shared between threads.
final class ProgramScratch {
    var slots: [NDArray?] = []
    var arguments: [NDArray] = []
    /// The kernels the first run used (later runs of the same loop call use them too).
    var kernels: [KernelTable.Entry]?
    /// The lean path's slots (``Program/runStep(_:in:scratch:)``): memory owned here rather
    /// than an array, so a step neither copies nor checks exclusive access to it.
    let slotStorage: UnsafeMutableBufferPointer<NDArray?>

    init(slotCount: Int) {
        slots = Array(repeating: nil, count: slotCount)
        slotStorage = .allocate(capacity: slotCount)
        slotStorage.initialize(repeating: nil)
    }

    deinit {
        slotStorage.deinitialize()
        slotStorage.deallocate()
    }

    func takeArguments() -> [NDArray] {
        defer { arguments = [] }
        return arguments
    }
}
