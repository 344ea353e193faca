import TheanoArray

/// oneDNN primitives run directly, for `theano bench` to compare the compiled graphs with
/// (the CPU backend runs the graph's own fused kernels where they are faster).
package enum DNNLMeasurements {
    /// One batch-normalisation training step on oneDNN: the forward pass with the batch's
    /// statistics, then the backward pass (gradients of the input, scale and shift). `x` and
    /// `outputGradient` are contiguous float32 `[N, C, spatial...]`, `scale` and `shift` `[C]`.
    package static func batchNormalizationStep(x: NDArray, scale: NDArray, shift: NDArray, outputGradient: NDArray,
                                               epsilon: Float) throws {
        let g = DNNLBatchNormGeometry(batch: x.shape[0], channels: x.shape[1], spatial: Array(x.shape.dropFirst(2)), epsilon: epsilon)
        let forward = try DNNLBatchNormalization.forwardTraining(g, input: x, scale: scale, shift: shift)
        _ = try DNNLBatchNormalization.backward(g, input: x, outputGradient: outputGradient, mean: forward.mean,
                                                variance: forward.variance, scale: scale)
    }
}
