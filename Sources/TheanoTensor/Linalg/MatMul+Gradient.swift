import TheanoArray
import TheanoGraph

/// The gradient of the matrix product, for every rank combination ``MatMul`` accepts.
///
/// 1-D operands are first promoted as in the forward pass (input 0 to a row `[1, k]`, input 1 to
/// a column `[k, 1]`) and the output gradient gets the matching size-1 axes back, so the rule is
/// the one for stacks of matrices: `ga = g @ swap(b)`, `gb = swap(a) @ g`, where `swap`
/// exchanges the last two axes. Each result is then summed over the batch axes its operand did
/// not have (leading extra axes) or had broadcast (static size 1), and the promoted axis is
/// dropped again.
extension MatMul {
    public func pullback(_ node: Apply, _ outputGradients: [Variable?]) throws -> [Variable?] {
        guard let gv = outputGradients[0] else { return [nil, nil] }
        let a = Tensor(node.inputs[0]), b = Tensor(node.inputs[1])
        let a2 = a.rank == 1 ? try DimShuffle(inputRank: 1, order: [DimShuffle.newAxis, 0]).apply([a]) : a
        let b2 = b.rank == 1 ? try DimShuffle(inputRank: 1, order: [0, DimShuffle.newAxis]).apply([b]) : b
        let g2 = try matrixGradient(Tensor(gv), rowsKept: a.rank >= 2, columnsKept: b.rank >= 2)
        let ga = try matmul(g2, swapLastAxes(b2))
        let gb = try matmul(swapLastAxes(a2), g2)
        return [
            try reduceToOperand(ga, a2, promotedAxis: a.rank == 1 ? 0 : nil).variable,
            try reduceToOperand(gb, b2, promotedAxis: b.rank == 1 ? 1 : nil).variable,
        ]
    }

    /// The output gradient with the row (and column) axis that a 1-D input 0 (input 1) removed
    /// from the output put back as a size-1 axis, so it is a stack of matrices.
    private func matrixGradient(_ g: Tensor, rowsKept: Bool, columnsKept: Bool) throws -> Tensor {
        if rowsKept && columnsKept { return g }
        let batchRank = g.rank - (rowsKept ? 1 : 0) - (columnsKept ? 1 : 0)
        var order = Array(0..<batchRank)
        var next = batchRank
        if rowsKept { order.append(next); next += 1 } else { order.append(DimShuffle.newAxis) }
        if columnsKept { order.append(next) } else { order.append(DimShuffle.newAxis) }
        return try DimShuffle(inputRank: g.rank, order: order).apply([g])
    }

    /// `t` with its last two axes exchanged.
    private func swapLastAxes(_ t: Tensor) throws -> Tensor {
        var order = Array(0..<t.rank)
        order.swapAt(t.rank - 2, t.rank - 1)
        return try DimShuffle(inputRank: t.rank, order: order).apply([t])
    }

    /// Sums a stack-of-matrices gradient back to the (promoted) operand's shape: over leading
    /// batch axes the operand lacks and over batch axes it broadcast; then drops the axis added
    /// to a 1-D operand (`promotedAxis` of the last two).
    private func reduceToOperand(_ grad: Tensor, _ operand: Tensor, promotedAxis: Int?) throws -> Tensor {
        var result = grad
        let extra = grad.rank - operand.rank
        if extra > 0 { result = try sum(result, axes: Array(0..<extra)) }
        let broadcast = (0..<(operand.rank - 2)).filter { operand.staticShape[$0] == 1 && result.staticShape[$0] != 1 }
        if !broadcast.isEmpty { result = try sum(result, axes: broadcast, keepdims: true) }
        if let promotedAxis {
            let kept = 1 - promotedAxis
            result = try DimShuffle(inputRank: 2, order: [kept]).apply([result])
        }
        return result
    }
}
