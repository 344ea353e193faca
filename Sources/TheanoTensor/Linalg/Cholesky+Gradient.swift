import TheanoArray
import TheanoGraph

/// The gradient of the Cholesky factor (Murray 2016, "Differentiation of the Cholesky
/// decomposition"; as PyTensor's `Cholesky.L_op`): with `L` lower and `L̄` its gradient,
/// `S = L^{-T} Φ(L^T L̄) L^{-1}`, where `Φ` keeps the lower triangle and halves the diagonal.
/// The op reads one triangle of `A`, so `Ā` is `S` folded onto it (`tril(S + S^T) - diag(S)`
/// for the lower one). For the upper factor `U = L^T`, `L̄ = Ū^T`.
extension Cholesky {
    public func pullback(_ node: Apply, _ outputGradients: [Variable?]) throws -> [Variable?] {
        guard let gv = outputGradients[0] else { return [nil] }
        let out = Tensor(node.outputs[0]), g = Tensor(gv)
        let l = try lower ? out : matrixTranspose(out)
        let gl = try lower ? g : matrixTranspose(g)
        let lt = try matrixTranspose(l)
        let phi = try trianglePart(matmul(lt, gl), lower: true, diagonal: 0.5)
        let upperSolve = SolveTriangular(lower: false, vectorRHS: false)
        let left = try upperSolve.apply([lt, matrixTranspose(phi)])          // L^{-T} Φ^T
        let s = try upperSolve.apply([lt, matrixTranspose(left)])            // L^{-T} Φ L^{-1}
        let ga = try foldToTriangle(s, lower: lower)
        return [try reduceToInput(ga, node, 0).variable]
    }
}
