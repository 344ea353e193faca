import TheanoArray
import TheanoCompile
import TheanoGraph
import TheanoTensor

// Indexing along the first axis with one integer array on the device (``CUDAIndexingSource``):
// `AdvancedSubtensor` `x[idx]` (with any full slices after it) as a gather, and the increment
// `IncSubtensor` of the same form (the gradient of a lookup) as a scatter-add. The indices are
// read and checked on the host; an index out of range, a value that does not broadcast, or an
// empty axis runs the node's reference, which reports it as the other backends do. The arrays
// are read where they are and the results stay in device memory.

/// Whether index entries are one integer array on axis 0 followed only by full slices.
func isRowIndex(_ entries: [IndexEntry]) -> Bool {
    guard entries.first == .array else { return false }
    return entries.dropFirst().allSatisfy { $0 == .all }
}

/// `indices` as row numbers of an axis of `size` (negative ones counted from the end), or nil
/// when one is out of range (the node's reference then reports it).
func rowNumbers(_ indices: NDArray, size: Int) -> [Int64]? {
    guard indices.dtype.isInteger else { return nil }
    return try? indices.toArray(of: Int64.self).map {
        Int64(try normalizeIndex(Int(truncatingIfNeeded: $0), axis: 0, size: size, context: "CUDA row index"))
    }
}

/// `x[idx]` for an integer array `idx` on axis 0: output shape `idx.shape + x.shape[1...]`.
struct CUDAGatherKernel: Kernel, @unchecked Sendable {
    let device: any CUDADevice
    let kernel: CUDAKernel

    var acceptsDeviceArrays: Bool { true }
    /// The indices are read on the host.
    func readsOnDevice(input index: Int, of node: Apply) -> Bool { index == 0 }

    func run(_ node: Apply, _ inputs: [NDArray], _ context: KernelContext) throws -> [NDArray] {
        let x = inputs[0], dtype = node.outputTypes[0].dtype
        guard inputs.count == 2, x.rank >= 1, x.dtype == dtype, let rows = rowNumbers(try inputs[1].onHost(), size: x.shape[0]) else {
            return try performOnHost(node, inputs)
        }
        guard let out = try? device.allocateArray(inputs[1].shape + x.shape.dropFirst(), dtype) else { return try performOnHost(node, inputs) }
        if out.count == 0 { return [out] }
        // Not empty, so every row has elements and the row size divides the input's count
        // (a product of the shape's tail could overflow for an empty input).
        let rowSize = x.count / x.shape[0]
        let uploads = DeviceUploads(device: device)
        defer { uploads.release() }
        let source = try uploads.upload(x), numbers = try uploads.upload(rows)
        try launch(device, kernel, elements: out.count, extent: nil,
                   [UInt64(rows.count), UInt64(rowSize), source.raw, numbers.raw, device.address(of: out).raw])
        return [out]
    }
}

/// `inc_subtensor(x[idx], y)` for an integer array `idx` on axis 0: `x` copied into a new
/// device array (never overwritten in place), `y` (broadcast to the selection's shape) added
/// row by row with atomics.
struct CUDAScatterAddKernel: Kernel, @unchecked Sendable {
    let device: any CUDADevice
    let kernel: CUDAKernel

    var acceptsDeviceArrays: Bool { true }
    /// The indices are read on the host.
    func readsOnDevice(input index: Int, of node: Apply) -> Bool { index < 2 }

    func run(_ node: Apply, _ inputs: [NDArray], _ context: KernelContext) throws -> [NDArray] {
        let (x, y) = (inputs[0], inputs[1]), dtype = node.outputTypes[0].dtype
        guard inputs.count == 3, x.rank >= 1, x.dtype == dtype, y.dtype == dtype,
              let rows = rowNumbers(try inputs[2].onHost(), size: x.shape[0]) else {
            return try performOnHost(node, inputs)
        }
        let selection = inputs[2].shape + x.shape.dropFirst()
        // `y` broadcasts only along axes of static size 1 (the graph's rule).
        let lead = selection.count - y.rank
        guard lead >= 0, y.shape.indices.allSatisfy({ d in
            y.shape[d] == selection[lead + d] || (y.shape[d] == 1 && node.inputs[1].type.shape[d] == 1)
        }) else {
            return try performOnHost(node, inputs)
        }
        let out = try device.allocateArray(x.shape, dtype)
        if out.count == 0 { return [out] }
        let uploads = DeviceUploads(device: device)
        defer { uploads.release() }
        let target = device.address(of: out)
        try device.copyElements(of: x, to: target)
        let count = try checkedProduct(selection, context: "\(node.op): the selection")
        if count > 0 {
            let values = try uploads.upload(try y.broadcast(to: selection)), numbers = try uploads.upload(rows)
            try launch(device, kernel, elements: count, extent: nil,
                       [UInt64(rows.count), UInt64(x.count / x.shape[0]), values.raw, numbers.raw, target.raw])
        }
        return [out]
    }
}

/// `AdvancedSubtensor` with any NumPy index (several integer arrays, masks, slices, new axes):
/// the index is resolved on the host against the array's header (``IndexSelection``, as the
/// reference does), each selected element's offset in the storage is listed, and the gather
/// kernel copies them (one element per "row"). The array is read in place when it is in this
/// device's memory; a bad index runs the reference, which reports it.
struct CUDASelectionGatherKernel: Kernel, @unchecked Sendable {
    let device: any CUDADevice
    let kernel: CUDAKernel
    let op: AdvancedSubtensor

    var acceptsDeviceArrays: Bool { true }
    /// The indices are read on the host.
    func readsOnDevice(input index: Int, of node: Apply) -> Bool { index == 0 }

    func run(_ node: Apply, _ inputs: [NDArray], _ context: KernelContext) throws -> [NDArray] {
        let dtype = node.outputTypes[0].dtype
        let indexValues = try inputs.dropFirst().map { try $0.onHost() }
        guard inputs[0].dtype == dtype, let index = try? op.runtimeIndex(node, indexValues) else { return try performOnHost(node, inputs) }
        // The array's own memory when it is here; else a dense copy, whose layout the index
        // is then resolved against.
        let x = device.holds(inputs[0]) ? inputs[0] : try device.contiguousArray(inputs[0])
        guard let selection = try? IndexSelection(shape: x.shape, strides: x.strides, offset: x.offset, indices: index, context: "AdvancedSubtensor"),
              let out = try? device.allocateArray(selection.shape, dtype) else {
            return try performOnHost(node, inputs)
        }
        if out.count == 0 { return [out] }
        var offsets: [Int64] = []
        offsets.reserveCapacity(out.count)
        selection.forEachOffset { offsets.append(Int64($0)) }
        let uploads = DeviceUploads(device: device)
        defer { uploads.release() }
        let table = try uploads.upload(offsets)
        try withExtendedLifetime(x) {
            try launch(device, kernel, elements: out.count, extent: nil,
                       [UInt64(offsets.count), 1, x.storage.deviceAddress, table.raw, device.address(of: out).raw])
        }
        return [out]
    }
}
