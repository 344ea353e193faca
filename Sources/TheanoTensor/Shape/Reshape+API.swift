import TheanoArray
import TheanoGraph

/// `x`'s elements in C order with a new shape (NumPy's `reshape`); one size may be -1, inferred
/// from the others.
///
/// ```swift
/// let y = try reshape(x, [2, -1])      // x: float32[6] -> float32[2, 3]
/// ```
///
/// The result is a view when `x` is contiguous at run time, else a copy.
/// - Throws: when more than one size is -1, a size is below -1, or the number of elements
///   cannot match (at build time when `x`'s shape is static, else when the function runs).
public func reshape(_ x: Tensor, _ shape: [Int]) throws -> Tensor {
    let target = Tensor.constant(NDArray(shape.map { Int64($0) }))
    return try Reshape(ndim: shape.count).apply([x, target])
}

/// `x` reshaped to sizes given as integer scalar tensors (`x.shape(0)`, literals, ...); one
/// may be -1. Constant sizes stay static in the result's type.
///
/// ```swift
/// let y = try reshape(x, [x.shape(0), -1])     // keep axis 0, merge the rest
/// ```
@_disfavoredOverload
public func reshape(_ x: Tensor, _ shape: [Tensor]) throws -> Tensor {
    if shape.isEmpty { return try reshape(x, [Int]()) }
    let sizes = try shape.enumerated().map { i, t in
        try shapeSizeVariable(t, opName: "reshape", position: i, allowsInferred: true)
    }
    let vector = try MakeVector(.int64).makeNode(sizes).output
    return try Reshape(ndim: shape.count).apply([x, Tensor(vector)])
}

/// `x` reshaped to the sizes held by an integer vector of static length (one may be -1).
public func reshape(_ x: Tensor, _ shape: Tensor) throws -> Tensor {
    guard shape.rank == 1, shape.dtype.isInteger, let n = shape.staticShape[0] else {
        throw TheanoError.typeMismatch(
            "reshape: the target shape must be an integer vector of static length, got \(describeVariable(shape.variable))")
    }
    return try Reshape(ndim: n).apply([x, try convert(shape, to: .int64)])
}

/// `x` with its trailing axes merged so that `ndim` axes remain: the first `ndim - 1` axes are
/// kept and the rest become one (Theano's `flatten`). `ndim: 1` gives a vector.
///
/// - Throws: when `ndim` is not in `1...max(rank, 1)`.
public func flatten(_ x: Tensor, ndim: Int = 1) throws -> Tensor {
    guard ndim >= 1, ndim <= Swift.max(x.rank, 1) else {
        throw TheanoError.outOfRange(
            "flatten: ndim \(ndim) is out of range for \(describeVariable(x.variable)) of rank \(x.rank) (valid: 1...\(Swift.max(x.rank, 1)))")
    }
    let sizes = try x.shapeList().map(\.variable)
    let kept = Array(sizes.prefix(ndim - 1))
    let merged = try ShapeMath.product(Array(sizes.dropFirst(ndim - 1)))
    return try reshape(x, (kept + [merged]).map(Tensor.init))
}

extension Tensor {
    /// This tensor reshaped; see `reshape(_:_:)`.
    public func reshape(_ shape: [Int]) throws -> Tensor { try TheanoTensor.reshape(self, shape) }
    /// This tensor reshaped to symbolic sizes; see `reshape(_:_:)`.
    @_disfavoredOverload
    public func reshape(_ shape: [Tensor]) throws -> Tensor { try TheanoTensor.reshape(self, shape) }
    /// This tensor reshaped to the sizes held by an integer vector.
    public func reshape(_ shape: Tensor) throws -> Tensor { try TheanoTensor.reshape(self, shape) }
    /// This tensor with trailing axes merged so that `ndim` remain; see ``flatten(_:ndim:)``.
    public func flatten(ndim: Int = 1) throws -> Tensor { try TheanoTensor.flatten(self, ndim: ndim) }
}
