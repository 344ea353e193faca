import TheanoArray
import TheanoGraph

extension Join {
    /// Each input gets its slice of the output gradient along the joining axis. The slice
    /// bounds are the running sums of the inputs' sizes along that axis: constants where the
    /// sizes are static, symbolic (``Subtensor`` bounds) otherwise.
    public func pullback(_ node: Apply, _ outputGradients: [Variable?]) throws -> [Variable?] {
        guard let gv = outputGradients[0] else { return node.inputs.map { _ in nil } }
        let g = Tensor(gv)
        if node.inputs.count == 1 { return [gv] }
        let leading = [any TensorIndexConvertible](repeating: TensorIndex.all, count: axis)
        var start: Tensor = Tensor(shapeConstant(0))
        return try node.inputs.map { input in
            let stop = Tensor(try ShapeMath.add(start.variable, try Tensor(input).shape(axis).variable))
            defer { start = stop }
            return try g.indexed(leading + [TensorIndex.symbolicSlice(start, stop)]).variable
        }
    }
}
