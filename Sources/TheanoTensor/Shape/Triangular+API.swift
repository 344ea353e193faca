import TheanoArray
import TheanoGraph

/// The upper triangle of `x`: the elements on and above the `k`-th diagonal kept, the others
/// zero (NumPy's `triu`; `k > 0` is above the main diagonal, `k < 0` below). `x` has rank at
/// least 2; the triangle is taken in its last two axes, for every index of the leading ones.
/// Built as `where(mask, x, 0)` with a mask from two `arange`s, so the gradient is the output
/// gradient masked the same way.
///
/// ```swift
/// let u = try triu(x, k: 1)                // strictly upper
/// ```
public func triu(_ x: Tensor, k: Int = 0) throws -> Tensor {
    try triangle(x, k: k, upper: true)
}

/// The lower triangle of `x`: the elements on and below the `k`-th diagonal kept, the others
/// zero (NumPy's `tril`). See ``triu(_:k:)``.
///
/// ```swift
/// let l = try tril(x, k: -1)               // strictly lower
/// ```
public func tril(_ x: Tensor, k: Int = 0) throws -> Tensor {
    try triangle(x, k: k, upper: false)
}

func triangle(_ x: Tensor, k: Int, upper: Bool) throws -> Tensor {
    let function = upper ? "triu" : "tril"
    guard x.rank >= 2 else {
        throw TheanoError.invalidArgument(
            "\(function): needs a matrix or a batch of matrices (rank >= 2), got \(describeVariable(x.variable)) of rank \(x.rank)")
    }
    let rows = try dimshuffle(arange(x.shape(-2)), [0, DimShuffle.newAxis])
    let columns = try dimshuffle(arange(x.shape(-1)), [DimShuffle.newAxis, 0])
    let offset = try sub(columns, rows)
    let keep = upper ? try ge(offset, Tensor(shapeConstant(k))) : try le(offset, Tensor(shapeConstant(k)))
    return try `where`(keep, x, Tensor.constant(0, x.dtype))
}

extension Tensor {
    /// The upper triangle in the last two axes; see ``triu(_:k:)``.
    public func triu(k: Int = 0) throws -> Tensor { try TheanoTensor.triu(self, k: k) }
    /// The lower triangle in the last two axes; see ``tril(_:k:)``.
    public func tril(k: Int = 0) throws -> Tensor { try TheanoTensor.tril(self, k: k) }
}
