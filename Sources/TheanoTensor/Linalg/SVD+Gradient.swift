import TheanoArray
import TheanoGraph

/// The gradient of the singular value decomposition (Townsend 2016, "Differentiating the
/// Singular Value Decomposition"), for the reduced factors `A = U S V^T` (`k = min(m, n)`):
///
/// `Ā = U [(F ∘ (U^T Ū - Ū^T U)) S + diag(s̄) + S (F ∘ (V^T V̄ - V̄^T V))] V^T
///      + (I - U U^T) Ū S^{-1} V^T + U S^{-1} V̄^T (I - V V^T)`,
///
/// with `F[i, j] = 1 / (s[j]^2 - s[i]^2)` off the diagonal and 0 on it, and `V̄ = Vt̄^T`. With
/// the singular values alone it is `U diag(s̄) V^T` (factors recomputed). Repeated or zero
/// singular values make the vector terms infinite or NaN (the vectors are not unique), as in
/// PyTensor and JAX. The full factors' extra columns are arbitrary, so gradients through `U`
/// or `Vt` of ``SVDMode/full`` throw `.notDifferentiable`.
extension SVD {
    public func pullback(_ node: Apply, _ outputGradients: [Variable?]) throws -> [Variable?] {
        let a = Tensor(node.inputs[0])
        let gs: Variable?, gu: Variable?, gvt: Variable?
        switch mode {
        case .values: (gu, gs, gvt) = (nil, outputGradients[0], nil)
        case .reduced, .full: (gu, gs, gvt) = (outputGradients[0], outputGradients[1], outputGradients[2])
        }
        if gs == nil && gu == nil && gvt == nil { return [nil] }
        if mode == .full && (gu != nil || gvt != nil) {
            throw TheanoError.notDifferentiable(
                "svd: the gradient through U or Vt of the full decomposition is not defined (their extra columns are arbitrary); use the reduced decomposition")
        }
        let factors = try mode == .reduced ? node.outputs.map(Tensor.init) : SVD(mode: .reduced).applyAll([a])
        let (u, s, vt) = (factors[0], factors[1], factors[2])
        let diagonal = DiagonalMatrix()
        var core: Tensor? = try gs.map { try diagonal.apply([Tensor($0)]) }
        var extra: Tensor? = nil
        if gu != nil || gvt != nil {
            let sColumn = try DimShuffle(inputRank: s.rank, order: Array(0..<s.rank) + [DimShuffle.newAxis]).apply([s])
            let sRow = try DimShuffle(inputRank: s.rank, order: Array(0..<(s.rank - 1)) + [DimShuffle.newAxis, s.rank - 1]).apply([s])
            let identity = try diagonal.apply([onesLike(s)])
            // F = 1 / (s_j^2 - s_i^2 + I) - I: the identity keeps the diagonal finite, then zero.
            let f = try reciprocal(sRow * sRow - sColumn * sColumn + identity) - identity
            let sMatrix = try diagonal.apply([s]), sInverse = try diagonal.apply([reciprocal(s)])
            if let gu {
                let ub = Tensor(gu)
                let utub = try matmul(matrixTranspose(u), ub)
                let term = try matmul(f * (utub - matrixTranspose(utub)), sMatrix)
                core = try core.map { try $0 + term } ?? term
                // (I - U U^T) Ū S^{-1} V^T
                let projected = try ub - matmul(u, utub)
                let outside = try matmul(matmul(projected, sInverse), vt)
                extra = try extra.map { try $0 + outside } ?? outside
            }
            if let gvt {
                let vb = try matrixTranspose(Tensor(gvt))
                let vtvb = try matmul(vt, vb)
                let term = try matmul(sMatrix, f * (vtvb - matrixTranspose(vtvb)))
                core = try core.map { try $0 + term } ?? term
                // U S^{-1} V̄^T (I - V V^T)
                let projected = try matrixTranspose(vb) - matmul(matrixTranspose(vtvb), vt)
                let outside = try matmul(matmul(u, sInverse), projected)
                extra = try extra.map { try $0 + outside } ?? outside
            }
        }
        guard let core else { return [nil] }
        var ga = try matmul(matmul(u, core), vt)
        if let extra { ga = try ga + extra }
        return [try reduceToInput(ga, node, 0).variable]
    }
}
