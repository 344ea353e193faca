import TheanoArray
import TheanoGraph

// Pooling gradients, each an op with its own gradient:
// - max: `MaxPoolGrad(x, gy)` routes each window's gradient to its winner. It is piecewise
//   constant in `x` (zero gradient) and linear in `gy`, whose adjoint gathers at the
//   winners: `MaxPoolGather(x, G)`; that in turn has `MaxPoolGrad(x, G')` as its adjoint.
// - average and sum: `AveragePoolGrad(x, gy)` is linear in `gy` with pooling itself as its
//   adjoint, and does not depend on `x`'s values (zero gradient).

extension Pool {
    public func pullback(_ node: Apply, _ outputGradients: [Variable?]) throws -> [Variable?] {
        guard let gy = outputGradients[0] else { return [nil] }
        let x = Tensor(node.inputs[0])
        if parameters.mode == .max { return [try MaxPoolGrad(parameters).apply([x, Tensor(gy)]).variable] }
        return [try AveragePoolGrad(parameters).apply([x, Tensor(gy)]).variable]
    }
}

extension MaxPoolGrad {
    public func pullback(_ node: Apply, _ outputGradients: [Variable?]) throws -> [Variable?] {
        guard let g = outputGradients[0] else { return [nil, nil] }
        let x = Tensor(node.inputs[0])
        return [try zerosLike(x).variable, try MaxPoolGather(parameters).apply([x, Tensor(g)]).variable]
    }
}

extension MaxPoolGather {
    public func pullback(_ node: Apply, _ outputGradients: [Variable?]) throws -> [Variable?] {
        guard let g = outputGradients[0] else { return [nil, nil] }
        let x = Tensor(node.inputs[0])
        return [try zerosLike(x).variable, try MaxPoolGrad(parameters).apply([x, Tensor(g)]).variable]
    }
}

extension AveragePoolGrad {
    public func pullback(_ node: Apply, _ outputGradients: [Variable?]) throws -> [Variable?] {
        guard let g = outputGradients[0] else { return [nil, nil] }
        let x = Tensor(node.inputs[0])
        return [try zerosLike(x).variable, try Pool(parameters).apply([Tensor(g)]).variable]
    }
}
