import TheanoArray
import TheanoGraph

/// The gradient of a triangular solve `x = A^{-1} b`: `b̄ = A^{-T} x̄` (a solve with the
/// transposed matrix, whose triangle is the other one) and `Ā = -b̄ x^T` restricted to the
/// triangle the op reads (as PyTensor's `SolveTriangular.L_op`); with a unit diagonal the
/// diagonal is not read, so its gradient is zero.
extension SolveTriangular {
    public func pullback(_ node: Apply, _ outputGradients: [Variable?]) throws -> [Variable?] {
        guard let gv = outputGradients[0] else { return [nil, nil] }
        let a = Tensor(node.inputs[0]), x = Tensor(node.outputs[0])
        let transposedSolve = SolveTriangular(lower: !lower, unitDiagonal: unitDiagonal, vectorRHS: vectorRHS)
        let gb = try transposedSolve.apply([matrixTranspose(a), Tensor(gv)])
        let ga = try trianglePart(-outerOfBlocks(gb, x, vectors: vectorRHS), lower: lower, diagonal: unitDiagonal ? 0 : 1)
        return [try reduceToInput(ga, node, 0).variable, try reduceToInput(gb, node, 1).variable]
    }
}
