import TheanoArray
import TheanoGraph

// Filled arrays: Theano's `alloc`, NumPy's `broadcast_to`, `zeros`, `ones`, `full` and their
// `...Like` forms. Shapes are static `[Int]` or symbolic `[Tensor]` (integer scalars such as
// `x.shape(0)` or literals): `zeros(x.shapeList())`.

/// A new array of `shape` filled with `value` broadcast to it (Theano's `alloc`). `value` may
/// be a scalar or any tensor whose axes broadcast to `shape` (axes of static size 1 broadcast;
/// others must match). The dtype is `value`'s.
@_disfavoredOverload
public func alloc(_ value: Tensor, shape: [Tensor]) throws -> Tensor {
    try allocNode(value, shape, opName: "alloc")
}

/// A new array of the static `shape` filled with `value` broadcast to it; see
/// `alloc(_:shape:)`.
public func alloc(_ value: Tensor, shape: [Int]) throws -> Tensor {
    try allocNode(value, shape, opName: "alloc")
}

/// `x` broadcast to `shape` as a read-only view (NumPy's `broadcast_to`): leading axes are
/// added, and axes of static size 1 repeat.
///
/// - Throws: when `x` has more axes than `shape`, or an axis of `x` is neither of static
///   size 1 nor equal to the target size (at build time where both are static).
public func broadcastTo(_ x: Tensor, _ shape: [Int]) throws -> Tensor {
    try BroadcastTo().apply([x] + shapeConstantVariables(shape, opName: "broadcastTo").map(Tensor.init))
}

/// `x` broadcast to a symbolic `shape`; see `broadcastTo(_:_:)`.
@_disfavoredOverload
public func broadcastTo(_ x: Tensor, _ shape: [Tensor]) throws -> Tensor {
    try BroadcastTo().apply([x] + shapeSizeVariables(shape, opName: "broadcastTo").map(Tensor.init))
}

/// An array of zeros (false for bool) of the given shape.
public func zeros(_ shape: [Int], _ dtype: DType = .float32) throws -> Tensor {
    try allocNode(Tensor.constant(0, dtype), shape, opName: "zeros")
}

/// An array of zeros of a symbolic shape: `zeros(x.shapeList())`.
@_disfavoredOverload
public func zeros(_ shape: [Tensor], _ dtype: DType = .float32) throws -> Tensor {
    try allocNode(Tensor.constant(0, dtype), shape, opName: "zeros")
}

/// An array of ones (true for bool) of the given shape.
public func ones(_ shape: [Int], _ dtype: DType = .float32) throws -> Tensor {
    try allocNode(Tensor.constant(1, dtype), shape, opName: "ones")
}

/// An array of ones of a symbolic shape.
@_disfavoredOverload
public func ones(_ shape: [Tensor], _ dtype: DType = .float32) throws -> Tensor {
    try allocNode(Tensor.constant(1, dtype), shape, opName: "ones")
}

/// An array of the given shape filled with `value` (NumPy's `full`), converted to `dtype`.
/// Without a dtype the value's is used: a literal `2` gives int64, `0.5` float64.
public func full(_ shape: [Int], _ value: Tensor, _ dtype: DType? = nil) throws -> Tensor {
    try allocNode(fullFillValue(value, dtype), shape, opName: "full")
}

/// An array of a symbolic shape filled with `value`; see `full(_:_:_:)`.
@_disfavoredOverload
public func full(_ shape: [Tensor], _ value: Tensor, _ dtype: DType? = nil) throws -> Tensor {
    try allocNode(fullFillValue(value, dtype), shape, opName: "full")
}

/// Zeros with the shape of `x`, and its dtype unless `dtype` is given.
public func zerosLike(_ x: Tensor, _ dtype: DType? = nil) throws -> Tensor {
    try zeros(x.shapeList(), dtype ?? x.dtype)
}

/// Ones with the shape of `x`, and its dtype unless `dtype` is given.
public func onesLike(_ x: Tensor, _ dtype: DType? = nil) throws -> Tensor {
    try ones(x.shapeList(), dtype ?? x.dtype)
}

/// `value` broadcast to the shape of `x`, converted to `x`'s dtype unless `dtype` is given
/// (NumPy's `full_like`).
public func fullLike(_ x: Tensor, _ value: Tensor, _ dtype: DType? = nil) throws -> Tensor {
    try full(x.shapeList(), value, dtype ?? x.dtype)
}

/// An ``Alloc`` node; `opName` names the user's function in errors about the shape.
func allocNode(_ value: Tensor, _ shape: [Tensor], opName: String) throws -> Tensor {
    try Alloc().apply([value] + shapeSizeVariables(shape, opName: opName).map(Tensor.init))
}

/// An ``Alloc`` node of a static shape.
func allocNode(_ value: Tensor, _ shape: [Int], opName: String) throws -> Tensor {
    try Alloc().apply([value] + shapeConstantVariables(shape, opName: opName).map(Tensor.init))
}

/// Symbolic sizes as int64 scalar variables (see `shapeSizeVariable`).
func shapeSizeVariables(_ shape: [Tensor], opName: String) throws -> [Variable] {
    try shape.enumerated().map { try shapeSizeVariable($0.element, opName: opName, position: $0.offset) }
}

/// The fill value of `full`, converted to `dtype` when given. A weakly typed literal becomes a
/// strong constant of its dtype.
func fullFillValue(_ value: Tensor, _ dtype: DType?) throws -> Tensor {
    let target = dtype ?? value.dtype
    if let constant = value.constantValue {
        return Tensor.constant(constant.astype(target))
    }
    return try cast(value, target)
}

extension Tensor {
    /// A new array of `shape` filled with this value broadcast to it; see `alloc(_:shape:)`.
    @_disfavoredOverload
    public func alloc(shape: [Tensor]) throws -> Tensor { try TheanoTensor.alloc(self, shape: shape) }
    /// A new array of the static `shape` filled with this value broadcast to it.
    public func alloc(shape: [Int]) throws -> Tensor { try TheanoTensor.alloc(self, shape: shape) }
    /// This tensor broadcast to `shape` (a view); see `broadcastTo(_:_:)`.
    public func broadcastTo(_ shape: [Int]) throws -> Tensor { try TheanoTensor.broadcastTo(self, shape) }
    /// This tensor broadcast to a symbolic `shape` (a view).
    @_disfavoredOverload
    public func broadcastTo(_ shape: [Tensor]) throws -> Tensor { try TheanoTensor.broadcastTo(self, shape) }
    /// Zeros with this tensor's shape; see ``zerosLike(_:_:)``.
    public func zerosLike(_ dtype: DType? = nil) throws -> Tensor { try TheanoTensor.zerosLike(self, dtype) }
    /// Ones with this tensor's shape; see ``onesLike(_:_:)``.
    public func onesLike(_ dtype: DType? = nil) throws -> Tensor { try TheanoTensor.onesLike(self, dtype) }
    /// `value` with this tensor's shape; see ``fullLike(_:_:_:)``.
    public func fullLike(_ value: Tensor, _ dtype: DType? = nil) throws -> Tensor { try TheanoTensor.fullLike(self, value, dtype) }
}
