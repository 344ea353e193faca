import TheanoArray
import TheanoGraph

/// The gradient of the reduced QR factorisation of a square or tall matrix (`m >= n`;
/// Walter and Lehmann 2018, as TensorFlow's `QrGrad` and PyTensor's `QRFull.L_op`):
///
/// `Ā = Q (R̄ + tril(Q^T Q̄ - Q̄^T Q + R R̄^T - R̄ R^T) R^{-T}) + (Q̄ - Q Q^T Q̄) R^{-T}`.
///
/// Wide matrices (`m < n`) and the complete factorisation of a tall one are not
/// differentiable here and throw `.notDifferentiable` when their sizes are known when the
/// gradient is built; with unknown sizes the formula assumes `m >= n`. With ``QRMode/r``,
/// `Q` is recomputed.
extension QR {
    public func pullback(_ node: Apply, _ outputGradients: [Variable?]) throws -> [Variable?] {
        let a = Tensor(node.inputs[0])
        let (gq, gr): (Variable?, Variable?) = mode == .r ? (nil, outputGradients[0]) : (outputGradients[0], outputGradients[1])
        if gq == nil && gr == nil { return [nil] }
        let shape = a.staticShape
        let (m, n) = (shape[shape.count - 2], shape[shape.count - 1])
        if let m, let n, m < n {
            throw TheanoError.notDifferentiable("qr: the gradient is implemented for square and tall matrices (m >= n), got \(m) x \(n)")
        }
        if mode == .complete && (m == nil || n == nil || m != n) {
            throw TheanoError.notDifferentiable("qr: the gradient of the complete factorisation is defined only for square matrices; use the reduced one")
        }
        let factors = try mode == .r ? QR(mode: .reduced).applyAll([a]) : node.outputs.map(Tensor.init)
        let (q, r) = (factors[0], factors[1])
        let qt = try matrixTranspose(q)
        let upperSolve = SolveTriangular(lower: false, vectorRHS: false)
        // X R^{-T} = (R^{-1} X^T)^T
        func timesRInverseTransposed(_ x: Tensor) throws -> Tensor {
            try matrixTranspose(upperSolve.apply([r, matrixTranspose(x)]))
        }
        var inner: Tensor? = nil
        var ga: Tensor? = nil
        if let gr {
            let rb = Tensor(gr)
            let rrb = try matmul(r, matrixTranspose(rb))
            inner = try rrb - matrixTranspose(rrb)
            ga = try matmul(q, rb)
        }
        if let gq {
            let qb = Tensor(gq)
            let qqb = try matmul(qt, qb)
            let part = try qqb - matrixTranspose(qqb)
            inner = try inner.map { try $0 + part } ?? part
            let outside = try timesRInverseTransposed(qb - matmul(q, qqb))
            ga = try ga.map { try $0 + outside } ?? outside
        }
        if let inner {
            let term = try matmul(q, timesRInverseTransposed(trianglePart(inner, lower: true)))
            ga = try ga.map { try $0 + term } ?? term
        }
        guard let ga else { return [nil] }
        return [try reduceToInput(ga, node, 0).variable]
    }
}
