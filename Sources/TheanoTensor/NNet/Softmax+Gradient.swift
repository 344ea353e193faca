import TheanoArray
import TheanoGraph

/// The gradient of the softmax `z`: `gx = d - z * sum(d, axis)` with `d = g * z`, the
/// Jacobian-vector product of `diag(z) - z zᵀ` along each lane. Written with `g * z` first so
/// that when `g` divides by `z` (the gradient of `log(softmax(x))`) the stabilisation rules
/// cancel the division where `z` underflows to 0.
extension Softmax {
    public func pullback(_ node: Apply, _ outputGradients: [Variable?]) throws -> [Variable?] {
        guard let gv = outputGradients[0] else { return [nil] }
        let g = Tensor(gv), z = Tensor(node.output)
        let d = try g * z
        return [try (d - z * sum(d, axis: axis, keepdims: true)).variable]
    }
}

/// The gradient of the log-softmax `z`: `gx = g - exp(z) * sum(g, axis)`. It uses `exp(z)`
/// (the softmax, between 0 and 1) rather than `exp(x)`, so it stays finite for large inputs.
extension LogSoftmax {
    public func pullback(_ node: Apply, _ outputGradients: [Variable?]) throws -> [Variable?] {
        guard let gv = outputGradients[0] else { return [nil] }
        let g = Tensor(gv), z = Tensor(node.output)
        return [try (g - exp(z) * sum(g, axis: axis, keepdims: true)).variable]
    }
}
