import TheanoArray
import TheanoGraph

/// The elements of `x` at `indices` along `axis` (NumPy's `take_along_axis`): with `x` and
/// `indices` of equal rank, `out[i, j, k] = x[i, indices[i, j, k], k]` for axis 1. The other
/// axes of `indices` broadcast against `x`'s (a static size 1 broadcasts). With a nil axis,
/// `x` is flattened and `indices` must be a vector. Negative indices count from the end.
///
/// Built as advanced indexing with an `arange` for every other axis, so the gradient (a
/// scatter-add into `x`'s shape) comes from ``AdvancedSubtensor``.
///
/// ```swift
/// let smallest = try takeAlongAxis(x, argsort(x, axis: 1), axis: 1)
/// ```
///
/// - Throws: `typeMismatch` for non-integer indices; `invalidArgument` when the ranks differ;
///   `outOfRange` for a bad axis (and at run time for an index out of bounds).
public func takeAlongAxis(_ x: Tensor, _ indices: Tensor, axis: Int?) throws -> Tensor {
    guard indices.dtype.isInteger else {
        throw TheanoError.typeMismatch("takeAlongAxis: indices must have an integer dtype, got \(describeVariable(indices.variable))")
    }
    guard let axis else {
        guard indices.rank == 1 else {
            throw TheanoError.invalidArgument(
                "takeAlongAxis: with axis nil the indices must be a vector (rank 1), got \(describeVariable(indices.variable)) of rank \(indices.rank)")
        }
        return try flatten(x).indexed([indices])
    }
    guard x.rank == indices.rank else {
        throw TheanoError.invalidArgument(
            "takeAlongAxis: the indices must have the rank of the input: \(describeVariable(indices.variable)) has rank \(indices.rank), \(describeVariable(x.variable)) has rank \(x.rank)")
    }
    let a = try normalizeAxis(axis, rank: x.rank, context: "takeAlongAxis of \(describeVariable(x.variable))")
    var entries: [any TensorIndexConvertible] = []
    for j in 0..<x.rank {
        if j == a {
            entries.append(indices)
            continue
        }
        // arange(n_j) as a rank-r array with its values along axis j.
        var order = Array(repeating: DimShuffle.newAxis, count: x.rank)
        order[j] = 0
        let positions = try arange(try x.shape(j))
        entries.append(try dimshuffle(positions, order))
    }
    return try x.indexed(entries)
}

extension Tensor {
    /// The elements at `indices` along `axis`; see ``takeAlongAxis(_:_:axis:)``.
    public func takeAlongAxis(_ indices: Tensor, axis: Int?) throws -> Tensor {
        try TheanoTensor.takeAlongAxis(self, indices, axis: axis)
    }
}
