import TheanoArray
import TheanoGraph

/// How often each non-negative integer occurs in an integer vector (NumPy's `bincount`):
/// `out[v]` counts the elements equal to `v`, for `v` in `0..<max(max(x) + 1, minlength)`.
/// With a second input `weights` (same length), `out[v]` sums the weights of those elements
/// instead.
///
/// Dtypes: int64 counts; with weights, the weights' float dtype (integer or bool weights give
/// float64; NumPy always gives float64). The length depends on the values, so it is unknown
/// statically (shape inference reads it from the output). A negative value throws at run time.
/// Differentiable with respect to the weights (the output gradient at each element's value).
public struct Bincount: Op {
    public let minlength: Int

    public init(minlength: Int = 0) {
        self.minlength = minlength
    }

    public var description: String { minlength == 0 ? "Bincount" : "Bincount{minlength=\(minlength)}" }

    /// The output dtype: int64 without weights, the weights' float dtype (or float64) with.
    static func outputDType(weights: DType?) -> DType {
        guard let weights else { return .int64 }
        return weights.isFloatingPoint ? weights : .float64
    }

    public func makeNode(_ inputs: [Variable]) throws -> Apply {
        guard inputs.count == 1 || inputs.count == 2 else {
            throw TheanoError.invalidArgument("\(self): expected 1 or 2 inputs (values, optional weights), got \(inputs.count)")
        }
        let x = inputs[0]
        guard x.type.rank == 1, x.type.dtype.isInteger || x.type.dtype == .bool else {
            throw TheanoError.typeMismatch("\(self): the values must be an integer vector, got \(describeVariable(x))")
        }
        guard minlength >= 0 else {
            throw TheanoError.invalidArgument("\(self): minlength must be non-negative, got \(minlength)")
        }
        var weightsDType: DType?
        if inputs.count == 2 {
            let w = inputs[1]
            guard w.type.rank == 1 else {
                throw TheanoError.shapeMismatch("\(self): the weights must be a vector like the values \(describeVariable(x)), got \(describeVariable(w)) of rank \(w.type.rank)")
            }
            if let n = x.type.shape[0], let m = w.type.shape[0], n != m {
                throw TheanoError.shapeMismatch("\(self): the weights \(describeVariable(w)) must have the length of the values \(describeVariable(x)) (\(n)), got \(m)")
            }
            weightsDType = w.type.dtype
        }
        return Apply(op: self, inputs: inputs, outputTypes: [TensorType(Self.outputDType(weights: weightsDType), shape: [nil])])
    }

    public func perform(_ node: Apply, _ inputs: [NDArray]) throws -> [NDArray] {
        let values = inputs[0].toArray(of: Int64.self)
        if let negative = values.first(where: { $0 < 0 }) {
            throw TheanoError.invalidArgument("\(self): the values of \(describeVariable(node.inputs[0])) must be non-negative, got \(negative) at run time")
        }
        let largest = values.max().map { Int($0) + 1 } ?? 0
        let length = Swift.max(largest, minlength)
        // A huge value asks for a huge result: refuse it before allocating (8 bytes a bin).
        _ = try checkedAllocation([length], dtype: .float64, context: "\(self): the result for the largest value \(largest - 1)")
        guard inputs.count == 2 else {
            var counts = Array(repeating: Int64(0), count: length)
            for v in values { counts[Int(v)] += 1 }
            return [NDArray(counts)]
        }
        let weights = inputs[1].toArray(of: Double.self)
        guard weights.count == values.count else {
            throw TheanoError.shapeMismatch(
                "\(self): the weights \(describeVariable(node.inputs[1])) have \(weights.count) elements at run time, the values \(describeVariable(node.inputs[0])) \(values.count)")
        }
        var sums = Array(repeating: 0.0, count: length)
        for (v, w) in zip(values, weights) { sums[Int(v)] += w }
        return [NDArray(sums).astype(node.outputTypes[0].dtype)]
    }

    public func inferShape(_ node: Apply, _ inputShapes: [[Variable]]) throws -> [[Variable]] {
        [[try ShapeIndex(0).makeNode([node.outputs[0]]).output]]
    }
}

/// How often each non-negative integer occurs in the integer vector `x` (NumPy's
/// `bincount`), or, with `weights`, the sum of the weights of its occurrences; the result has
/// length `max(max(x) + 1, minlength)`, known only at run time. See ``Bincount``.
///
/// ```swift
/// let counts = try bincount(labels, minlength: 10)
/// ```
public func bincount(_ x: Tensor, weights: Tensor? = nil, minlength: Int = 0) throws -> Tensor {
    try Bincount(minlength: minlength).apply([x] + (weights.map { [$0] } ?? []))
}
