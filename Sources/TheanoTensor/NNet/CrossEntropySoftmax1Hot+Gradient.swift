import TheanoArray
import TheanoGraph

/// The gradient of the fused softmax cross-entropy: ``CrossEntropySoftmax1HotGrad`` for the
/// loss output, plus the softmax's own gradient (`d - z * sum(d)`, `d = g * z`) when the
/// softmax output is read too. Labels are integers: no gradient.
extension CrossEntropySoftmax1Hot {
    public func pullback(_ node: Apply, _ outputGradients: [Variable?]) throws -> [Variable?] {
        let softmax = Tensor(node.outputs[1])
        var gx: Tensor?
        if let g = outputGradients[0] {
            gx = Tensor(try CrossEntropySoftmax1HotGrad().makeNode([g, softmax.variable, node.inputs[1]]).output)
        }
        if let g = outputGradients[1] {
            let d = try Tensor(g) * softmax
            let fromSoftmax = try d - softmax * sum(d, axis: 1, keepdims: true)
            gx = try gx.map { try $0 + fromSoftmax } ?? fromSoftmax
        }
        return [gx?.variable, nil]
    }
}

/// Second derivatives: the output `(softmax - oneHot(y)) * g[:, None]` is linear in `g` and
/// in `softmax`, so the gradient with respect to `g` is `sum(h * (softmax - oneHot(y)), 1)`
/// and with respect to the softmax `h * g[:, None]` (which the forward op carries on to the
/// logits). The one-hot rows are built with elementwise ops (labels wrap like the op's).
extension CrossEntropySoftmax1HotGrad {
    public func pullback(_ node: Apply, _ outputGradients: [Variable?]) throws -> [Variable?] {
        guard let hv = outputGradients[0] else { return [nil, nil, nil] }
        let h = Tensor(hv), g = Tensor(node.inputs[0]), softmax = Tensor(node.inputs[1]), y = Tensor(node.inputs[2])
        let k = try softmax.shape(1)
        let wrapped = try `where`(y .< 0, y + cast(k, y.dtype), y)
        let columns = try arange(k).expandDims(axis: 0)
        let oneHot = try cast(columns .== wrapped.expandDims(axis: 1), softmax.dtype)
        let gg = try sum(h * (softmax - oneHot), axis: 1)
        let gs = try h * g.expandDims(axis: 1)
        return [gg.variable, gs.variable, nil]
    }
}
