import TheanoArray
import TheanoGraph

/// `x` padded along each axis by `widths[axis].before` elements in front and
/// `widths[axis].after` behind (NumPy's `pad`), filled according to `mode`: a `constant`
/// value, the `edge` element, the mirror image (`reflect` without the edge element,
/// `symmetric` with it) or the other end (`wrap`). Padding wider than the axis repeats the
/// pattern, as in NumPy. `widths` has one entry per axis, or one entry for every axis.
///
/// Differentiable: constant padding writes `x` into a filled array (its gradient is the
/// middle of the output gradient); the other modes gather along each axis (the gradient sums
/// the copies back onto the elements they came from).
///
/// ```swift
/// let y = try pad(x, [(1, 2)], mode: .reflect)     // [1, 2, 3] -> [2, 1, 2, 3, 2, 1]
/// ```
///
/// - Throws: `invalidArgument` for negative widths or a wrong number of entries; at run time,
///   for a non-constant mode on an empty axis that gets padding.
public func pad(_ x: Tensor, _ widths: [(before: Int, after: Int)], mode: PadMode = .constant, constant: Double = 0) throws -> Tensor {
    let all: [(before: Int, after: Int)]
    if widths.count == x.rank {
        all = widths
    } else if widths.count == 1 {
        all = Array(repeating: widths[0], count: x.rank)
    } else {
        throw TheanoError.invalidArgument(
            "pad: expected \(x.rank) (before, after) widths, one per axis of \(describeVariable(x.variable)), or one for every axis; got \(widths.count)")
    }
    if let bad = all.first(where: { $0.before < 0 || $0.after < 0 }) {
        throw TheanoError.invalidArgument("pad: widths must be non-negative, got (\(bad.before), \(bad.after)) for \(describeVariable(x.variable))")
    }
    if all.allSatisfy({ $0.before == 0 && $0.after == 0 }) { return x }
    if mode == .constant { return try padConstant(x, all, constant) }
    var result = x
    for (axis, width) in all.enumerated() where width.before > 0 || width.after > 0 {
        let positions = try PadIndices(mode: mode, before: width.before, after: width.after).apply([result.shape(axis)])
        result = try take(result, positions, axis: axis)
    }
    return result
}

/// `x` padded by `width` elements on both sides of every axis; see ``pad(_:_:mode:constant:)``.
public func pad(_ x: Tensor, _ width: Int, mode: PadMode = .constant, constant: Double = 0) throws -> Tensor {
    try pad(x, [(width, width)], mode: mode, constant: constant)
}

/// `x` padded with a different constant on each side of each axis (NumPy's
/// `pad(x, widths, constant_values=((b0, a0), (b1, a1), ...))`): `constants[axis]` fills the
/// elements in front of and behind `x` along that axis. Axes are padded in order, so a corner
/// takes the value of the last axis that covers it, as in NumPy. `widths` and `constants` have
/// one entry per axis or one for every axis. Built from ``concatenate(_:axis:)`` and filled
/// blocks, so it is differentiable.
///
/// ```swift
/// let y = try pad(x, [(1, 1)], constants: [(-1, 1)])    // [2, 3] -> [-1, 2, 3, 1]
/// ```
public func pad(_ x: Tensor, _ widths: [(before: Int, after: Int)], constants: [(before: Double, after: Double)]) throws -> Tensor {
    func perAxis<T>(_ entries: [T], _ what: String) throws -> [T] {
        if entries.count == x.rank { return entries }
        if entries.count == 1 { return Array(repeating: entries[0], count: x.rank) }
        throw TheanoError.invalidArgument(
            "pad: expected \(x.rank) \(what), one per axis of \(describeVariable(x.variable)), or one for every axis; got \(entries.count)")
    }
    let sides = try perAxis(widths, "(before, after) widths")
    let values = try perAxis(constants, "(before, after) constants")
    if let bad = sides.first(where: { $0.before < 0 || $0.after < 0 }) {
        throw TheanoError.invalidArgument("pad: widths must be non-negative, got (\(bad.before), \(bad.after)) for \(describeVariable(x.variable))")
    }
    var result = x
    for axis in 0..<x.rank where sides[axis].before > 0 || sides[axis].after > 0 {
        var pieces: [Tensor] = []
        for (width, value) in [(sides[axis].before, values[axis].before), (sides[axis].after, values[axis].after)] {
            var sizes = try result.shapeList()
            sizes[axis] = Tensor(shapeConstant(width))
            pieces.append(try alloc(Tensor.constant(value, x.dtype), shape: sizes))
        }
        result = try concatenate([pieces[0], result, pieces[1]], axis: axis)
    }
    return result
}

/// Constant padding: a filled array of the padded shape with `x` written into its middle.
private func padConstant(_ x: Tensor, _ widths: [(before: Int, after: Int)], _ value: Double) throws -> Tensor {
    var sizes: [Tensor] = []
    var middle: [any TensorIndexConvertible] = []
    for (axis, width) in widths.enumerated() {
        let total = try checkedSum([width.before, width.after], context: "pad of \(describeVariable(x.variable))")
        sizes.append(try add(x.shape(axis), Tensor(shapeConstant(total))))
        middle.append(TensorIndex.slice(width.before, width.after == 0 ? nil : -width.after))
    }
    let filled = try alloc(Tensor.constant(value, x.dtype), shape: sizes)
    return try setSubtensor(filled.indexed(middle), x)
}

extension Tensor {
    /// This tensor padded along each axis; see ``pad(_:_:mode:constant:)``.
    public func pad(_ widths: [(before: Int, after: Int)], mode: PadMode = .constant, constant: Double = 0) throws -> Tensor {
        try TheanoTensor.pad(self, widths, mode: mode, constant: constant)
    }
}
