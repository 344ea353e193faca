import TheanoArray
import TheanoGraph

/// The gradient of the symmetric eigendecomposition `A = V diag(w) V^T` (Giles 2008; as
/// PyTensor's `EighGrad`): `M = V (diag(w̄) + F ∘ (V^T V̄)) V^T` with `F[i, j] = 1 / (w[j] -
/// w[i])` off the diagonal and 0 on it, then folded onto the triangle the op reads. Repeated
/// eigenvalues make the eigenvector gradient infinite or NaN (the eigenvectors are not unique),
/// as in PyTensor and JAX; the eigenvalue gradient alone is always finite.
extension Eigh {
    public func pullback(_ node: Apply, _ outputGradients: [Variable?]) throws -> [Variable?] {
        let gw = outputGradients[0]
        let gv = vectors ? outputGradients[1] : nil
        if gw == nil && gv == nil { return [nil] }
        let a = Tensor(node.inputs[0])
        // Eigenvalues alone do not give V: decompose again with vectors.
        let outs = vectors ? node.outputs.map(Tensor.init) : try Eigh(lower: lower, vectors: true).applyAll([a])
        let w = outs[0], v = outs[1]
        let vt = try matrixTranspose(v)
        var middle: Tensor? = nil
        if let gw { middle = try DiagonalMatrix().apply([Tensor(gw)]) }
        if let gv {
            let columns = try DimShuffle(inputRank: w.rank, order: Array(0..<w.rank) + [DimShuffle.newAxis]).apply([w])
            let rows = try DimShuffle(inputRank: w.rank, order: Array(0..<(w.rank - 1)) + [DimShuffle.newAxis, w.rank - 1]).apply([w])
            let identity = try DiagonalMatrix().apply([onesLike(w)])
            // F = 1 / (w[j] - w[i] + I) - I: the identity keeps the diagonal finite, then zero.
            let f = try reciprocal(rows - columns + identity) - identity
            let term = try f * matmul(vt, Tensor(gv))
            middle = try middle.map { try $0 + term } ?? term
        }
        guard let middle else { return [nil] }
        let m = try matmul(matmul(v, middle), vt)
        let ga = try foldToTriangle(m, lower: lower)
        return [try reduceToInput(ga, node, 0).variable]
    }
}
