import TheanoArray
import TheanoGraph

extension CumOp {
    /// Sum: each input element reaches every later output, so its gradient is the reversed
    /// running sum of the output gradient. Product: ``CumprodGrad``, which divides by nothing
    /// and is exact where the input has zeros.
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
            return [try CumprodGrad(axis: axis).apply([Tensor(x), Tensor(g)]).variable]
        }
    }
}
