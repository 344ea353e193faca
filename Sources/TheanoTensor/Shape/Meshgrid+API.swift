import TheanoArray
import TheanoGraph

/// How ``meshgrid(_:indexing:)`` orders its output axes.
public enum MeshgridIndexing: String, Sendable {
    /// Cartesian: the first two axes exchanged (`x` varies along columns), NumPy's default.
    case xy
    /// Matrix: output axis `i` follows input `i`.
    case ij
}

/// Coordinate arrays from coordinate vectors (NumPy's `meshgrid`): for inputs of sizes
/// `n1, ..., nk`, k arrays of shape `[n1, ..., nk]` (`.ij`) or `[n2, n1, n3, ..., nk]` (`.xy`),
/// the i-th holding input i's values along its axis. Inputs of higher rank are flattened first,
/// as in NumPy. Each output is a broadcast of its input, so gradients sum back over the copies.
///
/// ```swift
/// let grid = try meshgrid([x, y])          // x: [3], y: [2] -> two [2, 3] arrays
/// ```
public func meshgrid(_ inputs: [Tensor], indexing: MeshgridIndexing = .xy) throws -> [Tensor] {
    let vectors = try inputs.map { $0.rank == 1 ? $0 : try flatten($0) }
    let k = vectors.count
    // The output axis that each input's values run along.
    var positions = Array(0..<k)
    if indexing == .xy && k >= 2 { positions.swapAt(0, 1) }
    var sizes = Array(repeating: Tensor(shapeConstant(0)), count: k)
    for (i, v) in vectors.enumerated() { sizes[positions[i]] = try v.shape(0) }
    return try vectors.enumerated().map { i, v in
        var order = Array(repeating: DimShuffle.newAxis, count: k)
        order[positions[i]] = 0
        return try broadcastTo(dimshuffle(v, order), sizes)
    }
}

/// Coordinate arrays from coordinate vectors, written as NumPy's `meshgrid(x, y, ...)`; see
/// ``meshgrid(_:indexing:)-([Tensor],MeshgridIndexing)``.
///
/// ```swift
/// let grid = try meshgrid(x, y, indexing: .ij)
/// ```
public func meshgrid(_ inputs: Tensor..., indexing: MeshgridIndexing = .xy) throws -> [Tensor] {
    try meshgrid(inputs, indexing: indexing)
}
