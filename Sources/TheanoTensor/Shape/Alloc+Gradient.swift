import TheanoArray
import TheanoGraph

extension Alloc {
    /// The output gradient summed over the axes the value was broadcast along (the added
    /// leading axes and its axes of static size 1); the sizes get no gradient.
    public func pullback(_ node: Apply, _ outputGradients: [Variable?]) throws -> [Variable?] {
        try broadcastPullback(node, outputGradients)
    }
}

extension BroadcastTo {
    /// As for ``Alloc``: the output gradient summed back to the value's shape.
    public func pullback(_ node: Apply, _ outputGradients: [Variable?]) throws -> [Variable?] {
        try broadcastPullback(node, outputGradients)
    }
}

/// The gradient of ``Alloc`` and ``BroadcastTo``: the value's gradient, nil for every size.
private func broadcastPullback(_ node: Apply, _ outputGradients: [Variable?]) throws -> [Variable?] {
    let sizes = [Variable?](repeating: nil, count: node.inputs.count - 1)
    guard let g = outputGradients[0] else { return [nil] + sizes }
    return [try sumToValueShape(Tensor(g), of: node.inputs[0]).variable] + sizes
}

/// `grad`, the gradient of a result that `value` was broadcast into (NumPy's rules: leading
/// axes added, axes of static size 1 repeated), summed back to `value`'s shape: over the
/// leading axes, and with kept dimensions over the axes where `value` has static size 1 but
/// `grad` may not.
func sumToValueShape(_ grad: Tensor, of value: Variable) throws -> Tensor {
    var result = grad
    let lead = grad.rank - value.type.rank
    if lead > 0 { result = try sum(result, axes: Array(0..<lead)) }
    let axes = value.type.shape.indices.filter { value.type.shape[$0] == 1 && result.staticShape[$0] != 1 }
    if !axes.isEmpty { result = try sum(result, axes: axes, keepdims: true) }
    return result
}
