import TheanoArray
import TheanoGraph

// Integer outputs (shape computations) carry no gradient; the engine skips these nodes, and
// these pullbacks make sure reaching one never throws.

extension SliceLength {
    public func pullback(_ node: Apply, _ outputGradients: [Variable?]) throws -> [Variable?] {
        node.inputs.map { _ in nil }
    }
}

extension MaskCount {
    public func pullback(_ node: Apply, _ outputGradients: [Variable?]) throws -> [Variable?] { [nil] }
}
