import TheanoArray
import TheanoTensor

/// One convolution in cuDNN's terms, on C-contiguous device arrays: `x` is `[batch,
/// inChannels] + input`, `w` is `[outChannels, inChannels / groups] + kernel`, `y` is
/// `[batch, outChannels] + output`, with the same padding before and after each spatial axis
/// and cuDNN's output size `(input + 2 pad - dilation (kernel - 1) - 1) / stride + 1`.
///
/// ``direction`` says which array is written (the others are read):
/// - `forward`: `y[n, o, p] = Σ_{c, r} x[n, c, p stride - pad + r' dilation] w[o, c, r]` over the
///   channels `c` of `o`'s group, where `r'` is `r` read backwards in `CUDNN_CONVOLUTION` mode
///   (``crossCorrelation`` false: Theano's `filter_flip`) and `r` itself in
///   `CUDNN_CROSS_CORRELATION` mode;
/// - `backwardData`: `x` becomes the gradient of `Σ y ⊙ dy` with respect to `x` (`y` holds
///   `dy`);
/// - `backwardFilter`: `w` becomes the gradient with respect to `w`.
///
/// This is `cudnnConvolutionForward` / `BackwardData` / `BackwardFilter`:
/// ``CUDADevice/convolution(_:workspace:workspaceBytes:)`` runs it with cuDNN on a GPU and
/// with ``runOnHost()`` (cuDNN's definition, by plain loops) on the emulator.
public struct ConvolutionCall: Sendable, Hashable {
    public enum Direction: Sendable, Hashable { case forward, backwardData, backwardFilter }

    public var direction: Direction
    /// float32 or float64.
    public var dtype: DType
    public var batch: Int, inChannels: Int, outChannels: Int, groups: Int
    /// Spatial extents (two or three axes: a 1-d convolution is a 2-d one of height 1).
    public var input: [Int], kernel: [Int], output: [Int]
    public var padding: [Int], stride: [Int], dilation: [Int]
    /// `CUDNN_CROSS_CORRELATION` when true, `CUDNN_CONVOLUTION` (flipped filters) when false.
    public var crossCorrelation: Bool
    public var x: DeviceAddress, w: DeviceAddress, y: DeviceAddress

    /// The call for one of a convolution node's products, or nil when cuDNN cannot express the
    /// geometry: padding that is not the same on both sides of an axis (its output count
    /// differs from cuDNN's formula), more than three spatial axes, a size beyond cuDNN's
    /// 32-bit dimensions, or a dtype other than float32 and float64.
    public init?(_ g: ConvGeometry, direction: Direction, dtype: DType, x: DeviceAddress, w: DeviceAddress, y: DeviceAddress) {
        guard dtype == .float32 || dtype == .float64, (1...3).contains(g.input.count), g.groups > 0,
              g.inChannels % g.groups == 0, g.outChannels % g.groups == 0 else { return nil }
        let axes = g.input.indices
        for a in axes {
            // cuDNN's count, `input + 2 pad - ((kernel - 1) dilation + 1)`, in checked arithmetic.
            guard g.kernel[a] > 0, g.padBefore[a] >= 0, g.stride[a] > 0, g.dilation[a] > 0,
                  let spread = try? checkedProduct([g.kernel[a] - 1, g.dilation[a]], context: "cuDNN"),
                  let reach = try? checkedSum([spread, 1], context: "cuDNN"),
                  let padded = try? checkedSum([g.input[a], g.padBefore[a], g.padBefore[a]], context: "cuDNN"),
                  padded >= reach, (padded - reach) / g.stride[a] + 1 == g.output[a] else { return nil }
        }
        let limit = Int(Int32.max)
        let extents = [g.batch, g.inChannels, g.outChannels] + g.input + g.kernel + g.output
        guard extents.allSatisfy({ $0 > 0 && $0 <= limit }),
              let elements = try? [g.inputShape, g.filterShape, g.outputShape].map({ try checkedProduct($0, context: "cuDNN") }),
              elements.allSatisfy({ $0 <= limit }) else { return nil }
        let flat = g.input.count == 1
        (self.direction, self.dtype) = (direction, dtype)
        (batch, inChannels, outChannels, groups) = (g.batch, g.inChannels, g.outChannels, g.groups)
        input = flat ? [1] + g.input : g.input
        kernel = flat ? [1] + g.kernel : g.kernel
        output = flat ? [1] + g.output : g.output
        padding = flat ? [0] + g.padBefore : g.padBefore
        stride = flat ? [1] + g.stride : g.stride
        dilation = flat ? [1] + g.dilation : g.dilation
        crossCorrelation = !g.filterFlip
        (self.x, self.w, self.y) = (x, w, y)
    }

