import TheanoArray
import TheanoGraph

// Shape computations have integer outputs, which carry no gradient: the engine skips their
// nodes. These pullbacks say so explicitly (every input disconnected), so reaching one never
// throws. `MakeVector` and `ARange` of a floating-point dtype do pass gradients.

extension Shape {
    public func pullback(_ node: Apply, _ outputGradients: [Variable?]) throws -> [Variable?] { [nil] }
}

extension ShapeIndex {
    public func pullback(_ node: Apply, _ outputGradients: [Variable?]) throws -> [Variable?] { [nil] }
}

extension ShapeEntry {
    public func pullback(_ node: Apply, _ outputGradients: [Variable?]) throws -> [Variable?] { [nil] }
}

extension MakeVector {
    /// For a floating-point vector, input `i` gets entry `i` of the output gradient; integer
    /// vectors (shapes) carry no gradient.
    public func pullback(_ node: Apply, _ outputGradients: [Variable?]) throws -> [Variable?] {
        guard let g = outputGradients[0], dtype.isFloatingPoint else { return node.inputs.map { _ in nil } }
        return try node.inputs.indices.map { i in try Tensor(g)[i].variable }
    }
}
