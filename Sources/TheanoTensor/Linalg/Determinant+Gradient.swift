import TheanoArray
import TheanoGraph

// d det(A) = det(A) tr(A^{-1} dA) and d log|det(A)| = tr(A^{-1} dA) (Jacobi's formula; as
// PyTensor's `Det.grad` and `SLogDet.grad`). Both need the inverse, so a singular matrix makes
// the gradient throw where it runs, like PyTensor's.

extension Determinant {
    public func pullback(_ node: Apply, _ outputGradients: [Variable?]) throws -> [Variable?] {
        guard let gv = outputGradients[0] else { return [nil] }
        let a = Tensor(node.inputs[0])
        let scale = try expandToMatrix(Tensor(gv) * Tensor(node.outputs[0]))
        let ga = try scale * matrixTranspose(MatrixInverse().apply([a]))
        return [try reduceToInput(ga, node, 0).variable]
    }
}

extension SignLogDeterminant {
    public func pullback(_ node: Apply, _ outputGradients: [Variable?]) throws -> [Variable?] {
        let a = Tensor(node.inputs[0])
        // The sign is piecewise constant: its gradient is zero.
        guard let gv = outputGradients[1] else {
            return outputGradients[0] == nil ? [nil] : [try zerosLike(a).variable]
        }
        let ga = try expandToMatrix(Tensor(gv)) * matrixTranspose(MatrixInverse().apply([a]))
        return [try reduceToInput(ga, node, 0).variable]
    }
}

/// A batch of scalars `[...]` as `[..., 1, 1]`, to scale a batch of matrices.
func expandToMatrix(_ t: Tensor) throws -> Tensor {
    try DimShuffle(inputRank: t.rank, order: Array(0..<t.rank) + [DimShuffle.newAxis, DimShuffle.newAxis]).apply([t])
}
