import TheanoArray
import TheanoGraph

/// The values `start, start + step, ...` below `stop` (above, for a negative step) as a vector
/// of `dtype` (NumPy's `arange`). The inputs are three numeric scalars: start, stop, step.
///
/// The length is `max(0, ceil((stop - start) / step))`, computed in float64 as NumPy does; it
/// is static when all three inputs are constants.
public struct ARange: Op {
    public let dtype: DType

    public init(_ dtype: DType) { self.dtype = dtype }

    public var description: String { "ARange{\(dtype)}" }

    public func makeNode(_ inputs: [Variable]) throws -> Apply {
        guard inputs.count == 3 else {
            throw TheanoError.invalidArgument("\(self): expected 3 inputs (start, stop, step), got \(inputs.count)")
        }
        for (name, v) in zip(["start", "stop", "step"], inputs) where v.type.rank != 0 || v.type.dtype == .bool {
            throw TheanoError.typeMismatch("\(self): \(name) must be a numeric scalar, got \(describeVariable(v))")
        }
        var length: Int? = nil
        let constants = inputs.compactMap { $0.constantValue.flatMap { try? $0.item(Double.self) } }
        if constants.count == 3 {
            length = try ARange.length(start: constants[0], stop: constants[1], step: constants[2], opName: description)
        }
        return Apply(op: self, inputs: inputs, outputTypes: [TensorType(dtype, shape: [length])])
    }

    public func perform(_ node: Apply, _ inputs: [NDArray]) throws -> [NDArray] {
        let (start, stop, step) = (try inputs[0].item(Double.self), try inputs[1].item(Double.self), try inputs[2].item(Double.self))
        let n = try ARange.length(start: start, stop: stop, step: step, opName: description)
        let out = try NDArray(allocating: [n], dtype: dtype, zeroed: false, context: description)
        func fill<T: NDArrayElement>(_: T.Type) {
            let p = out.storagePointer(as: T.self)
            for i in 0..<n { p[i] = T.element(fromDouble: start + Double(i) * step) }
        }
        fill(dtype.elementType)
        return [out]
    }

    /// `max(0, ceil((stop - start) / step))` as a float64 expression of the inputs.
    public func inferShape(_ node: Apply, _ inputShapes: [[Variable]]) throws -> [[Variable]] {
        if let n = node.outputTypes[0].shape[0] { return [[shapeConstant(n)]] }
        let (start, stop, step) = try (
            cast(Tensor(node.inputs[0]), .float64), cast(Tensor(node.inputs[1]), .float64), cast(Tensor(node.inputs[2]), .float64))
        let length = try maximum(ceil((stop - start) / step), 0)
        return [[try cast(length, .int64).variable]]
    }

    /// The number of values, or a thrown error for a zero or non-finite step or bounds.
    static func length(start: Double, stop: Double, step: Double, opName: String) throws -> Int {
        guard step != 0, step.isFinite, start.isFinite, stop.isFinite else {
            throw TheanoError.invalidArgument(
                "\(opName): start, stop and step must be finite and step non-zero (got start \(start), stop \(stop), step \(step))")
        }
        let n = ((stop - start) / step).rounded(.up)
        guard n <= Double(maxElementCount) else {
            throw TheanoError.invalidArgument(
                "\(opName): start \(start), stop \(stop) and step \(step) give too many values (\(n); at most \(maxElementCount) = 2^60 - 1)")
        }
        return Swift.max(0, Int(n))
    }
}
