import TheanoArray
import TheanoCompile
import TheanoGraph
import TheanoTensor

/// An `Alloc` node (a new array filled by broadcasting a value) on the device: the value is
/// read where it is (copied there as it is, not broadcast, from the host), and the identity
/// elementwise kernel writes every element of the output, in device memory, reading the value
/// with its strides (0 along the broadcast axes). Sizes that do not fit run the node's
/// reference, which reports them.
struct CUDAAllocKernel: Kernel, @unchecked Sendable {
    let device: any CUDADevice
    /// ``CUDAKernelSource/elementwise(_:name:)`` of the identity program of the dtype.
    let kernel: CUDAKernel

    /// The identity program the kernel is generated from.
    static func program(_ dtype: DType) -> ScalarProgram {
        ScalarProgram(inputTypes: [dtype], steps: [], outputs: [.input(0)])
    }

    var acceptsDeviceArrays: Bool { true }
    /// The sizes are read on the host.
    func readsOnDevice(input index: Int, of node: Apply) -> Bool { index == 0 }

    func run(_ node: Apply, _ inputs: [NDArray], _ context: KernelContext) throws -> [NDArray] {
        // The value's header (read in place) and the sizes (on the host).
        var inputs = inputs
        for i in inputs.indices.dropFirst() where inputs[i].isOnDevice { inputs[i] = try inputs[i].onHost() }
        let value = inputs[0], dtype = node.outputTypes[0].dtype
        // The view the reference copies, with its checks (errors come from the reference).
        guard value.dtype == dtype, let view = try? BroadcastTo().perform(node, inputs)[0],
              view.rank <= CUDAKernelSource.maxDimensions else {
            return try performOnHost(node, inputs)
        }
        let shape = view.shape
        // An output too large for memory: the reference's error names the op.
        guard let out = try? device.allocateArray(shape, dtype) else { return try performOnHost(node, inputs) }
        let count = out.count
        if count == 0 { return [out] }
        let uploads = DeviceUploads(device: device)
        defer { uploads.release() }
        let resident = device.holds(value)
        let source = resident ? device.address(of: value) : try uploads.upload(value)
        let target = device.address(of: out)
        // The value's strides over the output's axes: 0 where it is broadcast or has no axis.
        let lead = shape.count - value.rank
        let own = resident ? value.strides : contiguousStrides(value.shape)
        var strides = shape.indices.map { d in d < lead || value.shape[d - lead] == 1 ? Int64(0) : Int64(own[d - lead]) }
        strides += contiguousStrides(shape).map { Int64($0) }
        var extent: [Int64] = [Int64(count), Int64(shape.count), 0] + shape.map { Int64($0) }
        extent += Array(repeating: 0, count: CUDAKernelSource.maxDimensions - shape.count)
        // The identity cannot fail: no error word.
        let parameters = try uploads.launchParameters(strides: strides, addresses: [source.raw, target.raw], errorWord: false)
        try launch(device, kernel, elements: count, extent: extent, [parameters.strides, parameters.addresses, 0])
        return [out]
    }
}
