import TheanoArray
import TheanoGraph

/// The `offset`-th diagonal of `x` in the plane of `axis1` and `axis2` (NumPy's `diagonal`):
/// `out[..., i] = x[..., i, i + offset]` for `offset >= 0`, `x[..., i - offset, i]` below the
/// main diagonal. The two axes are removed and the diagonal becomes the last axis; its length
/// is `max(0, min(n1 - max(0, -offset), n2 - max(0, offset)))`. A new array (NumPy returns a
/// read-only view). Built as advanced indexing, so its gradient scatters back into the
/// diagonal.
///
/// ```swift
/// let d = try diagonal(m)                  // [[1, 2], [3, 4]] -> [1, 4]
/// ```
///
/// - Throws: `invalidArgument` below rank 2 or for equal axes; `outOfRange` for a bad axis.
public func diagonal(_ x: Tensor, offset: Int = 0, axis1: Int = 0, axis2: Int = 1) throws -> Tensor {
    guard x.rank >= 2 else {
        throw TheanoError.invalidArgument("diagonal: needs rank >= 2, got \(describeVariable(x.variable)) of rank \(x.rank)")
    }
    let context = "diagonal of \(describeVariable(x.variable))"
    let a1 = try normalizeAxis(axis1, rank: x.rank, context: context)
    let a2 = try normalizeAxis(axis2, rank: x.rank, context: context)
    guard a1 != a2 else {
        throw TheanoError.invalidArgument("diagonal: axis1 and axis2 name the same axis (\(axis1), \(axis2)) of \(describeVariable(x.variable))")
    }
    let moved = try transpose(x, axes: (0..<x.rank).filter { $0 != a1 && $0 != a2 } + [a1, a2])
    let (rowStart, columnStart) = diagonalStarts(offset)
    let positions: Tensor
    if let n1 = x.staticShape[a1], let n2 = x.staticShape[a2] {
        positions = try arange(Swift.max(0, Swift.min(n1 - rowStart, n2 - columnStart)))
    } else {
        let rowsLeft = try sub(x.shape(a1), Tensor(shapeConstant(rowStart)))
        let columnsLeft = try sub(x.shape(a2), Tensor(shapeConstant(columnStart)))
        positions = try arange(maximum(minimum(rowsLeft, columnsLeft), Tensor(shapeConstant(0))))
    }
    let rows = try add(positions, Tensor(shapeConstant(rowStart)))
    let columns = try add(positions, Tensor(shapeConstant(columnStart)))
    return try moved.indexed([TensorIndex.ellipsis, rows, columns])
}

/// NumPy's `diag`: for a vector `v` of length n, the square matrix of size `n + |k|` with `v`
/// on its `k`-th diagonal and zeros elsewhere; for a matrix, its `k`-th diagonal (see
/// ``diagonal(_:offset:axis1:axis2:)``). Differentiable both ways.
///
/// ```swift
/// let m = try diag(v)                      // [1, 2] -> [[1, 0], [0, 2]]
/// ```
public func diag(_ x: Tensor, k: Int = 0) throws -> Tensor {
    switch x.rank {
    case 2:
        return try diagonal(x, offset: k)
    case 1 where k == 0:
        // One op the linear-algebra rewrites recognise (the determinant of a diagonal matrix).
        return try DiagonalMatrix().apply([x])
    case 1:
        let (rowStart, columnStart) = diagonalStarts(k)
        let size = try add(x.shape(0), Tensor(shapeConstant(rowStart + columnStart)))
        let matrix = try zeros([size, size], x.dtype)
        let positions = try arange(x.shape(0))
        let rows = try add(positions, Tensor(shapeConstant(rowStart)))
        let columns = try add(positions, Tensor(shapeConstant(columnStart)))
        return try setSubtensor(matrix.indexed([rows, columns]), x)
    default:
        throw TheanoError.invalidArgument("diag: needs a vector (to build a matrix) or a matrix (to read a diagonal), got \(describeVariable(x.variable)) of rank \(x.rank)")
    }
}

/// Where the `offset`-th diagonal starts: (row, column), one of them 0; `Int.min` counts as
/// `-Int.max` (no overflow).
private func diagonalStarts(_ offset: Int) -> (Int, Int) {
    if offset >= 0 { return (0, offset) }
    return (offset == Int.min ? Int.max : -offset, 0)
}

extension Tensor {
    /// The `offset`-th diagonal in the plane of two axes; see ``diagonal(_:offset:axis1:axis2:)``.
    public func diagonal(offset: Int = 0, axis1: Int = 0, axis2: Int = 1) throws -> Tensor {
        try TheanoTensor.diagonal(self, offset: offset, axis1: axis1, axis2: axis2)
    }
}
