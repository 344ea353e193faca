import TheanoArray
import TheanoGraph
import TheanoTensor

// The CPU kernel of a convolution with its epilogue (``ConvBiasReLU``): oneDNN's convolution
// with the bias as its bias argument and the rectifier as an eltwise post-op, so the output is
// written once. oneDNN's rectifier turns NaN into 0 where ours keeps it, so the post-op is used
// only when no pre-activation can be NaN: every operand finite and too small for a sum of
// products to overflow (max|x| * max|w| * terms per output + max|b| within float32's range),
// which a scan of the operands (much smaller than the output) decides. Otherwise, and for
// float64 or geometries oneDNN does not take, the convolution runs (with its bias on oneDNN)
// and the rectifier follows as a loop over the output.

extension ConvBiasReLU: CPUKernelOp {
    func cpuKernel(_ node: Apply, _ session: LinkSession) throws -> KernelChoice? {
        let dtype = node.outputTypes[0].dtype
        guard dtype == .float32 || dtype == .float64 else { return nil }
        let implementation = dtype == .float32 && convolutionsUseOneDNN ? "\(oneDNNConvolution) with post-ops" : "\(im2colGEMM) + Swift loop"
        return .kernel(ConvEpilogueKernel(op: self), implementation: implementation)
    }
}

struct ConvEpilogueKernel: Kernel {
    let op: ConvBiasReLU

    func run(_ node: Apply, _ inputs: [NDArray], _ context: KernelContext) throws -> [NDArray] {
        let p = op.parameters
        let g = try p.geometry(input: inputs[0].shape, filters: inputs[1].shape, op: op.description)
        let dtype = node.outputTypes[0].dtype
        let bias = try op.hasBias ? channelBias(inputs[2], channels: g.outChannels, outputRank: g.outputShape.count, dtype) : nil
        if let d = dnnlGeometry(g, dtype) {
            let out = try context.buffers.allocate(g.outputShape, dtype)
            let x = inputs[0].astype(dtype).contiguous()
            let w = try dnnlFilters(inputs[1], flip: g.filterFlip, kernelSpatial: g.kernelSpatial, context).contiguous()
            let terms = Double(g.inChannels / Swift.max(g.groups, 1)) * Double(g.kernelSpatial)
            let bound = largestMagnitude(x) * largestMagnitude(w) * terms + (bias.map(largestMagnitude) ?? 0)
            let postOp = op.relu && bound <= Double(Float.greatestFiniteMagnitude)
            let y = try DNNLConvolution.forward(d, input: x, weights: w, bias: bias, relu: postOp, into: out)
            if op.relu && !postOp { applyEpilogue(y, nil, spatial: g.outputSpatial, channels: g.outChannels, Float.self) }
            return [y]
        }
        let convNode = try Conv(p).makeNode(Array(node.inputs.prefix(2)))
        let y = try ConvForwardKernel(op: Conv(p)).run(convNode, Array(inputs.prefix(2)), context)[0]
        switch dtype {
        case .float32: applyEpilogue(y, bias, spatial: g.outputSpatial, channels: g.outChannels, Float.self)
        default: applyEpilogue(y, bias, spatial: g.outputSpatial, channels: g.outChannels, Double.self)
        }
        return [y]
    }

    /// The bias as a contiguous `[channels]` vector: the graph's `[1, O, 1, ...]` (or all-ones
    /// shape, one value for every channel) array, checked against the output.
    private func channelBias(_ b: NDArray, channels: Int, outputRank: Int, _ dtype: DType) throws -> NDArray {
        guard b.rank == outputRank, b.shape.enumerated().allSatisfy({ $1 == 1 || ($0 == 1 && $1 == channels) }) else {
            throw TheanoError.shapeMismatch("\(op.description): a bias of shape \(formatShape(b.shape)) does not broadcast over \(channels) output channels")
        }
        return try b.astype(dtype).reshaped([b.shape[1]]).broadcast(to: [channels]).contiguous()
    }

    /// The largest magnitude in a contiguous float32 array (infinity when it holds a NaN or an
    /// infinity; 0 when empty).
    private func largestMagnitude(_ a: NDArray) -> Double {
        let p = a.storagePointer(as: Float.self) + a.offset
        var largest: Float = 0
        var nonFinite = false
        withExtendedLifetime(a) {
            for i in 0..<a.count {
                let m = p[i].magnitude
                largest = m > largest ? m : largest
                nonFinite = nonFinite || !m.isFinite
            }
        }
        return nonFinite ? .infinity : Double(largest)
    }

    /// Adds `bias` per channel to `y` (a contiguous `[N, O, spatial...]` buffer) and applies the
    /// rectifier, in place, in the dtype.
    private func applyEpilogue<T: NDArrayElement & BinaryFloatingPoint>(_ y: NDArray, _ bias: NDArray?, spatial: Int, channels: Int, _: T.Type) {
        let p = y.storagePointer(as: T.self) + y.offset
        let b = bias.map { $0.storagePointer(as: T.self) + $0.offset }
        let relu = op.relu
        withExtendedLifetime(bias) {
            for i in 0..<y.count {
                var v = p[i]
                if let b { v += b[(i / Swift.max(spatial, 1)) % Swift.max(channels, 1)] }
                if relu && !(v > 0 || v.isNaN) { v = 0 }
                p[i] = v
            }
        }
    }
}
