import TheanoArray
import TheanoGraph

// The three convolution ops are each other's gradients, so every gradient can be
// differentiated again (double backprop). With `conv(x, w) = y` bilinear:
// - d conv / d x is `ConvGradInputs(gy, w)`, d conv / d w is `ConvGradWeights(x, gy)`;
// - `ConvGradInputs(gy, w)` is linear in `gy` (adjoint: `Conv(G, w)`) and in `w`
//   (adjoint: `ConvGradWeights(G, gy)`);
// - `ConvGradWeights(x, gy)` is linear in `x` (adjoint: `ConvGradInputs(gy, G)`) and in `gy`
//   (adjoint: `Conv(x, G)`).
// The size inputs are disconnected (nil).

/// The spatial sizes of `v` (axes 2...) as int64 scalars, constants where static.
private func spatialSizes(_ v: Variable) throws -> [Tensor] {
    try (2..<v.type.rank).map { try Tensor(v).shape($0) }
}

extension Conv {
    public func pullback(_ node: Apply, _ outputGradients: [Variable?]) throws -> [Variable?] {
        guard let gy = outputGradients[0] else { return [nil, nil] }
        let (x, w) = (node.inputs[0], node.inputs[1])
        let gx = try ConvGradInputs(parameters).apply([Tensor(gy), Tensor(w)] + spatialSizes(x))
        let gw = try ConvGradWeights(parameters).apply([Tensor(x), Tensor(gy)] + spatialSizes(w))
        return [gx.variable, gw.variable]
    }
}

extension ConvGradInputs {
    public func pullback(_ node: Apply, _ outputGradients: [Variable?]) throws -> [Variable?] {
        let sizes = [Variable?](repeating: nil, count: node.inputs.count - 2)
        guard let g = outputGradients[0] else { return [nil, nil] + sizes }
        let (gy, w) = (node.inputs[0], node.inputs[1])
        let dgy = try Conv(parameters).apply([Tensor(g), Tensor(w)])
        let dw = try ConvGradWeights(parameters).apply([Tensor(g), Tensor(gy)] + spatialSizes(w))
        return [dgy.variable, dw.variable] + sizes
    }
}

extension ConvGradWeights {
    public func pullback(_ node: Apply, _ outputGradients: [Variable?]) throws -> [Variable?] {
        let sizes = [Variable?](repeating: nil, count: node.inputs.count - 2)
        guard let g = outputGradients[0] else { return [nil, nil] + sizes }
        let (x, gy) = (node.inputs[0], node.inputs[1])
        let dx = try ConvGradInputs(parameters).apply([Tensor(gy), Tensor(g)] + spatialSizes(x))
        let dgy = try Conv(parameters).apply([Tensor(x), Tensor(g)])
        return [dx.variable, dgy.variable] + sizes
    }
}
