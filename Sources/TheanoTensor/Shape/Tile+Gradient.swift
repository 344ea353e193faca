import TheanoArray
import TheanoGraph

extension Tile {
    /// The output gradient summed over the copies: along each axis the output holds
    /// `reps[i]` consecutive blocks of the input's size, so the gradient is reshaped to
    /// `[reps[0], n0, reps[1], n1, ...]` and summed over the repetition axes.
    public func pullback(_ node: Apply, _ outputGradients: [Variable?]) throws -> [Variable?] {
        guard let g = outputGradients[0] else { return [nil] }
        let sizes = try Tensor(node.inputs[0]).shapeList()
        guard !reps.isEmpty else { return [g] }
        var split: [Tensor] = []
        for (r, n) in zip(reps, sizes) { split += [Tensor(shapeConstant(r)), n] }
        let blocks = try reshape(Tensor(g), split)
        return [try sum(blocks, axes: reps.indices.map { 2 * $0 }).variable]
    }
}
