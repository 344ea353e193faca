import CDNNL
import TheanoArray

/// oneDNN convolution primitives (forward, backward data, backward weights) for 1 to 3
/// spatial axes, float32, with groups, strides, dilations and asymmetric padding.
///
/// All three compute CORRELATION (see ``DNNLConvGeometry``). Primitives are created on first
/// use of a geometry and cached by the process's ``DNNLContext``. Inputs may have any layout
/// (non-contiguous ones are copied); outputs are new C-contiguous arrays, or the given
/// buffers. oneDNN 2.6 has no float64 convolution on CPU: float64 callers use another path.
///
/// `layout` chooses between plain layouts throughout and oneDNN's own (blocked) layouts with
/// reorders around each call; nil picks ``DNNLLayout/preferred(for:)``. Both give the same
/// results up to float rounding.
enum DNNLConvolution {
    /// `out = correlate(input, weights) + bias`, then `max(out, 0)` when `relu` (fused).
    ///
    /// - Parameters:
    ///   - input: `geometry.inputShape`, float32.
    ///   - weights: `geometry.weightsShape`, float32.
    ///   - bias: `[outChannels]`, float32, or nil.
    ///   - out: a C-contiguous `geometry.outputShape` buffer to write, or nil for a new array.
    /// - Throws: `invalidArgument` for a geometry oneDNN cannot run, type and shape errors for
    ///   operands that do not match it, oneDNN's failures as `TheanoError`s.
    static func forward(_ geometry: DNNLConvGeometry, input: NDArray, weights: NDArray, bias: NDArray? = nil,
                        relu: Bool = false, into out: NDArray? = nil, layout requested: DNNLLayout? = nil) throws -> NDArray {
        let what = "convolution forward"
        try geometry.validate()
        let layout = requested ?? .preferred(for: geometry)
        let x = try dnnlInput(input, geometry.inputShape, "the input", what)
        let w = try dnnlInput(weights, geometry.weightsShape, "the weights", what)
        let b = try bias.map { try dnnlInput($0, [geometry.outChannels], "the bias", what) }
        let y = try dnnlOutput(out, geometry.outputShape, "output", what)
        let context = try DNNLContext.shared
        let primitive = try context.primitive(.convolutionForward(geometry, bias: b != nil, relu: relu, layout: layout)) {
            try forwardPrimitive($0, geometry, bias: b != nil, relu: relu, layout: layout)
        }
        var buffers: [Int32: UnsafeMutableRawPointer] = [
            cdnnl_arg_src: x.dnnlPointer, cdnnl_arg_weights: w.dnnlPointer, cdnnl_arg_dst: y.dnnlPointer,
        ]
        if let b { buffers[cdnnl_arg_bias] = b.dnnlPointer }
        // The pointers are into these arrays (copies, some): keep them alive until oneDNN is done.
        try withExtendedLifetime((x, w, b)) { try primitive.run(context, buffers) }
        return y
    }

    /// The gradient with respect to the input: the transposed correlation of `outputGradient`
    /// with `weights`, shape `geometry.inputShape`.
    static func backwardData(_ geometry: DNNLConvGeometry, outputGradient: NDArray, weights: NDArray,
                             into out: NDArray? = nil, layout requested: DNNLLayout? = nil) throws -> NDArray {
        let what = "convolution backward data"
        try geometry.validate()
        let layout = requested ?? .preferred(for: geometry)
        let dy = try dnnlInput(outputGradient, geometry.outputShape, "the output gradient", what)
        let w = try dnnlInput(weights, geometry.weightsShape, "the weights", what)
        let dx = try dnnlOutput(out, geometry.inputShape, "input gradient", what)
        let context = try DNNLContext.shared
        let primitive = try context.primitive(.convolutionBackwardData(geometry, layout: layout)) {
            try backwardDataPrimitive($0, geometry, layout: layout)
        }
        try withExtendedLifetime((dy, w)) {
            try primitive.run(context, [
                cdnnl_arg_diff_dst: dy.dnnlPointer, cdnnl_arg_weights: w.dnnlPointer, cdnnl_arg_diff_src: dx.dnnlPointer,
            ])
        }
        return dx
    }

