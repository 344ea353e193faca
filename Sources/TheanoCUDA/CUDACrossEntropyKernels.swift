import TheanoArray
import TheanoCompile
import TheanoGraph
import TheanoTensor

// The fused softmax cross-entropy on the device (``CUDACrossEntropySource``). Labels are read
// and checked on the host (they are one integer per row) by the op's own check, so a wrong
// length or a label out of range reads exactly as on the other backends. The logits and
// gradients are read where they are, and the results stay in device memory.

/// Each row's label as a column, checked by the op's own `labelColumns` (so a wrong length or
/// a label out of range throws the reference's error).
private func columns(_ node: Apply, _ labels: NDArray, rows: Int, classes: Int) throws -> [Int64] {
    try labelColumns(labels, rows: rows, classes: classes, op: "\(node.op)").map { Int64($0) }
}

/// `CrossEntropySoftmax1Hot`: the softmax and log-softmax kernels over the rows, then each
/// row's loss picked from the log-softmax; both outputs stay in device memory.
struct CUDACrossEntropyKernel: Kernel, @unchecked Sendable {
    let device: any CUDADevice
    let softmax: CUDAKernel
    let logSoftmax: CUDAKernel
    let pick: CUDAKernel

    var acceptsDeviceArrays: Bool { true }
    /// The labels are read on the host.
    func readsOnDevice(input index: Int, of node: Apply) -> Bool { index == 0 }

    func run(_ node: Apply, _ inputs: [NDArray], _ context: KernelContext) throws -> [NDArray] {
        let x = inputs[0], dtype = node.outputTypes[0].dtype
        guard x.rank == 2, x.dtype == dtype, x.shape[0] > 0, x.shape[1] > 0 else { return try performOnHost(node, inputs) }
        let columns = try columns(node, try inputs[1].onHost(), rows: x.shape[0], classes: x.shape[1])
        let (n, k) = (x.shape[0], x.shape[1])
        let uploads = DeviceUploads(device: device)
        defer { uploads.release() }
        let logits = try uploads.upload(x), labels = try uploads.upload(columns)
        let loss = try device.allocateArray([n], dtype), out = try device.allocateArray([n, k], dtype)
        let logProbabilities = try uploads.allocate(x.byteCount)
        let block = device.preferredBlockSize
        try launch(device, softmax, grid: n, block: block, extent: nil, [UInt64(n), UInt64(k), logits.raw, device.address(of: out).raw])
        try launch(device, logSoftmax, grid: n, block: block, extent: nil, [UInt64(n), UInt64(k), logits.raw, logProbabilities.raw])
        try launch(device, pick, elements: n, extent: nil,
                   [UInt64(n), UInt64(k), logProbabilities.raw, labels.raw, device.address(of: loss).raw])
        return [loss, out]
    }
}

/// `CrossEntropySoftmax1HotGrad`: `(softmax - oneHot(y)) * g[:, None]` in one kernel.
struct CUDACrossEntropyGradKernel: Kernel, @unchecked Sendable {
    let device: any CUDADevice
    let kernel: CUDAKernel

    var acceptsDeviceArrays: Bool { true }
    /// The labels are read on the host.
    func readsOnDevice(input index: Int, of node: Apply) -> Bool { index < 2 }

    func run(_ node: Apply, _ inputs: [NDArray], _ context: KernelContext) throws -> [NDArray] {
        let (g, probabilities) = (inputs[0], inputs[1])
        let dtype = node.outputTypes[0].dtype
        guard probabilities.rank == 2, probabilities.dtype == dtype, g.dtype == dtype, probabilities.count > 0,
              g.shape == [probabilities.shape[0]] else {
            return try performOnHost(node, inputs)
        }
        let columns = try columns(node, try inputs[2].onHost(), rows: probabilities.shape[0], classes: probabilities.shape[1])
        let (n, k) = (probabilities.shape[0], probabilities.shape[1])
        let uploads = DeviceUploads(device: device)
        defer { uploads.release() }
        let scale = try uploads.upload(g), softmax = try uploads.upload(probabilities), labels = try uploads.upload(columns)
        let out = try device.allocateArray([n, k], dtype)
        try launch(device, kernel, elements: n * k, extent: nil,
                   [UInt64(n), UInt64(k), scale.raw, softmax.raw, labels.raw, device.address(of: out).raw])
        return [out]
    }
}
