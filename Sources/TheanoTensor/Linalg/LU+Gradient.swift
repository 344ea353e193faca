import TheanoArray
import TheanoGraph

// Gradients through LU factors, with `L = tril(LU, -1) + I`, `U = triu(LU)` and `A = P L U`.

/// The gradient of the packed factorisation (de Hoog, Anderssen and Lukas 2011; as PyTensor's
/// `LUFactor.L_op`): with `L̄ = tril(LŪ, -1)` and `Ū = triu(LŪ)`,
/// `B̄ = L^{-T} (tril(L^T L̄, -1) + triu(Ū U^T)) U^{-T}` and `Ā = P B̄`. The pivots are
/// piecewise constant (no gradient).
extension LUFactor {
    public func pullback(_ node: Apply, _ outputGradients: [Variable?]) throws -> [Variable?] {
        guard let gv = outputGradients[0] else { return [nil] }
        let lu = Tensor(node.outputs[0]), pivots = Tensor(node.outputs[1]), g = Tensor(gv)
        let (l, u) = try unpackLU(lu)
        let x1 = try trianglePart(matmul(matrixTranspose(l), trianglePart(g, lower: true, diagonal: 0)), lower: true, diagonal: 0)
        let x2 = try trianglePart(matmul(trianglePart(g, lower: false), matrixTranspose(u)), lower: false)
        let left = try SolveTriangular(lower: false, vectorRHS: false).apply([matrixTranspose(l), x1 + x2])
        // left U^{-T} = (U^{-1} left^T)^T
        let b = try matrixTranspose(SolveTriangular(lower: false, vectorRHS: false).apply([u, matrixTranspose(left)]))
        let ga = try PivotRows(inverse: true).apply([b, pivots])
        return [try reduceToInput(ga, node, 0).variable]
    }
}

/// The gradient of `x = A^{-1} b` (or `A^{-T} b`) given `A`'s LU factors: `b̄` is the solve with
/// the other transposition, `Ā = -b̄ x^T` (`-x b̄^T` when transposed), and the packed factors
/// get `tril(P^T Ā U^T, -1) + triu(L^T P^T Ā)` (from `dA = P (dL U + L dU)`).
extension LUSolve {
    public func pullback(_ node: Apply, _ outputGradients: [Variable?]) throws -> [Variable?] {
        guard let gv = outputGradients[0] else { return [nil, nil, nil] }
        let lu = Tensor(node.inputs[0]), pivots = Tensor(node.inputs[1]), x = Tensor(node.outputs[0])
        let gb = try LUSolve(transposed: !transposed, vectorRHS: vectorRHS).apply([lu, pivots, Tensor(gv)])
        let ga = try transposed ? -outerOfBlocks(x, gb, vectors: vectorRHS) : -outerOfBlocks(gb, x, vectors: vectorRHS)
        let (l, u) = try unpackLU(lu)
        let pa = try PivotRows(inverse: false).apply([ga, pivots])
        let glu = try trianglePart(matmul(pa, matrixTranspose(u)), lower: true, diagonal: 0)
            + trianglePart(matmul(matrixTranspose(l), pa), lower: false)
        return [try reduceToInput(glu, node, 0).variable, nil, try reduceToInput(gb, node, 2).variable]
    }
}

/// `L` (unit lower triangular) and `U` (upper triangular) from packed LU factors.
func unpackLU(_ lu: Tensor) throws -> (l: Tensor, u: Tensor) {
    let l = try trianglePart(lu, lower: true, diagonal: 0) + identityLike(lu)
    return (l, try trianglePart(lu, lower: false))
}
