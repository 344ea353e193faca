import Foundation
import Theano

/// A softmax classifier trained with minibatch SGD: a model maps a float32 input matrix
/// `[batch, features]` to logits `[batch, classes]`; the loss is the mean negative
/// log-likelihood of integer labels.
///
/// Everything is built with the symbolic API: `grad` differentiates the loss, and one compiled
/// `function` with `updates` performs a whole SGD step on the shared parameters.
public final class Classifier {
    public let name: String
    /// The network: inputs `[batch, features]` to logits `[batch, classes]`.
    public let model: Sequential
    /// The trainable parameters (updated in place by ``trainEpoch(_:batchSize:rng:progress:)``).
    public var parameters: [Shared] { model.parameters.map(\.value) }
    private let step: Function
    private let predict: Function
    private let rate: Shared

    /// The SGD step size used by the next ``trainEpoch(_:batchSize:rng:progress:)`` (a shared
    /// variable of the compiled step, so schedules need no recompilation).
    public var learningRate: Double {
        get { (try? rate.value.item(Double.self)) ?? 0 }
        set { try? rate.setValue(NDArray(scalar: Float(newValue))) }
    }

    /// Builds the training step (the model's training graph, its state updates and one SGD
    /// step) and the prediction function (its inference graph).
    ///
    /// - Parameters:
    ///   - model: the network, from `[batch, features]` float32 inputs to logits.
    ///   - learningRate: the SGD step size.
    ///   - weightDecay: the L2 penalty `weightDecay / 2 * sum(w^2)` added to the loss for each
    ///     parameter of rank 2 or more (weights, not biases or normalisation scales).
    ///   - momentum: classical momentum: each step adds `momentum` times the previous step
    ///     (0: plain SGD).
    ///   - optimizer: another update rule, made from the learning-rate tensor (a shared variable
    ///     that ``learningRate`` sets), e.g. `{ Adam(learningRate: $0) }`; `momentum` is then unused.
    public init(name: String, model: Sequential, features: Int, learningRate: Double, weightDecay: Double = 0,
                momentum: Double = 0, optimizer makeOptimizer: ((Tensor) -> any Optimizer)? = nil) throws {
        self.name = name
        self.model = model
        let x = Tensor.matrix("x", .float32, shape: [nil, features])
        let y = Tensor.vector("y", .int64)
        let (logits, stateUpdates) = try model.forward(x, phase: .training)
        let logProbabilities = try logSoftmax(logits, axis: 1)
        let loss = try -logProbabilities[arange(y.shape(0)), y].mean()
        var objective = loss
        let parameters = model.parameters.map(\.value)
        if weightDecay > 0 {
            for p in parameters where p.rank >= 2 {
                objective = try objective + Tensor(weightDecay / 2) * sum(p * p)
            }
        }
        let gradients = try grad(objective, wrt: parameters)
        rate = Shared(NDArray(scalar: Float(learningRate)), name: "learning_rate")
        let lr: Tensor = rate
        let optimizer: any Optimizer
        if let makeOptimizer {
            optimizer = makeOptimizer(lr)
        } else {
            optimizer = momentum > 0 ? Momentum(learningRate: lr, momentum: Tensor(momentum)) : SGD(learningRate: lr)
        }
        var updates = stateUpdates
        for (p, u) in try optimizer.updates(gradients: gradients, parameters: parameters) { updates[p] = u }
        step = try function([x, y], [loss], updates: updates)
        let inference = try model.forward(x, phase: .inference).output
        predict = try function([x], [argmax(inference, axis: 1)])
    }

    /// One pass over `data` in shuffled minibatches; returns the mean training loss.
    /// `progress(batchesDone, batchCount, runningLoss)` is called after each batch.
    @discardableResult
    public func trainEpoch(_ data: Dataset, batchSize: Int, rng: inout RandomGenerator?,
                           progress: (Int, Int, Double) -> Void = { _, _, _ in }) throws -> Double {
        let batches = try data.batches(size: batchSize, rng: &rng)
        var total = 0.0
        var seen = 0
        for (i, batch) in batches.enumerated() {
            let loss = try step(batch.inputs, batch.labels)[0].item(Double.self)
            total += loss * Double(batch.count)
            seen += batch.count
            progress(i + 1, batches.count, total / Double(Swift.max(seen, 1)))
        }
        return total / Double(Swift.max(seen, 1))
    }

