import TheanoArray

/// Evaluates nodes whose inputs are all constants, once, at compile time, and replaces their
/// outputs by constants.
///
/// Outputs larger than `maxElements` are left to run time, so a huge `zeros` is not
/// materialised into the compiled function. Nodes that overwrite inputs are never folded.
public func constantFoldingPass(maxElements: Int = 1 << 16) -> RewritePass {
    RewritePass.custom("constant_folding") { graph, context in
        for node in graph.toposort() where graph.nodes.contains(node) {
            guard node.op.destroyMap.isEmpty, !node.inputs.isEmpty,
                  node.inputs.allSatisfy({ $0.constantValue != nil }) else { continue }
            if node.outputTypes.contains(where: { t in t.staticShape.map { shapeSize($0) > maxElements } ?? false }) {
                continue
            }
            let values = node.inputs.compactMap(\.constantValue)
            // A node that fails on its constant inputs (e.g. an index out of range) is left in
            // place: the error then surfaces, with its message, when the function runs.
            guard let results = try? node.op.perform(node, values),
                  results.count == node.outputTypes.count,
                  results.allSatisfy({ $0.count <= maxElements }) else { continue }
            for (old, value) in zip(node.outputs, results) where graph.contains(old) {
                guard old.type.mismatch(with: value) == nil else { continue }
                // Own the storage: a folded view must not keep a larger input alive.
                let constant = Variable(constant: value.isContiguous && value.count == value.storage.byteCount / max(value.dtype.byteSize, 1) ? value : value.copy(), name: old.name)
                try graph.replace(old, with: constant, reason: "constant_folding")
                context.trace?.record("constant_folding", before: old, after: constant)
            }
        }
    }
}
