import TheanoArray
import TheanoGraph

/// The gradient of `x = solve(A, b)` (Giles 2008, as PyTensor's `SolveBase.L_op`):
/// `b̄ = A^{-T} x̄` and `Ā = -b̄ x^T` (an outer product for a vector `b`).
///
/// Under ``SolveAssumption/symmetric`` and ``SolveAssumption/positiveDefinite`` the op reads
/// only one triangle of `A`, so `A^{-T} = A^{-1}` (the same solve) and `Ā` is folded
/// onto that triangle (each off-diagonal entry stands for itself and its mirror).
extension Solve {
    public func pullback(_ node: Apply, _ outputGradients: [Variable?]) throws -> [Variable?] {
        guard let gv = outputGradients[0] else { return [nil, nil] }
        let a = Tensor(node.inputs[0]), x = Tensor(node.outputs[0]), g = Tensor(gv)
        let gb: Tensor
        if assume == .general {
            gb = try apply([matrixTranspose(a), g])
        } else {
            gb = try apply([a, g])
        }
        var ga = try -outerOfBlocks(gb, x, vectors: vectorRHS)
        if assume != .general { ga = try foldToTriangle(ga, lower: lower) }
        return [try reduceToInput(ga, node, 0).variable, try reduceToInput(gb, node, 1).variable]
    }
}

/// `u v^T` for every block: an outer product of vectors (`[..., n]` and `[..., m]`) or the
/// product `u @ v^T` of matrices.
func outerOfBlocks(_ u: Tensor, _ v: Tensor, vectors: Bool) throws -> Tensor {
    if !vectors { return try matmul(u, matrixTranspose(v)) }
    let column = try DimShuffle(inputRank: u.rank, order: Array(0..<u.rank) + [DimShuffle.newAxis]).apply([u])
    let row = try DimShuffle(inputRank: v.rank, order: Array(0..<(v.rank - 1)) + [DimShuffle.newAxis, v.rank - 1]).apply([v])
    return try column * row
}
