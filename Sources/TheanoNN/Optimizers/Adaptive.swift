import Theano

/// Adagrad (PyTorch's form): `a ← a + g²`, `p ← p − lr·g / (√a + ε)`, ε outside the root.
public struct Adagrad: Optimizer {
    public var learningRate: Tensor
    public var epsilon: Tensor

    public init(learningRate: Tensor = 0.01, epsilon: Tensor = 1e-10) {
        self.learningRate = learningRate
        self.epsilon = epsilon
    }

    public func updates(gradients: [Tensor], parameters: [Shared]) throws -> [Shared: Tensor] {
        try checkGradients(gradients, parameters, optimizer: "Adagrad")
        var updates: [Shared: Tensor] = [:]
        for (g, p) in zip(gradients, parameters) {
            let (lr, eps, g) = (try hyperparameter(learningRate, like: p), try hyperparameter(epsilon, like: p), try matching(g, p))
            let a = try slot(like: p, "sum_squares")
            let newA = try a + square(g)
            updates[a] = newA
            updates[p] = try p - lr * g / (sqrt(newA) + eps)
        }
        return updates
    }
}

/// RMSprop (PyTorch's form, without momentum or centring): `s ← ρ·s + (1 − ρ)·g²`,
/// `p ← p − lr·g / (√s + ε)`, ε outside the root.
public struct RMSprop: Optimizer {
    public var learningRate: Tensor
    public var rho: Tensor
    public var epsilon: Tensor

    public init(learningRate: Tensor = 0.01, rho: Tensor = 0.99, epsilon: Tensor = 1e-8) {
        self.learningRate = learningRate
        self.rho = rho
        self.epsilon = epsilon
    }

    public func updates(gradients: [Tensor], parameters: [Shared]) throws -> [Shared: Tensor] {
        try checkGradients(gradients, parameters, optimizer: "RMSprop")
        var updates: [Shared: Tensor] = [:]
        for (g, p) in zip(gradients, parameters) {
            let (lr, rho, eps, g) = (try hyperparameter(learningRate, like: p), try hyperparameter(rho, like: p),
                                     try hyperparameter(epsilon, like: p), try matching(g, p))
            let s = try slot(like: p, "mean_square")
            let newS = try rho * s + (Tensor(1.0) - rho) * square(g)
            updates[s] = newS
            updates[p] = try p - lr * g / (sqrt(newS) + eps)
        }
        return updates
    }
}

/// Adadelta (Zeiler 2012, PyTorch's form): `s ← ρ·s + (1 − ρ)·g²`,
/// `Δ = √(u + ε) / √(s + ε) · g`, `u ← ρ·u + (1 − ρ)·Δ²`, `p ← p − lr·Δ`; ε inside both roots.
public struct Adadelta: Optimizer {
    public var learningRate: Tensor
    public var rho: Tensor
    public var epsilon: Tensor

    public init(learningRate: Tensor = 1.0, rho: Tensor = 0.9, epsilon: Tensor = 1e-6) {
        self.learningRate = learningRate
        self.rho = rho
        self.epsilon = epsilon
    }

    public func updates(gradients: [Tensor], parameters: [Shared]) throws -> [Shared: Tensor] {
        try checkGradients(gradients, parameters, optimizer: "Adadelta")
        var updates: [Shared: Tensor] = [:]
        for (g, p) in zip(gradients, parameters) {
            let (lr, rho, eps, g) = (try hyperparameter(learningRate, like: p), try hyperparameter(rho, like: p),
                                     try hyperparameter(epsilon, like: p), try matching(g, p))
            let s = try slot(like: p, "mean_square")
            let u = try slot(like: p, "mean_square_step")
            let newS = try rho * s + (Tensor(1.0) - rho) * square(g)
            let delta = try sqrt(u + eps) / sqrt(newS + eps) * g
            updates[s] = newS
            updates[u] = try rho * u + (Tensor(1.0) - rho) * square(delta)
            updates[p] = try p - lr * delta
        }
        return updates
    }
}

