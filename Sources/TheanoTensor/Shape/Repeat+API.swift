import TheanoArray
import TheanoGraph

/// `x` repeated `reps[i]` times along each axis (NumPy's `tile`). When `reps` is shorter than
/// `x`'s rank it is padded with leading 1s; when longer, `x` gains leading axes of size 1.
///
/// ```swift
/// let y = try tile(x, reps: [2, 1])     // float32[2, 3] -> float32[4, 3]
/// ```
public func tile(_ x: Tensor, reps: [Int]) throws -> Tensor {
    if let bad = reps.first(where: { $0 < 0 }) {
        throw TheanoError.invalidArgument("tile: repetition counts must be non-negative, got \(bad) in \(reps) for \(describeVariable(x.variable))")
    }
    let rank = Swift.max(x.rank, reps.count)
    let padded = try dimshuffle(x, Array(repeating: DimShuffle.newAxis, count: rank - x.rank) + Array(0..<x.rank))
    let counts = Array(repeating: 1, count: rank - reps.count) + reps
    if counts.allSatisfy({ $0 == 1 }) { return padded }
    return try Tile(reps: counts).apply([padded])
}

/// Each element of `x` repeated `repeats` times along `axis` (negative counts from the end);
/// with no axis, the elements of the flattened `x`, giving a vector (NumPy's `repeat`).
///
/// ```swift
/// let y = try `repeat`(x, repeats: 2, axis: 0)    // [[1, 2]] -> [[1, 2], [1, 2]]
/// ```
public func `repeat`(_ x: Tensor, repeats: Int, axis: Int? = nil) throws -> Tensor {
    let a = try axis.map { try normalizeAxis($0, rank: x.rank, context: "repeat of \(describeVariable(x.variable))") }
    return try Repeat(repeats: repeats, axis: a).apply([x])
}

/// `x` with the order of elements reversed along `axis` (negative counts from the end), or
/// along every axis when `axis` is nil (NumPy's `flip`). A view.
public func flip(_ x: Tensor, axis: Int? = nil) throws -> Tensor {
    guard let axis else { return try flip(x, axes: Array(0..<x.rank)) }
    return try flip(x, axes: [axis])
}

/// `x` with the order of elements reversed along each of `axes`. A view.
public func flip(_ x: Tensor, axes: [Int]) throws -> Tensor {
    let normalized = try axes.map { try normalizeAxis($0, rank: x.rank, context: "flip of \(describeVariable(x.variable))") }
    guard Set(normalized).count == normalized.count else {
        throw TheanoError.invalidArgument("flip: axes \(axes) repeat an axis of \(describeVariable(x.variable))")
    }
    if normalized.isEmpty { return x }
    return try Flip(axes: normalized).apply([x])
}

/// `x`'s elements shifted by `shift` positions along `axis`, wrapping around (NumPy's `roll`;
/// negative shifts go the other way). With no axis, `x` is rolled as if flattened and keeps
/// its shape.
public func roll(_ x: Tensor, shift: Int, axis: Int? = nil) throws -> Tensor {
    let a = try axis.map { try normalizeAxis($0, rank: x.rank, context: "roll of \(describeVariable(x.variable))") }
    return try Roll(shift: shift, axis: a).apply([x])
}

extension Tensor {
    /// This tensor repeated along each axis; see ``tile(_:reps:)``.
    public func tile(reps: [Int]) throws -> Tensor { try TheanoTensor.tile(self, reps: reps) }
    /// Each element repeated along `axis` (flattened when nil); see ``repeat(_:repeats:axis:)``.
    public func `repeat`(repeats: Int, axis: Int? = nil) throws -> Tensor {
        try TheanoTensor.repeat(self, repeats: repeats, axis: axis)
    }
    /// This tensor reversed along `axis` (every axis when nil); see ``flip(_:axis:)``.
    public func flip(axis: Int? = nil) throws -> Tensor { try TheanoTensor.flip(self, axis: axis) }
    /// This tensor reversed along each of `axes`; see ``flip(_:axes:)``.
    public func flip(axes: [Int]) throws -> Tensor { try TheanoTensor.flip(self, axes: axes) }
    /// This tensor's elements shifted along `axis`, wrapping around; see ``roll(_:shift:axis:)``.
    public func roll(shift: Int, axis: Int? = nil) throws -> Tensor { try TheanoTensor.roll(self, shift: shift, axis: axis) }
}
