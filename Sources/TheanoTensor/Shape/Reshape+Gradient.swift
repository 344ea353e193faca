import TheanoArray
import TheanoGraph

extension Reshape {
    /// The output gradient reshaped back to the input's (symbolic) shape; the target shape is
    /// an integer input and gets no gradient.
    public func pullback(_ node: Apply, _ outputGradients: [Variable?]) throws -> [Variable?] {
        guard let g = outputGradients[0] else { return [nil, nil] }
        let x = Tensor(node.inputs[0])
        return [try reshape(Tensor(g), x.shapeList()).variable, nil]
    }
}
