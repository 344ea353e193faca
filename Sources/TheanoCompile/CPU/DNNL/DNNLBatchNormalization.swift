import CDNNL
import TheanoArray

/// The geometry of a batch normalisation over a contiguous float32 `[batch, channels,
/// spatial...]` array: statistics per channel over the batch and spatial axes.
struct DNNLBatchNormGeometry: Hashable, Sendable, CustomStringConvertible {
    var batch: Int
    var channels: Int
    /// 0 to 3 spatial sizes.
    var spatial: [Int]
    /// Added to the variance before its square root.
    var epsilon: Float
    /// Whether a per-channel scale (gamma) and shift (beta) apply after normalising.
    var affine: Bool

    init(batch: Int, channels: Int, spatial: [Int], epsilon: Float = 1e-5, affine: Bool = true) {
        self.batch = batch
        self.channels = channels
        self.spatial = spatial
        self.epsilon = epsilon
        self.affine = affine
    }

    var shape: [Int] { [batch, channels] + spatial }

    /// oneDNN's flags for a pass with (`globalStatistics`) or without given statistics.
    func flags(globalStatistics: Bool) -> UInt32 {
        var f = affine ? dnnl_use_scale.rawValue | dnnl_use_shift.rawValue : 0
        if globalStatistics { f |= dnnl_use_global_stats.rawValue }
        return f
    }

    func validate() throws {
        guard batch > 0, channels > 0, spatial.count <= 3, spatial.allSatisfy({ $0 > 0 }) else {
            throw TheanoError.invalidArgument("oneDNN batch normalisation \(self): sizes must be positive, with 0 to 3 spatial axes")
        }
        guard epsilon >= 0, epsilon.isFinite else {
            throw TheanoError.invalidArgument("oneDNN batch normalisation \(self): epsilon must be finite and non-negative")
        }
    }

    var description: String { "N=\(batch) C=\(channels) spatial=\(spatial) epsilon=\(epsilon) affine=\(affine)" }
}

/// oneDNN batch normalisation primitives, float32.
///
/// `y = scale * (x - mean) / sqrt(variance + epsilon) + shift` per channel. The variance is
/// the biased one (divided by the element count, not count - 1); callers that keep an
/// unbiased running variance rescale it.
enum DNNLBatchNormalization {
    /// Training pass: normalises `input` with its own per-channel mean and variance, and
    /// returns them. `scale` and `shift` (`[channels]`) are required when the geometry is
    /// affine and ignored otherwise.
    static func forwardTraining(_ geometry: DNNLBatchNormGeometry, input: NDArray, scale: NDArray? = nil, shift: NDArray? = nil,
                                into out: NDArray? = nil) throws -> (output: NDArray, mean: NDArray, variance: NDArray) {
        let what = "batch normalisation forward"
        try geometry.validate()
        let x = try dnnlInput(input, geometry.shape, "the input", what)
        let y = try dnnlOutput(out, geometry.shape, "output", what)
        let mean = try dnnlOutput(nil, [geometry.channels], "mean", what)
        let variance = try dnnlOutput(nil, [geometry.channels], "variance", what)
        var buffers: [Int32: UnsafeMutableRawPointer] = [
            cdnnl_arg_src: x.dnnlPointer, cdnnl_arg_dst: y.dnnlPointer,
            cdnnl_arg_mean: mean.dnnlPointer, cdnnl_arg_variance: variance.dnnlPointer,
        ]
        let kept = try affineArguments(geometry, scale, shift, what, into: &buffers)
        let context = try DNNLContext.shared
        let primitive = try context.primitive(.batchNormalizationForward(geometry, training: true)) {
            try forwardPrimitive($0, geometry, training: true)
        }
        try withExtendedLifetime((x, kept)) { try primitive.run(context, buffers) }
        return (y, mean, variance)
    }

