import TheanoArray
import TheanoGraph

extension LinearRecurrence {
    /// For `y[i] = a[i] y[i-1] + b[i]`, the gradient `λ` with respect to `y` (through every
    /// later position) runs the other way: `λ[i] = gy[i] + a[i+1] λ[i+1]`, a recurrence of the
    /// same kind with `a` shifted by one position. Then `∂b = λ` and `∂a[i] = λ[i] y[i-1]`.
    /// The reverse recurrence mirrors this.
    public func pullback(_ node: Apply, _ outputGradients: [Variable?]) throws -> [Variable?] {
        guard let g = outputGradients[0] else { return [nil, nil] }
        let a = Tensor(node.inputs[0]), y = Tensor(node.outputs[0])
        // The neighbour each position's coefficient multiplies, in the adjoint direction.
        let shiftedA = reverse ? try shiftAlong(a, axis: axis, by: 1, fill: 0) : try shiftAlong(a, axis: axis, by: -1, fill: 0)
        let adjoint = try LinearRecurrence(axis: axis, reverse: !reverse).apply([shiftedA, Tensor(g)])
        let previous = reverse ? try shiftAlong(y, axis: axis, by: -1, fill: 0) : try shiftAlong(y, axis: axis, by: 1, fill: 0)
        return [try mul(adjoint, previous).variable, adjoint.variable]
    }
}

/// `x` shifted along `axis` by one position, the vacated end filled with `fill`: `by: 1` moves
/// elements to higher positions (`out[i] = x[i-1]`, `out[0] = fill`), `by: -1` to lower ones
/// (`out[i] = x[i+1]`, `out[n-1] = fill`). Built from ``pad(_:_:mode:constant:)`` and a slice, so
/// it is differentiable.
func shiftAlong(_ x: Tensor, axis: Int, by step: Int, fill: Double) throws -> Tensor {
    var widths: [(before: Int, after: Int)] = Array(repeating: (0, 0), count: x.rank)
    widths[axis] = step > 0 ? (1, 0) : (0, 1)
    let padded = try pad(x, widths, constant: fill)
    var index: [any TensorIndexConvertible] = Array(repeating: TensorIndex.all, count: x.rank)
    index[axis] = step > 0 ? TensorIndex.slice(nil, -1) : TensorIndex.slice(1, nil)
    return try padded.indexed(index)
}
