import Theano

/// Update rules for training: given gradients (or a loss) and the parameters, an optimizer
/// returns the updates to pass to `function(_:_:updates:)`: new values for the parameters and
/// for the optimizer's own state (velocities, running averages, step counters), which it
/// creates as shared variables initialised to zero.
///
/// ```swift
/// let lr = Shared(NDArray(scalar: Float(0.01)), name: "lr")
/// let updates = try Adam(learningRate: lr).updates(loss: loss, parameters: [w, b])
/// let step = try function([x, y], [loss], updates: updates)
/// try lr.setValue(NDArray(scalar: Float(0.001)))   // a schedule: no recompiling
/// ```
///
/// Hyperparameters are tensors: a number literal, or a shared variable that a schedule
/// changes between calls. Constants take each parameter's dtype; other tensors are cast to it.
/// Formulas and defaults are PyTorch's unless a type says otherwise (docs/OPTIMIZERS.md).
public protocol Optimizer {
    /// The updates of `parameters` from their `gradients` (one per parameter, same order).
    func updates(gradients: [Tensor], parameters: [Shared]) throws -> [Shared: Tensor]
}

extension Optimizer {
    /// The updates of `parameters` that descend `loss` (a scalar): its gradients are taken with
    /// ``grad(_:wrt:disconnected:integers:considerConstant:knownGrads:)``.
    public func updates(loss: Tensor, parameters: [Shared]) throws -> [Shared: Tensor] {
        try updates(gradients: try grad(loss, wrt: parameters), parameters: parameters)
    }
}

/// Checks that there is one gradient per parameter with the parameter's dtype and rank.
func checkGradients(_ gradients: [Tensor], _ parameters: [Shared], optimizer: String) throws {
    guard gradients.count == parameters.count else {
        throw TheanoError.invalidArgument("\(optimizer): got \(gradients.count) gradients for \(parameters.count) parameters; give one per parameter")
    }
    for (g, p) in zip(gradients, parameters) where g.rank != p.rank || !g.dtype.isFloatingPoint {
        throw TheanoError.typeMismatch("\(optimizer): the gradient of \(parameterName(p)) has type \(g.type), expected a floating-point tensor of rank \(p.rank)")
    }
}

func parameterName(_ p: Shared) -> String { p.name.map { "'\($0)'" } ?? "a parameter" }

/// A hyperparameter in `p`'s dtype: constants converted, other tensors cast.
func hyperparameter(_ t: Tensor, like p: Tensor) throws -> Tensor {
    if let c = t.constantValue { return Tensor.constant(c.astype(p.dtype)) }
    return t.dtype == p.dtype ? t : try cast(t, p.dtype)
}

/// A gradient in its parameter's dtype.
func matching(_ g: Tensor, _ p: Tensor) throws -> Tensor {
    g.dtype == p.dtype ? g : try cast(g, p.dtype)
}

/// A zero-initialised state variable shaped like `p`, named after it.
func slot(like p: Shared, _ suffix: String) throws -> Shared {
    Shared(try NDArray.zeros(p.value.shape, p.dtype), name: "\(p.name ?? "param")_\(suffix)")
}

// MARK: - Gradient clipping

/// The gradients scaled together so that their global L2 norm is at most `maxNorm`: each is
/// multiplied by `min(1, maxNorm / (norm + 1e-6))` (PyTorch's `clip_grad_norm_`), where
/// `norm` is the L2 norm of all gradients concatenated (computed in float64).
public func clipByGlobalNorm(_ gradients: [Tensor], maxNorm: Tensor) throws -> [Tensor] {
    guard !gradients.isEmpty else { return [] }
    var total: Tensor?
    for g in gradients {
        let s = try square(cast(g, .float64)).sum()
        total = try total.map { try $0 + s } ?? s
    }
    let norm = try sqrt(total!)
    let scale = try minimum(Tensor(1.0), hyperparameter(maxNorm, like: norm) / (norm + Tensor(1e-6)))
    return try gradients.map { g in try g * cast(scale, g.dtype) }
}

/// Each gradient element clipped to [low, high].
public func clipByValue(_ gradients: [Tensor], low: Tensor, high: Tensor) throws -> [Tensor] {
    try gradients.map { g in try clip(g, hyperparameter(low, like: g), hyperparameter(high, like: g)) }
}