    /// Inference pass: normalises `input` with the given per-channel `mean` and `variance`.
    static func forwardInference(_ geometry: DNNLBatchNormGeometry, input: NDArray, mean: NDArray, variance: NDArray,
                                 scale: NDArray? = nil, shift: NDArray? = nil, into out: NDArray? = nil) throws -> NDArray {
        let what = "batch normalisation inference"
        try geometry.validate()
        let x = try dnnlInput(input, geometry.shape, "the input", what)
        let m = try dnnlInput(mean, [geometry.channels], "the mean", what)
        let v = try dnnlInput(variance, [geometry.channels], "the variance", what)
        let y = try dnnlOutput(out, geometry.shape, "output", what)
        var buffers: [Int32: UnsafeMutableRawPointer] = [
            cdnnl_arg_src: x.dnnlPointer, cdnnl_arg_dst: y.dnnlPointer,
            cdnnl_arg_mean: m.dnnlPointer, cdnnl_arg_variance: v.dnnlPointer,
        ]
        let kept = try affineArguments(geometry, scale, shift, what, into: &buffers)
        let context = try DNNLContext.shared
        let primitive = try context.primitive(.batchNormalizationForward(geometry, training: false)) {
            try forwardPrimitive($0, geometry, training: false)
        }
        try withExtendedLifetime((x, m, v, kept)) { try primitive.run(context, buffers) }
        return y
    }

    /// Backward pass of a training forward pass: the gradients with respect to the input and,
    /// when the geometry is affine, to `scale` and `shift`. `mean` and `variance` are those
    /// ``forwardTraining(_:input:scale:shift:into:)`` returned.
    static func backward(_ geometry: DNNLBatchNormGeometry, input: NDArray, outputGradient: NDArray, mean: NDArray,
                         variance: NDArray, scale: NDArray? = nil) throws -> (input: NDArray, scale: NDArray?, shift: NDArray?) {
        let what = "batch normalisation backward"
        try geometry.validate()
        let x = try dnnlInput(input, geometry.shape, "the input", what)
        let dy = try dnnlInput(outputGradient, geometry.shape, "the output gradient", what)
        let m = try dnnlInput(mean, [geometry.channels], "the mean", what)
        let v = try dnnlInput(variance, [geometry.channels], "the variance", what)
        let dx = try dnnlOutput(nil, geometry.shape, "input gradient", what)
        var buffers: [Int32: UnsafeMutableRawPointer] = [
            cdnnl_arg_src: x.dnnlPointer, cdnnl_arg_diff_dst: dy.dnnlPointer, cdnnl_arg_diff_src: dx.dnnlPointer,
            cdnnl_arg_mean: m.dnnlPointer, cdnnl_arg_variance: v.dnnlPointer,
        ]
        var dScale: NDArray?, dShift: NDArray?
        var s: NDArray?
        if geometry.affine {
            guard let scale else { throw TheanoError.invalidArgument("oneDNN \(what) \(geometry): an affine normalisation needs the scale") }
            s = try dnnlInput(scale, [geometry.channels], "the scale", what)
            dScale = try dnnlOutput(nil, [geometry.channels], "scale gradient", what)
            dShift = try dnnlOutput(nil, [geometry.channels], "shift gradient", what)
            buffers[cdnnl_arg_scale] = s!.dnnlPointer
            // oneDNN 2.6 requires a shift argument with `use_shift` although the gradients do
            // not depend on its values: any [channels] buffer serves.
            buffers[cdnnl_arg_shift] = s!.dnnlPointer
            buffers[cdnnl_arg_diff_scale] = dScale!.dnnlPointer
            buffers[cdnnl_arg_diff_shift] = dShift!.dnnlPointer
        }
        let context = try DNNLContext.shared
        let primitive = try context.primitive(.batchNormalizationBackward(geometry)) { try backwardPrimitive($0, geometry) }
        try withExtendedLifetime((x, dy, m, v, s)) { try primitive.run(context, buffers) }
        return (dx, dScale, dShift)
    }

