import TheanoArray
import TheanoGraph

/// `x` with the elements that `indexed` selects replaced by `value` (Theano's
/// `set_subtensor`): `setSubtensor(x[1..<3], y)`, `setSubtensor(x[idx], 0)`,
/// `setSubtensor(x[mask], y)`.
///
/// Functional: returns a new tensor, `x` is unchanged. `value` is cast to `x`'s dtype and
/// broadcast to the selection's shape. Where an index array repeats a position, the last value
/// wins.
///
/// - Throws: `invalidArgument` when `indexed` is not an indexing expression (the output of
///   `x[...]`); `shapeMismatch` when `value` does not broadcast to the selection.
public func setSubtensor(_ indexed: Tensor, _ value: Tensor) throws -> Tensor {
    try updateSubtensor(indexed, value, mode: .set, function: "setSubtensor")
}

/// `x` with `value` added to the elements that `indexed` selects (Theano's `inc_subtensor`):
/// `incSubtensor(x[1..<3], y)`, `incSubtensor(x[idx], 1)`.
///
/// Functional: returns a new tensor, `x` is unchanged. `value` is cast to `x`'s dtype and
/// broadcast to the selection's shape. Repeated positions in an index array accumulate every
/// value (like NumPy's `np.add.at`, unlike `x[idx] += y`).
///
/// - Throws: `invalidArgument` when `indexed` is not an indexing expression (the output of
///   `x[...]`); `shapeMismatch` when `value` does not broadcast to the selection.
public func incSubtensor(_ indexed: Tensor, _ value: Tensor) throws -> Tensor {
    try updateSubtensor(indexed, value, mode: .increment, function: "incSubtensor")
}

func updateSubtensor(_ indexed: Tensor, _ value: Tensor, mode: IncSubtensor.Mode, function: String) throws -> Tensor {
    let node = indexed.variable.owner
    let entries = (node?.op as? Subtensor)?.entries ?? (node?.op as? AdvancedSubtensor)?.entries
    guard let node, let entries else {
        throw TheanoError.invalidArgument(
            "\(function): the first argument must be an indexing expression such as x[1..<3] or x[idx] (the output of Subtensor or AdvancedSubtensor), got \(describeVariable(indexed.variable))")
    }
    let x = node.inputs[0]
    let y = try convert(value, to: x.type.dtype)
    return Tensor(try IncSubtensor(entries, mode: mode).makeNode([x, y.variable] + node.inputs.dropFirst()).output)
}

/// NumPy's `take`: the elements of `x` at `indices` along `axis`, or of the flattened `x` when
/// `axis` is nil. The result has shape `x.shape[..<axis] + indices.shape + x.shape[(axis+1)...]`
/// (`indices.shape` when `axis` is nil). Negative indices count from the end.
///
/// - Throws: `typeMismatch` for non-integer indices; `outOfRange` for a bad axis, and at run
///   time for an index out of bounds.
public func take(_ x: Tensor, _ indices: Tensor, axis: Int? = nil) throws -> Tensor {
    guard indices.dtype.isInteger else {
        throw TheanoError.typeMismatch("take: indices must have an integer dtype, got \(describeVariable(indices.variable))")
    }
    if let axis {
        let a = try normalizeAxis(axis, rank: x.rank, context: "take from \(describeVariable(x.variable))")
        return try x.indexNode(Array(repeating: .all, count: a) + [indices.tensorIndex])
    }
    if x.rank == 1 { return try x.indexNode([indices.tensorIndex]) }
    return try TakeFlat().apply([x, indices])
}

extension Tensor {
    /// A copy of `self` with `self[indices]` replaced by `value`; see ``setSubtensor(_:_:)``.
    public func setting(_ indices: any TensorIndexConvertible..., to value: Tensor) throws -> Tensor {
        try updateSubtensor(indexNode(indices.map(\.tensorIndex)), value, mode: .set, function: "setting")
    }

    /// A copy of `self` with `value` added to `self[indices]` (repeated positions accumulate);
    /// see ``incSubtensor(_:_:)``.
    public func incrementing(_ indices: any TensorIndexConvertible..., by value: Tensor) throws -> Tensor {
        try updateSubtensor(indexNode(indices.map(\.tensorIndex)), value, mode: .increment, function: "incrementing")
    }

    /// The elements at `indices` along `axis` (flattened when nil); see ``take(_:_:axis:)``.
    public func take(_ indices: Tensor, axis: Int? = nil) throws -> Tensor {
        try TheanoTensor.take(self, indices, axis: axis)
    }
}
