import TheanoArray
import TheanoGraph

/// Repeats each element of its input `repeats` times along `axis` (NumPy's `repeat`); with no
/// axis, the elements of the flattened input (the output is a vector). A new array.
public struct Repeat: Op {
    public let repeats: Int
    /// The axis (non-negative), or nil for the flattened input.
    public let axis: Int?

    public init(repeats: Int, axis: Int?) {
        self.repeats = repeats
        self.axis = axis
    }

    public var description: String { "Repeat{\(repeats), axis=\(axis.map(String.init) ?? "None")}" }

    public func makeNode(_ inputs: [Variable]) throws -> Apply {
        guard inputs.count == 1 else { throw TheanoError.invalidArgument("\(self): expected 1 input, got \(inputs.count)") }
        let x = inputs[0]
        guard repeats >= 0 else {
            throw TheanoError.invalidArgument("\(self): repeats must be non-negative, got \(repeats) for \(describeVariable(x))")
        }
        let shape: [Int?]
        if let axis {
            guard axis >= 0, axis < x.type.rank else {
                throw TheanoError.outOfRange("\(self): axis \(axis) is out of range for \(describeVariable(x)) of rank \(x.type.rank)")
            }
            var s = x.type.shape
            s[axis] = repeats == 0 ? 0 : try s[axis].map { try checkedProduct([$0, repeats], context: "\(self)") }
            shape = s
        } else if repeats == 0 || x.type.shape.contains(0) {
            shape = [0]
        } else {
            shape = [try x.type.staticShape.map { try checkedProduct($0 + [repeats], context: "\(self)") }]
        }
        _ = try checkedShapeSize(known: shape, context: "\(self): the result")
        return Apply(op: self, inputs: inputs, outputTypes: [TensorType(x.type.dtype, shape: shape)])
    }

    public func perform(_ node: Apply, _ inputs: [NDArray]) throws -> [NDArray] {
        [try inputs[0].repeated(repeats, axis: axis)]
    }

    public func inferShape(_ node: Apply, _ inputShapes: [[Variable]]) throws -> [[Variable]] {
        let sizes = inputShapes[0]
        var out: [Variable]
        if let axis {
            out = sizes
            out[axis] = try ShapeMath.mul(sizes[axis], shapeConstant(repeats))
        } else {
            out = [try ShapeMath.mul(try ShapeMath.product(sizes), shapeConstant(repeats))]
        }
        return [withStaticSizes(out, of: node.outputTypes[0])]
    }
}
