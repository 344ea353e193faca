import Foundation
import Theano

/// Examples for supervised learning: one row of `inputs` per example and its label.
public struct Dataset: Sendable {
    /// Inputs, one example per row (float32, shape `[count, features]`).
    public let inputs: NDArray
    /// Integer class labels (int64, shape `[count]`).
    public let labels: NDArray

    public init(inputs: NDArray, labels: NDArray) throws {
        guard inputs.rank == 2, labels.rank == 1, inputs.shape[0] == labels.shape[0] else {
            throw TheanoError.shapeMismatch("Dataset: inputs of shape \(formatShape(inputs.shape)) and labels of shape \(formatShape(labels.shape)) do not describe the same examples")
        }
        self.inputs = inputs
        self.labels = labels
    }

    /// Number of examples.
    public var count: Int { labels.shape[0] }

    /// Number of input features.
    public var features: Int { inputs.shape[1] }

    /// The examples at `indices`, in that order (a copy).
    public func subset(_ indices: [Int]) throws -> Dataset {
        let index = NDArray(indices.map { Int64($0) })
        return try Dataset(inputs: inputs.take(index, axis: 0, context: "subset"), labels: labels.take(index, axis: 0, context: "subset"))
    }

    /// Minibatches of at most `size` examples covering the dataset once, in an order shuffled
    /// by `rng` (or in order when `rng` is nil).
    public func batches(size: Int, rng: inout RandomGenerator?) throws -> [Dataset] {
        guard size > 0 else { throw TheanoError.invalidArgument("batches: size must be positive, got \(size)") }
        var order = Array(0..<count)
        if var generator = rng {
            order.shuffle(using: &generator)
            rng = generator
        }
        return try stride(from: 0, to: count, by: size).map { start in
            try subset(Array(order[start..<Swift.min(start + size, count)]))
        }
    }
}
