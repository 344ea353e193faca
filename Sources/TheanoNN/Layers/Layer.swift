import Theano
import TheanoTensor

/// Whether a layer builds the graph used for training (dropout active, batch statistics) or
/// for inference (dropout off, running statistics).
public enum Phase: Sendable {
    case training
    case inference
}

/// What a layer's forward pass may add besides its output: updates of shared state (the running
/// statistics of ``BatchNorm``), applied by the compiled training step.
public struct ForwardContext {
    /// The graph being built.
    public let phase: Phase
    /// Updates the training step must apply, keyed by the shared variable they replace.
    public var updates: [Shared: Tensor] = [:]

    public init(phase: Phase) {
        self.phase = phase
    }
}

/// A building block of a model: a function of one tensor with named parameters.
///
/// Layers are classes (their parameters are shared variables that training updates in place);
/// ``Sequential`` chains them, names their parameters `<layer>.<parameter>`, prints a summary
/// and saves or loads the parameters as `.npz`.
public protocol Layer: AnyObject {
    /// The layer's name in summaries and parameter names.
    var name: String { get }
    /// The trainable parameters, by name, in a fixed order.
    var parameters: [(name: String, value: Shared)] { get }
    /// Saved with the parameters but not trained (running statistics); empty by default.
    var state: [(name: String, value: Shared)] { get }
    /// The layer applied to `x` for `context.phase`, adding any state updates to `context`.
    func forward(_ x: Tensor, _ context: inout ForwardContext) throws -> Tensor
}

extension Layer {
    public var state: [(name: String, value: Shared)] { [] }

    /// The layer's output for `x` in the inference graph.
    public func callAsFunction(_ x: Tensor) throws -> Tensor {
        var context = ForwardContext(phase: .inference)
        return try forward(x, &context)
    }
}

/// The activations a layer can apply to its output.
public enum Activation: Sendable {
    case identity
    case relu
    case tanh
    case sigmoid

    func apply(_ x: Tensor) throws -> Tensor {
        switch self {
        case .identity: return x
        case .relu: return try TheanoTensor.relu(x)
        case .tanh: return try TheanoTensor.tanh(x)
        case .sigmoid: return try TheanoTensor.sigmoid(x)
        }
    }
}

/// Checks that `x` has `rank` axes, naming the layer.
func requireRank(_ x: Tensor, _ rank: Int, _ layer: String, _ what: String) throws {
    guard x.rank == rank else {
        throw TheanoError.typeMismatch("\(layer): expected \(what) (rank \(rank)), got a tensor of rank \(x.rank) with shape \(formatStaticShape(x.staticShape))")
    }
}

/// `[64, ?, 3]` for a static shape with unknown sizes.
func formatStaticShape(_ shape: [Int?]) -> String {
    "[" + shape.map { $0.map(String.init) ?? "?" }.joined(separator: ", ") + "]"
}

/// An activation function as a layer of its own (between a normalisation and a pooling).
public final class ActivationLayer: Layer {
    public let name: String
    public let activation: Activation

    public init(_ activation: Activation, name: String = "activation") {
        self.name = name
        self.activation = activation
    }

    public var parameters: [(name: String, value: Shared)] { [] }

    public func forward(_ x: Tensor, _ context: inout ForwardContext) throws -> Tensor {
        try activation.apply(x)
    }
}
