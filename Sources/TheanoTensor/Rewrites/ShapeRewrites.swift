import TheanoArray
import TheanoGraph

/// Rewrites that answer shape questions from the shape feature instead of computing values.
enum ShapeRewrites {
    /// `x.shape[i]` -> the inferred size (a constant when static, else an expression over the
    /// shapes of the graph's inputs).
    static let shapeIndexFromInference = Rewrite.single("shape_index_from_inference", tracks: [ShapeIndex.self]) { graph, node in
        guard let op = node.op as? ShapeIndex else { return nil }
        let x = node.inputs[0]
        let inferred = try graph.shapeFeature.shape(of: x)[op.axis]
        if let owner = inferred.owner, let same = owner.op as? ShapeIndex, same.axis == op.axis, owner.inputs[0] === x {
            return nil
        }
        return inferred
    }

    /// `Shape(x)` -> `MakeVector(sizes of x)`, so single entries can be read without `x`.
    static let shapeToMakeVector = Rewrite.single("shape_to_make_vector", tracks: [Shape.self]) { graph, node in
        let sizes = try graph.shapeFeature.shape(of: node.inputs[0])
        if let value = constantVector(sizes) { return Variable(constant: value) }
        return try MakeVector(.int64).makeNode(sizes).output
    }

    /// `ShapeEntry(i)(MakeVector(a0, a1, ...))` -> `ai`.
    static let shapeEntryOfMakeVector = Rewrite.single("shape_entry_of_make_vector", tracks: [ShapeEntry.self]) { _, node in
        guard let op = node.op as? ShapeEntry, let vector = node.inputs[0].owner, vector.op is MakeVector,
              op.index < vector.inputs.count, vector.inputs[op.index].type == node.outputTypes[0] else { return nil }
        return vector.inputs[op.index]
    }

    /// `StopGradient(x)` -> `x` (it only matters while differentiating).
    static let removeStopGradient = Rewrite.single("remove_stop_gradient", tracks: [StopGradient.self]) { _, node in
        node.inputs[0]
    }

    static let all = RewriteSet([shapeIndexFromInference, shapeToMakeVector, shapeEntryOfMakeVector, removeStopGradient])

    private static func constantVector(_ sizes: [Variable]) -> NDArray? {
        var values: [Int64] = []
        for s in sizes {
            guard let v = s.constantValue, v.count == 1, let n = try? v.item(Int64.self) else { return nil }
            values.append(n)
        }
        return NDArray(values)
    }
}