    /// The fraction of `data` classified correctly.
    public func accuracy(_ data: Dataset) throws -> Double {
        guard data.count > 0 else { return 0 }
        let predicted = try predict(data.inputs)[0].toArray(of: Int64.self)
        let truth = data.labels.toArray(of: Int64.self)
        return Double(zip(predicted, truth).filter { $0 == $1 }.count) / Double(data.count)
    }
}

/// Ready-made models for ``Classifier``.
public enum Models {
    /// Multinomial logistic regression: `x @ W + b`, zero-initialised.
    public static func logistic(features: Int, classes: Int, learningRate: Double, weightDecay: Double = 0) throws -> Classifier {
        let model = try Sequential([Dense(features, classes, initializer: .constant(0), name: "dense")])
        return try Classifier(name: "logistic", model: model, features: features, learningRate: learningRate, weightDecay: weightDecay)
    }

    /// A multilayer perceptron with one hidden layer: `relu(x @ W1 + b1) @ W2 + b2`, weights
    /// drawn from N(0, 2/fan-in) (He initialisation) with a fixed seed.
    public static func mlp(features: Int, hidden: Int, classes: Int, learningRate: Double, weightDecay: Double = 0,
                           momentum: Double = 0, seed: UInt64) throws -> Classifier {
        let model = try Sequential([
            Dense(features, hidden, activation: .relu, seed: seed, name: "hidden"),
            Dense(hidden, classes, seed: seed &+ 1, name: "output"),
        ])
        return try Classifier(name: "mlp", model: model, features: features, learningRate: learningRate,
                              weightDecay: weightDecay, momentum: momentum)
    }

    /// A recurrent network for images read row by row: each example's `steps * inputs` values
    /// are a sequence of `steps` rows of `inputs` values, read by a ``SimpleRNN`` of `hidden`
    /// tanh units; a dense layer classifies its last state. Trained with Adam (the learning
    /// rate is Adam's step size).
    public static func rnn(steps: Int, inputs: Int, hidden: Int, classes: Int, learningRate: Double,
                           weightDecay: Double = 0, seed: UInt64) throws -> Classifier {
        let model = try Sequential([
            Reshape([steps, inputs]),
            SimpleRNN(inputs, hidden, seed: seed, name: "rnn"),
            Dense(hidden, classes, initializer: .glorotUniform, seed: seed &+ 2, name: "output"),
        ])
        return try Classifier(name: "rnn", model: model, features: steps * inputs, learningRate: learningRate,
                              weightDecay: weightDecay, optimizer: { Adam(learningRate: $0) })
    }

    /// A small convolutional network for square single-channel images of `side * side`
    /// pixels given as rows of `features = side * side` values: two 3x3 convolutions (with
    /// batch normalisation and ReLU), each followed by 2x2 max pooling, then a hidden dense
    /// layer with dropout and the output layer.
    public static func convnet(side: Int, classes: Int, channels: Int = 32, hidden: Int = 128, learningRate: Double,
                               weightDecay: Double = 0, momentum: Double = 0.9, dropout: Double = 0.25,
                               seed: UInt64) throws -> Classifier {
        guard side >= 4, side % 4 == 0 else {
            throw TheanoError.invalidArgument("Models.convnet: the image side must be a positive multiple of 4, got \(side)")
        }
        let model = try Sequential([
            Reshape([1, side, side]),
            Conv2D(1, channels, kernel: [3, 3], padding: .same, bias: false, seed: seed, name: "conv1"),
            BatchNorm(channels, name: "bn1"),
            ActivationLayer(.relu),
            MaxPool2D(),
            Conv2D(channels, 2 * channels, kernel: [3, 3], padding: .same, bias: false, seed: seed &+ 1, name: "conv2"),
            BatchNorm(2 * channels, name: "bn2"),
            ActivationLayer(.relu),
            MaxPool2D(),
            Flatten(),
            Dense(2 * channels * (side / 4) * (side / 4), hidden, activation: .relu, seed: seed &+ 2, name: "hidden"),
            Dropout(rate: dropout, seed: seed &+ 3),
            Dense(hidden, classes, seed: seed &+ 4, name: "output"),
        ])
        return try Classifier(name: "convnet", model: model, features: side * side, learningRate: learningRate,
                              weightDecay: weightDecay, momentum: momentum)
    }
}
