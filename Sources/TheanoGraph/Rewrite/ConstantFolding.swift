import TheanoArray

/// Evaluates nodes whose inputs are all constants, once, at compile time, and replaces their
/// outputs by constants.
///
/// Outputs larger than `maxElements` are left to run time, so a huge `zeros` is not
/// materialised into the compiled function. Nodes that overwrite inputs are never folded.
public func constantFoldingPass(maxElements: Int = 1 << 16) -> RewritePass {
    RewritePass.custom("constant_folding") { graph, context in
        for node in graph.toposort() where graph.nodes.contains(node) {
            guard let folded = foldedOutputs(node, maxElements: maxElements) else { continue }
            for (old, constant) in zip(node.outputs, folded) where graph.contains(old) {
                guard let constant else { continue }
                try graph.replace(old, with: constant, reason: "constant_folding")
                context.trace?.record("constant_folding", before: old, after: constant)
            }
        }
    }
}

/// Constant folding as a rewrite (named `constant_folding`, like the pass), for equilibrium
/// passes: nodes that other rules create with constant inputs fold as soon as they appear.
public func constantFoldingRewrite(maxElements: Int = 1 << 16) -> Rewrite {
    Rewrite("constant_folding") { _, node in foldedOutputs(node, maxElements: maxElements) }
}

/// The outputs of `node` computed at compile time as constants (nil entries for outputs whose
/// value does not match their type), or nil when the node cannot be folded.
private func foldedOutputs(_ node: Apply, maxElements: Int) -> [Variable?]? {
    guard !node.inputs.isEmpty, node.inputs.allSatisfy({ $0.constantValue != nil }), node.op.destroyMap.isEmpty else { return nil }
    // A static shape that is not valid (its sizes multiply past any array's) is not folded
    // either: the node's own error surfaces when the function runs.
    for type in node.outputTypes {
        do {
            if let size = try checkedShapeSize(known: type.shape, context: "constant_folding"), size > maxElements { return nil }
        } catch {
            return nil
        }
    }
    let values = node.inputs.compactMap(\.constantValue)
    // A node that fails on its constant inputs (e.g. an index out of range) is left in
    // place: the error then surfaces, with its message, when the function runs.
    guard let results = try? node.op.perform(node, values),
          results.count == node.outputTypes.count,
          results.allSatisfy({ $0.count <= maxElements }) else { return nil }
    let outputs = node.outputs
    let folded: [Variable?] = zip(outputs, results).map { old, value in
        guard old.type.mismatch(with: value) == nil else { return nil }
        // Own the storage: a folded view must not keep a larger input alive.
        let owned = value.isContiguous && value.count == value.storage.byteCount / max(value.dtype.byteSize, 1) ? value : value.copy()
        return Variable(constant: owned, name: old.name)
    }
    return folded.contains(where: { $0 != nil }) ? folded : nil
}