    /// Adds the scale and shift buffers when the geometry is affine; returns the arrays to
    /// keep alive while the primitive runs.
    private static func affineArguments(_ g: DNNLBatchNormGeometry, _ scale: NDArray?, _ shift: NDArray?, _ what: String,
                                        into buffers: inout [Int32: UnsafeMutableRawPointer]) throws -> [NDArray] {
        guard g.affine else { return [] }
        guard let scale, let shift else {
            throw TheanoError.invalidArgument("oneDNN \(what) \(g): an affine normalisation needs a scale and a shift")
        }
        let s = try dnnlInput(scale, [g.channels], "the scale", what)
        let b = try dnnlInput(shift, [g.channels], "the shift", what)
        buffers[cdnnl_arg_scale] = s.dnnlPointer
        buffers[cdnnl_arg_shift] = b.dnnlPointer
        return [s, b]
    }

    /// The arguments of a pass, all in plain layouts (`[channels]` vectors for the statistics,
    /// scale and shift).
    private static func arguments(_ g: DNNLBatchNormGeometry, _ list: [(Int32, Bool)]) throws -> [DNNLArgument] {
        try list.map { index, isOutput in
            let vector = [cdnnl_arg_mean, cdnnl_arg_variance, cdnnl_arg_scale, cdnnl_arg_shift,
                          cdnnl_arg_diff_scale, cdnnl_arg_diff_shift].contains(index)
            return DNNLArgument(index: index, user: try dnnlDesc(vector ? [g.channels] : g.shape), isOutput: isOutput)
        }
    }

    private static func forwardDesc(_ g: DNNLBatchNormGeometry, training: Bool) throws -> dnnl_batch_normalization_desc_t {
        var data = try dnnlDesc(g.shape)
        var desc = dnnl_batch_normalization_desc_t()
        try dnnlCheck(dnnl_batch_normalization_forward_desc_init(
            &desc, training ? dnnl_forward_training : dnnl_forward_inference, &data, g.epsilon, g.flags(globalStatistics: !training)),
            "describing the batch normalisation \(g)")
        return desc
    }

    static func forwardPrimitive(_ context: DNNLContext, _ g: DNNLBatchNormGeometry, training: Bool) throws -> DNNLPrimitive {
        var desc = try forwardDesc(g, training: training)
        var list: [(Int32, Bool)] = [(cdnnl_arg_src, false), (cdnnl_arg_dst, true),
                                     (cdnnl_arg_mean, training), (cdnnl_arg_variance, training)]
        if g.affine { list += [(cdnnl_arg_scale, false), (cdnnl_arg_shift, false)] }
        let args = try arguments(g, list)
        return try withUnsafePointer(to: &desc) { p in
            try DNNLPrimitive(context, opDesc: UnsafeRawPointer(p), arguments: args, what: "batch normalisation forward \(g)")
        }
    }

    static func backwardPrimitive(_ context: DNNLContext, _ g: DNNLBatchNormGeometry) throws -> DNNLPrimitive {
        var forward = try forwardDesc(g, training: true)
        var hint: dnnl_primitive_desc_t?
        try dnnlCheck(dnnl_primitive_desc_create(&hint, &forward, nil, context.engine, nil),
                      "creating the batch normalisation forward descriptor \(g)")
        defer { dnnl_primitive_desc_destroy(hint) }
        var data = try dnnlDesc(g.shape)
        var diff = try dnnlDesc(g.shape)
        var desc = dnnl_batch_normalization_desc_t()
        try dnnlCheck(dnnl_batch_normalization_backward_desc_init(
            &desc, g.affine ? dnnl_backward : dnnl_backward_data, &diff, &data, g.epsilon, g.flags(globalStatistics: false)),
            "describing the batch normalisation backward \(g)")
        var list: [(Int32, Bool)] = [(cdnnl_arg_src, false), (cdnnl_arg_diff_dst, false), (cdnnl_arg_diff_src, true),
                                     (cdnnl_arg_mean, false), (cdnnl_arg_variance, false)]
        if g.affine {
            list += [(cdnnl_arg_scale, false), (cdnnl_arg_shift, false), (cdnnl_arg_diff_scale, true), (cdnnl_arg_diff_shift, true)]
        }
        let args = try arguments(g, list)
        return try withUnsafePointer(to: &desc) { p in
            try DNNLPrimitive(context, opDesc: UnsafeRawPointer(p), hint: hint, arguments: args, what: "batch normalisation backward \(g)")
        }
    }
}
