import Foundation
import Theano
import TheanoCompile

extension Workloads {
    /// `batchnorm_N64_C32_16x16_step_s`: batch normalisation in training mode over
    /// `[64, 32, 16, 16]` float32 (statistics over the batch and both spatial axes), forward
    /// and backward: the output and the gradients of `sum(y * dy)` with respect to the input,
    /// scale and shift, as one compiled function. The note times oneDNN's training forward and
    /// backward primitives on the same arrays in the same run (what issue 12 compares the
    /// graph's fused kernels with).
    static func batchNorm(profile: Bool) throws -> Result {
        let shape = [64, 32, 16, 16]
        var rng = RandomGenerator(seed: 0)
        let xValue = try NDArray.randomNormal(shape, using: &rng).astype(.float32)
        let dyValue = try NDArray.randomNormal(shape, using: &rng).astype(.float32)
        let gammaValue = try NDArray.randomNormal([32], using: &rng).astype(.float32)
        let betaValue = try NDArray.randomNormal([32], using: &rng).astype(.float32)
        let x = Tensor.variable("x", .float32, shape: shape), dy = Tensor.variable("dy", .float32, shape: shape)
        let gamma = Tensor.vector("gamma", .float32), beta = Tensor.vector("beta", .float32)
        let bn = try batchNormalizationTrain(x, gamma, beta, axes: [0, 2, 3])
        let grads = try grad((bn.output * dy).sum(), wrt: [x, gamma, beta])
        let f = try function([x, dy, gamma, beta], [bn.output] + grads, options: CompileOptions(profile: profile, kernelCompilation: .wait))
        let ours = try medianTime(runs: 20, afterWarmup: { f.profile?.reset() }) { _ = try f(xValue, dyValue, gammaValue, betaValue) }
        var result = Result(values: [("batchnorm_N64_C32_16x16_step_s", ours)])
        if let p = f.profile { result.notes.append(p.summary(top: 25)) }
        do {
            let oneDNN = try medianTime(runs: 20) {
                try DNNLMeasurements.batchNormalizationStep(x: xValue, scale: gammaValue, shift: betaValue,
                                                            outputGradient: dyValue, epsilon: 1e-5)
            }
            result.notes.append(String(format: "batchnorm: oneDNN forward + backward primitives %.3f ms; the compiled graph %.3f ms (%.2fx oneDNN's time)",
                                       oneDNN * 1e3, ours * 1e3, ours / oneDNN))
        } catch {
            result.notes.append("batchnorm: oneDNN not measured: \(error)")
        }
        return result
    }
}
