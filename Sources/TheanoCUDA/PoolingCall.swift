import TheanoArray
import TheanoTensor

/// One forward pooling in cuDNN's terms, on C-contiguous device arrays: `x` is `planes` planes
/// of `input` (two or three axes: a 1-d pooling is a 2-d one of height 1), `y` the same planes
/// of `output`, windows of `window` at `stride` over the input padded by `padding` on both
/// sides, cuDNN's output size `(input + 2 padding - window) / stride + 1`:
/// - `max`: the window's largest element, padding never winning, a NaN giving NaN
///   (`CUDNN_POOLING_MAX` with `CUDNN_PROPAGATE_NAN`);
/// - `averageIncludingPadding`: the sum over the window's size
///   (`CUDNN_POOLING_AVERAGE_COUNT_INCLUDE_PADDING`);
/// - `averageExcludingPadding`: the sum over the input elements the window covers
///   (`CUDNN_POOLING_AVERAGE_COUNT_EXCLUDE_PADDING`).
///
/// This is `cudnnPoolingForward`: ``CUDADevice/pooling(_:)`` runs it with cuDNN on a GPU and
/// with ``runOnHost()`` (cuDNN's definition, by plain loops) on the emulator.
public struct PoolingCall: Sendable, Hashable {
    public enum Mode: Int32, Sendable, Hashable {
        case max = 0
        case averageIncludingPadding = 1
        case averageExcludingPadding = 2
    }

    public var mode: Mode
    /// float32 or float64.
    public var dtype: DType
    /// The product of the axes before the pooled ones.
    public var planes: Int
    public var input: [Int], output: [Int]
    public var window: [Int], stride: [Int], padding: [Int]
    public var x: DeviceAddress, y: DeviceAddress

    /// The call for a `Pool` node's input of `shape`, or nil when cuDNN's pooling is not the
    /// node's: Theano's partial windows (`ignoreBorder: false`), the `sum` mode, more than three
    /// pooled axes, no elements, a size beyond cuDNN's 32-bit dimensions, or a dtype other than
    /// float32 and float64.
    public init?(_ parameters: PoolParameters, shape: [Int], dtype: DType, x: DeviceAddress, y: DeviceAddress) {
        guard parameters.ignoreBorder, dtype == .float32 || dtype == .float64, (1...3).contains(parameters.window.count),
              let outline = try? parameters.outline(shape, op: "pool") else { return nil }
        switch parameters.mode {
        case .max: mode = .max
        case .averageIncludingPadding: mode = .averageIncludingPadding
        case .averageExcludingPadding: mode = .averageExcludingPadding
        case .sum: return nil
        }
        let limit = Int(Int32.max)
        guard let planes = try? checkedProduct(outline.lead, context: "cuDNN pooling"), planes > 0, planes <= limit,
              let inputCount = try? checkedProduct(shape, context: "cuDNN pooling"), inputCount <= limit,
              let outputCount = try? checkedProduct(outline.lead + outline.output, context: "cuDNN pooling"), outputCount > 0, outputCount <= limit,
              zip(parameters.window, parameters.padding).allSatisfy({ $1 < $0 }) else { return nil }
        let flat = parameters.window.count == 1
        self.dtype = dtype
        self.planes = planes
        input = flat ? [1] + outline.input : outline.input
        output = flat ? [1] + outline.output : outline.output
        window = flat ? [1] + parameters.window : parameters.window
        stride = flat ? [1] + parameters.stride : parameters.stride
        padding = flat ? [0] + parameters.padding : parameters.padding
        (self.x, self.y) = (x, y)
    }

    /// The shapes cuDNN is given: `[planes, 1] + input` and `[planes, 1] + output`.
    public var inputShape: [Int] { [planes, 1] + input }
    public var outputShape: [Int] { [planes, 1] + output }

    /// The pooling by plain loops over host memory (the emulator's device memory), with
    /// cuDNN's documented meaning; sums in double precision. Written from cuDNN's definition,
    /// not from the window tables of ``CUDAPoolSource``.
    public func runOnHost() throws {
        guard let px = UnsafeMutableRawPointer(bitPattern: UInt(x.raw)), let py = UnsafeMutableRawPointer(bitPattern: UInt(y.raw)) else {
            throw TheanoError.invalidArgument("pooling: a device address is 0")
        }
        switch dtype {
        case .float32: loops(px.assumingMemoryBound(to: Float.self), py.assumingMemoryBound(to: Float.self))
        case .float64: loops(px.assumingMemoryBound(to: Double.self), py.assumingMemoryBound(to: Double.self))
        default: throw TheanoError.typeMismatch("pooling: cuDNN pools float32 or float64, got \(dtype)")
        }
    }

    private func loops<T: BinaryFloatingPoint>(_ x: UnsafeMutablePointer<T>, _ y: UnsafeMutablePointer<T>) {
        let axes = input.count
        let inSpatial = input.reduce(1, *), outSpatial = output.reduce(1, *), windowSize = window.reduce(1, *)
        var p = [Int](repeating: 0, count: axes), r = [Int](repeating: 0, count: axes)
        for plane in 0..<planes {
            for pFlat in 0..<outSpatial {
                var rest = pFlat
                for a in (0..<axes).reversed() { p[a] = rest % output[a]; rest /= output[a] }
                var sum = 0.0, count = 0, best = -Double.infinity, sawNaN = false
                for rFlat in 0..<windowSize {
                    var rest2 = rFlat
                    for a in (0..<axes).reversed() { r[a] = rest2 % window[a]; rest2 /= window[a] }
                    var iFlat = 0, inside = true
                    for a in 0..<axes {
                        let i = p[a] * stride[a] - padding[a] + r[a]
                        if i < 0 || i >= input[a] { inside = false; break }
                        iFlat = iFlat * input[a] + i
                    }
                    guard inside else { continue }
                    let v = Double(x[plane * inSpatial + iFlat])
                    count += 1
                    sum += v
                    if v.isNaN { sawNaN = true } else if v > best { best = v }
                }
                let value: Double = switch mode {
                case .max: sawNaN ? .nan : best
                case .averageIncludingPadding: sum / Double(windowSize)
                case .averageExcludingPadding: sum / Double(count)
                }
                y[plane * outSpatial + pFlat] = T(value)
            }
        }
    }
}
