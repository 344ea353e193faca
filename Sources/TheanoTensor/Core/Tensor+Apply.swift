import TheanoArray
import TheanoGraph

extension Op {
    /// Builds a node of this op on tensors and returns its first output.
    public func callAsFunction(_ inputs: Tensor...) throws -> Tensor {
        try apply(inputs)
    }

    /// Builds a node of this op on tensors and returns its first output.
    public func apply(_ inputs: [Tensor]) throws -> Tensor {
        Tensor(try makeNode(inputs.map(\.variable)).output)
    }

    /// Builds a node of this op on tensors and returns all its outputs.
    public func applyAll(_ inputs: [Tensor]) throws -> [Tensor] {
        try makeNode(inputs.map(\.variable)).outputs.map(Tensor.init)
    }
}
