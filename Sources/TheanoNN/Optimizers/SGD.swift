import Theano

/// Plain stochastic gradient descent: `p ← p − lr·g`.
public struct SGD: Optimizer {
    public var learningRate: Tensor

    public init(learningRate: Tensor = 0.01) {
        self.learningRate = learningRate
    }

    public func updates(gradients: [Tensor], parameters: [Shared]) throws -> [Shared: Tensor] {
        try checkGradients(gradients, parameters, optimizer: "SGD")
        var updates: [Shared: Tensor] = [:]
        for (g, p) in zip(gradients, parameters) {
            updates[p] = try p - hyperparameter(learningRate, like: p) * matching(g, p)
        }
        return updates
    }
}

/// SGD with classical momentum, in Lasagne's form: `v ← μ·v − lr·g`, `p ← p + v` (the
/// velocity `v` holds the step; with a constant learning rate this is PyTorch's
/// `SGD(momentum: μ)`). With `nesterov: true`, Nesterov's accelerated gradient as Lasagne
/// writes it: `v ← μ·v − lr·g`, `p ← p + μ·v − lr·g` (with the new `v`).
public struct Momentum: Optimizer {
    public var learningRate: Tensor
    public var momentum: Tensor
    public var nesterov: Bool

    public init(learningRate: Tensor = 0.01, momentum: Tensor = 0.9, nesterov: Bool = false) {
        self.learningRate = learningRate
        self.momentum = momentum
        self.nesterov = nesterov
    }

    public func updates(gradients: [Tensor], parameters: [Shared]) throws -> [Shared: Tensor] {
        let name = nesterov ? "Nesterov momentum" : "Momentum"
        try checkGradients(gradients, parameters, optimizer: name)
        var updates: [Shared: Tensor] = [:]
        for (g, p) in zip(gradients, parameters) {
            let (lr, mu, g) = (try hyperparameter(learningRate, like: p), try hyperparameter(momentum, like: p), try matching(g, p))
            let v = try slot(like: p, "velocity")
            let step = try lr * g
            let newV = try mu * v - step
            updates[v] = newV
            updates[p] = nesterov ? try p + mu * newV - step : try p + newV
        }
        return updates
    }
}

/// Nesterov momentum: ``Momentum`` with `nesterov: true`.
public struct Nesterov: Optimizer {
    public var learningRate: Tensor
    public var momentum: Tensor

    public init(learningRate: Tensor = 0.01, momentum: Tensor = 0.9) {
        self.learningRate = learningRate
        self.momentum = momentum
    }

    public func updates(gradients: [Tensor], parameters: [Shared]) throws -> [Shared: Tensor] {
        try Momentum(learningRate: learningRate, momentum: momentum, nesterov: true).updates(gradients: gradients, parameters: parameters)
    }
}
