import TheanoArray
import TheanoGraph

// Small structural ops on the last two axes that the linear-algebra gradients are built from
// (triangles, diagonals). They batch over any leading axes and accept any dtype. Internal:
// the public `tril` / `triu` / `diagonal` family is a separate concern (issue 15, part 5).

/// The lower (`i >= j`) or upper (`i <= j`) triangle of the last two axes, the rest zero, with
/// the diagonal multiplied by `diagonal` (1 keeps it, 0 drops it, 0.5 halves it).
struct TrianglePart: Op {
    let lower: Bool
    let diagonal: Double

    var description: String { "TrianglePart{\(lower ? "lower" : "upper"), diagonal: \(diagonal)}" }

    func makeNode(_ inputs: [Variable]) throws -> Apply {
        guard inputs.count == 1, inputs[0].type.rank >= 2 else {
            throw TheanoError.invalidArgument("\(self): expects one input of rank >= 2")
        }
        return Apply(op: self, inputs: inputs, outputTypes: [inputs[0].type])
    }

    func perform(_ node: Apply, _ inputs: [NDArray]) throws -> [NDArray] {
        [try masked(inputs[0], inputs[0].dtype.elementType)]
    }

    /// The mask applied in the element type itself (exact for every dtype).
    private func masked<T: NDArrayElement>(_ x: NDArray, _ type: T.Type) throws -> NDArray {
        let (m, n) = (x.shape[x.rank - 2], x.shape[x.rank - 1])
        var values = x.toArray(of: T.self)
        let zero = T.element(fromInt64: 0)
        for k in values.indices {
            let i = (k / Swift.max(n, 1)) % Swift.max(m, 1), j = k % Swift.max(n, 1)
            if i == j {
                if diagonal == 0 {
                    values[k] = zero
                } else if diagonal != 1 {
                    values[k] = T.element(fromDouble: values[k].doubleValue * diagonal)
                }
            } else if (i > j) != lower {
                values[k] = zero
            }
        }
        return try NDArray(values, shape: x.shape)
    }

    func inferShape(_ node: Apply, _ inputShapes: [[Variable]]) throws -> [[Variable]] { inputShapes }
}

/// The diagonal of the last two (square) axes: `[..., n, n] -> [..., n]`.
struct MatrixDiagonalPart: Op {
    var description: String { "MatrixDiagonalPart" }

    func makeNode(_ inputs: [Variable]) throws -> Apply {
        guard inputs.count == 1, inputs[0].type.rank >= 2 else {
            throw TheanoError.invalidArgument("\(self): expects one input of rank >= 2")
        }
        let t = inputs[0].type
        let (m, n) = (t.shape[t.rank - 2], t.shape[t.rank - 1])
        if let m, let n, m != n {
            throw TheanoError.shapeMismatch("\(self): \(describeVariable(inputs[0])) is not square in its last two axes (\(m) x \(n))")
        }
        return Apply(op: self, inputs: inputs, outputTypes: [TensorType(t.dtype, shape: Array(t.shape.dropLast(2)) + [m ?? n])])
    }

    func perform(_ node: Apply, _ inputs: [NDArray]) throws -> [NDArray] {
        let x = inputs[0]
        let (m, n) = (x.shape[x.rank - 2], x.shape[x.rank - 1])
        guard m == n else {
            throw TheanoError.shapeMismatch("\(self): at run time, \(expressionText(node.inputs[0])) of shape \(formatShape(x.shape)) is not square in its last two axes")
        }
        return [try MatrixDiagonalPart.diagonal(x, n, x.dtype.elementType)]
    }

    private static func diagonal<T: NDArrayElement>(_ x: NDArray, _ n: Int, _ type: T.Type) throws -> NDArray {
        let values = x.toArray(of: T.self)
        let count = shapeSize(Array(x.shape.dropLast(2)))
        var out: [T] = []
        out.reserveCapacity(count * n)
        for b in 0..<count {
            for i in 0..<n { out.append(values[b * n * n + i * n + i]) }
        }
        return try NDArray(out, shape: Array(x.shape.dropLast()))
    }

    func inferShape(_ node: Apply, _ inputShapes: [[Variable]]) throws -> [[Variable]] {
        let s = inputShapes[0]
        let known = node.outputTypes[0].shape.last ?? nil
        return [Array(s.dropLast(2)) + [known.map(shapeConstant) ?? s[s.count - 1]]]
    }
}

/// A square matrix with the last axis on its diagonal: `[..., n] -> [..., n, n]`.
struct DiagonalMatrix: Op {
    var description: String { "DiagonalMatrix" }

    func makeNode(_ inputs: [Variable]) throws -> Apply {
        guard inputs.count == 1, inputs[0].type.rank >= 1 else {
            throw TheanoError.invalidArgument("\(self): expects one input of rank >= 1")
        }
        let t = inputs[0].type
        let shape = t.shape + [t.shape[t.rank - 1]]
        _ = try checkedShapeSize(known: shape, context: "\(self): \(describeVariable(inputs[0]))")
        return Apply(op: self, inputs: inputs, outputTypes: [TensorType(t.dtype, shape: shape)])
    }

    func perform(_ node: Apply, _ inputs: [NDArray]) throws -> [NDArray] {
        let x = inputs[0]
        let n = x.shape[x.rank - 1]
        let shape = x.shape + [n]
        let total = try checkedAllocation(shape, dtype: x.dtype, context: "\(self)") / x.dtype.byteSize
        return [try DiagonalMatrix.embed(x, n, total, x.dtype.elementType)]
    }

    private static func embed<T: NDArrayElement>(_ x: NDArray, _ n: Int, _ total: Int, _ type: T.Type) throws -> NDArray {
        let values = x.toArray(of: T.self)
        var out = [T](repeating: T.element(fromInt64: 0), count: total)
        for b in 0..<(n == 0 ? 0 : values.count / n) {
            for i in 0..<n { out[b * n * n + i * n + i] = values[b * n + i] }
        }
        return try NDArray(out, shape: x.shape + [n])
    }

    func inferShape(_ node: Apply, _ inputShapes: [[Variable]]) throws -> [[Variable]] {
        let s = inputShapes[0]
        return [s + [s[s.count - 1]]]
    }
}

/// `t` with its last two axes exchanged (the matrix transpose of every block).
func matrixTranspose(_ t: Tensor) throws -> Tensor {
    var order = Array(0..<t.rank)
    order.swapAt(t.rank - 2, t.rank - 1)
    return try DimShuffle(inputRank: t.rank, order: order).apply([t])
}

/// The lower (or upper) triangle of `t`'s last two axes, diagonal scaled by `diagonal`.
func trianglePart(_ t: Tensor, lower: Bool, diagonal: Double = 1) throws -> Tensor {
    try TrianglePart(lower: lower, diagonal: diagonal).apply([t])
}

/// The gradient `g` of a function that reads only the lower (or upper) triangle of a
/// symmetric matrix, as that triangle: `tril(g) + triu(g, 1)^T` (upper: `triu(g) +
/// tril(g, -1)^T`). Off-diagonal entries carry both halves' contributions.
func foldToTriangle(_ g: Tensor, lower: Bool) throws -> Tensor {
    let kept = try trianglePart(g, lower: lower)
    let other = try trianglePart(g, lower: !lower, diagonal: 0)
    return try kept + matrixTranspose(other)
}

/// An identity matrix for every block of `t` (`[..., n, n]`, square), in `t`'s dtype.
func identityLike(_ t: Tensor) throws -> Tensor {
    let d = try MatrixDiagonalPart().apply([t])
    return try DiagonalMatrix().apply([onesLike(d)])
}
