import TheanoArray
import TheanoGraph

/// The int64 positions that sort `x` along `axis` (negative counts from the end; nil sorts
/// the flattened `x`), stable: equal values keep their order (NumPy's
/// `argsort(kind="stable")`). NaN sorts after every number, as in NumPy, so it comes last
/// (first when `descending`).
///
/// ```swift
/// let order = try argsort(x)              // [3, 1, 2] -> [1, 2, 0]
/// ```
public func argsort(_ x: Tensor, axis: Int? = -1, descending: Bool = false) throws -> Tensor {
    let (input, a) = try sortInput(x, axis: axis, function: "argsort")
    return try ArgSort(axis: a, descending: descending).apply([input])
}

/// `x` sorted along `axis` (negative counts from the end; nil sorts the flattened `x`),
/// ascending or `descending`, NaN last ascending (NumPy's order). Differentiable: the gradient
/// goes back to the position each element came from.
///
/// ```swift
/// let s = try sort(x)                     // [3, 1, 2] -> [1, 2, 3]
/// ```
public func sort(_ x: Tensor, axis: Int? = -1, descending: Bool = false) throws -> Tensor {
    let (input, a) = try sortInput(x, axis: axis, function: "sort")
    let order = try ArgSort(axis: a, descending: descending).apply([input])
    return try takeAlongAxis(input, order, axis: a)
}

/// The `k` largest (or, with `largest: false`, smallest) elements of `x` along `axis`, sorted
/// (largest first, or smallest first), with their int64 positions. Ties keep the earlier
/// position first; NaN counts as larger than every number (NumPy's order). The values are
/// differentiable.
///
/// ```swift
/// let (values, indices) = try topk(x, 2)  // [1, 5, 3] -> [5, 3], [1, 2]
/// ```
///
/// - Throws: `invalidArgument` for a negative `k`; `shapeMismatch` when the axis is statically
///   shorter than `k` (at run time, when it turns out shorter).
public func topk(_ x: Tensor, _ k: Int, axis: Int = -1, largest: Bool = true) throws -> (values: Tensor, indices: Tensor) {
    let (input, a) = try sortInput(x, axis: axis, function: "topk")
    let indices = try ArgSort(axis: a, descending: largest, count: k).apply([input])
    return (try takeAlongAxis(input, indices, axis: a), indices)
}

/// The `k` largest (or smallest) elements of `x` along `axis` and their positions, with a
/// symbolic count `k` (an integer scalar); see ``topk(_:_:axis:largest:)-(Tensor,Int,Int,Bool)``.
/// The axis size of the results is known only at run time (unless `k` is a constant); a
/// negative `k` or one above the axis size throws then.
public func topk(_ x: Tensor, _ k: Tensor, axis: Int = -1, largest: Bool = true) throws -> (values: Tensor, indices: Tensor) {
    if k.rank == 0, let n = k.constantValue.flatMap({ try? $0.item(Int.self) }) {
        return try topk(x, n, axis: axis, largest: largest)
    }
    let (input, a) = try sortInput(x, axis: axis, function: "topk")
    let indices = try ArgSort(axis: a, descending: largest).apply([input, k])
    return (try takeAlongAxis(input, indices, axis: a), indices)
}

/// For each element of `values`, the int64 position in the ascending vector `sorted` where it
/// would be inserted to keep the order: before equal elements (`side: .left`) or after them
/// (`.right`) (NumPy's `searchsorted`). The result has `values`' shape. See ``SearchSorted``.
///
/// ```swift
/// let i = try searchsorted(edges, x, side: .right)
/// ```
public func searchsorted(_ sorted: Tensor, _ values: Tensor, side: SearchSorted.Side = .left) throws -> Tensor {
    try SearchSorted(side: side).apply([sorted, values])
}

/// The input and non-negative axis of a sort: `x` flattened for a nil axis.
func sortInput(_ x: Tensor, axis: Int?, function: String) throws -> (Tensor, Int) {
    guard let axis else { return (try flatten(x), 0) }
    guard x.rank > 0 else {
        throw TheanoError.outOfRange("\(function): \(describeVariable(x.variable)) has rank 0 and no axis \(axis) to sort along; use axis: nil")
    }
    return (x, try normalizeAxis(axis, rank: x.rank, context: "\(function) of \(describeVariable(x.variable))"))
}

extension Tensor {
    /// The positions that sort this tensor along `axis`; see ``argsort(_:axis:descending:)``.
    public func argsort(axis: Int? = -1, descending: Bool = false) throws -> Tensor {
        try TheanoTensor.argsort(self, axis: axis, descending: descending)
    }
    /// This tensor sorted along `axis`; see ``sort(_:axis:descending:)``.
    public func sort(axis: Int? = -1, descending: Bool = false) throws -> Tensor {
        try TheanoTensor.sort(self, axis: axis, descending: descending)
    }
    /// Where each of `values` would be inserted into this ascending vector; see
    /// ``searchsorted(_:_:side:)``.
    public func searchsorted(_ values: Tensor, side: SearchSorted.Side = .left) throws -> Tensor {
        try TheanoTensor.searchsorted(self, values, side: side)
    }
    /// The `k` largest (or smallest) elements and their positions; see ``topk(_:_:axis:largest:)``.
    public func topk(_ k: Int, axis: Int = -1, largest: Bool = true) throws -> (values: Tensor, indices: Tensor) {
        try TheanoTensor.topk(self, k, axis: axis, largest: largest)
    }
}
