import TheanoArray
import TheanoGraph

extension Subtensor {
    /// Zeros of `x`'s shape with the output gradient written into the selected region; the
    /// index inputs get no gradient.
    public func pullback(_ node: Apply, _ outputGradients: [Variable?]) throws -> [Variable?] {
        try scatteredGradient(entries, node, outputGradients)
    }
}

extension AdvancedSubtensor {
    /// Zeros of `x`'s shape with the output gradient added into the selected elements; a
    /// position selected several times receives the sum of its gradients. The index arrays
    /// and masks get no gradient.
    public func pullback(_ node: Apply, _ outputGradients: [Variable?]) throws -> [Variable?] {
        try scatteredGradient(entries, node, outputGradients)
    }
}

extension TakeFlat {
    /// The output gradient added into zeros of `x`'s size at `indices` (repeated indices
    /// accumulate), reshaped to `x`'s shape; the indices get no gradient.
    public func pullback(_ node: Apply, _ outputGradients: [Variable?]) throws -> [Variable?] {
        guard let gv = outputGradients[0] else { return [nil, nil] }
        let x = Tensor(node.inputs[0])
        let flat = try zeros([x.size], gv.type.dtype)
        let scattered = try IncSubtensor([.array], mode: .increment).makeNode([flat.variable, gv, node.inputs[1]]).output
        return [try reshape(Tensor(scattered), x.shapeList()).variable, nil]
    }
}

/// The gradient of a gather (`x[index]` with inputs `x`, then the index inputs): the output
/// gradient added into zeros shaped like `x` at the same index.
private func scatteredGradient(_ entries: [IndexEntry], _ node: Apply, _ outputGradients: [Variable?]) throws -> [Variable?] {
    let indexInputs = Array(node.inputs.dropFirst())
    let none = [Variable?](repeating: nil, count: indexInputs.count)
    guard let g = outputGradients[0] else { return [nil] + none }
    let zeros = try zerosLike(Tensor(node.inputs[0]), g.type.dtype)
    let gx = try IncSubtensor(entries, mode: .increment).makeNode([zeros.variable, g] + indexInputs).output
    return [gx] + none
}
