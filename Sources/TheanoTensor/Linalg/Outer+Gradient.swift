import TheanoArray
import TheanoGraph

/// The gradient of the outer product `z[i, j] = a.flat[i] * b.flat[j]`: `g @ b.flat` for `a`
/// and `a.flat @ g` for `b`, reshaped back to each operand's shape.
extension Outer {
    public func pullback(_ node: Apply, _ outputGradients: [Variable?]) throws -> [Variable?] {
        guard let gv = outputGradients[0] else { return [nil, nil] }
        let g = Tensor(gv)
        let a = Tensor(node.inputs[0]), b = Tensor(node.inputs[1])
        let ga = try matmul(g, flatten(b))
        let gb = try matmul(flatten(a), g)
        return [try restoreShape(ga, of: a).variable, try restoreShape(gb, of: b).variable]
    }

    /// The flat gradient `t` reshaped to `operand`'s shape (static sizes stay static).
    private func restoreShape(_ t: Tensor, of operand: Tensor) throws -> Tensor {
        if operand.rank == 1 { return t }
        if let shape = operand.type.staticShape { return try reshape(t, shape) }
        return try reshape(t, operand.shapeList())
    }
}
