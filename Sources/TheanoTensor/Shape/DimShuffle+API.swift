import TheanoArray
import TheanoGraph

/// `x` with its axes permuted: output axis `i` is input axis `axes[i]` (negative axes count
/// from the end). With no axes, the axes are reversed (a matrix transpose). A view.
///
/// - Throws: when `axes` is not a permutation of `x`'s axes.
public func transpose(_ x: Tensor, axes: [Int]? = nil) throws -> Tensor {
    let order: [Int]
    if let axes {
        order = try axes.map { try normalizeAxis($0, rank: x.rank, context: "transpose of \(describeVariable(x.variable))") }
        guard order.count == x.rank, Set(order).count == order.count else {
            throw TheanoError.invalidArgument(
                "transpose: axes \(axes) are not a permutation of the \(x.rank) axes of \(describeVariable(x.variable))")
        }
    } else {
        order = Array((0..<x.rank).reversed())
    }
    if order == Array(0..<x.rank) { return x }
    return try DimShuffle(inputRank: x.rank, order: order).apply([x])
}

/// Theano's `dimshuffle`: output axis `i` is input axis `order[i]`, or a new axis of size 1
/// where `order[i]` is ``DimShuffle/newAxis`` (-1). Input axes left out are dropped; only axes
/// of static size 1 can be dropped. A view.
///
/// ```swift
/// let row = try dimshuffle(v, [DimShuffle.newAxis, 0])   // float32[?] -> float32[1, ?]
/// ```
public func dimshuffle(_ x: Tensor, _ order: [Int]) throws -> Tensor {
    for axis in order where axis < DimShuffle.newAxis || axis >= x.rank {
        throw TheanoError.outOfRange(
            "dimshuffle: axis \(axis) is out of range for \(describeVariable(x.variable)) of rank \(x.rank) (valid: 0...\(x.rank - 1), or -1 for a new axis)")
    }
    let used = order.filter { $0 != DimShuffle.newAxis }
    guard Set(used).count == used.count else {
        throw TheanoError.invalidArgument("dimshuffle: the order \(order) names an axis of \(describeVariable(x.variable)) more than once")
    }
    for axis in 0..<x.rank where !used.contains(axis) && x.staticShape[axis] != 1 {
        throw TheanoError.shapeMismatch(
            "dimshuffle: the order \(order) drops axis \(axis) of \(describeVariable(x.variable)), but only axes of static size 1 can be dropped")
    }
    if order == Array(0..<x.rank) { return x }
    return try DimShuffle(inputRank: x.rank, order: order).apply([x])
}

/// `x` without the given axes, which must have static size 1 (NumPy's `squeeze`). With no axes,
/// every axis of static size 1 is removed. A view.
///
/// - Throws: when an axis is out of range, repeated, or not of static size 1.
public func squeeze(_ x: Tensor, axes: [Int]? = nil) throws -> Tensor {
    let drop: [Int]
    if let axes {
        drop = try axes.map { try normalizeAxis($0, rank: x.rank, context: "squeeze of \(describeVariable(x.variable))") }
        guard Set(drop).count == drop.count else {
            throw TheanoError.invalidArgument("squeeze: axes \(axes) repeat an axis of \(describeVariable(x.variable))")
        }
        for (given, axis) in zip(axes, drop) where x.staticShape[axis] != 1 {
            let size = x.staticShape[axis].map { "size \($0)" } ?? "a size unknown until run time"
            throw TheanoError.shapeMismatch(
                "squeeze: cannot remove axis \(given) of \(describeVariable(x.variable)): it has \(size), and only axes of static size 1 can be removed (use reshape for sizes known only at run time)")
        }
    } else {
        drop = (0..<x.rank).filter { x.staticShape[$0] == 1 }
    }
    if drop.isEmpty { return x }
    return try DimShuffle(inputRank: x.rank, order: (0..<x.rank).filter { !drop.contains($0) }).apply([x])
}

/// `x` with a new axis of size 1 inserted at `axis` of the result (negative counts from the
/// end of the result, as NumPy's `expand_dims`). A view.
public func expandDims(_ x: Tensor, axis: Int) throws -> Tensor {
    let a = try normalizeNewAxis(axis, input: x, opName: "expandDims")
    var order = Array(0..<x.rank)
    order.insert(DimShuffle.newAxis, at: a)
    return try DimShuffle(inputRank: x.rank, order: order).apply([x])
}

extension Tensor {
    /// This tensor with its axes permuted; see ``transpose(_:axes:)``.
    public func transpose(axes: [Int]? = nil) throws -> Tensor { try TheanoTensor.transpose(self, axes: axes) }
    /// This tensor with its axes permuted (reversed when `axes` is nil); see ``transpose(_:axes:)``.
    public func transposed(_ axes: [Int]? = nil) throws -> Tensor { try TheanoTensor.transpose(self, axes: axes) }
    /// The transpose (axes reversed), NumPy's `x.T`: `try x.T`.
    public var T: Tensor {
        get throws { try TheanoTensor.transpose(self) }
    }
    /// Axes reordered, added (-1) or dropped; see ``dimshuffle(_:_:)``.
    public func dimshuffle(_ order: [Int]) throws -> Tensor { try TheanoTensor.dimshuffle(self, order) }
    /// Axes reordered, added (-1) or dropped; see ``dimshuffle(_:_:)``.
    public func dimshuffle(_ order: Int...) throws -> Tensor { try TheanoTensor.dimshuffle(self, order) }
    /// This tensor without axes of static size 1; see ``squeeze(_:axes:)``.
    public func squeeze(axes: [Int]? = nil) throws -> Tensor { try TheanoTensor.squeeze(self, axes: axes) }
    /// This tensor with a new axis of size 1; see ``expandDims(_:axis:)``.
    public func expandDims(axis: Int) throws -> Tensor { try TheanoTensor.expandDims(self, axis: axis) }
}
