import CDNNL
import TheanoArray

/// What a pooling window computes.
enum DNNLPoolingKind: Hashable, Sendable {
    /// The maximum of the window's input elements (padding never wins).
    case max
    /// The sum over the window divided by the full window size (padding counts as zeros).
    case averageIncludingPadding
    /// The mean of the window's input elements (padding is left out of the count).
    case averageExcludingPadding

    var algorithm: dnnl_alg_kind_t {
        switch self {
        case .max: dnnl_pooling_max
        case .averageIncludingPadding: dnnl_pooling_avg_include_padding
        case .averageExcludingPadding: dnnl_pooling_avg_exclude_padding
        }
    }
}

/// The geometry of an N-d pooling (1 to 3 spatial axes) over a contiguous float32 NC... array.
///
/// The output has `(in + padBefore + padAfter - kernel) / stride + 1` elements per spatial
/// axis (rounded down); for a ceiling mode, callers add the missing padding after.
struct DNNLPoolGeometry: Hashable, Sendable, CustomStringConvertible {
    var batch: Int
    var channels: Int
    var inputSpatial: [Int]
    var kernel: [Int]
    var stride: [Int]
    var padBefore: [Int]
    var padAfter: [Int]
    var kind: DNNLPoolingKind

    /// A geometry; `stride` defaults to `kernel` (non-overlapping windows), paddings to 0.
    init(batch: Int, channels: Int, inputSpatial: [Int], kernel: [Int], stride: [Int]? = nil,
         padBefore: [Int]? = nil, padAfter: [Int]? = nil, kind: DNNLPoolingKind) {
        let zeros = Array(repeating: 0, count: inputSpatial.count)
        self.batch = batch
        self.channels = channels
        self.inputSpatial = inputSpatial
        self.kernel = kernel
        self.stride = stride ?? kernel
        self.padBefore = padBefore ?? zeros
        self.padAfter = padAfter ?? zeros
        self.kind = kind
    }

    var spatialRank: Int { inputSpatial.count }
    var outputSpatial: [Int] {
        (0..<spatialRank).map { i in
            let span = inputSpatial[i] + padBefore[i] + padAfter[i] - kernel[i]
            return span < 0 ? 0 : span / stride[i] + 1
        }
    }
    var inputShape: [Int] { [batch, channels] + inputSpatial }
    var outputShape: [Int] { [batch, channels] + outputSpatial }

    /// Throws `invalidArgument` unless oneDNN can pool with this geometry: 1 to 3 spatial
    /// axes, positive sizes and strides, paddings smaller than the kernel (a window of
    /// padding alone has no maximum), and a kernel no larger than the padded input.
    func validate() throws {
        func fail(_ why: String) -> TheanoError { .invalidArgument("oneDNN pooling \(self): \(why)") }
        guard (1...3).contains(spatialRank) else { throw fail("1 to 3 spatial axes are supported, got \(spatialRank)") }
        for (name, list) in [("kernel", kernel), ("stride", stride), ("padBefore", padBefore), ("padAfter", padAfter)]
        where list.count != spatialRank {
            throw fail("\(name) has \(list.count) entries for \(spatialRank) spatial axes")
        }
        guard batch > 0, channels > 0, (inputSpatial + kernel + stride).allSatisfy({ $0 > 0 }) else {
            throw fail("sizes, kernel sizes and strides must be positive")
        }
        for i in 0..<spatialRank {
            guard padBefore[i] >= 0, padAfter[i] >= 0, padBefore[i] < kernel[i], padAfter[i] < kernel[i] else {
                throw fail("paddings must be non-negative and smaller than the kernel on spatial axis \(i)")
            }
            guard inputSpatial[i] + padBefore[i] + padAfter[i] >= kernel[i] else {
                throw fail("the kernel is larger than the padded input on spatial axis \(i)")
            }
        }
    }

    var description: String {
        "\(kind) N=\(batch) C=\(channels) in=\(inputSpatial) k=\(kernel) stride=\(stride) pad=\(padBefore)/\(padAfter)"
    }
}

/// What max pooling's forward pass records for its backward pass (the position of each
/// window's maximum, in oneDNN's format). Belongs to one geometry.
struct DNNLPoolingWorkspace: Sendable {
    let geometry: DNNLPoolGeometry
    let bytes: NDArray
}

