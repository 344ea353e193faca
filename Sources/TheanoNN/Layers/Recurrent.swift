import Theano

/// A simple (Elman) recurrent layer written with `scan`: for an input `[batch, time, inputs]`,
/// `h_t = activation(x_t @ Wx + h_{t-1} @ Wh + b)` from `h_0 = 0`, returning the last state
/// `h_T` (`[batch, units]`) or, with `output: .mean`, the mean of `h_1 ... h_T`.
///
/// The loop is one `Scan` node (docs/LOOPS.md): the step's graph is compiled once and its
/// gradient is backpropagation through time, another scan.
public final class SimpleRNN: Layer {
    /// What the layer returns from the states of the sequence.
    public enum Output: Sendable {
        /// The state after the last step.
        case last
        /// The mean of the states over the steps.
        case mean
        /// Every state, `[batch, time, units]`.
        case sequence
    }

    public let name: String
    /// `[inputs, units]`.
    public let inputWeight: Shared
    /// `[units, units]`.
    public let recurrentWeight: Shared
    /// `[units]`.
    public let bias: Shared
    public let activation: Activation
    public let output: Output

    /// - Parameters:
    ///   - inputs: features of each step's input.
    ///   - units: size of the hidden state.
    ///   - activation: applied to each new state (tanh by default).
    ///   - output: the last state, the mean state or every state.
    ///   - seed: draws the weights: `Wx` Glorot-uniform, `Wh` orthogonal; the bias starts at zero.
    public init(_ inputs: Int, _ units: Int, activation: Activation = .tanh, output: Output = .last,
                seed: UInt64 = 0, name: String = "rnn") throws {
        guard inputs > 0, units > 0 else {
            throw TheanoError.invalidArgument("SimpleRNN: inputs and units must be positive, got \(inputs) and \(units)")
        }
        self.name = name
        self.activation = activation
        self.output = output
        inputWeight = Shared(try WeightInit.glorotUniform.array([inputs, units], seed: seed), name: "\(name).Wx")
        recurrentWeight = Shared(try WeightInit.orthogonal.array([units, units], seed: seed &+ 1), name: "\(name).Wh")
        bias = Shared(try NDArray.zeros([units]), name: "\(name).b")
    }

    public var parameters: [(name: String, value: Shared)] {
        [("Wx", inputWeight), ("Wh", recurrentWeight), ("b", bias)]
    }

    public func forward(_ x: Tensor, _ context: inout ForwardContext) throws -> Tensor {
        let inputs = inputWeight.value.shape[0]
        try requireRank(x, 3, name, "a batch of sequences [batch, time, \(inputs)]")
        if let n = x.staticShape[2], n != inputs {
            throw TheanoError.shapeMismatch("\(name) (SimpleRNN): each step has \(n) features but the layer expects \(inputs) (input shape \(formatStaticShape(x.staticShape)))")
        }
        // Time first: the loop walks the rows of [time, batch, inputs].
        let states = try SimpleRNN.recurrence(dimshuffle(x, [1, 0, 2]), inputWeight: inputWeight, recurrentWeight: recurrentWeight,
                                              bias: bias, activation: activation, name: name)
        switch output {
        case .last: return try states[-1]
        case .mean: return try states.mean(axis: 0)
        case .sequence: return try dimshuffle(states, [1, 0, 2])
        }
    }

    /// The recurrence on tensors: the states `h_1 ... h_T` (`[time, batch, units]`) of
    /// `h_t = activation(x_t @ Wx + h_{t-1} @ Wh + b)` for a sequence `[time, batch, inputs]`,
    /// from `h_0 = 0`, as one `scan`.
    public static func recurrence(_ sequence: Tensor, inputWeight wx: Tensor, recurrentWeight wh: Tensor, bias b: Tensor,
                                  activation: Activation = .tanh, name: String = "rnn") throws -> Tensor {
        try requireRank(sequence, 3, name, "a sequence [time, batch, inputs]")
        let units: Tensor
        if let n = wh.staticShape[0] { units = Tensor(integerLiteral: n) } else { units = try wh.shape(0) }
        let h0 = try zeros([sequence.shape(1), units], sequence.dtype)
        return try scan({ a in [try activation.apply(a[0].matmul(wx) + a[1].matmul(wh) + b)] },
                        sequences: [sequence], outputsInfo: [h0], name: name).output
    }
}
