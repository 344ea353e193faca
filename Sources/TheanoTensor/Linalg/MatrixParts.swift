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

/// Diagonal `offset` of the last two axes (0: main, positive: above, negative: below):
/// `[..., m, n] -> [..., k]`, `k` the diagonal's length (0 when it lies outside).
struct MatrixDiagonalPart: Op {
    var offset: Int = 0

    var description: String { offset == 0 ? "MatrixDiagonalPart" : "MatrixDiagonalPart{offset: \(offset)}" }

    /// The length of diagonal `offset` of an `m x n` matrix.
    static func length(_ m: Int, _ n: Int, offset: Int) -> Int {
        offset >= 0 ? Swift.max(0, Swift.min(m, n - offset)) : Swift.max(0, Swift.min(m + offset, n))
    }

    func makeNode(_ inputs: [Variable]) throws -> Apply {
        guard inputs.count == 1, inputs[0].type.rank >= 2 else {
            throw TheanoError.invalidArgument("\(self): expects one input of rank >= 2")
        }
        let t = inputs[0].type
        let (m, n) = (t.shape[t.rank - 2], t.shape[t.rank - 1])
        var k: Int? = nil
        if let m, let n { k = MatrixDiagonalPart.length(m, n, offset: offset) }
        return Apply(op: self, inputs: inputs, outputTypes: [TensorType(t.dtype, shape: Array(t.shape.dropLast(2)) + [k])])
    }

    func perform(_ node: Apply, _ inputs: [NDArray]) throws -> [NDArray] {
        [try MatrixDiagonalPart.diagonal(inputs[0], offset, inputs[0].dtype.elementType)]
    }

    private static func diagonal<T: NDArrayElement>(_ x: NDArray, _ offset: Int, _ type: T.Type) throws -> NDArray {
        let (m, n) = (x.shape[x.rank - 2], x.shape[x.rank - 1])
        let k = length(m, n, offset: offset)
        let (row0, column0) = offset >= 0 ? (0, offset) : (-offset, 0)
        let values = x.toArray(of: T.self)
        let count = shapeSize(Array(x.shape.dropLast(2)))
        var out: [T] = []
        out.reserveCapacity(count * k)
        for b in 0..<count {
            for i in 0..<k { out.append(values[b * m * n + (row0 + i) * n + column0 + i]) }
        }
        return try NDArray(out, shape: Array(x.shape.dropLast(2)) + [k])
    }

    func inferShape(_ node: Apply, _ inputShapes: [[Variable]]) throws -> [[Variable]] {
        let s = inputShapes[0]
        if let known = node.outputTypes[0].shape.last ?? nil { return [Array(s.dropLast(2)) + [shapeConstant(known)]] }
        let m = Tensor(s[s.count - 2]), n = Tensor(s[s.count - 1])
        let shift = Tensor(shapeConstant(Swift.abs(offset)))
        let k = try offset >= 0 ? minimum(m, n - shift) : minimum(m - shift, n)
        return [Array(s.dropLast(2)) + [try maximum(k, Tensor(shapeConstant(0))).variable]]
    }
}

/// A zero matrix shaped like input 1 (`[..., m, n]`) with input 0 (`[..., k]`) on diagonal
/// `offset`: the adjoint of ``MatrixDiagonalPart``. Input 1 gives only its shape, which with
/// `square` must be square (checked when built and at run time).
struct DiagonalScatter: Op {
    var offset: Int
    var square: Bool = false

    var description: String { "DiagonalScatter{offset: \(offset)\(square ? ", square" : "")}" }

    func makeNode(_ inputs: [Variable]) throws -> Apply {
        guard inputs.count == 2, inputs[0].type.rank >= 1, inputs[1].type.rank == inputs[0].type.rank + 1 else {
            throw TheanoError.invalidArgument("\(self): expects a batch of diagonals and a batch of matrices one rank higher")
        }
        let t = inputs[1].type
        if square, let m = t.shape[t.rank - 2], let n = t.shape[t.rank - 1], m != n {
            throw TheanoError.shapeMismatch("\(self): \(describeVariable(inputs[1])) is not square in its last two axes (\(m) x \(n))")
        }
        return Apply(op: self, inputs: inputs, outputTypes: [TensorType(inputs[0].type.dtype, shape: inputs[1].type.shape)])
    }

    func perform(_ node: Apply, _ inputs: [NDArray]) throws -> [NDArray] {
        let shape = inputs[1].shape
        if square && shape[shape.count - 2] != shape[shape.count - 1] {
            throw TheanoError.shapeMismatch(
                "\(self): at run time, \(expressionText(node.inputs[1])) of shape \(formatShape(shape)) is not square in its last two axes")
        }
        return [try DiagonalScatter.scatter(inputs[0], shape, offset, inputs[0].dtype.elementType)]
    }

    private static func scatter<T: NDArrayElement>(_ d: NDArray, _ shape: [Int], _ offset: Int, _ type: T.Type) throws -> NDArray {
        let (m, n) = (shape[shape.count - 2], shape[shape.count - 1])
        let k = MatrixDiagonalPart.length(m, n, offset: offset)
        let batch = Array(shape.dropLast(2))
        let values = try d.broadcast(to: batch + [k]).toArray(of: T.self)
        let (row0, column0) = offset >= 0 ? (0, offset) : (-offset, 0)
        let total = try checkedAllocation(shape, dtype: T.dtype, context: "DiagonalScatter") / T.dtype.byteSize
        var out = [T](repeating: T.element(fromInt64: 0), count: total)
        for b in 0..<shapeSize(batch) {
            for i in 0..<k { out[b * m * n + (row0 + i) * n + column0 + i] = values[b * k + i] }
        }
        return try NDArray(out, shape: shape)
    }

    func inferShape(_ node: Apply, _ inputShapes: [[Variable]]) throws -> [[Variable]] { [inputShapes[1]] }
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

/// An identity matrix for every block of `t` (`[..., n, n]`, which must be square), in `t`'s
/// dtype.
func identityLike(_ t: Tensor) throws -> Tensor {
    let d = try MatrixDiagonalPart().apply([t])
    return try DiagonalScatter(offset: 0, square: true).apply([onesLike(d), t])
}