    /// The gradients with respect to the weights (`geometry.weightsShape`) and, when
    /// `withBias`, the bias (`[outChannels]`: `outputGradient` summed over all but the
    /// channel axis). `weightsOut` and `biasOut`, when given, are C-contiguous buffers of
    /// those shapes to write instead of new arrays.
    static func backwardWeights(_ geometry: DNNLConvGeometry, input: NDArray, outputGradient: NDArray,
                                withBias: Bool = false, into weightsOut: NDArray? = nil, biasInto biasOut: NDArray? = nil,
                                layout requested: DNNLLayout? = nil) throws -> (weights: NDArray, bias: NDArray?) {
        let what = "convolution backward weights"
        try geometry.validate()
        let layout = requested ?? .preferred(for: geometry)
        let x = try dnnlInput(input, geometry.inputShape, "the input", what)
        let dy = try dnnlInput(outputGradient, geometry.outputShape, "the output gradient", what)
        let dw = try dnnlOutput(weightsOut, geometry.weightsShape, "weights gradient", what)
        let db = withBias ? try dnnlOutput(biasOut, [geometry.outChannels], "bias gradient", what) : nil
        let context = try DNNLContext.shared
        let primitive = try context.primitive(.convolutionBackwardWeights(geometry, bias: withBias, layout: layout)) {
            try backwardWeightsPrimitive($0, geometry, bias: withBias, layout: layout)
        }
        var buffers: [Int32: UnsafeMutableRawPointer] = [
            cdnnl_arg_src: x.dnnlPointer, cdnnl_arg_diff_dst: dy.dnnlPointer, cdnnl_arg_diff_weights: dw.dnnlPointer,
        ]
        if let db { buffers[cdnnl_arg_diff_bias] = db.dnnlPointer }
        try withExtendedLifetime((x, dy)) { try primitive.run(context, buffers) }
        return (dw, db)
    }
}

// MARK: - Primitive creation

extension DNNLConvolution {
    /// The plain layouts of input, weights, output, and the ones given to the op descriptor
    /// (`any` for ``DNNLLayout/chosen``).
    private struct Descs {
        var src, weights, dst: dnnl_memory_desc_t
        var opSrc, opWeights, opDst: dnnl_memory_desc_t
        var bias: dnnl_memory_desc_t

        init(_ g: DNNLConvGeometry, _ layout: DNNLLayout) throws {
            src = try dnnlDesc(g.inputShape)
            weights = try dnnlDesc(g.dnnlWeightsDims)
            dst = try dnnlDesc(g.outputShape)
            bias = try dnnlDesc([g.outChannels])
            if layout == .chosen {
                opSrc = try dnnlDesc(g.inputShape, dnnl_format_tag_any)
                opWeights = try dnnlDesc(g.dnnlWeightsDims, dnnl_format_tag_any)
                opDst = try dnnlDesc(g.outputShape, dnnl_format_tag_any)
            } else if layout == .channelsLast {
                let tag = channelsLastTag(rank: g.inputShape.count)
                opSrc = try dnnlDesc(g.inputShape, tag)
                opWeights = try dnnlDesc(g.dnnlWeightsDims, dnnl_format_tag_any)
                opDst = try dnnlDesc(g.outputShape, tag)
            } else {
                (opSrc, opWeights, opDst) = (src, weights, dst)
            }
        }
    }

    /// A forward descriptor (training), as a primitive's op descriptor or a backward hint.
    private static func forwardDesc(_ g: DNNLConvGeometry, _ d: inout Descs, bias: Bool) throws -> dnnl_convolution_desc_t {
        var desc = dnnl_convolution_desc_t()
        let b: dnnl_memory_desc_t? = bias ? d.bias : nil
        try withOptionalPointer(b) { pb in
            try dnnlCheck(dnnl_dilated_convolution_forward_desc_init(
                &desc, dnnl_forward_training, dnnl_convolution_direct, &d.opSrc, &d.opWeights, pb, &d.opDst,
                dnnlDims(g.stride), dnnlDims(g.dnnlDilation), dnnlDims(g.padBefore), dnnlDims(g.padAfter)),
                "describing the convolution \(g)")
        }
        return desc
    }

    static func forwardPrimitive(_ context: DNNLContext, _ g: DNNLConvGeometry, bias: Bool, relu: Bool,
                                 layout: DNNLLayout) throws -> DNNLPrimitive {
        var d = try Descs(g, layout)
        var desc = try forwardDesc(g, &d, bias: bias)
        var attr: dnnl_primitive_attr_t?
        var postOps: dnnl_post_ops_t?
        defer {
            if let postOps { dnnl_post_ops_destroy(postOps) }
            if let attr { dnnl_primitive_attr_destroy(attr) }
        }
        if relu {
            try dnnlCheck(dnnl_primitive_attr_create(&attr), "creating attributes")
            try dnnlCheck(dnnl_post_ops_create(&postOps), "creating post-ops")
            try dnnlCheck(dnnl_post_ops_append_eltwise(postOps, 1, dnnl_eltwise_relu, 0, 0), "appending a ReLU post-op")
            try dnnlCheck(dnnl_primitive_attr_set_post_ops(attr, postOps), "setting post-ops")
        }
        var arguments: [DNNLArgument] = [
            DNNLArgument(index: cdnnl_arg_src, user: d.src, isOutput: false, query: dnnl_query_src_md),
            DNNLArgument(index: cdnnl_arg_weights, user: d.weights, isOutput: false, query: dnnl_query_weights_md),
            DNNLArgument(index: cdnnl_arg_dst, user: d.dst, isOutput: true, query: dnnl_query_dst_md),
        ]
        if bias {
            arguments.append(DNNLArgument(index: cdnnl_arg_bias, user: d.bias, isOutput: false, query: dnnl_query_weights_md, queryIndex: 1))
        }
        return try withUnsafePointer(to: &desc) { p in
            try DNNLPrimitive(context, opDesc: UnsafeRawPointer(p), attributes: attr, arguments: arguments,
                              what: "convolution forward \(g)")
        }
    }

