import TheanoArray
import TheanoGraph

/// The gradient of `X = pinv(A)` where the rank does not change (Golub and Pereyra 1973):
/// `dX = -X dA X + X X^T dA^T (I - A X) + (I - X A) dA^T X^T X`, so
/// `Ā = -X^T X̄ X^T + (I - A X) X̄^T X X^T + X^T X X̄^T (I - X A)`.
extension Pinv {
    public func pullback(_ node: Apply, _ outputGradients: [Variable?]) throws -> [Variable?] {
        guard let gv = outputGradients[0] else { return [nil] }
        let a = Tensor(node.inputs[0]), x = Tensor(node.outputs[0])
        let xt = try matrixTranspose(x), gt = try matrixTranspose(Tensor(gv))
        let first = try -matmul(matmul(xt, Tensor(gv)), xt)
        let left = try matmul(matmul(gt, x), xt)                    // X̄^T X X^T
        let second = try left - matmul(a, matmul(x, left))          // (I - A X) X̄^T X X^T
        let right = try matmul(matmul(xt, x), gt)                   // X^T X X̄^T
        let third = try right - matmul(matmul(right, x), a)         // X^T X X̄^T (I - X A)
        return [try reduceToInput(first + second + third, node, 0).variable]
    }
}
