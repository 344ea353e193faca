import TheanoArray
import TheanoGraph

/// One-hot encoding: an integer tensor of shape `s` becomes `s + [depth]`, with 1 at each
/// label's position along the new last axis and 0 elsewhere. The op behind
/// ``oneHot(_:depth:dtype:)``.
///
/// A label outside `0..<depth` (negative ones included) gives a row of zeros, as JAX's
/// `one_hot` does (PyTorch's `one_hot` raises instead); nothing throws at run time. Labels are
/// integers, so the op has no gradient (``grad(_:wrt:disconnected:)`` treats it as
/// disconnected).
public struct OneHot: Op {
    public let depth: Int
    public let dtype: DType

    public init(depth: Int, dtype: DType) {
        self.depth = depth
        self.dtype = dtype
    }

    public var description: String { "OneHot{depth=\(depth), \(dtype)}" }

    public func makeNode(_ inputs: [Variable]) throws -> Apply {
        guard inputs.count == 1 else {
            throw TheanoError.invalidArgument("oneHot: expected 1 input (the labels), got \(inputs.count)")
        }
        let labels = inputs[0]
        guard labels.type.dtype.isInteger else {
            throw TheanoError.typeMismatch(
                "oneHot: the labels must be integers (int8 to int64, uint8), got \(describeVariable(labels)); round and cast float labels first")
        }
        guard depth >= 0 else {
            throw TheanoError.invalidArgument("oneHot: depth must be 0 or more, got \(depth)")
        }
        return Apply(op: self, inputs: inputs, outputTypes: [TensorType(dtype, shape: labels.type.shape + [depth])])
    }

    public func perform(_ node: Apply, _ inputs: [NDArray]) throws -> [NDArray] {
        let labels = inputs[0].toArray(of: Int64.self)
        var values = [Double](repeating: 0, count: labels.count * depth)
        for (i, label) in labels.enumerated() where label >= 0 && label < Int64(depth) {
            values[i * depth + Int(label)] = 1
        }
        return [try NDArray(values, shape: inputs[0].shape + [depth]).astype(dtype)]
    }

    public func inferShape(_ node: Apply, _ inputShapes: [[Variable]]) throws -> [[Variable]] {
        [inputShapes[0] + [shapeConstant(depth)]]
    }

    public func pullback(_ node: Apply, _ outputGradients: [Variable?]) throws -> [Variable?] {
        [nil]
    }
}

/// The one-hot encoding of integer `labels`: shape `labels.shape + [depth]`, 1 at
/// `[..., labels[...]]` and 0 elsewhere, of `dtype` (float32 by default).
///
/// ```swift
/// let y = Tensor.vector("y", .int64)
/// let t = try oneHot(y, depth: 3)      // [0, 2, 5] -> [[1, 0, 0], [0, 0, 1], [0, 0, 0]]
/// ```
///
/// Labels outside `0..<depth`, negative ones included, give rows of zeros (JAX's rule;
/// PyTorch raises). Any rank works; a scalar label gives a vector.
///
/// - Throws: a type error for non-integer labels (floats, bool); an invalid-argument error
///   for a negative depth.
public func oneHot(_ labels: Tensor, depth: Int, dtype: DType = .float32) throws -> Tensor {
    try OneHot(depth: depth, dtype: dtype).apply([labels])
}

extension Tensor {
    /// The one-hot encoding of these integer labels; see ``oneHot(_:depth:dtype:)``.
    public func oneHot(depth: Int, dtype: DType = .float32) throws -> Tensor {
        try TheanoTensor.oneHot(self, depth: depth, dtype: dtype)
    }
}
