import TheanoArray
import TheanoGraph

/// `x` with its shape asserted at run time and known when the graph is built (PyTensor's
/// `specify_shape`): one entry per axis, a size or `nil` for an axis left unchecked.
///
/// ```swift
/// let x = Tensor.matrix("x")                  // float32[?, ?]
/// let y = try specifyShape(x, [nil, 3])       // float32[?, 3]
/// try y.shape(1)                              // the constant 3
/// ```
///
/// A call whose value has another size at a specified axis throws a shape error. The
/// gradient passes through unchanged. The optimiser removes the check where the input's type
/// already knows every specified size (`useless_specify_shape`).
///
/// - Throws: when `shape` does not have one entry per axis, has a negative size, or
///   contradicts a size `x`'s type already knows.
public func specifyShape(_ x: Tensor, _ shape: [Int?]) throws -> Tensor {
    try SpecifyShape(shape).apply([x])
}

extension Tensor {
    /// This tensor with its shape asserted; see ``specifyShape(_:_:)``.
    public func specifyShape(_ shape: [Int?]) throws -> Tensor { try TheanoTensor.specifyShape(self, shape) }
}
