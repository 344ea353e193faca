import TheanoArray
import TheanoGraph

/// The softmax cross-entropy with integer labels, fused (Theano's
/// `local_advanced_indexing_crossentropy_onehot` and its `_grad` twin): the gather
/// `logSoftmax(x)[arange(n), y]` becomes one ``CrossEntropySoftmax1Hot`` node, and the
/// gradient that ``grad(_:wrt:disconnected:)`` builds for it becomes one
/// ``CrossEntropySoftmax1HotGrad`` node reading the fused node's softmax, so a training step
/// computes the softmax once and keeps no ``LogSoftmax``.
///
/// Runs in the stabilize pass after ``StabilizeSoftmax``, whose `log_softmax` rule first turns
/// `log(softmax(x)[i, y])` and `log(softmax(x))[i, y]` into `logSoftmax(x)[i, y]`.
///
/// The rows must be `arange(n)` over the rows of `x` or over the labels
/// (`arange(x.shape[0])`, `arange(y.shape[0])`, or a constant `0..<n` for a static `n`).
/// As in Theano, the fused op then requires one label per row of `x`: where the unfused gather
/// `logSoftmax(x)[arange(m), y]` with fewer labels than rows would silently read only the
/// first `m` rows, the fused op throws. Labels count from the end when negative, like the
/// indexing; labels out of range throw in both.
public enum StabilizeCrossEntropy {
    /// `logSoftmax(x, axis: 1)[arange(n), y]` -> `-CrossEntropySoftmax1Hot(x, y)[0]`, and
    /// `(-logSoftmax(x, axis: 1))[arange(n), y]` -> `CrossEntropySoftmax1Hot(x, y)[0]`, for a
    /// matrix `x` and an integer vector `y` (an outer negation cancels with `double_neg`).
    public static let crossEntropySoftmax1Hot = rule("crossentropy_softmax_1hot", tracks: [AdvancedSubtensor.self]) { graph, node in
        guard let op = node.op as? AdvancedSubtensor, op.entries == [.array, .array], node.inputs.count == 3 else { return nil }
        let negated = negatedOperand(node.inputs[0])
        let logSoftmax = negated ?? node.inputs[0]
        guard let softmaxNode = logSoftmax.owner, let ls = softmaxNode.op as? LogSoftmax, ls.axis == 1 else { return nil }
        let x = softmaxNode.inputs[0]
        let (rows, labels) = (node.inputs[1], node.inputs[2])
        guard x.type.rank == 2, labels.type.rank == 1, labels.type.dtype.isInteger,
              coversRows(rows, of: x, logSoftmax, labels: labels, in: graph) else { return nil }
        let loss = try CrossEntropySoftmax1Hot().makeNode([x, labels]).outputs[0]
        return satisfying(negated == nil ? try negation(loss) : loss, node.output)
    }

    /// The gradient of the gather above, `inc - p * sum(inc, axis: 1, keepdims: true)` with
    /// `inc = incSubtensor(zeros, v, arange(n), y)` and `p` the softmax of `x`
    /// (`exp(logSoftmax(x))`, `softmax(x)` or the fused node's softmax), ->
    /// `CrossEntropySoftmax1HotGrad(-v, softmax, y)` with `v` broadcast to one value per row:
    /// `softmax - oneHot(y)` scaled by the gradient of each row's loss. The softmax is the
    /// fused forward node's second output where the graph has that node, else `softmax(x)`.
    ///
    /// Also tidies a ``CrossEntropySoftmax1HotGrad`` once built: it reads the fused forward
    /// node's softmax once that node exists (when the gradient was fused first), and
    /// `Alloc(Alloc(v, m), n)` -> `Alloc(v, n)` in its scale, where later rules (cancelled
    /// factors) left a broadcast whose shape still reads the unfused graph.
    public static let crossEntropySoftmax1HotGrad = rule("crossentropy_softmax_1hot_grad",
                                                         tracks: [Elemwise.self, CrossEntropySoftmax1HotGrad.self]) { graph, node in
        if node.op is CrossEntropySoftmax1HotGrad {
            var inputs = node.inputs
            // A plain softmax where the fused forward node now exists: read the fused one.
            if let softmaxNode = inputs[1].owner, let op = softmaxNode.op as? Softmax, op.axis == 1,
               let fused = fusedForward(of: softmaxNode.inputs[0], labels: inputs[2], in: graph) {
                inputs[1] = fused.outputs[1]
            }
            // Alloc(Alloc(v, m), n) -> Alloc(v, n) in the scale.
            let negated = negatedOperand(inputs[0])
            if let outer = (negated ?? inputs[0]).owner, outer.op is Alloc, outer.inputs.count == 2,
               let inner = outer.inputs[0].owner, inner.op is Alloc || inner.op is BroadcastTo {
                var value = inner.inputs[0]
                while let owner = value.owner, owner.op is Alloc || owner.op is BroadcastTo { value = owner.inputs[0] }
                if value.type.rank <= 1 {
                    var scale = try Alloc().makeNode([value, outer.inputs[1]]).output
                    if negated != nil { scale = try negation(scale) }
                    if inputs[0].type.isSatisfied(by: scale.type) { inputs[0] = scale }
                }
            }
            guard zip(inputs, node.inputs).contains(where: { $0 !== $1 }) else { return nil }
            return satisfying(try CrossEntropySoftmax1HotGrad().makeNode(inputs).output, node.output)
        }
        guard scalarOp(node) == .sub, let inc = node.inputs[0].owner, let incOp = inc.op as? IncSubtensor,
              incOp.entries == [.array, .array], inc.inputs.count == 4, isZeroArray(inc.inputs[0]),
              let product = elemwiseNode(node.inputs[1], .mul) else { return nil }
        let (value, rows, labels) = (inc.inputs[1], inc.inputs[2], inc.inputs[3])
        guard labels.type.rank == 1, labels.type.dtype.isInteger, value.type.rank <= 1 else { return nil }
        for (factor, total) in [(product.inputs[0], product.inputs[1]), (product.inputs[1], product.inputs[0])] {
            guard let sumNode = total.owner, let sum = sumNode.op as? Reduce, sum.kind == .sum, sum.keepdims, sum.axes == [1],
                  sameExpression(sumNode.inputs[0], node.inputs[0]),
                  let x = softmaxArgument(factor, labels: labels), x.type.rank == 2, x.type.dtype == node.outputTypes[0].dtype,
                  coversRows(rows, of: x, factor, labels: labels, in: graph) else { continue }
            // The softmax of the fused forward node when the graph has one (the usual case:
            // the forward rule fires first), else a plain softmax, so that excluding
            // `crossentropy_softmax_1hot` leaves no fused forward node behind.
            let softmax = try fusedForward(of: x, labels: labels, in: graph)?.outputs[1] ?? Softmax(axis: 1).makeNode([x]).output
            // The value broadcast to one per row; broadcasts already in it are dropped, so
            // that shapes they read (of the unfused gather) do not keep that alive.
            var perRowValue = value
            while let owner = perRowValue.owner, owner.op is Alloc || owner.op is BroadcastTo { perRowValue = owner.inputs[0] }
            let perRow = try alloc(convert(Tensor(perRowValue), to: x.type.dtype), shape: [Tensor(x).shape(0)])
            let g = try negation(perRow.variable)
            let dx = try CrossEntropySoftmax1HotGrad().makeNode([g, softmax, labels]).output
            return satisfying(dx, node.output)
        }
        return nil
    }

