import TheanoArray
import TheanoGraph

/// The identity in the forward pass; its gradient is zero. `stopGradient(x)` (JAX's name)
/// and `considerConstant(x)` (Theano's) both build it.
///
/// The optimiser removes the node after differentiation, so it costs nothing at run time.
public struct StopGradient: Op {
    public init() {}
    public var description: String { "StopGradient" }
    public var viewMap: [Int: [Int]] { [0: [0]] }

    public func makeNode(_ inputs: [Variable]) throws -> Apply {
        guard inputs.count == 1 else { throw TheanoError.invalidArgument("StopGradient: expected 1 input, got \(inputs.count)") }
        return Apply(op: self, inputs: inputs, outputTypes: [inputs[0].type])
    }

    public func perform(_ node: Apply, _ inputs: [NDArray]) throws -> [NDArray] { inputs }

    public func inferShape(_ node: Apply, _ inputShapes: [[Variable]]) throws -> [[Variable]] { inputShapes }

    public func pullback(_ node: Apply, _ outputGradients: [Variable?]) throws -> [Variable?] {
        guard let g = outputGradients[0] else { return [nil] }
        return [try zerosLike(Tensor(g)).variable]
    }
}

/// `x` with its gradient stopped: the value passes through, the gradient is zero.
public func stopGradient(_ x: Tensor) throws -> Tensor { try StopGradient().apply([x]) }

/// Theano's name for ``stopGradient(_:)``: treat `x` as a constant when differentiating.
public func considerConstant(_ x: Tensor) throws -> Tensor { try stopGradient(x) }

extension Tensor {
    /// `self` with its gradient stopped; see ``stopGradient(_:)``.
    public func stopGradient() throws -> Tensor { try TheanoTensor.stopGradient(self) }
}
