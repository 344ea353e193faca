import TheanoArray
import TheanoGraph

/// Each element of `x` repeated along `axis` (negative counts from the end; nil: the
/// flattened `x`), with symbolic counts (NumPy's `repeat`): `repeats` is an integer scalar
/// (every element the same number of times) or an integer vector with one count per element
/// of the axis. The result's size along the axis is known only at run time. Built as a gather
/// (``take``) with computed positions, so the gradient sums the copies.
///
/// ```swift
/// let y = try `repeat`(x, repeats: counts, axis: 0)    // counts = [1, 0, 2]
/// ```
///
/// - Throws: `typeMismatch` when `repeats` is not an integer scalar or vector; at run time,
///   for negative counts or a vector of the wrong length.
public func `repeat`(_ x: Tensor, repeats: Tensor, axis: Int? = nil) throws -> Tensor {
    guard repeats.dtype.isInteger, repeats.rank <= 1 else {
        throw TheanoError.typeMismatch("repeat: repeats must be an integer scalar or vector, got \(describeVariable(repeats.variable))")
    }
    if repeats.rank == 0, let n = repeats.constantValue.flatMap({ try? $0.item(Int.self) }) {
        return try `repeat`(x, repeats: n, axis: axis)
    }
    let (input, a) = try inputAlongAxis(x, axis: axis, function: "repeat")
    let size = try input.shape(a)
    // A scalar count is one count for every element (RepeatIndices broadcasts a single count).
    let counts = repeats.rank == 0 ? try dimshuffle(repeats, [DimShuffle.newAxis]) : repeats
    let positions = try RepeatIndices().apply([counts, size])
    return try take(input, positions, axis: a)
}

/// `x`'s elements shifted by the integer scalar `shift` positions along `axis` (negative
/// counts from the end), wrapping around; with no axis, `x` is rolled as if flattened and keeps
/// its shape (NumPy's `roll`). The shift is symbolic; the result is a gather with the positions
/// `(i - shift) mod n`, so the gradient rolls back.
///
/// ```swift
/// let y = try roll(x, shift: k, axis: 1)
/// ```
public func roll(_ x: Tensor, shift: Tensor, axis: Int? = nil) throws -> Tensor {
    guard shift.dtype.isInteger, shift.rank == 0 else {
        throw TheanoError.typeMismatch("roll: shift must be an integer scalar, got \(describeVariable(shift.variable))")
    }
    if let n = shift.constantValue.flatMap({ try? $0.item(Int.self) }) {
        return try roll(x, shift: n, axis: axis)
    }
    guard let axis else {
        let rolled = try roll(flatten(x), shift: shift, axis: 0)
        return try reshape(rolled, x.shapeList())
    }
    let a = try normalizeAxis(axis, rank: x.rank, context: "roll of \(describeVariable(x.variable))")
    let size = try x.shape(a)
    let positions = try mod(sub(arange(size), cast(shift, .int64)), size)
    return try take(x, positions, axis: a)
}

extension Tensor {
    /// Each element repeated a symbolic number of times; see
    /// ``repeat(_:repeats:axis:)-(Tensor,Tensor,Int?)``.
    public func `repeat`(repeats: Tensor, axis: Int? = nil) throws -> Tensor {
        try TheanoTensor.repeat(self, repeats: repeats, axis: axis)
    }
    /// The elements shifted by a symbolic amount; see ``roll(_:shift:axis:)-(Tensor,Tensor,Int?)``.
    public func roll(shift: Tensor, axis: Int? = nil) throws -> Tensor {
        try TheanoTensor.roll(self, shift: shift, axis: axis)
    }
}
