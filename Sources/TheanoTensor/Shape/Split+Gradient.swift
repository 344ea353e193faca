import TheanoArray
import TheanoGraph

extension Split {
    /// The output gradients joined back along the axis; an output without a gradient
    /// contributes zeros of its shape.
    public func pullback(_ node: Apply, _ outputGradients: [Variable?]) throws -> [Variable?] {
        guard outputGradients.contains(where: { $0 != nil }) else { return [nil] }
        let x = Tensor(node.inputs[0])
        let dtype = outputGradients.compactMap { $0?.type.dtype }.first ?? x.dtype
        let outputShapes = try inferShape(node, [try x.shapeList().map(\.variable)])
        let pieces = try outputGradients.enumerated().map { i, g -> Tensor in
            if let g { return Tensor(g) }
            return try zeros(outputShapes[i].map(Tensor.init), dtype)
        }
        return [try concatenate(pieces, axis: axis).variable]
    }
}
