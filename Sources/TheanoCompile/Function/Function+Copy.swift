import TheanoArray
import TheanoGraph
import TheanoTensor

extension Function {
    /// A copy of this function that reads and updates other shared variables in place of some,
    /// and optionally has no updates (Theano's `Function.copy(swap=..., delete_updates=...)`).
    ///
    /// ```swift
    /// let step = try function([x], [loss], updates: [w: w - 0.1 * gw])
    /// let w2 = Shared(w.value, name: "w2")
    /// let step2 = try step.copy(swap: [w: w2])          // trains w2; w is left alone
    /// let evaluate = try step.copy(deleteUpdates: true)  // the loss only, no update
    /// ```
    ///
    /// Each replacement must have exactly the type of the variable it replaces (dtype and
    /// static shape). When only shared variables change, the copy reuses this function's
    /// optimised graph and kernels without compiling anything: the shared variables are
    /// storage slots that the program binds at each call. Deleting updates, or swapping a
    /// variable read inside an inner graph (a non-inlined ``OpFromGraph``, a ``jacobian``),
    /// compiles again from the graph this function was built from.
    ///
    /// - Throws: when a key is not a shared variable this function reads or updates, a
    ///   replacement's type differs, or after the swap one variable would be updated twice.
    public func copy(swap: [Shared: Shared] = [:], deleteUpdates: Bool = false) throws -> Function {
        let used = Set(program.sharedAccess.map { ObjectIdentifier($0.0) })
        for (old, new) in swap {
            guard used.contains(ObjectIdentifier(old.storage)) else {
                throw TheanoError.invalidArgument(
                    "copy(swap:): \(describeShared(old)) is not a shared variable this function reads or updates")
            }
            guard old.type == new.type else {
                throw TheanoError.typeMismatch(
                    "copy(swap:): \(describeShared(new)) has type \(new.type) but replaces \(describeShared(old)) of type \(old.type); a replacement must have the same type")
            }
        }
        let byStorage = Dictionary(swap.map { (ObjectIdentifier($0.key.storage), $0.value) }, uniquingKeysWith: { a, _ in a })
        func swapped(_ storage: SharedValue) -> SharedValue { byStorage[ObjectIdentifier(storage)]?.storage ?? storage }
        if !deleteUpdates {
            var targets = Set<ObjectIdentifier>()
            for target in program.updateTargets where !targets.insert(ObjectIdentifier(swapped(target.storage))).inserted {
                throw TheanoError.invalidArgument(
                    "copy(swap:): after the swap, the shared variable '\(target.name)' would be updated twice by one call")
            }
        }

        // What the copy is built from: the same definition with the replacements, composed
        // with earlier copies' replacements.
        var definition = self.definition
        let effective = swap.filter { $0.key.storage !== $0.value.storage }
        definition.updates = deleteUpdates ? [] : definition.updates.map { target, value in
            (effective[target] ?? target, value)
        }
        var composed = definition.sharedSwap.mapValues { effective[$0] ?? $0 }
        for (old, new) in effective where composed[old] == nil { composed[old] = new }
        definition.sharedSwap = composed

        let innerShared = Set(innerGraphSharedValues(program.instructions.map(\.node)).map { ObjectIdentifier($0) })
        if deleteUpdates || effective.keys.contains(where: { innerShared.contains(ObjectIdentifier($0.storage)) }) {
            return try Function(definition)
        }
        let storageSwap = Dictionary(effective.map { (ObjectIdentifier($0.key.storage), $0.value) }, uniquingKeysWith: { a, _ in a })
        return Function(variantOf: self, program: program.swappingShared(storageSwap), definition: definition)
    }

    private func describeShared(_ s: Shared) -> String {
        s.name.map { "'\($0)'" } ?? "an unnamed shared variable of type \(s.type)"
    }
}

extension Program {
    /// This program reading and updating other shared variables: the same instructions and
    /// kernels, with the shared slots bound to the replacements' storage, fresh buffers and
    /// profile, and a graph (for printing) whose shared variables are the replacements.
    func swappingShared(_ swap: [ObjectIdentifier: Shared]) -> Program {
        var copy = self
        func storage(_ s: SharedValue) -> SharedValue { swap[ObjectIdentifier(s)]?.storage ?? s }
        copy.sharedReads = sharedReads.map { ($0.slot, storage($0.storage), $0.overwritten) }
        copy.updateTargets = updateTargets.map { target in
            (storage(target.storage), swap[ObjectIdentifier(target.storage)]?.name ?? target.name)
        }
        copy.sharedAccess = sharedAccess.map { (storage($0.0), $0.1) }
        copy.context = KernelContext(buffers: BufferRecycler(), pool: context.pool)
        copy.profile = profile.map { Profile(nodes: $0.nodes) }
        if !swap.isEmpty { copy.renameShared(swap) }
        return copy
    }

    /// Rebuilds the graph and the instructions' nodes with the shared variables in `swap`
    /// replaced (the kernels read only ops and types, which are unchanged).
    private mutating func renameShared(_ swap: [ObjectIdentifier: Shared]) {
        var mapped: [Variable: Variable] = [:]
        func map(_ v: Variable) -> Variable {
            if let m = mapped[v] { return m }
            if let s = v.sharedValue, let new = swap[ObjectIdentifier(s)] { return new.variable }
            return v
        }
        instructions = instructions.map { inst in
            let node = Apply(op: inst.node.op, inputs: inst.node.inputs.map(map), outputTypes: inst.node.outputTypes)
            for (old, new) in zip(inst.node.outputs, node.outputs) {
                new.name = old.name
                mapped[old] = new
            }
            return Instruction(node: node, inputSlots: inst.inputSlots, outputSlots: inst.outputSlots, release: inst.release)
        }
        if let renamed = try? FunctionGraph(inputs: graph.inputs, outputs: graph.outputs.map(map), clone: false) {
            for (k, target) in graph.updateTargets { renamed.updateTargets[k] = map(target) }
            graph = renamed
        }
    }
}

/// Replaces shared variables inside the inner graphs of `graph`'s nodes (at any depth), which
/// `givens`-style replacement of the outer graph does not reach: each such node gets an op
/// whose inner graphs read the replacements.
func replaceSharedInInnerGraphs(_ graph: FunctionGraph, _ swap: [Variable: Variable]) throws {
    guard !swap.isEmpty else { return }
    let storages = Set(swap.keys.compactMap { $0.sharedValue.map(ObjectIdentifier.init) })
    for node in graph.toposort() {
        guard let op = node.op as? any InnerGraphOp,
              innerGraphSharedValues([node]).contains(where: { storages.contains(ObjectIdentifier($0)) }) else { continue }
        let replacement = try swappingShared(op, swap).makeNode(node.inputs)
        for (old, new) in zip(node.outputs, replacement.outputs) where graph.contains(old) {
            try graph.replace(old, with: new, reason: "copy_swap")
        }
    }
}

private func swappingShared<O: InnerGraphOp>(_ op: O, _ swap: [Variable: Variable]) throws -> O {
    try op.replacingInnerGraphs(op.innerGraphs.map { inner in
        let cloned = try cloneGraph(inputs: inner.inputs, outputs: inner.outputs, replacements: swap)
        let body = try FunctionGraph(inputs: cloned.inputs, outputs: cloned.outputs, clone: false)
        try replaceSharedInInnerGraphs(body, swap)
        return InnerGraph(name: inner.name, inputs: body.inputs, outputs: body.outputs)
    })
}
