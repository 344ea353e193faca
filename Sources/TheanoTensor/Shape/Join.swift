import TheanoArray
import TheanoGraph

/// Joins its inputs along an existing axis (NumPy's `concatenate`, Theano's `Join`).
///
/// Inputs must share dtype and rank (at least 1); every axis but `axis` must have the same
/// size in all of them (static sizes are checked when the node is built, the others when it
/// runs). The result is a new array.
public struct Join: Op {
    /// The axis to join along (non-negative).
    public let axis: Int

    public init(axis: Int) { self.axis = axis }

    public var description: String { "Join{axis=\(axis)}" }

    public func makeNode(_ inputs: [Variable]) throws -> Apply {
        guard let first = inputs.first else {
            throw TheanoError.invalidArgument("\(self): needs at least one input")
        }
        let rank = first.type.rank
        guard rank > 0 else {
            throw TheanoError.shapeMismatch("\(self): zero-dimensional inputs cannot be joined, got \(describeVariable(first))")
        }
        guard axis >= 0, axis < rank else {
            throw TheanoError.outOfRange("\(self): axis \(axis) is out of range for inputs of rank \(rank)")
        }
        for (i, v) in inputs.enumerated().dropFirst() {
            guard v.type.rank == rank else {
                throw TheanoError.shapeMismatch(
                    "\(self): all inputs must have the same rank; input 0 is \(describeVariable(first)) and input \(i) is \(describeVariable(v))")
            }
            guard v.type.dtype == first.type.dtype else {
                throw TheanoError.typeMismatch(
                    "\(self): all inputs must have the same dtype; input 0 is \(describeVariable(first)) and input \(i) is \(describeVariable(v))")
            }
        }
        var shape: [Int?] = []
        for d in 0..<rank {
            if d == axis {
                let sizes = inputs.map { $0.type.shape[d] }
                let known = sizes.compactMap { $0 }
                shape.append(known.count == sizes.count ? try checkedSum(known, context: "\(self): the joined size") : nil)
                continue
            }
            var size: Int? = nil
            var from = 0
            for (i, v) in inputs.enumerated() {
                guard let s = v.type.shape[d] else { continue }
                if let known = size, known != s {
                    throw TheanoError.shapeMismatch(
                        "\(self): input \(from) \(describeVariable(inputs[from])) and input \(i) \(describeVariable(v)) differ at axis \(d) (\(known) vs \(s)); only the joining axis \(axis) may differ")
                }
                if size == nil { size = s; from = i }
            }
            shape.append(size)
        }
        _ = try checkedShapeSize(known: shape, context: "\(self): the result")
        return Apply(op: self, inputs: inputs, outputTypes: [TensorType(first.type.dtype, shape: shape)])
    }

    public func perform(_ node: Apply, _ inputs: [NDArray]) throws -> [NDArray] {
        do {
            return [try NDArray.concatenate(inputs, axis: axis)]
        } catch let error as TheanoError {
            throw TheanoError(error.kind, "\(self): \(error.message) (in \(expressionText(node.output)))")
        }
    }

    public func inferShape(_ node: Apply, _ inputShapes: [[Variable]]) throws -> [[Variable]] {
        let out = node.outputTypes[0]
        let dims: [Variable] = try out.shape.enumerated().map { d, size in
            if let size { return shapeConstant(size) }
            if d == axis { return try ShapeMath.sum(inputShapes.map { $0[d] }) }
            return inputShapes[0][d]
        }
        return [dims]
    }
}