/// Adam (Kingma and Ba 2015, PyTorch's form) with bias correction by a step counter `t`
/// shared by all parameters: `t ← t + 1`, `m ← β₁·m + (1 − β₁)·g`, `v ← β₂·v + (1 − β₂)·g²`,
/// `p ← p − lr·m̂ / (√v̂ + ε)` with `m̂ = m / (1 − β₁ᵗ)`, `v̂ = v / (1 − β₂ᵗ)`; ε outside the
/// root. ``AdamW`` adds decoupled weight decay.
///
/// The step counter ``step`` (an int64 scalar) is created with the optimizer; all
/// ``updates(gradients:parameters:)`` of one `Adam` value share it.
public struct Adam: Optimizer {
    public var learningRate: Tensor
    public var beta1: Tensor
    public var beta2: Tensor
    public var epsilon: Tensor
    /// Decoupled weight decay (set by ``AdamW``); nil for Adam.
    var weightDecay: Tensor?
    /// The number of steps taken (Adam's `t`), updated with the parameters.
    public let step: Shared

    public init(learningRate: Tensor = 0.001, beta1: Tensor = 0.9, beta2: Tensor = 0.999, epsilon: Tensor = 1e-8) {
        self.init(learningRate: learningRate, beta1: beta1, beta2: beta2, epsilon: epsilon, weightDecay: nil)
    }

    init(learningRate: Tensor, beta1: Tensor, beta2: Tensor, epsilon: Tensor, weightDecay: Tensor?) {
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
        self.step = Shared(NDArray(scalar: Int64(0)), name: "adam_step")
    }

    var name: String { weightDecay == nil ? "Adam" : "AdamW" }

    public func updates(gradients: [Tensor], parameters: [Shared]) throws -> [Shared: Tensor] {
        try checkGradients(gradients, parameters, optimizer: name)
        let t = try step + 1
        var updates: [Shared: Tensor] = [step: t]
        for (g, p) in zip(gradients, parameters) {
            let (lr, b1, b2, eps, g) = (try hyperparameter(learningRate, like: p), try hyperparameter(beta1, like: p),
                                        try hyperparameter(beta2, like: p), try hyperparameter(epsilon, like: p), try matching(g, p))
            let tp = try cast(t, p.dtype)
            let m = try slot(like: p, "first_moment")
            let v = try slot(like: p, "second_moment")
            let newM = try b1 * m + (Tensor(1.0) - b1) * g
            let newV = try b2 * v + (Tensor(1.0) - b2) * square(g)
            updates[m] = newM
            updates[v] = newV
            let mHat = try newM / (Tensor(1.0) - b1 ** tp)
            let vHat = try newV / (Tensor(1.0) - b2 ** tp)
            let base = try weightDecay.map { try p * (Tensor(1.0) - lr * hyperparameter($0, like: p)) } ?? p
            updates[p] = try base - lr * mHat / (sqrt(vHat) + eps)
        }
        return updates
    }
}

/// AdamW (Loshchilov and Hutter 2019, PyTorch's form): ``Adam`` with decoupled weight decay
/// `λ`: `p ← p·(1 − lr·λ)`, then the Adam step; the decay stays out of the moment estimates.
public struct AdamW: Optimizer {
    /// The Adam rule it extends (its ``Adam/step`` is this optimizer's step counter).
    public let adam: Adam

    public init(learningRate: Tensor = 0.001, beta1: Tensor = 0.9, beta2: Tensor = 0.999, epsilon: Tensor = 1e-8,
                weightDecay: Tensor = 0.01) {
        adam = Adam(learningRate: learningRate, beta1: beta1, beta2: beta2, epsilon: epsilon, weightDecay: weightDecay)
    }

    /// The number of steps taken.
    public var step: Shared { adam.step }

    public func updates(gradients: [Tensor], parameters: [Shared]) throws -> [Shared: Tensor] {
        try adam.updates(gradients: gradients, parameters: parameters)
    }
}