/// oneDNN pooling primitives, float32, NC... layout.
enum DNNLPooling {
    /// Pools `input` (`geometry.inputShape`). With `training`, max pooling also returns the
    /// workspace ``backward(_:outputGradient:workspace:into:)`` needs (average pooling has none).
    static func forward(_ geometry: DNNLPoolGeometry, input: NDArray, training: Bool = false,
                        into out: NDArray? = nil) throws -> (output: NDArray, workspace: DNNLPoolingWorkspace?) {
        let what = "pooling forward"
        try geometry.validate()
        let x = try dnnlInput(input, geometry.inputShape, "the input", what)
        let y = try dnnlOutput(out, geometry.outputShape, "output", what)
        let context = try DNNLContext.shared
        let primitive = try context.primitive(.poolingForward(geometry, training: training)) {
            try forwardPrimitive($0, geometry, training: training)
        }
        var buffers: [Int32: UnsafeMutableRawPointer] = [cdnnl_arg_src: x.dnnlPointer, cdnnl_arg_dst: y.dnnlPointer]
        var workspace: DNNLPoolingWorkspace?
        if let ws = primitive.workspace {
            let bytes = try NDArray(allocating: [ws.bytes], dtype: .uint8, zeroed: false, context: "oneDNN \(what)")
            buffers[cdnnl_arg_workspace] = UnsafeMutableRawPointer(bytes.storagePointer(as: UInt8.self))
            workspace = DNNLPoolingWorkspace(geometry: geometry, bytes: bytes)
        }
        try withExtendedLifetime(x) { try primitive.run(context, buffers) }
        return (y, workspace)
    }

    /// The gradient with respect to the input (`geometry.inputShape`) of `outputGradient`
    /// (`geometry.outputShape`). Max pooling needs the workspace of a training forward pass
    /// over the same geometry.
    static func backward(_ geometry: DNNLPoolGeometry, outputGradient: NDArray, workspace: DNNLPoolingWorkspace? = nil,
                         into out: NDArray? = nil) throws -> NDArray {
        let what = "pooling backward"
        try geometry.validate()
        let dy = try dnnlInput(outputGradient, geometry.outputShape, "the output gradient", what)
        let dx = try dnnlOutput(out, geometry.inputShape, "input gradient", what)
        let context = try DNNLContext.shared
        let primitive = try context.primitive(.poolingBackward(geometry)) { try backwardPrimitive($0, geometry) }
        var buffers: [Int32: UnsafeMutableRawPointer] = [cdnnl_arg_diff_dst: dy.dnnlPointer, cdnnl_arg_diff_src: dx.dnnlPointer]
        if let ws = primitive.workspace {
            guard let workspace, workspace.geometry == geometry, workspace.bytes.count == ws.bytes else {
                throw TheanoError.invalidArgument("oneDNN \(what) \(geometry): max pooling needs the workspace of a training forward pass over the same geometry")
            }
            buffers[cdnnl_arg_workspace] = UnsafeMutableRawPointer(workspace.bytes.storagePointer(as: UInt8.self))
        }
        try withExtendedLifetime((dy, workspace)) { try primitive.run(context, buffers) }
        return dx
    }

    private static func forwardDesc(_ g: DNNLPoolGeometry, training: Bool) throws -> dnnl_pooling_desc_t {
        var src = try dnnlDesc(g.inputShape)
        var dst = try dnnlDesc(g.outputShape)
        var desc = dnnl_pooling_desc_t()
        try dnnlCheck(dnnl_pooling_forward_desc_init(
            &desc, training ? dnnl_forward_training : dnnl_forward_inference, g.kind.algorithm, &src, &dst,
            dnnlDims(g.stride), dnnlDims(g.kernel), dnnlDims(g.padBefore), dnnlDims(g.padAfter)),
            "describing the pooling \(g)")
        return desc
    }

    static func forwardPrimitive(_ context: DNNLContext, _ g: DNNLPoolGeometry, training: Bool) throws -> DNNLPrimitive {
        var desc = try forwardDesc(g, training: training)
        return try withUnsafePointer(to: &desc) { p in
            try DNNLPrimitive(context, opDesc: UnsafeRawPointer(p), arguments: [
                DNNLArgument(index: cdnnl_arg_src, user: try dnnlDesc(g.inputShape), isOutput: false),
                DNNLArgument(index: cdnnl_arg_dst, user: try dnnlDesc(g.outputShape), isOutput: true),
            ], what: "pooling forward \(g)")
        }
    }

    static func backwardPrimitive(_ context: DNNLContext, _ g: DNNLPoolGeometry) throws -> DNNLPrimitive {
        var forward = try forwardDesc(g, training: true)
        var hint: dnnl_primitive_desc_t?
        try dnnlCheck(dnnl_primitive_desc_create(&hint, &forward, nil, context.engine, nil), "creating the pooling forward descriptor \(g)")
        defer { dnnl_primitive_desc_destroy(hint) }
        var diffSrc = try dnnlDesc(g.inputShape)
        var diffDst = try dnnlDesc(g.outputShape)
        var desc = dnnl_pooling_desc_t()
        try dnnlCheck(dnnl_pooling_backward_desc_init(
            &desc, g.kind.algorithm, &diffSrc, &diffDst,
            dnnlDims(g.stride), dnnlDims(g.kernel), dnnlDims(g.padBefore), dnnlDims(g.padAfter)),
            "describing the pooling backward \(g)")
        return try withUnsafePointer(to: &desc) { p in
            try DNNLPrimitive(context, opDesc: UnsafeRawPointer(p), hint: hint, arguments: [
                DNNLArgument(index: cdnnl_arg_diff_dst, user: diffDst, isOutput: false),
                DNNLArgument(index: cdnnl_arg_diff_src, user: diffSrc, isOutput: true),
            ], what: "pooling backward \(g)")
        }
    }
}
