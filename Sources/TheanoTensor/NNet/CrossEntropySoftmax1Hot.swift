import TheanoArray
import TheanoGraph

/// The softmax cross-entropy of logits against integer labels, in one node: Theano's
/// `crossentropy_softmax_1hot`, PyTensor's `CrossentropySoftmaxArgmax1HotWithBias` without
/// the bias and argmax. The op behind ``softmaxCrossEntropy(logits:labels:)``, and what the
/// `crossentropy_softmax_1hot` rewrite makes of `-logSoftmax(x)[arange(n), y]`.
///
/// Inputs: logits `x`, a float32 or float64 matrix `[n, k]`, and labels `y`, an integer
/// vector `[n]`. Outputs: the per-row loss `-logSoftmax(x)[i, y[i]]` (a vector `[n]` of `x`'s
/// dtype) and the softmax of `x` along axis 1 (`[n, k]`), which the gradient reads.
///
/// `perform` computes both from the stable log-softmax and softmax of ``NDArray`` (shifted by
/// each row's maximum), so the loss is finite for any finite logits. Labels count from the end
/// when negative, as NumPy indexing does (`-1` is the last class), which keeps the rewrite
/// exact; a label outside `-k..<k`, or a label vector whose length is not `n`, is a run-time
/// error naming the op.
///
/// The gradient with respect to `x` is ``CrossEntropySoftmax1HotGrad``:
/// `(softmax(x) - oneHot(y)) * g[:, None]`, plus the softmax's own gradient when the softmax
/// output is used. Labels have no gradient.
public struct CrossEntropySoftmax1Hot: Op {
    public init() {}

    public var description: String { "CrossEntropySoftmax1Hot" }

    public func makeNode(_ inputs: [Variable]) throws -> Apply {
        guard inputs.count == 2 else {
            throw TheanoError.invalidArgument("\(description): expected 2 inputs (logits, labels), got \(inputs.count)")
        }
        let (x, y) = (inputs[0], inputs[1])
        try checkLogits(x, op: description)
        try checkLabels(y, rows: x, op: description)
        let n = x.type.shape[0] ?? y.type.shape[0]
        return Apply(op: self, inputs: inputs, outputTypes: [
            TensorType(x.type.dtype, shape: [n]),
            TensorType(x.type.dtype, shape: [n, x.type.shape[1]]),
        ])
    }

    public func perform(_ node: Apply, _ inputs: [NDArray]) throws -> [NDArray] {
        let (x, y) = (inputs[0], inputs[1])
        let labels = try labelColumns(y, rows: x.shape[0], classes: x.shape[1], op: description)
        // Both from NDArray's stable kernels (new C-contiguous arrays), so the values are
        // exactly those of the unfused LogSoftmax and Softmax.
        let logSoftmax = try x.logSoftmax(axis: 1)
        let loss = try NDArray(allocating: [labels.count], dtype: x.dtype, zeroed: false, context: description)
        func gather<T: NDArrayElement & FloatingPoint>(_: T.Type) {
            let (p, o, k) = (logSoftmax.storagePointer(as: T.self) + logSoftmax.offset, loss.storagePointer(as: T.self), x.shape[1])
            for (i, c) in labels.enumerated() { o[i] = -p[i * k + c] }
        }
        if x.dtype == .float32 { gather(Float.self) } else { gather(Double.self) }
        return [loss, try x.softmax(axis: 1)]
    }

    public func inferShape(_ node: Apply, _ inputShapes: [[Variable]]) throws -> [[Variable]] {
        [[inputShapes[0][0]], inputShapes[0]]
    }
}

/// The gradient of ``CrossEntropySoftmax1Hot`` with respect to the logits:
/// `dx[i, j] = g[i] * (softmax[i, j] - (j == y[i] ? 1 : 0))`.
///
/// Inputs: the incoming gradient `g` of the per-row loss (`[n]`), the softmax (`[n, k]`, the
/// forward op's second output) and the labels (`[n]`, same rules as the forward op). Output:
/// `[n, k]` of the softmax's dtype. Its own gradient (for second derivatives) is written with
/// elementwise ops and ``oneHot(_:depth:dtype:)``.
public struct CrossEntropySoftmax1HotGrad: Op {
    public init() {}

