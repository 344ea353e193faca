import TheanoArray
import TheanoGraph

/// The tensors joined along an existing `axis` (NumPy's `concatenate`; negative axes count
/// from the end). Dtypes are promoted as NumPy does (`int32` and `float32` give `float64`).
///
/// ```swift
/// let z = try concatenate([x, y], axis: 0)     // float32[2, 3] and float32[?, 3] -> [?, 3]
/// ```
///
/// - Throws: for an empty list, zero-dimensional tensors, different ranks, an axis out of
///   range, or sizes that differ on another axis (at build time where static, else at run time).
public func concatenate(_ tensors: [Tensor], axis: Int = 0) throws -> Tensor {
    guard let first = tensors.first else {
        throw TheanoError.invalidArgument("concatenate: needs at least one tensor")
    }
    guard first.rank > 0 else {
        throw TheanoError.shapeMismatch("concatenate: zero-dimensional tensors cannot be concatenated, got \(describeVariable(first.variable))")
    }
    if let bad = tensors.firstIndex(where: { $0.rank != first.rank }) {
        throw TheanoError.shapeMismatch(
            "concatenate: all tensors must have the same rank; tensor 0 is \(describeVariable(first.variable)) and tensor \(bad) is \(describeVariable(tensors[bad].variable))")
    }
    let a = try normalizeAxis(axis, rank: first.rank, context: "concatenate")
    let dtype = promoteWithWeak(tensors)
    let converted = try tensors.map { try convert($0, to: dtype) }
    return try Join(axis: a).apply(converted)
}

/// The tensors, which must all have the same shape, stacked along a new axis `axis` of the
/// result (NumPy's `stack`; negative counts from the end of the result). Dtypes are promoted.
public func stack(_ tensors: [Tensor], axis: Int = 0) throws -> Tensor {
    guard let first = tensors.first else {
        throw TheanoError.invalidArgument("stack: needs at least one tensor")
    }
    for (i, t) in tensors.enumerated().dropFirst() {
        guard t.rank == first.rank, zip(t.staticShape, first.staticShape).allSatisfy({ $0 == nil || $1 == nil || $0 == $1 }) else {
            throw TheanoError.shapeMismatch(
                "stack: all tensors must have the same shape; tensor 0 is \(describeVariable(first.variable)) and tensor \(i) is \(describeVariable(t.variable))")
        }
    }
    let a = try normalizeNewAxis(axis, input: first, opName: "stack")
    return try concatenate(tensors.map { try expandDims($0, axis: a) }, axis: a)
}

/// `x` cut along `axis` into consecutive pieces of the given sizes, which must add up to the
/// size of the axis. The pieces are views.
///
/// ```swift
/// let parts = try split(x, sizes: [2, 3], axis: 1)   // float32[4, 5] -> [4, 2] and [4, 3]
/// ```
public func split(_ x: Tensor, sizes: [Int], axis: Int = 0) throws -> [Tensor] {
    let a = try normalizeAxis(axis, rank: x.rank, context: "split of \(describeVariable(x.variable))")
    return try Split(axis: a, sections: .sizes(sizes)).applyAll([x])
}

/// `x` cut along `axis` into `parts` pieces of equal size (NumPy's `split` with an integer).
/// The size of the axis must be a multiple of `parts`. The pieces are views.
public func split(_ x: Tensor, parts: Int, axis: Int = 0) throws -> [Tensor] {
    let a = try normalizeAxis(axis, rank: x.rank, context: "split of \(describeVariable(x.variable))")
    return try Split(axis: a, sections: .equalParts(parts)).applyAll([x])
}

extension Tensor {
    /// This tensor followed by `others` along `axis`; see ``concatenate(_:axis:)``.
    public func concatenate(_ others: [Tensor], axis: Int = 0) throws -> Tensor {
        try TheanoTensor.concatenate([self] + others, axis: axis)
    }
    /// This tensor and `others` stacked along a new axis; see ``stack(_:axis:)``.
    public func stack(_ others: [Tensor], axis: Int = 0) throws -> Tensor {
        try TheanoTensor.stack([self] + others, axis: axis)
    }
    /// Consecutive pieces of the given sizes along `axis`; see ``split(_:sizes:axis:)``.
    public func split(sizes: [Int], axis: Int = 0) throws -> [Tensor] {
        try TheanoTensor.split(self, sizes: sizes, axis: axis)
    }
    /// `parts` equal pieces along `axis`; see ``split(_:parts:axis:)``.
    public func split(parts: Int, axis: Int = 0) throws -> [Tensor] {
        try TheanoTensor.split(self, parts: parts, axis: axis)
    }
}
