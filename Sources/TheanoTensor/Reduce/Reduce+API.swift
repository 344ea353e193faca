import TheanoArray
import TheanoGraph

// Reductions as free functions and methods. Each takes either one `axis` (nil: every axis) or
// a list of `axes`; negative axes count from the end; `keepdims` keeps reduced axes with size 1.
// An axis out of range or named twice throws when the graph is built.

/// Builds a ``Reduce`` node after normalising the user's axes (messages name `op` and `x`).
func makeReduction(_ kind: ReduceKind, _ x: Tensor, axes: [Int]?, keepdims: Bool, op: String) throws -> Tensor {
    let normalized = try normalizeReductionAxes(axes, rank: x.rank, op: op, input: describeVariable(x.variable))
    return try Reduce(kind, axes: normalized, keepdims: keepdims).apply([x])
}

/// Builds an ``ArgReduce`` node after normalising the user's axis.
func makeArgReduction(_ kind: ArgReduceKind, _ x: Tensor, axis: Int?, keepdims: Bool) throws -> Tensor {
    let normalized = try axis.map {
        try normalizeReductionAxes([$0], rank: x.rank, op: kind.rawValue, input: describeVariable(x.variable))[0]
    }
    return try ArgReduce(kind, axis: normalized, keepdims: keepdims).apply([x])
}

/// The sum over `axis` (nil: every axis). Bool and integer inputs give int64 (NumPy gives
/// uint64 for uint8); floats keep their dtype. The sum of an empty axis is 0.
public func sum(_ x: Tensor, axis: Int? = nil, keepdims: Bool = false) throws -> Tensor {
    try makeReduction(.sum, x, axes: axis.map { [$0] }, keepdims: keepdims, op: "sum")
}
/// The sum over several axes; see ``sum(_:axis:keepdims:)``.
public func sum(_ x: Tensor, axes: [Int], keepdims: Bool = false) throws -> Tensor {
    try makeReduction(.sum, x, axes: axes, keepdims: keepdims, op: "sum")
}

/// The product over `axis` (nil: every axis). Bool and integer inputs give int64 (wrapping on
/// overflow); floats keep their dtype. The product of an empty axis is 1.
public func prod(_ x: Tensor, axis: Int? = nil, keepdims: Bool = false) throws -> Tensor {
    try makeReduction(.prod, x, axes: axis.map { [$0] }, keepdims: keepdims, op: "prod")
}
/// The product over several axes; see ``prod(_:axis:keepdims:)``.
public func prod(_ x: Tensor, axes: [Int], keepdims: Bool = false) throws -> Tensor {
    try makeReduction(.prod, x, axes: axes, keepdims: keepdims, op: "prod")
}

/// The largest value over `axis` (nil: every axis), in the input's dtype; NaN if any value is
/// NaN. Reducing an axis of size 0 throws when the function runs. (For the elementwise larger
/// of two tensors, see ``maximum(_:_:)``.)
public func max(_ x: Tensor, axis: Int? = nil, keepdims: Bool = false) throws -> Tensor {
    try makeReduction(.max, x, axes: axis.map { [$0] }, keepdims: keepdims, op: "max")
}
/// The largest value over several axes; see ``max(_:axis:keepdims:)``.
public func max(_ x: Tensor, axes: [Int], keepdims: Bool = false) throws -> Tensor {
    try makeReduction(.max, x, axes: axes, keepdims: keepdims, op: "max")
}

/// The smallest value over `axis` (nil: every axis), in the input's dtype; NaN if any value is
/// NaN. Reducing an axis of size 0 throws when the function runs. (For the elementwise smaller
/// of two tensors, see ``minimum(_:_:)``.)
public func min(_ x: Tensor, axis: Int? = nil, keepdims: Bool = false) throws -> Tensor {
    try makeReduction(.min, x, axes: axis.map { [$0] }, keepdims: keepdims, op: "min")
}
/// The smallest value over several axes; see ``min(_:axis:keepdims:)``.
public func min(_ x: Tensor, axes: [Int], keepdims: Bool = false) throws -> Tensor {
    try makeReduction(.min, x, axes: axes, keepdims: keepdims, op: "min")
}

/// Whether every value over `axis` (nil: every axis) is non-zero (NaN counts as non-zero), as
/// bool. True for an empty axis.
public func all(_ x: Tensor, axis: Int? = nil, keepdims: Bool = false) throws -> Tensor {
    try makeReduction(.all, x, axes: axis.map { [$0] }, keepdims: keepdims, op: "all")
}
/// Whether every value over several axes is non-zero; see ``all(_:axis:keepdims:)``.
public func all(_ x: Tensor, axes: [Int], keepdims: Bool = false) throws -> Tensor {
    try makeReduction(.all, x, axes: axes, keepdims: keepdims, op: "all")
}

/// Whether some value over `axis` (nil: every axis) is non-zero (NaN counts as non-zero), as
/// bool. False for an empty axis.
public func any(_ x: Tensor, axis: Int? = nil, keepdims: Bool = false) throws -> Tensor {
    try makeReduction(.any, x, axes: axis.map { [$0] }, keepdims: keepdims, op: "any")
}
/// Whether some value over several axes is non-zero; see ``any(_:axis:keepdims:)``.
public func any(_ x: Tensor, axes: [Int], keepdims: Bool = false) throws -> Tensor {
    try makeReduction(.any, x, axes: axes, keepdims: keepdims, op: "any")
}

