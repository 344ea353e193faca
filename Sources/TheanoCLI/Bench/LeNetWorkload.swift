import Foundation
import Theano

extension Workloads {
    /// `lenet_B64_step_s`: one SGD step (lr 0.01) of LeNet on a 64x1x28x28 batch: conv 20 5x5
    /// (valid) -> ReLU -> 2x2 max-pool -> conv 50 5x5 -> ReLU -> 2x2 max-pool -> flatten (800)
    /// -> dense 500 (no bias) -> ReLU -> dense 10 (no bias) -> log-softmax, mean NLL
    /// (../shared/bench/WORKLOADS.md; the filters correlate, as the JAX anchor's).
    static func lenet(breakdown: Bool, profile: Bool) throws -> Result {
        var rng = RandomGenerator(seed: 0)
        let shapes: [([Int], Double)] = [([20, 1, 5, 5], 0.1), ([50, 20, 5, 5], 0.05), ([800, 500], 0.03), ([500, 10], 0.05)]
        let params = try shapes.enumerated().map { i, s in
            Shared(try NDArray.randomNormal(s.0, std: s.1, using: &rng), name: ["C1", "C2", "F1", "F2"][i])
        }
        let x = Tensor.variable("x", .float32, shape: [nil, 1, 28, 28])
        let labels = Tensor.vector("y", .int32)
        func block(_ h: Tensor, _ w: Tensor) throws -> Tensor {
            try pool2d(relu(conv2d(h, w, filterFlip: false)), window: [2, 2], mode: .max)
        }
        let h = try block(block(x, params[0]), params[1])
        let hidden = try relu(flatten(h, ndim: 2).matmul(params[2]))
        let p = try logSoftmax(hidden.matmul(params[3]), axis: 1)
        let loss = try -p[arange(labels.shape(0)), labels].mean()
        let (step, compileTime) = try compiledSGDStep(inputs: [x, labels], loss: loss, parameters: params, rate: 0.01, profile: profile)
        let xb = try NDArray.randomNormal([64, 1, 28, 28], using: &rng)
        let yb = NDArray((0..<64).map { _ in Int32(rng.next() % 10) })
        let t = try medianTime(runs: 20, afterWarmup: { step.profile?.reset() }) { _ = try step(xb, yb) }
        var result = Result(values: [("lenet_B64_step_s", t), ("lenet_compile_s", compileTime)])
        if breakdown { result.notes.append(describe("lenet compile", step.compileStatistics)) }
        if let p = step.profile { result.notes.append(p.summary(top: 25)) }
        return result
    }
}
