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
    /// The trainable parameters (updated in place by ``trainEpoch(_:batchSize:rng:progress:)``).
    public let parameters: [Shared]
    private let step: Function
    private let predict: Function
    private let rate: Shared

    /// The SGD step size used by the next ``trainEpoch(_:batchSize:rng:progress:)`` (a shared
    /// variable of the compiled step, so schedules need no recompilation).
    public var learningRate: Double {
        get { (try? rate.value.item(Double.self)) ?? 0 }
        set { try? rate.setValue(NDArray(scalar: Float(newValue))) }
    }

    /// Builds the training step and the prediction function.
    ///
    /// - Parameters:
    ///   - logits: the model: input tensor to logits.
    ///   - parameters: the shared variables the model reads; each gets an SGD update.
    ///   - learningRate: the SGD step size.
    ///   - weightDecay: the L2 penalty `weightDecay / 2 * sum(w^2)` added to the loss for each
    ///     parameter of rank 2 or more (weights, not biases).
    ///   - momentum: classical momentum: each step adds `momentum` times the previous step
    ///     (0: plain SGD).
    public init(name: String, features: Int, parameters: [Shared], learningRate: Double, weightDecay: Double = 0,
                momentum: Double = 0, logits: (Tensor) throws -> Tensor) throws {
        self.name = name
        self.parameters = parameters
        let x = Tensor.matrix("x", .float32, shape: [nil, features])
        let y = Tensor.vector("y", .int64)
        let logProbabilities = try logSoftmax(logits(x), axis: 1)
        let loss = try -logProbabilities[arange(y.shape(0)), y].mean()
        var objective = loss
        if weightDecay > 0 {
            for p in parameters where p.rank >= 2 {
                objective = try objective + Tensor(weightDecay / 2) * sum(p * p)
            }
        }
        let gradients = try grad(objective, wrt: parameters)
        rate = Shared(NDArray(scalar: Float(learningRate)), name: "learning_rate")
        let lr: Tensor = rate
        var updates: [Shared: Tensor] = [:]
        for (p, g) in zip(parameters, gradients) {
            if momentum > 0 {
                let velocity = Shared(try NDArray.zeros(p.value.shape, p.dtype), name: "\(p.name ?? "p")_velocity")
                let step = try Tensor(momentum) * velocity - lr * g
                updates[velocity] = step
                updates[p] = try p + step
            } else {
                updates[p] = try p - lr * g
            }
        }
        step = try function([x, y], [loss], updates: updates)
        predict = try function([x], [argmax(logProbabilities, axis: 1)])
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
        let w = Shared(try NDArray.zeros([features, classes]), name: "W")
        let b = Shared(try NDArray.zeros([classes]), name: "b")
        return try Classifier(name: "logistic", features: features, parameters: [w, b], learningRate: learningRate,
                              weightDecay: weightDecay) { x in
            try x.matmul(w) + b
        }
    }

    /// A multilayer perceptron with one hidden layer: `relu(x @ W1 + b1) @ W2 + b2`, weights
    /// drawn from N(0, 2/fan-in) (He initialisation) with a fixed seed.
    public static func mlp(features: Int, hidden: Int, classes: Int, learningRate: Double, weightDecay: Double = 0,
                           momentum: Double = 0, seed: UInt64) throws -> Classifier {
        var rng = RandomGenerator(seed: seed)
        let w1 = Shared(try NDArray.randomNormal([features, hidden], std: (2 / Double(features)).squareRoot(), using: &rng), name: "W1")
        let b1 = Shared(try NDArray.zeros([hidden]), name: "b1")
        let w2 = Shared(try NDArray.randomNormal([hidden, classes], std: (2 / Double(hidden)).squareRoot(), using: &rng), name: "W2")
        let b2 = Shared(try NDArray.zeros([classes]), name: "b2")
        return try Classifier(name: "mlp", features: features, parameters: [w1, b1, w2, b2], learningRate: learningRate,
                              weightDecay: weightDecay, momentum: momentum) { x in
            try relu(x.matmul(w1) + b1).matmul(w2) + b2
        }
    }
}
