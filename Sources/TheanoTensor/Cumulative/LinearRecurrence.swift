import TheanoArray
import TheanoGraph

/// The first-order linear recurrence along `axis`: `y[i] = a[i] * y[i-1] + b[i]` from the
/// first position (`y[-1] = 0`, so `y[0] = b[0]`), or, when `reverse`, `y[i] = a[i] * y[i+1] +
/// b[i]` from the last (`y[n] = 0`). Inputs `a` and `b` share one floating-point dtype and
/// the shape of the output; the values are accumulated in float64.
///
/// It carries the gradient of ``CumOp`` `.prod` without dividing by the input (exact where
/// the input has zeros), and its own gradient is two recurrences of the same kind, so
/// derivatives of every order exist (see `LinearRecurrence+Gradient.swift`).
public struct LinearRecurrence: Op {
    /// The axis (non-negative).
    public let axis: Int
    /// Whether the recurrence runs from the last position to the first.
    public let reverse: Bool

    public init(axis: Int, reverse: Bool = false) {
        self.axis = axis
        self.reverse = reverse
    }

    public var description: String { "LinearRecurrence{axis=\(axis)\(reverse ? ", reverse" : "")}" }

    public func makeNode(_ inputs: [Variable]) throws -> Apply {
        guard inputs.count == 2 else { throw TheanoError.invalidArgument("\(self): expected 2 inputs (a, b), got \(inputs.count)") }
        let a = inputs[0], b = inputs[1]
        guard b.type.dtype.isFloatingPoint, a.type.dtype == b.type.dtype else {
            throw TheanoError.typeMismatch("\(self): a and b must share one floating-point dtype, got \(describeVariable(a)) and \(describeVariable(b))")
        }
        guard a.type.rank == b.type.rank, axis >= 0, axis < b.type.rank else {
            throw TheanoError.shapeMismatch("\(self): a and b must have equal ranks above axis \(axis), got \(describeVariable(a)) and \(describeVariable(b))")
        }
        for (i, (sa, sb)) in zip(a.type.shape, b.type.shape).enumerated() {
            if let sa, let sb, sa != sb {
                throw TheanoError.shapeMismatch("\(self): a and b must have equal shapes; axis \(i) has size \(sa) in \(describeVariable(a)) and \(sb) in \(describeVariable(b))")
            }
        }
        let shape = zip(a.type.shape, b.type.shape).map { $1 ?? $0 }
        return Apply(op: self, inputs: inputs, outputTypes: [TensorType(b.type.dtype, shape: shape)])
    }

    public func perform(_ node: Apply, _ inputs: [NDArray]) throws -> [NDArray] {
        let a = inputs[0], b = inputs[1]
        guard a.shape == b.shape else {
            throw TheanoError.shapeMismatch(
                "\(self): a \(describeVariable(node.inputs[0])) has shape \(formatShape(a.shape)) and b \(describeVariable(node.inputs[1])) \(formatShape(b.shape)) at run time; they must be equal")
        }
        let lanes = AxisLanes(shape: b.shape, axis: axis)
        let coefficients = try lanes.values(of: a, as: Double.self)
        var y = try lanes.values(of: b, as: Double.self)
        for lane in 0..<lanes.count {
            let start = lane * lanes.length, end = start + lanes.length
            if reverse {
                for i in stride(from: end - 2, through: start, by: -1) {
                    y[i] += coefficients[i] * y[i + 1]
                }
            } else {
                for i in start..<end where i > start {
                    y[i] += coefficients[i] * y[i - 1]
                }
            }
        }
        return [try lanes.array(y).astype(b.dtype)]
    }

    public func inferShape(_ node: Apply, _ inputShapes: [[Variable]]) throws -> [[Variable]] {
        [inputShapes[1]]
    }
}
