import CDNNL
import TheanoArray

// NDArrays as oneDNN arguments: contiguous float32 buffers of an expected shape.

/// How a primitive lays out its arguments internally.
enum DNNLLayout: Hashable, Sendable {
    /// The callers' plain row-major layouts (`nchw`, `oihw`, `goihw`): no reorders.
    case plain
    /// The layouts oneDNN picks (format `any`, often channel-blocked such as `nChw16c`), with
    /// reorders from and to the callers' plain layouts around each execution.
    case chosen
    /// Channels-last data (`nhwc`, `nwc`, `ndhwc`) with the weights' layout left to oneDNN,
    /// with reorders from and to the callers' plain layouts around each execution.
    case channelsLast

    /// What the convolution wrappers use unless told otherwise:
    /// - ungrouped convolutions with 4 or more input channels: channels-last data. On LeNet's
    ///   second layer (20 -> 50 channels, release build, medians over a bench run) forward 1.41
    ///   against 1.96 ms blocked, backward data 1.54 against 2.00 ms, reorders included: the
    ///   blocked layouts pad 20 channels to 32 and 50 to 64, channels-last pads nothing;
    /// - fewer input channels (a first layer): oneDNN's blocked layouts (on LeNet's first
    ///   layer, one channel, 2.2x faster forward and 7x faster backward-weights than the plain
    ///   layouts; about even with channels-last);
    /// - grouped convolutions: blocked, except with fewer than 4 channels per group
    ///   (depthwise), where the blocked layouts pad every group's channels: plain.
    /// docs/DNNL.md has the measurements.
    static func preferred(for geometry: DNNLConvGeometry) -> DNNLLayout {
        if geometry.groups > 1 { return geometry.inChannels / geometry.groups < 4 ? .plain : .chosen }
        return geometry.inChannels < 4 ? .chosen : .channelsLast
    }

    /// The layouts for the filter gradient: channels-last for ungrouped convolutions with 4
    /// or more input channels (LeNet's second layer 1.48 ms against 2.20 ms plain, where the
    /// blocked layouts had been slower than plain), blocked for fewer (the first layer: 0.3
    /// ms against 10 ms plain), plain for grouped ones.
    static func preferredForBackwardWeights(_ geometry: DNNLConvGeometry) -> DNNLLayout {
        guard geometry.groups == 1 else { return .plain }
        return geometry.inChannels < 4 ? .chosen : .channelsLast
    }
}

/// `value` as a C-contiguous float32 array of `shape` (itself, or a contiguous copy).
func dnnlInput(_ value: NDArray, _ shape: [Int], _ name: String, _ what: String) throws -> NDArray {
    guard value.dtype == .float32 else {
        throw TheanoError.typeMismatch("oneDNN \(what): \(name) must be float32, got \(value.dtype)")
    }
    guard value.shape == shape else {
        throw TheanoError.shapeMismatch("oneDNN \(what): \(name) must have shape \(formatShape(shape)), got \(formatShape(value.shape))")
    }
    return value.contiguous()
}

/// `out` when it is a C-contiguous float32 array of `shape` (its contents are overwritten),
/// or a new one when `out` is nil.
func dnnlOutput(_ out: NDArray?, _ shape: [Int], _ name: String, _ what: String) throws -> NDArray {
    guard let out else { return try NDArray(allocating: shape, dtype: .float32, zeroed: false, context: "oneDNN \(what)") }
    guard out.dtype == .float32, out.shape == shape, out.isContiguous else {
        throw TheanoError.invalidArgument("oneDNN \(what): the \(name) buffer must be a C-contiguous float32 array of shape \(formatShape(shape)), got \(out.dtype) \(formatShape(out.shape))")
    }
    return out
}

extension NDArray {
    /// The address of element 0 of this (contiguous float32) array, for oneDNN.
    var dnnlPointer: UnsafeMutableRawPointer {
        UnsafeMutableRawPointer(storagePointer(as: Float.self) + offset)
    }
}

/// Calls `body` with a pointer to `value`, or with nil.
func withOptionalPointer<T, R>(_ value: T?, _ body: (UnsafePointer<T>?) throws -> R) rethrows -> R {
    guard var value else { return try body(nil) }
    return try withUnsafePointer(to: &value) { try body($0) }
}

/// `dims` as oneDNN dimensions.
func dnnlDims(_ dims: [Int]) -> [dnnl_dim_t] { dims.map { dnnl_dim_t($0) } }
