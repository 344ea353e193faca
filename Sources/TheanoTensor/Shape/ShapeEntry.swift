import TheanoArray
import TheanoGraph

/// Entry `index` of an int64 vector (a shape), as an int64 scalar. Shape inference uses it to
/// read the sizes out of a symbolic shape vector, such as the target of ``Reshape``.
public struct ShapeEntry: Op {
    public let index: Int
    public init(_ index: Int) { self.index = index }
    public var description: String { "ShapeEntry[\(index)]" }

    public func makeNode(_ inputs: [Variable]) throws -> Apply {
        guard inputs.count == 1 else { throw TheanoError.invalidArgument("\(self): expected 1 input, got \(inputs.count)") }
        let v = inputs[0]
        guard v.type.dtype == .int64, v.type.rank == 1 else {
            throw TheanoError.typeMismatch("\(self): expected an int64 vector, got \(describeVariable(v))")
        }
        let length = v.type.shape[0]
        guard index >= 0, length.map({ index < $0 }) ?? true else {
            throw TheanoError.outOfRange("\(self): index \(index) is out of range for \(describeVariable(v))")
        }
        return Apply(op: self, inputs: inputs, outputTypes: [TensorType(.int64, shape: [])])
    }

    public func perform(_ node: Apply, _ inputs: [NDArray]) throws -> [NDArray] {
        let v = inputs[0]
        guard index < v.count else {
            throw TheanoError.outOfRange("\(self): index \(index) is out of range for a vector of shape \(formatShape(v.shape))")
        }
        return [NDArray(scalar: try v.element([index], as: Int64.self))]
    }

    public func inferShape(_ node: Apply, _ inputShapes: [[Variable]]) throws -> [[Variable]] { [[]] }
}
