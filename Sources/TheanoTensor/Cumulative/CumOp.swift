import TheanoArray
import TheanoGraph

/// The running sum or product of its input along `axis` (NumPy's `cumsum` / `cumprod`):
/// `out[..., i, ...] = x[..., 0, ...] + ... + x[..., i, ...]`. Same shape as the input. Dtypes
/// as for ``Reduce``: floats keep theirs (and accumulate in it, as NumPy does), bool and
/// integers give int64 (wrapping on overflow).
public struct CumOp: Op {
    /// Sum or product.
    public enum Kind: String, Hashable, Sendable {
        case sum, prod
    }

    public let kind: Kind
    /// The axis (non-negative).
    public let axis: Int

    public init(_ kind: Kind, axis: Int) {
        self.kind = kind
        self.axis = axis
    }

    public var description: String { "Cum\(kind == .sum ? "Sum" : "Prod"){axis=\(axis)}" }

    /// The output dtype for an input of dtype `input`.
    public static func outputDType(for input: DType) -> DType {
        input.isFloatingPoint ? input : .int64
    }

    public func makeNode(_ inputs: [Variable]) throws -> Apply {
        guard inputs.count == 1 else { throw TheanoError.invalidArgument("\(self): expected 1 input, got \(inputs.count)") }
        let x = inputs[0]
        guard axis >= 0, axis < x.type.rank else {
            throw TheanoError.outOfRange("\(self): axis \(axis) is out of range for \(describeVariable(x)) of rank \(x.type.rank)")
        }
        return Apply(op: self, inputs: inputs, outputTypes: [TensorType(Self.outputDType(for: x.type.dtype), shape: x.type.shape)])
    }

    public func perform(_ node: Apply, _ inputs: [NDArray]) throws -> [NDArray] {
        let x = inputs[0].astype(node.outputTypes[0].dtype)
        let lanes = AxisLanes(shape: x.shape, axis: axis)
        switch x.dtype {
        case .float32:
            return [try scan(x, lanes, Float.self, kind == .sum ? (+) : (*))]
        case .float64:
            return [try scan(x, lanes, Double.self, kind == .sum ? (+) : (*))]
        default:
            return [try scan(x, lanes, Int64.self, kind == .sum ? (&+) : (&*))]
        }
    }

    /// Each lane replaced by its running combination.
    private func scan<T: NDArrayElement>(_ x: NDArray, _ lanes: AxisLanes, _: T.Type, _ combine: (T, T) -> T) throws -> NDArray {
        var values = try lanes.values(of: x, as: T.self)
        for lane in 0..<lanes.count {
            let start = lane * lanes.length
            for i in start..<(start + lanes.length) where i > start {
                values[i] = combine(values[i - 1], values[i])
            }
        }
        return try lanes.array(values)
    }

    public func inferShape(_ node: Apply, _ inputShapes: [[Variable]]) throws -> [[Variable]] {
        [inputShapes[0]]
    }
}
