import TheanoArray
import TheanoCompile
import TheanoGraph
import TheanoTensor

// Indexing along the first axis with one integer array on the device (``CUDAIndexingSource``):
// `AdvancedSubtensor` `x[idx]` (with any full slices after it) as a gather, and the increment
// `IncSubtensor` of the same form (the gradient of a lookup) as a scatter-add. The indices are
// read and checked on the host; an index out of range, a value that does not broadcast, or an
// empty axis runs the node's reference, which reports it as the other backends do.

/// Whether index entries are one integer array on axis 0 followed only by full slices.
func isRowIndex(_ entries: [IndexEntry]) -> Bool {
    guard entries.first == .array else { return false }
    return entries.dropFirst().allSatisfy { $0 == .all }
}

/// `indices` as row numbers of an axis of `size` (negative ones counted from the end), or nil
/// when one is out of range.
func rowNumbers(_ indices: NDArray, size: Int) -> [Int64]? {
    guard indices.dtype.isInteger else { return nil }
    var rows: [Int64] = []
    rows.reserveCapacity(indices.count)
    for i in indices.toArray(of: Int64.self) {
        guard i >= -Int64(size), i < Int64(size) else { return nil }
        rows.append(i < 0 ? i + Int64(size) : i)
    }
    return rows
}

/// `x[idx]` for an integer array `idx` on axis 0: output shape `idx.shape + x.shape[1...]`.
struct CUDAGatherKernel: Kernel, @unchecked Sendable {
    let device: any CUDADevice
    let kernel: CUDAKernel

    func run(_ node: Apply, _ inputs: [NDArray], _ context: KernelContext) throws -> [NDArray] {
        let x = inputs[0], dtype = node.outputTypes[0].dtype
        guard inputs.count == 2, x.rank >= 1, x.dtype == dtype, let rows = rowNumbers(inputs[1], size: x.shape[0]) else {
            return try node.op.perform(node, inputs)
        }
        let rowShape = Array(x.shape.dropFirst())
        guard let out = try? context.buffers.allocate(inputs[1].shape + rowShape, dtype) else { return try node.op.perform(node, inputs) }
        let rowSize = shapeSize(rowShape)
        if out.count == 0 { return [out] }
        let uploads = DeviceUploads(device: device)
        defer { uploads.release() }
        let source = try uploads.upload(x), numbers = try uploads.upload(rows)
        let target = try uploads.allocate(out.count * dtype.byteSize)
        let block = device.preferredBlockSize
        try launch(device, kernel, grid: (out.count + Int(block) - 1) / Int(block), block: block, extent: nil,
                   [UInt64(rows.count), UInt64(rowSize), source.raw, numbers.raw, target.raw])
        try uploads.download(target, into: out)
        return [out]
    }
}

/// `inc_subtensor(x[idx], y)` for an integer array `idx` on axis 0: `x` copied to the device,
/// `y` (broadcast to the selection's shape) added row by row with atomics.
struct CUDAScatterAddKernel: Kernel, @unchecked Sendable {
    let device: any CUDADevice
    let kernel: CUDAKernel

    func run(_ node: Apply, _ inputs: [NDArray], _ context: KernelContext) throws -> [NDArray] {
        let (x, y) = (inputs[0], inputs[1]), dtype = node.outputTypes[0].dtype
        guard inputs.count == 3, x.rank >= 1, x.dtype == dtype, y.dtype == dtype,
              let rows = rowNumbers(inputs[2], size: x.shape[0]) else {
            return try node.op.perform(node, inputs)
        }
        let selection = inputs[2].shape + Array(x.shape.dropFirst())
        // `y` broadcasts only along axes of static size 1 (the graph's rule).
        let lead = selection.count - y.rank
        guard lead >= 0, y.shape.indices.allSatisfy({ d in
            y.shape[d] == selection[lead + d] || (y.shape[d] == 1 && node.inputs[1].type.shape[d] == 1)
        }) else {
            return try node.op.perform(node, inputs)
        }
        let out = try context.buffers.allocate(x.shape, dtype)
        if out.count == 0 { return [out] }
        let uploads = DeviceUploads(device: device)
        defer { uploads.release() }
        let target = try uploads.upload(x)
        let count = shapeSize(selection)
        if count > 0 {
            let values = try uploads.upload(try y.broadcast(to: selection)), numbers = try uploads.upload(rows)
            let block = device.preferredBlockSize
            try launch(device, kernel, grid: (count + Int(block) - 1) / Int(block), block: block, extent: nil,
                       [UInt64(rows.count), UInt64(shapeSize(Array(x.shape.dropFirst()))), values.raw, numbers.raw, target.raw])
        }
        try uploads.download(target, into: out)
        return [out]
    }
}
