import TheanoArray
import TheanoGraph

extension Bincount {
    /// The values are integers (no gradient); the weights get the output gradient at each
    /// element's value.
    public func pullback(_ node: Apply, _ outputGradients: [Variable?]) throws -> [Variable?] {
        guard node.inputs.count == 2, let g = outputGradients[0] else { return Array(repeating: nil, count: node.inputs.count) }
        return [nil, try take(Tensor(g), Tensor(node.inputs[0]), axis: 0).variable]
    }
}
