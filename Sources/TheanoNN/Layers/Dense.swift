import Theano

/// A fully connected layer: `activation(x @ W + b)` for `x` of shape `[batch, inputs]`.
public final class Dense: Layer {
    public let name: String
    /// `[inputs, units]`.
    public let weight: Shared
    /// `[units]`, or nil without a bias.
    public let bias: Shared?
    public let activation: Activation

    /// - Parameters:
    ///   - inputs: features of each input row.
    ///   - units: features of each output row.
    ///   - bias: whether to add a learned bias (initialised to zero).
    ///   - initializer: how the weight is drawn (He normal by default: suits ReLU networks).
    public init(_ inputs: Int, _ units: Int, activation: Activation = .identity, bias: Bool = true,
                initializer: WeightInit = .heNormal, seed: UInt64 = 0, name: String = "dense") throws {
        guard inputs > 0, units > 0 else {
            throw TheanoError.invalidArgument("Dense: inputs and units must be positive, got \(inputs) and \(units)")
        }
        self.name = name
        self.activation = activation
        weight = Shared(try initializer.array([inputs, units], seed: seed), name: "\(name).W")
        self.bias = bias ? Shared(try NDArray.zeros([units]), name: "\(name).b") : nil
    }

    public var parameters: [(name: String, value: Shared)] {
        [("W", weight)] + (bias.map { [("b", $0)] } ?? [])
    }

    public func forward(_ x: Tensor, _ context: inout ForwardContext) throws -> Tensor {
        try requireRank(x, 2, name, "a matrix [batch, \(weight.value.shape[0])]")
        if let n = x.staticShape[1], n != weight.value.shape[0] {
            throw TheanoError.shapeMismatch("\(name) (Dense): input has \(n) features but the layer expects \(weight.value.shape[0]) (input shape \(formatStaticShape(x.staticShape)), weight \(formatShape(weight.value.shape)))")
        }
        var y = try x.matmul(weight)
        if let bias { y = try y + bias }
        return try activation.apply(y)
    }
}
