import TheanoArray
import TheanoGraph

/// The positions of the non-zero elements (any value `!= 0`: true, NaN, non-zero numbers) of its
/// input (NumPy's `nonzero`): one int64 vector per input axis, the i-th holding the i-th
/// coordinates, in C order. Their common length depends on the values, so it is unknown
/// statically; shape inference gives it as the count of non-zero elements (computed from
/// the input alone).
///
/// The input must have rank at least 1 (NumPy 2 refuses 0-d input too). Integer-valued: no
/// gradient.
public struct Nonzero: Op {
    public init() {}

    public var description: String { "Nonzero" }

    public func makeNode(_ inputs: [Variable]) throws -> Apply {
        guard inputs.count == 1 else { throw TheanoError.invalidArgument("\(self): expected 1 input, got \(inputs.count)") }
        let x = inputs[0]
        guard x.type.rank >= 1 else {
            throw TheanoError.invalidArgument("\(self): needs an input of rank >= 1, got \(describeVariable(x)) of rank 0 (use nonzero(atleast1d) or a comparison)")
        }
        let outputs = Array(repeating: TensorType(.int64, shape: [nil]), count: x.type.rank)
        return Apply(op: self, inputs: inputs, outputTypes: outputs)
    }

    public func perform(_ node: Apply, _ inputs: [NDArray]) throws -> [NDArray] {
        let x = inputs[0]
        let flags = x.toArray(of: Double.self).map { $0 != 0 }
        let mask = try NDArray(flags, shape: x.shape)
        return nonzeroPositions(mask).map { NDArray($0.map { Int64($0) }) }
    }

    public func inferShape(_ node: Apply, _ inputShapes: [[Variable]]) throws -> [[Variable]] {
        let x = Tensor(node.inputs[0])
        let mask = x.dtype == .bool ? x : try neq(x, Tensor.constant(0, x.dtype))
        let count = try MaskCount().apply([mask]).variable
        return Array(repeating: [count], count: node.outputs.count)
    }
}

/// The positions of the non-zero elements of `x`, one int64 vector of coordinates per axis
/// (NumPy's `nonzero`); `x[nonzero(x)]` are those elements. Their length is known only at run
/// time. See ``Nonzero``.
///
/// ```swift
/// let (rows, columns) = try (nonzero(m)[0], nonzero(m)[1])
/// ```
public func nonzero(_ x: Tensor) throws -> [Tensor] {
    try Nonzero().applyAll([x])
}

/// NumPy's one-argument `where(condition)`: the same as ``nonzero(_:)``.
public func `where`(_ condition: Tensor) throws -> [Tensor] {
    try nonzero(condition)
}

/// The positions of the non-zero elements of the flattened `x` (NumPy's `flatnonzero`), an
/// int64 vector.
public func flatnonzero(_ x: Tensor) throws -> Tensor {
    try nonzero(flatten(x))[0]
}

extension Tensor {
    /// The coordinates of the non-zero elements, one vector per axis; see ``nonzero(_:)``.
    public func nonzero() throws -> [Tensor] { try TheanoTensor.nonzero(self) }
}
