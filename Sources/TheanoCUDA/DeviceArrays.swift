import Synchronization
import TheanoArray
import TheanoCompile
import TheanoGraph
import TheanoTensor

// Arrays in a CUDA device's memory: the backend's kernels take them as inputs and return
// them as outputs (``Kernel/acceptsDeviceArrays``), so values stay on the device between
// nodes and across calls (a shared variable updated by a device kernel keeps its new value
// there). The scheduler copies a device array to the host only for a node that runs there
// and for a call's outputs.

/// The identity elementwise kernel of each dtype on one device, compiled when first needed:
/// it copies a strided (transposed, broadcast, sliced) device array into C order, for the
/// kernels that read their operands as dense matrices or lanes.
final class DeviceCopyKernels: Sendable {
    private let loaded = Mutex<[DType: CUDAKernel]>([:])

    func kernel(_ dtype: DType, on device: any CUDADevice) throws -> CUDAKernel {
        if let kernel = loaded.withLock({ $0[dtype] }) { return kernel }
        let name = "th_copy_\(dtype)"
        let source = CUDAKernelSource.unit([try CUDAKernelSource.elementwise(CUDAAllocKernel.program(dtype), name: name)])
        guard let kernel = try device.load(source: source, kernels: [name])[name] else {
            throw TheanoError.graph("internal error: \(device.name) did not load the copy kernel \(name)")
        }
        loaded.withLock { $0[dtype] = kernel }
        return kernel
    }
}

extension CUDADevice {
    /// The copy kernel of `dtype` (kept by a ``CachingCUDADevice``; compiled again on another
    /// device).
    func copyKernel(_ dtype: DType) throws -> CUDAKernel {
        if let caching = self as? CachingCUDADevice { return try caching.copyKernels.kernel(dtype, on: caching) }
        return try DeviceCopyKernels().kernel(dtype, on: self)
    }

    /// Writes `source`'s elements in C order to `target` (device memory of at least
    /// `source.count` elements). `source` is in this device's memory (any strides, broadcast
    /// axes included) or on the host.
    func copyElements(of source: NDArray, to target: DeviceAddress) throws {
        let count = source.count
        guard count > 0 else { return }
        if !holds(source) {
            let dense = try denseOnHost(source)
            (self as? CachingCUDADevice)?.noteArrayToDevice(bytes: count * dense.dtype.byteSize)
            try withExtendedLifetime(dense) {
                try copy(from: dense.storage.baseAddress + dense.offset * dense.dtype.byteSize, to: target, bytes: count * dense.dtype.byteSize)
            }
            return
        }
        guard source.rank <= CUDAKernelSource.maxDimensions else {
            // More axes than a kernel takes: through the host.
            return try copyElements(of: try source.onHost(), to: target)
        }
        let uploads = DeviceUploads(device: self)
        defer { uploads.release() }
        var extent: [Int64] = [Int64(count), Int64(source.rank), 0] + source.shape.map { Int64($0) }
        extent += Array(repeating: 0, count: CUDAKernelSource.maxDimensions - source.rank)
        let strides = source.strides.map { Int64($0) } + contiguousStrides(source.shape).map { Int64($0) }
        // The identity cannot fail: no error word.
        let parameters = try uploads.launchParameters(strides: strides, addresses: [address(of: source).raw, target.raw], errorWord: false)
        try TheanoCUDA.launch(self, try copyKernel(source.dtype), elements: count, extent: extent,
                              [parameters.strides, parameters.addresses, 0])
    }

    /// `array` as a C-contiguous array in this device's memory: itself when it is one already,
    /// else a copy (from the host, another device, or a strided view of this device's memory).
    func contiguousArray(_ array: NDArray) throws -> NDArray {
        if holds(array) && array.isContiguous { return array }
        let out = try allocateArray(array.shape, array.dtype)
        try copyElements(of: array, to: address(of: out))
        return out
    }
}

/// `array`'s elements in C order in host memory, to copy to a device: `array` itself when it
/// is a contiguous host array, else a copy (memory refused for a broadcast view that stands
/// for more than memory holds is a thrown error, not a trap).
func denseOnHost(_ array: NDArray) throws -> NDArray {
    let host = try array.onHost()
    return host.isContiguous ? host : try host.copy(context: "CUDA backend: a contiguous copy for the device")
}

/// Runs `node`'s reference `perform` on host copies of its inputs: what a device kernel does
/// for the cases it leaves to the reference (sizes that disagree, an error word), so the
/// reference reports the problem.
func performOnHost(_ node: Apply, _ inputs: [NDArray]) throws -> [NDArray] {
    try node.op.perform(node, inputs.map { try $0.onHost() })
}

/// Views and shape arithmetic of arrays that may be in device memory: `DimShuffle`, basic
/// `Subtensor`, `Reshape`, `SpecifyShape` (a new header over the same memory) and `Shape`,
/// `Shape[i]` (the header's sizes, on the host). Their reference `perform` reads only the
/// header of their first input, so it runs on the device array as it is; the other inputs
/// (indices, shapes) are brought to the host, and a `Reshape` of a strided device array first
/// makes it contiguous on the device (the reference would copy it on the host).
struct DeviceViewKernel: Kernel {
    var acceptsDeviceArrays: Bool { true }
    /// Nothing is read: a view takes its input where it is, and indices and shapes are read on
    /// the host, so no input is placed on the device for a view's sake.
    func readsOnDevice(input index: Int, of node: Apply) -> Bool { false }

    /// Whether `node` is a view or shape node this kernel runs.
    static func handles(_ node: Apply) -> Bool {
        let op = node.op
        return op is DimShuffle || op is Reshape || op is SpecifyShape || op is Shape || op is ShapeIndex
            || (op is Subtensor && !op.viewMap.isEmpty)
    }

    let device: any CUDADevice

    func run(_ node: Apply, _ inputs: [NDArray], _ context: KernelContext) throws -> [NDArray] {
        guard var first = inputs.first else { return try node.op.perform(node, inputs) }
        if node.op is Reshape, device.holds(first), !first.isContiguous { first = try device.contiguousArray(first) }
        if first.isOnDevice && !device.holds(first) { first = try first.onHost() }
        var rest = Array(inputs.dropFirst())
        for i in rest.indices where rest[i].isOnDevice { rest[i] = try rest[i].onHost() }
        return try node.op.perform(node, [first] + rest)
    }
}
