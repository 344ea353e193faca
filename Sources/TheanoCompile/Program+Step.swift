import TheanoArray
import TheanoGraph

// The lean path for a nested program run many times in a row (a loop's body): when the body
// reads no shared variable, updates none, overwrites nothing in place, is not profiled and
// runs without DebugMode's checks, a step is only its nodes, in order, over slots that live
// in the loop's scratch memory. The general `execute` handles everything else.

extension Program {
    /// Whether ``runStep(_:in:scratch:)`` can skip the general call's bookkeeping.
    var runsLean: Bool {
        sharedReads.isEmpty && updateSlots.isEmpty && inPlaceStart == instructions.count && profile == nil && !checksKernels
    }

    /// One run of a nested program inside its caller's call, reusing `scratch` (see
    /// ``run(_:in:scratch:)``, which it equals in results and errors).
    func runStep(_ arguments: [NDArray], in context: KernelContext, scratch: ProgramScratch) throws -> [NDArray] {
        guard runsLean, scratch.slotStorage.count == slotCount else { return try run(arguments, in: context, scratch: scratch) }
        let slots = scratch.slotStorage
        // Every slot is empty again when the step ends, whichever way it ends.
        defer { for i in slots.indices { slots[i] = nil } }
        for (s, value) in zip(inputSlots, arguments) { slots[s] = value }
        for (s, value) in constants { slots[s] = value }
        let generation: [KernelTable.Entry]
        if let kept = scratch.kernels {
            generation = kept
        } else {
            generation = kernels.current()
            scratch.kernels = generation
        }
        var operands = scratch.takeArguments()
        defer {
            operands.removeAll(keepingCapacity: true)
            scratch.arguments = operands
        }
        for index in instructions.indices {
            let inst = instructions[index]
            operands.removeAll(keepingCapacity: true)
            for s in inst.inputSlots {
                guard let v = slots[s] else {
                    throw TheanoError.graph("internal error: \(inst.node.op) read slot \(s) before it was computed")
                }
                operands.append(v)
            }
            if !generation[index].onDevice { try operands.bringToHost() }
            let results = try generation[index].kernel.run(inst.node, operands, context)
            operands.removeAll(keepingCapacity: true)  // so released slots can be recycled
            guard results.count == inst.outputSlots.count else {
                throw TheanoError.graph("internal error: \(inst.node.op) returned \(results.count) outputs, expected \(inst.outputSlots.count)")
            }
            for (s, r) in zip(inst.outputSlots, results) { slots[s] = r }
            for s in inst.release { context.buffers.release(&slots[s]) }
        }
        var outputs: [NDArray] = []
        outputs.reserveCapacity(outputSlots.count)
        for s in outputSlots {
            guard let v = slots[s] else { throw TheanoError.graph("internal error: output slot \(s) was not computed") }
            outputs.append(try v.onHost())
        }
        return outputs
    }
}
