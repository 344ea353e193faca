import CTheanoRuntime
import TheanoArray
import TheanoGraph
import TheanoTensor

/// A kernel loaded from a compiled translation unit, with what the runtime needs to call it:
/// the node's static broadcasting pattern and output dtypes.
struct CompiledKernel: InPlaceKernel, @unchecked Sendable {
    /// The loaded library the function lives in (kept loaded as long as the kernel exists).
    let library: SharedLibrary
    let function: UnsafeMutableRawPointer
    let program: KernelProgram
    /// Per input, per axis: the axis has static size 1 (broadcasts; stride 0).
    let broadcast: [[Bool]]
    let outputTypes: [DType]

    func run(_ node: Apply, _ inputs: [NDArray], _ context: KernelContext) throws -> [NDArray] {
        try run(node, inputs, pool: context.pool, buffers: context.buffers)
    }

    /// An in-place kernel fails only when the run-time sizes disagree (integer `pow`, which
    /// can fail half-way, never runs in place); after this check it cannot fail.
    func validate(_ node: Apply, _ inputs: [NDArray]) throws {
        if program.reduction != nil || broadcastShape(inputs) == nil {
            _ = try node.op.perform(node, inputs)  // the reference's error, or a result (no write)
        }
    }

    /// Runs the kernel on `inputs`, allocating the outputs. On any run-time problem (shape
    /// mismatch, integer pow with a negative exponent, max of an empty axis) the node's
    /// reference `perform` runs instead, so errors read exactly as the reference's.
    func run(_ node: Apply, _ inputs: [NDArray], pool: ThreadPool?, buffers: BufferRecycler) throws -> [NDArray] {
        guard let shape = broadcastShape(inputs) else { return try node.op.perform(node, inputs) }
        if let r = program.reduction {
            return try runReduce(node, inputs, shape: shape, reduction: r, pool: pool, buffers: buffers)
        }
        // Broadcast views can stand for more elements than memory holds; the reference then
        // throws the error (too many elements, out of memory) instead of the allocation below.
        guard fitsInMemory(shape) else { return try node.op.perform(node, inputs) }
        // An in-place output 0 is the destroyed input itself, with its own layout, when it can
        // be written element by element (never through a broadcast view).
        let inPlace = program.inPlaceInput.flatMap { k in inputs[k].isWritableInPlace ? k : nil }
        let outputs = try outputTypes.enumerated().map { k, t in
            try k == 0 ? inPlace.map { inputs[$0] } ?? buffers.allocate(shape, t) : buffers.allocate(shape, t)
        }
        let contiguous = contiguousStrides(shape)
        let strides = callStrides(rank: shape.count, inputs: inputs.map(\.strides),
                                  outputs: outputs.enumerated().map { k, o in k == 0 && inPlace != nil ? o.strides : contiguous })
        let status = invoke(shape: shape.map { Int64($0) }, strides: strides, inputs: inputs, outputs: outputs, reduceAxes: 0, pool: pool)
        if status != 0 { return try node.op.perform(node, inputs) }
        return outputs
    }

    private func runReduce(_ node: Apply, _ inputs: [NDArray], shape: [Int], reduction r: KernelProgram.Reduction, pool: ThreadPool?, buffers: BufferRecycler) throws -> [NDArray] {
        if !r.kind.hasIdentity && r.axes.contains(where: { shape[$0] == 0 }) {
            return try node.op.perform(node, inputs)
        }
        let layout = ReductionLayout(r, shape: shape)
        guard fitsInMemory(layout.outputShape) else { return try node.op.perform(node, inputs) }
        let output = try buffers.allocate(layout.outputShape, outputTypes[0])
        let strides = layout.strides(inputs: inputs.map(\.strides), broadcast: broadcast, output: contiguousStrides(layout.outputShape))
        let status = invoke(shape: layout.callShape, strides: strides, inputs: inputs, outputs: [output],
                            reduceAxes: r.axes.count, pool: pool)
        if status != 0 { return try node.op.perform(node, inputs) }
        return [output]
    }

