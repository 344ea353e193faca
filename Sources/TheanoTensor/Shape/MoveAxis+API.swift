import TheanoArray
import TheanoGraph

/// `x` with axes `axis1` and `axis2` exchanged (NumPy's `swapaxes`; negative axes count from
/// the end). A view (a ``DimShuffle``).
///
/// ```swift
/// let y = try swapaxes(x, 0, 2)            // [2, 3, 4] -> [4, 3, 2]
/// ```
public func swapaxes(_ x: Tensor, _ axis1: Int, _ axis2: Int) throws -> Tensor {
    let context = "swapaxes of \(describeVariable(x.variable))"
    let a = try normalizeAxis(axis1, rank: x.rank, context: context)
    let b = try normalizeAxis(axis2, rank: x.rank, context: context)
    var order = Array(0..<x.rank)
    order.swapAt(a, b)
    return try transpose(x, axes: order)
}

/// `x` with axis `source` moved to position `destination`, the other axes keeping their order
/// (NumPy's `moveaxis`). A view (a ``DimShuffle``).
///
/// ```swift
/// let y = try moveaxis(x, 0, -1)           // [2, 3, 4] -> [3, 4, 2]
/// ```
public func moveaxis(_ x: Tensor, _ source: Int, _ destination: Int) throws -> Tensor {
    try moveaxis(x, [source], [destination])
}

/// `x` with the axes `source` moved to the positions `destination` (same length, no
/// repeats), the other axes keeping their order (NumPy's `moveaxis`). A view.
public func moveaxis(_ x: Tensor, _ source: [Int], _ destination: [Int]) throws -> Tensor {
    let context = "moveaxis of \(describeVariable(x.variable))"
    guard source.count == destination.count else {
        throw TheanoError.invalidArgument(
            "moveaxis: source \(source) and destination \(destination) must have the same number of axes, for \(describeVariable(x.variable))")
    }
    let from = try source.map { try normalizeAxis($0, rank: x.rank, context: context) }
    let to = try destination.map { try normalizeAxis($0, rank: x.rank, context: context) }
    guard Set(from).count == from.count, Set(to).count == to.count else {
        throw TheanoError.invalidArgument("moveaxis: repeated axes in source \(source) or destination \(destination) for \(describeVariable(x.variable))")
    }
    var order = (0..<x.rank).filter { !from.contains($0) }
    for (target, axis) in zip(to, from).sorted(by: { $0.0 < $1.0 }) {
        order.insert(axis, at: target)
    }
    return try transpose(x, axes: order)
}

extension Tensor {
    /// This tensor with two axes exchanged; see ``swapaxes(_:_:_:)``.
    public func swapaxes(_ axis1: Int, _ axis2: Int) throws -> Tensor { try TheanoTensor.swapaxes(self, axis1, axis2) }
    /// This tensor with one axis moved; see ``moveaxis(_:_:_:)-(Tensor,Int,Int)``.
    public func moveaxis(_ source: Int, _ destination: Int) throws -> Tensor { try TheanoTensor.moveaxis(self, source, destination) }
}