    /// The full shapes of `x`, `w` and `y` (C order).
    public var inputShape: [Int] { [batch, inChannels] + input }
    public var filterShape: [Int] { [outChannels, inChannels / groups] + kernel }
    public var outputShape: [Int] { [batch, outChannels] + output }

    /// The call without its addresses: what an algorithm choice depends on.
    var shapeKey: ConvolutionCall {
        var key = self
        (key.x, key.w, key.y) = (DeviceAddress(0), DeviceAddress(0), DeviceAddress(0))
        return key
    }

    /// The product by plain loops over host memory (the emulator's device memory), with
    /// cuDNN's documented meaning (`alpha = 1`, `beta = 0`: the written array is overwritten).
    /// Sums run in double precision. Independent of the im2col tables, so the emulator checks
    /// this call's geometry against the reference, not the tables against themselves.
    public func runOnHost() throws {
        guard let px = UnsafeMutableRawPointer(bitPattern: UInt(x.raw)), let pw = UnsafeMutableRawPointer(bitPattern: UInt(w.raw)),
              let py = UnsafeMutableRawPointer(bitPattern: UInt(y.raw)) else {
            throw TheanoError.invalidArgument("convolution: a device address is 0")
        }
        switch dtype {
        case .float32: loops(px.assumingMemoryBound(to: Float.self), pw.assumingMemoryBound(to: Float.self), py.assumingMemoryBound(to: Float.self))
        case .float64: loops(px.assumingMemoryBound(to: Double.self), pw.assumingMemoryBound(to: Double.self), py.assumingMemoryBound(to: Double.self))
        default: throw TheanoError.typeMismatch("convolution: cuDNN convolves float32 or float64, got \(dtype)")
        }
    }

    private func loops<T: BinaryFloatingPoint>(_ x: UnsafeMutablePointer<T>, _ w: UnsafeMutablePointer<T>, _ y: UnsafeMutablePointer<T>) {
        let counts = [inputShape, filterShape, outputShape].map { $0.reduce(1, *) }
        var sums = [Double](repeating: 0, count: counts[direction == .forward ? 2 : direction == .backwardData ? 0 : 1])
        let (cg, og) = (inChannels / groups, outChannels / groups)
        let inSpatial = input.reduce(1, *), kSpatial = kernel.reduce(1, *), outSpatial = output.reduce(1, *)
        let axes = input.count
        var p = [Int](repeating: 0, count: axes), r = [Int](repeating: 0, count: axes)
        for pFlat in 0..<outSpatial {
            var rest = pFlat
            for a in (0..<axes).reversed() { p[a] = rest % output[a]; rest /= output[a] }
            for rFlat in 0..<kSpatial {
                var rest2 = rFlat
                for a in (0..<axes).reversed() { r[a] = rest2 % kernel[a]; rest2 /= kernel[a] }
                // The input position this output and filter tap read, if inside.
                var iFlat = 0, inside = true
                for a in 0..<axes {
                    let tap = crossCorrelation ? r[a] : kernel[a] - 1 - r[a]
                    let i = p[a] * stride[a] - padding[a] + tap * dilation[a]
                    if i < 0 || i >= input[a] { inside = false; break }
                    iFlat = iFlat * input[a] + i
                }
                guard inside else { continue }
                for n in 0..<batch {
                    for o in 0..<outChannels {
                        let group = o / og
                        let yi = (n * outChannels + o) * outSpatial + pFlat
                        for c in 0..<cg {
                            let xi = (n * inChannels + group * cg + c) * inSpatial + iFlat
                            let wi = (o * cg + c) * kSpatial + rFlat
                            switch direction {
                            case .forward: sums[yi] += Double(x[xi]) * Double(w[wi])
                            case .backwardData: sums[xi] += Double(w[wi]) * Double(y[yi])
                            case .backwardFilter: sums[wi] += Double(x[xi]) * Double(y[yi])
                            }
                        }
                    }
                }
            }
        }
        let target = direction == .forward ? y : direction == .backwardData ? x : w
        for (i, s) in sums.enumerated() { target[i] = T(s) }
    }
}
