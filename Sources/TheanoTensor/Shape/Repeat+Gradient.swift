import TheanoArray
import TheanoGraph

extension Repeat {
    /// The output gradient summed over the copies of each element: reshaped so the copies
    /// get their own axis after `axis` (after every axis, for the flattened form) and summed
    /// over it.
    public func pullback(_ node: Apply, _ outputGradients: [Variable?]) throws -> [Variable?] {
        guard let g = outputGradients[0] else { return [nil] }
        let sizes = try Tensor(node.inputs[0]).shapeList()
        let copies = Tensor(shapeConstant(repeats))
        if let axis {
            let split = Array(sizes[...axis]) + [copies] + Array(sizes[(axis + 1)...])
            return [try sum(reshape(Tensor(g), split), axis: axis + 1).variable]
        }
        return [try sum(reshape(Tensor(g), sizes + [copies]), axis: sizes.count).variable]
    }
}
