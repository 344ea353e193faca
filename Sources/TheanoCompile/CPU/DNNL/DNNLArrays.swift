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

    /// What the convolution wrappers use unless told otherwise: oneDNN's layouts, reorders
    /// included (2-3 times faster forward and backward-data with 20 or more input channels per
    /// group; on LeNet's first layer, one input channel, 2.2x faster forward and 7x faster
    /// backward-weights than the plain layouts in the same run), except for grouped
    /// convolutions with fewer than 4 channels per group (depthwise), where the blocked
    /// layouts pad every group's channels. docs/DNNL.md has the measurements.
    static func preferred(for geometry: DNNLConvGeometry) -> DNNLLayout {
        geometry.groups > 1 && geometry.inChannels / geometry.groups < 4 ? .plain : .chosen
    }

    /// The layouts for the filter gradient: oneDNN's blocked ones only for inputs with fewer
    /// than 4 channels (a first layer, ungrouped), the plain ones otherwise. Release build,
    /// LeNet step, same run: the second layer's filter gradient (20 input channels) took
    /// 2.4-2.5 ms plain against 2.7-3.7 ms blocked (the step 12.3 against 13.7 ms, medians of
    /// 4), while the first layer's (one channel) took 1.45 ms blocked against 10.0 ms plain.
    static func preferredForBackwardWeights(_ geometry: DNNLConvGeometry) -> DNNLLayout {
        geometry.groups == 1 && geometry.inChannels < 4 ? .chosen : .plain
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