    /// Whether outputs of `shape` have a valid size that the machine's memory can hold.
    private func fitsInMemory(_ shape: [Int]) -> Bool { outputsFit(shape, outputTypes) }

    /// An elementwise call's strides: each input's over the `rank` axes (0 where it broadcasts),
    /// then each output's.
    func callStrides(rank: Int, inputs: [[Int]], outputs: [[Int]]) -> [Int64] {
        var strides: [Int64] = []
        strides.reserveCapacity((inputs.count + outputs.count) * Swift.max(rank, 1))
        for (i, x) in inputs.enumerated() {
            for d in 0..<rank { strides.append(broadcast[i][d] ? 0 : Int64(x[d])) }
        }
        for o in outputs { strides.append(contentsOf: o.map { Int64($0) }) }
        return strides
    }

    /// The broadcast shape of the inputs under the static broadcasting rule, or nil when the
    /// run-time sizes disagree.
    func broadcastShape(_ inputs: [NDArray]) -> [Int]? { staticBroadcastShape(inputs, broadcast) }

    /// Calls the kernel with the operands' data pointers (inputs, then outputs) in one
    /// temporary buffer (no concatenated array per call).
    private func invoke(shape: [Int64], strides: [Int64], inputs: [NDArray], outputs: [NDArray], reduceAxes: Int,
                        pool: ThreadPool?) -> Int32 {
        withExtendedLifetime((inputs, outputs)) {
            withUnsafeTemporaryAllocation(of: UnsafeMutablePointer<CChar>?.self, capacity: inputs.count + outputs.count) { data in
                func address(_ a: NDArray) -> UnsafeMutablePointer<CChar> {
                    (a.storage.baseAddress + a.offset * a.dtype.byteSize).assumingMemoryBound(to: CChar.self)
                }
                for (k, a) in inputs.enumerated() { data[k] = address(a) }
                for (k, a) in outputs.enumerated() { data[inputs.count + k] = address(a) }
                return shape.withUnsafeBufferPointer { shapePtr in
                    strides.withUnsafeBufferPointer { stridePtr in
                        var call = th_call(
                            ndim: Int64(shape.count), shape: shapePtr.baseAddress, data: data.baseAddress,
                            strides: stridePtr.baseAddress, reduce_ndim: Int64(reduceAxes),
                            parallel_for: pool == nil ? nil : th_parallel_for,
                            pool: pool.flatMap { $0.handle.map { UnsafeMutableRawPointer($0) } })
                        return th_invoke(function, &call)
                    }
                }
            }
        }
    }
}

/// How a reduction kernel walks its operands: the kept axes first, then the reduced ones
/// (`reduce_ndim` of them), with the output's stride 0 along the reduced axes.
struct ReductionLayout {
    let order: [Int]
    let callShape: [Int64]
    let outputShape: [Int]
    /// Per axis of the broadcast shape: the output axis it maps to, or nil when reduced.
    let outputAxis: [Int?]

    init(_ r: KernelProgram.Reduction, shape: [Int]) {
        let kept = shape.indices.filter { !r.axes.contains($0) }
        order = kept + r.axes
        callShape = order.map { Int64(shape[$0]) }
        outputShape = r.keepdims ? shape.enumerated().map { r.axes.contains($0.offset) ? 1 : $0.element } : kept.map { shape[$0] }
        outputAxis = shape.indices.map { d in r.axes.contains(d) ? nil : (r.keepdims ? d : kept.firstIndex(of: d)) }
    }

    /// The call's strides: each input's along `order` (0 where it broadcasts), then the output's.
    func strides(inputs: [[Int]], broadcast: [[Bool]], output: [Int]) -> [Int64] {
        var strides: [Int64] = []
        for (i, x) in inputs.enumerated() {
            for d in order { strides.append(broadcast[i][d] ? 0 : Int64(x[d])) }
        }
        for d in order { strides.append(outputAxis[d].map { Int64(output[$0]) } ?? 0) }
        return strides
    }
}
