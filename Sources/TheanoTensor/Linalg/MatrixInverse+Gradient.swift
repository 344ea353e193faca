import TheanoArray
import TheanoGraph

/// The gradient of `X = inv(A)`: `dX = -X dA X`, so `Ā = -X^T Ḡ X^T` (Giles 2008, as
/// PyTensor's `MatrixInverse.L_op`), for every block of a batch.
extension MatrixInverse {
    public func pullback(_ node: Apply, _ outputGradients: [Variable?]) throws -> [Variable?] {
        guard let gv = outputGradients[0] else { return [nil] }
        let xt = try matrixTranspose(Tensor(node.outputs[0]))
        let ga = try -matmul(matmul(xt, Tensor(gv)), xt)
        return [try reduceToInput(ga, node, 0).variable]
    }
}