    public var description: String { "CrossEntropySoftmax1HotGrad" }

    public func makeNode(_ inputs: [Variable]) throws -> Apply {
        guard inputs.count == 3 else {
            throw TheanoError.invalidArgument("\(description): expected 3 inputs (gradient, softmax, labels), got \(inputs.count)")
        }
        let (g, softmax, y) = (inputs[0], inputs[1], inputs[2])
        try checkLogits(softmax, op: description)
        guard g.type.dtype == softmax.type.dtype, g.type.rank == 1 else {
            throw TheanoError.typeMismatch(
                "\(description): the gradient must be a vector of the softmax's dtype \(softmax.type.dtype), got \(describeVariable(g))")
        }
        try checkLabels(y, rows: softmax, op: description)
        try checkRows(g, "gradient", of: softmax, op: description)
        return Apply(op: self, inputs: inputs, outputTypes: [softmax.type])
    }

    public func perform(_ node: Apply, _ inputs: [NDArray]) throws -> [NDArray] {
        let (g, softmax, y) = (inputs[0], inputs[1], inputs[2])
        let (n, k) = (softmax.shape[0], softmax.shape[1])
        let labels = try labelColumns(y, rows: n, classes: k, op: description)
        guard g.shape == [n] else {
            throw TheanoError.shapeMismatch(
                "\(description): the gradient of shape \(formatShape(g.shape)) does not match the softmax of shape \(formatShape(softmax.shape))")
        }
        let dx = try softmax.copy(context: description)   // C-contiguous
        func subtract<T: NDArrayElement & FloatingPoint>(_: T.Type) {
            let (p, scale) = (dx.storagePointer(as: T.self), g.toArray(of: T.self))
            for i in 0..<n {
                p[i * k + labels[i]] -= 1
                for j in 0..<k { p[i * k + j] *= scale[i] }
            }
        }
        if softmax.dtype == .float32 { subtract(Float.self) } else { subtract(Double.self) }
        return [dx]
    }

    public func inferShape(_ node: Apply, _ inputShapes: [[Variable]]) throws -> [[Variable]] {
        [inputShapes[1]]
    }
}

/// Logits: a float32 or float64 matrix.
private func checkLogits(_ x: Variable, op: String) throws {
    guard x.type.dtype.isFloatingPoint, x.type.rank == 2 else {
        throw TheanoError.typeMismatch("\(op): the logits must be a float32 or float64 matrix [n, k], got \(describeVariable(x))")
    }
}

/// Labels: an integer vector with one entry per row of `x` where both sizes are static.
private func checkLabels(_ y: Variable, rows x: Variable, op: String) throws {
    guard y.type.dtype.isInteger, y.type.rank == 1 else {
        throw TheanoError.typeMismatch("\(op): the labels must be an integer vector [n], got \(describeVariable(y))")
    }
    try checkRows(y, "labels", of: x, op: op)
}

/// A per-row vector (`what`: labels, gradient) whose static length, where known, is the row
/// count of the matrix `x`.
private func checkRows(_ v: Variable, _ what: String, of x: Variable, op: String) throws {
    if let a = x.type.shape[0], let b = v.type.shape[0], a != b {
        throw TheanoError.shapeMismatch(
            "\(op): the \(what) \(describeVariable(v)) must have one entry per row of \(describeVariable(x)), got \(b) for \(a) rows")
    }
}

/// The column of each row's label, with negative labels counted from the end; throws for a
/// length other than `rows` or a label outside `-classes..<classes`. Backends' kernels share
/// it, so their errors are the reference's.
package func labelColumns(_ y: NDArray, rows: Int, classes: Int, op: String) throws -> [Int] {
    guard y.shape == [rows] else {
        throw TheanoError.shapeMismatch(
            "\(op): the labels of shape \(formatShape(y.shape)) do not match the \(rows) rows of the logits (the labels need one entry per row)")
    }
    return try y.toArray(of: Int64.self).enumerated().map { i, label in
        guard label >= -Int64(classes), label < Int64(classes) else {
            throw TheanoError.outOfRange("\(op): label \(label) of row \(i) is out of range for \(classes) classes (valid: \(-classes)..<\(classes))")
        }
        return Int(label < 0 ? label + Int64(classes) : label)
    }
}
