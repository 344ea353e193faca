import TheanoArray
import TheanoGraph

extension CumOp {
    /// Sum: each input element reaches every later output, so its gradient is the reversed
    /// running sum of the output gradient. Product: `∂x[i] = prod(x[<i]) * s[i]` with
    /// `s[i] = g[i] + x[i+1] s[i+1]` (a reversed ``LinearRecurrence``), since
    /// `∂out[j]/∂x[i] = prod(x[k] for k <= j, k != i)`. Nothing is divided, so zeros in `x`
    /// give exact gradients (PyTensor divides by `x`, giving NaN or inf there), and every
    /// piece is differentiable again (Hessians of `cumprod` work).
    public func pullback(_ node: Apply, _ outputGradients: [Variable?]) throws -> [Variable?] {
        guard let g = outputGradients[0] else { return [nil] }
        let x = node.inputs[0]
        guard x.type.dtype.isFloatingPoint else { return [nil] }
        switch kind {
        case .sum:
            let reversed = try flip(Tensor(g), axis: axis)
            let sums = try CumOp(.sum, axis: axis).apply([reversed])
            return [try flip(sums, axis: axis).variable]
        case .prod:
            let next = try shiftAlong(Tensor(x), axis: axis, by: -1, fill: 0)
            let after = try LinearRecurrence(axis: axis, reverse: true).apply([next, Tensor(g)])
            let before = try shiftAlong(Tensor(node.outputs[0]), axis: axis, by: 1, fill: 1)
            return [try mul(before, after).variable]
        }
    }
}