    /// The cross-entropy rules, in the order they are tried on a node.
    public static let all: [Rewrite] = [crossEntropySoftmax1Hot, crossEntropySoftmax1HotGrad]
}

/// The graph's ``CrossEntropySoftmax1Hot`` node of `x` and `labels`, if any.
private func fusedForward(of x: Variable, labels: Variable, in graph: FunctionGraph) -> Apply? {
    graph.clients(of: x).compactMap(\.node).first {
        $0.op is CrossEntropySoftmax1Hot && $0.inputs[0] === x && sameExpression($0.inputs[1], labels)
    }
}

/// `x` when `p` is the softmax of `x` along axis 1: `softmax(x)`, `exp(logSoftmax(x))`, or the
/// softmax output of `CrossEntropySoftmax1Hot(x, labels)`.
private func softmaxArgument(_ p: Variable, labels: Variable) -> Variable? {
    if let node = argument(of: p, .exp)?.owner, let op = node.op as? LogSoftmax, op.axis == 1 { return node.inputs[0] }
    guard let node = p.owner else { return nil }
    if let op = node.op as? Softmax, op.axis == 1 { return node.inputs[0] }
    if node.op is CrossEntropySoftmax1Hot, p === node.outputs[1], sameExpression(node.inputs[1], labels) { return node.inputs[0] }
    return nil
}

/// Whether `v` is an array of zeros: a constant or an ``Alloc`` of one.
private func isZeroArray(_ v: Variable) -> Bool {
    if uniformConstant(v) == 0 { return true }
    guard let node = v.owner, node.op is Alloc else { return false }
    return uniformConstant(node.inputs[0]) == 0
}

/// Whether `rows` is `0, 1, ..., n - 1` for the `n` rows of `x` (or of `alias`, which has
/// `x`'s shape) or the length of `labels`: an ``ARange`` from 0 by 1 to the size of axis 0 of
/// one of them (as written, or as the graph's ``ShapeFeature`` expresses it after shape
/// canonicalisation: `MatMul(a, w).shape[0]` becomes `a.shape[0]`), or a constant vector equal
/// to that range when the row count is static.
private func coversRows(_ rows: Variable, of x: Variable, _ alias: Variable, labels: Variable, in graph: FunctionGraph) -> Bool {
    let n = x.type.shape[0] ?? alias.type.shape[0] ?? labels.type.shape[0]
    if let value = rows.constantValue {
        guard let n, value.rank == 1, value.shape[0] == n else { return false }
        return value.toArray(of: Int64.self).enumerated().allSatisfy { Int64($0.offset) == $0.element }
    }
    guard let node = rows.owner, node.op is ARange,
          uniformConstant(node.inputs[0]) == 0, uniformConstant(node.inputs[2]) == 1 else { return false }
    let stop = node.inputs[1]
    if let n, uniformConstant(stop) == Double(n) { return true }
    for v in [x, alias, labels] {
        if let size = stop.owner, let index = size.op as? ShapeIndex, index.axis == 0, sameExpression(size.inputs[0], v) { return true }
        if let inferred = try? graph.shapeFeature.shape(of: v).first, sameExpression(stop, inferred) { return true }
    }
    return false
}