/// The int64 index of the largest value along `axis`, or into the flattened input (C order)
/// when `axis` is nil. The first of equal values wins; NaN counts as the largest (the first
/// NaN wins). With `keepdims` the reduced axis (every axis, for nil) stays with size 1. An
/// empty axis throws when the function runs.
public func argmax(_ x: Tensor, axis: Int? = nil, keepdims: Bool = false) throws -> Tensor {
    try makeArgReduction(.argmax, x, axis: axis, keepdims: keepdims)
}

/// The int64 index of the smallest value along `axis`, or into the flattened input (C order)
/// when `axis` is nil. The first of equal values wins; NaN counts as the smallest (the first
/// NaN wins). With `keepdims` the reduced axis (every axis, for nil) stays with size 1. An
/// empty axis throws when the function runs.
public func argmin(_ x: Tensor, axis: Int? = nil, keepdims: Bool = false) throws -> Tensor {
    try makeArgReduction(.argmin, x, axis: axis, keepdims: keepdims)
}

extension Tensor {
    /// The sum over `axis` (nil: every axis); see ``sum(_:axis:keepdims:)``.
    public func sum(axis: Int? = nil, keepdims: Bool = false) throws -> Tensor {
        try TheanoTensor.sum(self, axis: axis, keepdims: keepdims)
    }
    /// The sum over several axes; see ``sum(_:axes:keepdims:)``.
    public func sum(axes: [Int], keepdims: Bool = false) throws -> Tensor {
        try TheanoTensor.sum(self, axes: axes, keepdims: keepdims)
    }
    /// The product over `axis` (nil: every axis); see ``prod(_:axis:keepdims:)``.
    public func prod(axis: Int? = nil, keepdims: Bool = false) throws -> Tensor {
        try TheanoTensor.prod(self, axis: axis, keepdims: keepdims)
    }
    /// The product over several axes; see ``prod(_:axes:keepdims:)``.
    public func prod(axes: [Int], keepdims: Bool = false) throws -> Tensor {
        try TheanoTensor.prod(self, axes: axes, keepdims: keepdims)
    }
    /// The largest value over `axis` (nil: every axis); see ``max(_:axis:keepdims:)``.
    public func max(axis: Int? = nil, keepdims: Bool = false) throws -> Tensor {
        try TheanoTensor.max(self, axis: axis, keepdims: keepdims)
    }
    /// The largest value over several axes; see ``max(_:axes:keepdims:)``.
    public func max(axes: [Int], keepdims: Bool = false) throws -> Tensor {
        try TheanoTensor.max(self, axes: axes, keepdims: keepdims)
    }
    /// The smallest value over `axis` (nil: every axis); see ``min(_:axis:keepdims:)``.
    public func min(axis: Int? = nil, keepdims: Bool = false) throws -> Tensor {
        try TheanoTensor.min(self, axis: axis, keepdims: keepdims)
    }
    /// The smallest value over several axes; see ``min(_:axes:keepdims:)``.
    public func min(axes: [Int], keepdims: Bool = false) throws -> Tensor {
        try TheanoTensor.min(self, axes: axes, keepdims: keepdims)
    }
    /// Whether every value over `axis` (nil: every axis) is non-zero; see ``all(_:axis:keepdims:)``.
    public func all(axis: Int? = nil, keepdims: Bool = false) throws -> Tensor {
        try TheanoTensor.all(self, axis: axis, keepdims: keepdims)
    }
    /// Whether every value over several axes is non-zero; see ``all(_:axes:keepdims:)``.
    public func all(axes: [Int], keepdims: Bool = false) throws -> Tensor {
        try TheanoTensor.all(self, axes: axes, keepdims: keepdims)
    }
    /// Whether some value over `axis` (nil: every axis) is non-zero; see ``any(_:axis:keepdims:)``.
    public func any(axis: Int? = nil, keepdims: Bool = false) throws -> Tensor {
        try TheanoTensor.any(self, axis: axis, keepdims: keepdims)
    }
    /// Whether some value over several axes is non-zero; see ``any(_:axes:keepdims:)``.
    public func any(axes: [Int], keepdims: Bool = false) throws -> Tensor {
        try TheanoTensor.any(self, axes: axes, keepdims: keepdims)
    }
    /// The index of the largest value along `axis` (nil: flattened); see ``argmax(_:axis:keepdims:)``.
    public func argmax(axis: Int? = nil, keepdims: Bool = false) throws -> Tensor {
        try TheanoTensor.argmax(self, axis: axis, keepdims: keepdims)
    }
    /// The index of the smallest value along `axis` (nil: flattened); see ``argmin(_:axis:keepdims:)``.
    public func argmin(axis: Int? = nil, keepdims: Bool = false) throws -> Tensor {
        try TheanoTensor.argmin(self, axis: axis, keepdims: keepdims)
    }
}
