import TheanoArray

/// The geometry of an N-d convolution (1 to 3 spatial axes) in oneDNN's terms.
///
/// Arrays are contiguous float32: the input `[batch, inChannels, inputSpatial...]` (NCW,
/// NCHW or NCDHW), the weights `[outChannels, inChannels / groups, kernelSpatial...]` (OIHW;
/// with groups the same memory as oneDNN's GOIHW: output channel `o` belongs to group
/// `o / (outChannels / groups)`), the output `[batch, outChannels, outputSpatial...]`.
///
/// The semantics are CORRELATION (no kernel flip), as oneDNN computes it:
/// `out[n, o, y] = sum over c, k of in[n, g * C/G + c, y * stride + k * dilation - padBefore] * w[o, c, k]`
/// with zero outside the input. Callers flip the kernel for a true convolution.
///
/// `dilation` counts as in Theano and NumPy: 1 is a dense kernel (oneDNN's own convention is
/// one less; the wrappers convert).
struct DNNLConvGeometry: Hashable, Sendable, CustomStringConvertible {
    var batch: Int
    var inChannels: Int
    var outChannels: Int
    var groups: Int
    var inputSpatial: [Int]
    var kernelSpatial: [Int]
    var stride: [Int]
    var dilation: [Int]
    var padBefore: [Int]
    var padAfter: [Int]

    /// A geometry; `stride` and `dilation` default to 1, the paddings to 0 on every spatial axis.
    init(batch: Int, inChannels: Int, outChannels: Int, groups: Int = 1, inputSpatial: [Int], kernelSpatial: [Int],
         stride: [Int]? = nil, dilation: [Int]? = nil, padBefore: [Int]? = nil, padAfter: [Int]? = nil) {
        let ones = Array(repeating: 1, count: inputSpatial.count)
        let zeros = Array(repeating: 0, count: inputSpatial.count)
        self.batch = batch
        self.inChannels = inChannels
        self.outChannels = outChannels
        self.groups = groups
        self.inputSpatial = inputSpatial
        self.kernelSpatial = kernelSpatial
        self.stride = stride ?? ones
        self.dilation = dilation ?? ones
        self.padBefore = padBefore ?? zeros
        self.padAfter = padAfter ?? zeros
    }

    /// The number of spatial axes.
    var spatialRank: Int { inputSpatial.count }

    /// The output's spatial sizes: `(in + padBefore + padAfter - ((k - 1) * dilation + 1)) / stride + 1`.
    var outputSpatial: [Int] {
        (0..<spatialRank).map { i in
            let extent = (kernelSpatial[i] - 1) * dilation[i] + 1
            let span = inputSpatial[i] + padBefore[i] + padAfter[i] - extent
            return span < 0 ? 0 : span / stride[i] + 1
        }
    }

    /// `[batch, inChannels, inputSpatial...]`.
    var inputShape: [Int] { [batch, inChannels] + inputSpatial }
    /// `[outChannels, inChannels / groups, kernelSpatial...]`.
    var weightsShape: [Int] { [outChannels, inChannels / max(groups, 1)] + kernelSpatial }
    /// `[batch, outChannels, outputSpatial...]`.
    var outputShape: [Int] { [batch, outChannels] + outputSpatial }
    /// oneDNN's weights dimensions: OIHW, or GOIHW with groups.
    var dnnlWeightsDims: [Int] {
        groups == 1 ? weightsShape : [groups, outChannels / groups, inChannels / groups] + kernelSpatial
    }
    /// oneDNN's dilations (0 for a dense kernel).
    var dnnlDilation: [Int] { dilation.map { $0 - 1 } }

    /// Throws `invalidArgument` unless this geometry describes a convolution oneDNN can run:
    /// 1 to 3 spatial axes with one entry each in every list, positive sizes, strides and
    /// dilations, non-negative paddings, channels divisible by `groups`, and an output of at
    /// least one element per spatial axis.
    func validate() throws {
        func fail(_ why: String) -> TheanoError { .invalidArgument("oneDNN convolution \(self): \(why)") }
        guard (1...3).contains(spatialRank) else { throw fail("1 to 3 spatial axes are supported, got \(spatialRank)") }
        for (name, list) in [("kernelSpatial", kernelSpatial), ("stride", stride), ("dilation", dilation),
                             ("padBefore", padBefore), ("padAfter", padAfter)] where list.count != spatialRank {
            throw fail("\(name) has \(list.count) entries for \(spatialRank) spatial axes")
        }
        guard batch > 0, inChannels > 0, outChannels > 0, groups > 0 else {
            throw fail("batch, channels and groups must be positive")
        }
        guard inChannels % groups == 0, outChannels % groups == 0 else {
            throw fail("\(groups) groups do not divide \(inChannels) input and \(outChannels) output channels")
        }
        guard (inputSpatial + kernelSpatial + stride + dilation).allSatisfy({ $0 > 0 }) else {
            throw fail("spatial sizes, kernel sizes, strides and dilations must be positive")
        }
        guard (padBefore + padAfter).allSatisfy({ $0 >= 0 }) else { throw fail("paddings must not be negative") }
        for i in 0..<spatialRank where inputSpatial[i] + padBefore[i] + padAfter[i] < (kernelSpatial[i] - 1) * dilation[i] + 1 {
            throw fail("the dilated kernel (\(kernelSpatial[i]) at dilation \(dilation[i])) is larger than the padded input (\(inputSpatial[i] + padBefore[i] + padAfter[i])) on spatial axis \(i)")
        }
    }

    var description: String {
        "N=\(batch) C=\(inChannels) O=\(outChannels) G=\(groups) in=\(inputSpatial) k=\(kernelSpatial) stride=\(stride) dilation=\(dilation) pad=\(padBefore)/\(padAfter)"
    }
}
