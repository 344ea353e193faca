import TheanoArray
import TheanoGraph

/// The outer product of the flattened inputs, as NumPy's `outer`: output `[i, j]` is
/// `a.flat[i] * b.flat[j]`, of shape `[a.size, b.size]`. Both inputs have one dtype (the
/// function ``outer(_:_:)`` promotes first); bool gives and, integers wrap.
public struct Outer: Op {
    public init() {}

    public var description: String { "Outer" }

    public func makeNode(_ inputs: [Variable]) throws -> Apply {
        guard inputs.count == 2 else {
            throw TheanoError.invalidArgument("outer: expected 2 inputs, got \(inputs.count)")
        }
        let (a, b) = (inputs[0], inputs[1])
        guard a.type.dtype == b.type.dtype else {
            throw TheanoError.typeMismatch(
                "outer: both inputs must have the same dtype (the function outer promotes them); input 0 is \(describeVariable(a)), input 1 is \(describeVariable(b))")
        }
        let shape = try [a, b].map { try checkedShapeSize(known: $0.type.shape, context: "\(self): \(describeVariable($0))") }
        _ = try checkedShapeSize(known: shape, context: "\(self)")
        return Apply(op: self, inputs: inputs, outputTypes: [TensorType(a.type.dtype, shape: shape)])
    }

    public func perform(_ node: Apply, _ inputs: [NDArray]) throws -> [NDArray] {
        [try NDArray.outerReference(inputs[0], inputs[1])]
    }

    public func inferShape(_ node: Apply, _ inputShapes: [[Variable]]) throws -> [[Variable]] {
        try [node.inputs.indices.map { i in
            if let n = node.outputTypes[0].shape[i] { return shapeConstant(n) }
            var size = Tensor(shapeConstant(1))
            for dim in inputShapes[i] { size = try size * Tensor(dim) }
            return size.variable
        }]
    }
}
