import TheanoArray
import TheanoGraph

// Matrix products: free functions and methods. The functions promote dtypes like NumPy
// (int32 x float32 -> float64, bool x int8 -> int8) and check static shapes before building
// nodes, so errors name the function the user called.

/// The matrix product with NumPy's `matmul` rules.
///
/// 1-D operands are promoted (input `a` to a row, `b` to a column) and the added axis is
/// removed; operands of rank > 2 are stacks of matrices whose leading (batch) axes broadcast
/// (an axis broadcasts only when its static size is 1). Scalars are not allowed.
///
/// ```swift
/// let x = Tensor.matrix("x", shape: [nil, 3])
/// let w = Tensor.matrix("w", shape: [3, 4])
/// let y = try matmul(x, w)          // float32[?, 4]
/// ```
///
/// - Throws: a shape error naming both inputs and the axes that disagree when the summed sizes
///   are known and differ (`[2, 3] x [4, 5]`), or when known batch sizes cannot broadcast.
public func matmul(_ a: Tensor, _ b: Tensor) throws -> Tensor {
    try MatMul.checkContraction(a.variable, b.variable, op: "matmul")
    _ = try MatMul.staticBatchShape(a.variable, b.variable)
    let (pa, pb) = try promotedPair(a, b)
    return try MatMul().apply([pa, pb])
}

/// The dot product with NumPy's `dot` rules.
///
/// - scalar and anything: elementwise multiplication;
/// - 1-D · 1-D: the inner product (a scalar);
/// - 2-D · 2-D: the matrix product; 2-D · 1-D and 1-D · 2-D: matrix-vector products;
/// - N-D · 1-D: sums over the last axis of both;
/// - N-D · M-D (M >= 2): sums over the last axis of `a` and the second-to-last of `b`; the
///   result has shape `a.shape[:-1] + b.shape[:-2] + b.shape[-1:]` (no batch broadcasting:
///   use ``matmul(_:_:)`` for stacks of matrices).
///
/// - Throws: a shape error naming both inputs and the axes when known summed sizes differ.
public func dot(_ a: Tensor, _ b: Tensor) throws -> Tensor {
    if a.rank == 0 || b.rank == 0 { return try mul(a, b) }
    try MatMul.checkContraction(a.variable, b.variable, op: "dot")
    let (pa, pb) = try promotedPair(a, b)
    if a.rank <= 2 && b.rank <= 2 { return try MatMul().apply([pa, pb]) }
    let (ka, kb) = MatMul.contractedAxes(a.rank, b.rank)
    return try TensorDot(axesA: [ka], axesB: [kb]).apply([pa, pb])
}

/// The outer product of the flattened operands, as NumPy's `outer`: a matrix of shape
/// `[a.size, b.size]` whose element `[i, j]` is `a.flat[i] * b.flat[j]`.
public func outer(_ a: Tensor, _ b: Tensor) throws -> Tensor {
    let (pa, pb) = try promotedPair(a, b)
    return try Outer().apply([pa, pb])
}

/// Sums products over the last `axes` axes of `a` and the first `axes` axes of `b`, as NumPy's
/// `tensordot(a, b, axes=n)`. `axes: 0` is the tensor (outer) product; `axes: 1` of two
/// matrices is the matrix product.
///
/// - Throws: an out-of-range error when `axes` is negative or exceeds either rank, and a shape
///   error when known summed sizes differ.
public func tensordot(_ a: Tensor, _ b: Tensor, axes: Int) throws -> Tensor {
    guard axes >= 0, axes <= a.rank, axes <= b.rank else {
        throw TheanoError.outOfRange(
            "tensordot: cannot sum over \(axes) axes of input 0 \(describeVariable(a.variable)) and input 1 \(describeVariable(b.variable)); axes must be between 0 and the smaller rank (\(Swift.min(a.rank, b.rank)))")
    }
    return try tensordot(a, b, axes: (Array((a.rank - axes)..<a.rank), Array(0..<axes)))
}

/// Sums products over pairs of axes, as NumPy's `tensordot(a, b, axes=(axesA, axesB))`: axis
/// `axes.0[i]` of `a` pairs with axis `axes.1[i]` of `b` (negative axes count from the end).
/// The result's axes are `a`'s other axes in order, then `b`'s.
///
/// ```swift
/// let y = try tensordot(x, w, axes: ([1, 2], [0, 1]))   // [n, p, q] · [p, q, m] -> [n, m]
/// ```
///
/// - Throws: an error when the lists differ in length, an axis is out of range or repeated,
///   or known sizes of paired axes differ.
public func tensordot(_ a: Tensor, _ b: Tensor, axes: ([Int], [Int])) throws -> Tensor {
    let axesA = try axes.0.map { try normalizeAxis($0, rank: a.rank, context: "tensordot: input 0 \(describeVariable(a.variable))") }
    let axesB = try axes.1.map { try normalizeAxis($0, rank: b.rank, context: "tensordot: input 1 \(describeVariable(b.variable))") }
    try TensorDot.checkAxes(axesA, axesB, a.variable, b.variable, op: "tensordot")
    for (i, j) in zip(axesA, axesB) {
        if let sa = a.staticShape[i], let sb = b.staticShape[j], sa != sb {
            throw TheanoError.shapeMismatch(contractionMessage("tensordot", a.variable, i, b.variable, j, sizes: (sa, sb)))
        }
    }
    let (pa, pb) = try promotedPair(a, b)
    return try TensorDot(axesA: axesA, axesB: axesB).apply([pa, pb])
}

/// Both operands converted to their common dtype, with NumPy's promotion (weakly typed
/// literals yield).
func promotedPair(_ a: Tensor, _ b: Tensor) throws -> (Tensor, Tensor) {
    let common = promoteWithWeak([a, b])
    return (try convert(a, to: common), try convert(b, to: common))
}

extension Tensor {
    /// The matrix product with NumPy's `matmul` rules; see ``matmul(_:_:)``.
    public func matmul(_ other: Tensor) throws -> Tensor { try TheanoTensor.matmul(self, other) }

    /// The dot product with NumPy's `dot` rules; see ``dot(_:_:)``.
    public func dot(_ other: Tensor) throws -> Tensor { try TheanoTensor.dot(self, other) }

    /// The outer product of the flattened tensors; see ``outer(_:_:)``.
    public func outer(_ other: Tensor) throws -> Tensor { try TheanoTensor.outer(self, other) }

    /// Sums products over the last `axes` axes of this tensor and the first `axes` of `other`;
    /// see ``tensordot(_:_:axes:)-(_,_,Int)``.
    public func tensordot(_ other: Tensor, axes: Int) throws -> Tensor {
        try TheanoTensor.tensordot(self, other, axes: axes)
    }

    /// Sums products over pairs of axes; see ``tensordot(_:_:axes:)-(_,_,([Int],[Int]))``.
    public func tensordot(_ other: Tensor, axes: ([Int], [Int])) throws -> Tensor {
        try TheanoTensor.tensordot(self, other, axes: axes)
    }
}
