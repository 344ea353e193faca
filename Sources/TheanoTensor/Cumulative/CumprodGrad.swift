import TheanoArray
import TheanoGraph

/// The gradient of ``CumOp`` `.prod` along `axis`: inputs `x` and the output gradient `g`
/// (same shape), output the gradient with respect to `x`.
///
/// Along a lane, `d out[j] / d x[i] = prod(x[k] for k <= j, k != i)` for `j >= i`, so
/// `grad[i] = before[i] * after[i]` with `before[i] = x[0] * ... * x[i-1]` (1 for `i = 0`)
/// and `after[i] = g[i] + x[i+1] * after[i+1]` (a reversed running recurrence). Nothing is
/// divided, so zeros in `x` give exact gradients (PyTensor divides `cumsum(g * out)` by `x`,
/// which gives NaN or inf there).
///
/// Its own gradient is not implemented (second derivatives of `cumprod` throw
/// `notDifferentiable`).
public struct CumprodGrad: Op {
    /// The axis (non-negative).
    public let axis: Int

    public init(axis: Int) {
        self.axis = axis
    }

    public var description: String { "CumprodGrad{axis=\(axis)}" }

    public func makeNode(_ inputs: [Variable]) throws -> Apply {
        guard inputs.count == 2 else { throw TheanoError.invalidArgument("\(self): expected 2 inputs (x, gradient), got \(inputs.count)") }
        let x = inputs[0], g = inputs[1]
        guard x.type.dtype.isFloatingPoint, g.type.dtype == x.type.dtype else {
            throw TheanoError.typeMismatch("\(self): x and the gradient must share one floating-point dtype, got \(describeVariable(x)) and \(describeVariable(g))")
        }
        guard x.type.rank == g.type.rank, axis >= 0, axis < x.type.rank else {
            throw TheanoError.shapeMismatch("\(self): x and the gradient must have equal ranks above axis \(axis), got \(describeVariable(x)) and \(describeVariable(g))")
        }
        return Apply(op: self, inputs: inputs, outputTypes: [x.type])
    }

    public func perform(_ node: Apply, _ inputs: [NDArray]) throws -> [NDArray] {
        let x = inputs[0]
        let g = try inputs[1].broadcast(to: x.shape)
        let lanes = AxisLanes(shape: x.shape, axis: axis)
        let xs = try lanes.values(of: x, as: Double.self)
        let gs = try lanes.values(of: g, as: Double.self)
        var out = Array(repeating: 0.0, count: xs.count)
        for lane in 0..<lanes.count {
            let start = lane * lanes.length, end = start + lanes.length
            var after = 0.0
            for i in stride(from: end - 1, through: start, by: -1) {
                after = i == end - 1 ? gs[i] : gs[i] + xs[i + 1] * after
                out[i] = after
            }
            var before = 1.0
            for i in start..<end {
                out[i] *= before
                before *= xs[i]
            }
        }
        return [try lanes.array(out).astype(x.dtype)]
    }

    public func inferShape(_ node: Apply, _ inputShapes: [[Variable]]) throws -> [[Variable]] {
        [inputShapes[0]]
    }
}
