import TheanoArray
import TheanoGraph

/// The gradient of the softmax `z`: `gx = z * (g - sum(g * z, axis))`, the Jacobian-vector
/// product of `diag(z) - z zᵀ` along each lane.
extension Softmax {
    public func pullback(_ node: Apply, _ outputGradients: [Variable?]) throws -> [Variable?] {
        guard let gv = outputGradients[0] else { return [nil] }
        let g = Tensor(gv), z = Tensor(node.output)
        return [try (z * (g - sum(g * z, axis: axis, keepdims: true))).variable]
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
