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

    func run(_ node: Apply, _ inputs: [NDArray], _ context: KernelContext) throws -> [NDArray] {
        let x = inputs[0], dtype = node.outputTypes[0].dtype
        guard inputs.count == 2, x.rank >= 1, x.dtype == dtype, let rows = rowNumbers(inputs[1], size: x.shape[0]) else {
            return try node.op.perform(node, inputs)
        }
        guard let out = try? context.buffers.allocate(inputs[1].shape + x.shape.dropFirst(), dtype) else { return try node.op.perform(node, inputs) }
        if out.count == 0 { return [out] }
        // Not empty, so every row has elements and the row size divides the input's count
        // (a product of the shape's tail could overflow for an empty input).
        let rowSize = x.count / x.shape[0]
        let uploads = DeviceUploads(device: device)
        defer { uploads.release() }
        let source = try uploads.upload(x), numbers = try uploads.upload(rows)
        let target = try uploads.allocate(out.byteCount)
        try launch(device, kernel, elements: out.count, extent: nil,
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
        let selection = inputs[2].shape + x.shape.dropFirst()
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
        let count = try checkedProduct(selection, context: "\(node.op): the selection")
        if count > 0 {
            let values = try uploads.upload(try y.broadcast(to: selection)), numbers = try uploads.upload(rows)
            try launch(device, kernel, elements: count, extent: nil,
                       [UInt64(rows.count), UInt64(x.count / x.shape[0]), values.raw, numbers.raw, target.raw])
        }
        try uploads.download(target, into: out)
        return [out]
    }
}
