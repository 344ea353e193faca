import TheanoArray
import TheanoGraph

/// `value` broadcast against `model` (Theano's `fill`): the result has the broadcast shape of
/// the two and `value`'s elements; `model`'s values are not read.
///
/// ```swift
/// let x = Tensor.matrix("x")          // float32[?, ?]
/// let z = try fill(x, 0)              // zeros shaped like x, float32
/// let rows = try fill(x, v)           // v (a float32[?] row) repeated on every row of x
/// ```
///
/// The dtype is `value`'s; a Swift number literal takes `model`'s dtype (as `x * 2` does).
/// Axes broadcast by the static rule (an axis of static size 1 repeats); other axes must have
/// equal sizes, checked when the graph is built where both are static and at run time
/// otherwise. The gradient flows to `value` (summed over the repeated axes); `model` gets
/// none.
public func fill(_ model: Tensor, _ value: Tensor) throws -> Tensor {
    let filler = value.variable.isWeakConstant ? try fullFillValue(value, model.dtype) : value
    let rank = Swift.max(model.rank, filler.rank)
    let sizes = try (0..<rank).map { axis -> Tensor in
        let m = axis - (rank - model.rank), v = axis - (rank - filler.rank)
        if m >= 0, model.staticShape[m] != 1 { return try model.shape(m) }
        if v >= 0 { return try filler.shape(v) }
        return Tensor(shapeConstant(1))
    }
    for axis in 0..<rank {
        let m = axis - (rank - model.rank), v = axis - (rank - filler.rank)
        guard m >= 0, v >= 0, let a = model.staticShape[m], let b = filler.staticShape[v] else { continue }
        guard a == b || a == 1 || b == 1 else {
            throw TheanoError.shapeMismatch(
                "fill: \(describeVariable(value.variable)) does not broadcast against \(describeVariable(model.variable)): sizes \(b) and \(a) at axis \(axis)")
        }
    }
    return try allocNode(filler, sizes, opName: "fill")
}

extension Tensor {
    /// `value` broadcast to this tensor's shape; see ``fill(_:_:)``.
    public func fill(_ value: Tensor) throws -> Tensor { try TheanoTensor.fill(self, value) }
}