    /// A forward primitive descriptor for `g`, the hint backward descriptors need; the caller
    /// destroys it.
    private static func forwardHint(_ context: DNNLContext, _ g: DNNLConvGeometry, _ d: inout Descs) throws -> dnnl_primitive_desc_t {
        var desc = try forwardDesc(g, &d, bias: false)
        var pd: dnnl_primitive_desc_t?
        try dnnlCheck(dnnl_primitive_desc_create(&pd, &desc, nil, context.engine, nil), "creating the convolution forward descriptor \(g)")
        return pd!
    }

    static func backwardDataPrimitive(_ context: DNNLContext, _ g: DNNLConvGeometry, layout: DNNLLayout) throws -> DNNLPrimitive {
        var d = try Descs(g, layout)
        let hint = try forwardHint(context, g, &d)
        defer { dnnl_primitive_desc_destroy(hint) }
        var desc = dnnl_convolution_desc_t()
        try dnnlCheck(dnnl_dilated_convolution_backward_data_desc_init(
            &desc, dnnl_convolution_direct, &d.opSrc, &d.opWeights, &d.opDst,
            dnnlDims(g.stride), dnnlDims(g.dnnlDilation), dnnlDims(g.padBefore), dnnlDims(g.padAfter)),
            "describing the convolution backward data \(g)")
        return try withUnsafePointer(to: &desc) { p in
            try DNNLPrimitive(context, opDesc: UnsafeRawPointer(p), hint: hint, arguments: [
                DNNLArgument(index: cdnnl_arg_diff_dst, user: d.dst, isOutput: false, query: dnnl_query_diff_dst_md),
                DNNLArgument(index: cdnnl_arg_weights, user: d.weights, isOutput: false, query: dnnl_query_weights_md),
                DNNLArgument(index: cdnnl_arg_diff_src, user: d.src, isOutput: true, query: dnnl_query_diff_src_md),
            ], what: "convolution backward data \(g)")
        }
    }

    static func backwardWeightsPrimitive(_ context: DNNLContext, _ g: DNNLConvGeometry, bias: Bool,
                                         layout: DNNLLayout) throws -> DNNLPrimitive {
        var d = try Descs(g, layout)
        let hint = try forwardHint(context, g, &d)
        defer { dnnl_primitive_desc_destroy(hint) }
        var desc = dnnl_convolution_desc_t()
        let b: dnnl_memory_desc_t? = bias ? d.bias : nil
        try withOptionalPointer(b) { pb in
            try dnnlCheck(dnnl_dilated_convolution_backward_weights_desc_init(
                &desc, dnnl_convolution_direct, &d.opSrc, &d.opWeights, pb, &d.opDst,
                dnnlDims(g.stride), dnnlDims(g.dnnlDilation), dnnlDims(g.padBefore), dnnlDims(g.padAfter)),
                "describing the convolution backward weights \(g)")
        }
        var arguments: [DNNLArgument] = [
            DNNLArgument(index: cdnnl_arg_src, user: d.src, isOutput: false, query: dnnl_query_src_md),
            DNNLArgument(index: cdnnl_arg_diff_dst, user: d.dst, isOutput: false, query: dnnl_query_diff_dst_md),
            DNNLArgument(index: cdnnl_arg_diff_weights, user: d.weights, isOutput: true, query: dnnl_query_diff_weights_md),
        ]
        if bias {
            arguments.append(DNNLArgument(index: cdnnl_arg_diff_bias, user: d.bias, isOutput: true, query: dnnl_query_diff_weights_md, queryIndex: 1))
        }
        return try withUnsafePointer(to: &desc) { p in
            try DNNLPrimitive(context, opDesc: UnsafeRawPointer(p), hint: hint, arguments: arguments,
                              what: "convolution backward weights \(g)")
        }
    }
}

/// The channels-last format tag of a data array of `rank` axes (`acb`, `acdb`, `acdeb`).
func channelsLastTag(rank: Int) -> dnnl_format_tag_t {
    switch rank {
    case 3: dnnl_acb
    case 4: dnnl_acdb
    default: dnnl_acdeb
    }
}
