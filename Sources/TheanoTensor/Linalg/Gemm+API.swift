import TheanoArray
import TheanoGraph

// The BLAS update ops as functions and methods. The BLAS rewrites (`blasPass`) build these
// nodes from ordinary expressions, so most code never calls them; they are here for tests,
// for code that wants one node by construction, and for symmetry with every other op.
// Operands are promoted together (weak literals yield); scale factors are converted to the
// operands' dtype. The ops accept float32 and float64 only.

/// `alpha * op(x) @ op(y) + beta * z` as one BLAS GEMM node (``Gemm``), where `op` transposes
/// when `transposeX` (`transposeY`) is set. Without `z` the result is `alpha * op(x) @ op(y)`.
///
/// ```swift
/// let h = try gemm(x, w, adding: b.dimshuffle(DimShuffle.newAxis, 0))   // x @ w + b, one node
/// ```
///
/// - Parameters:
///   - alpha, beta: scalars (rank 0), such as literals or a symbolic learning rate.
///   - z: a matrix that broadcasts to the product's shape (a bias row `[1, n]` works).
/// - Throws: a type error unless the operands are float32 or float64; a shape error when
///   known sizes do not align or `z` does not fit.
public func gemm(_ x: Tensor, _ y: Tensor, alpha: Tensor = 1, adding z: Tensor? = nil, beta: Tensor = 1,
                 transposeX: Bool = false, transposeY: Bool = false) throws -> Tensor {
    let common = promoteWithWeak([x, y] + (z.map { [$0] } ?? []))
    let (cx, cy, ca) = (try convert(x, to: common), try convert(y, to: common), try convert(alpha, to: common))
    let op = Gemm(transposeX: transposeX, transposeY: transposeY)
    guard let z else { return try op.apply([ca, cx, cy]) }
    return try op.apply([try convert(z, to: common), ca, cx, cy, try convert(beta, to: common)])
}

/// `alpha * op(a) @ x + beta * y` as one BLAS GEMV node (``Gemv``), where `op` transposes when
/// `transposeA` is set. Without `y` the result is `alpha * op(a) @ x`.
///
/// - Throws: a type error unless the operands are float32 or float64; a shape error when
///   known sizes do not align or `y` does not fit.
public func gemv(_ a: Tensor, _ x: Tensor, alpha: Tensor = 1, adding y: Tensor? = nil, beta: Tensor = 1,
                 transposeA: Bool = false) throws -> Tensor {
    let common = promoteWithWeak([a, x] + (y.map { [$0] } ?? []))
    let (ca, cx, calpha) = (try convert(a, to: common), try convert(x, to: common), try convert(alpha, to: common))
    let op = Gemv(transposeA: transposeA)
    guard let y else { return try op.apply([calpha, ca, cx]) }
    return try op.apply([try convert(y, to: common), calpha, ca, cx, try convert(beta, to: common)])
}

/// `a + alpha * outer(x, y)` as one BLAS GER node (``Ger``): `x` and `y` are vectors and `a`
/// a matrix that broadcasts to `[x.size, y.size]`.
///
/// - Throws: a type error unless the operands are float32 or float64; a shape error when
///   known sizes do not fit.
public func ger(_ x: Tensor, _ y: Tensor, alpha: Tensor = 1, adding a: Tensor) throws -> Tensor {
    let common = promoteWithWeak([a, x, y])
    return try Ger().apply([
        try convert(a, to: common), try convert(alpha, to: common), try convert(x, to: common), try convert(y, to: common),
    ])
}

extension Tensor {
    /// `alpha * op(self) @ op(y) + beta * z` as one BLAS GEMM node; see
    /// ``gemm(_:_:alpha:adding:beta:transposeX:transposeY:)``.
    public func gemm(_ y: Tensor, alpha: Tensor = 1, adding z: Tensor? = nil, beta: Tensor = 1,
                     transposeX: Bool = false, transposeY: Bool = false) throws -> Tensor {
        try TheanoTensor.gemm(self, y, alpha: alpha, adding: z, beta: beta, transposeX: transposeX, transposeY: transposeY)
    }

    /// `alpha * op(self) @ x + beta * y` as one BLAS GEMV node; see
    /// ``gemv(_:_:alpha:adding:beta:transposeA:)``.
    public func gemv(_ x: Tensor, alpha: Tensor = 1, adding y: Tensor? = nil, beta: Tensor = 1,
                     transposeA: Bool = false) throws -> Tensor {
        try TheanoTensor.gemv(self, x, alpha: alpha, adding: y, beta: beta, transposeA: transposeA)
    }

    /// `a + alpha * outer(self, y)` as one BLAS GER node; see ``ger(_:_:alpha:adding:)``.
    public func ger(_ y: Tensor, alpha: Tensor = 1, adding a: Tensor) throws -> Tensor {
        try TheanoTensor.ger(self, y, alpha: alpha, adding: a)
    }
}
