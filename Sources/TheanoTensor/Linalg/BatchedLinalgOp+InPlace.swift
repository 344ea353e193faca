import TheanoArray
import TheanoGraph

/// One block of a batched linear-algebra op on the in-place path: pointers into the stacked
/// inputs (C order, contiguous) and into the stacked outputs the loop allocated once, plus
/// scratch memory reused by every block. Nothing is allocated per block.
///
/// Float inputs and outputs hold the op's float type `T`; integer ones (LU pivots) hold
/// `Int32`. The op binds each pointer to the type it knows.
struct LinalgBlock {
    /// Block `b` of each input (a broadcast batch axis points every block at the same one).
    var inputs: [UnsafeRawPointer]
    /// Block `b` of each output, to be written entirely.
    var outputs: [UnsafeMutableRawPointer]
    /// ``BatchedLinalgOp/scratchBytes(_:elementSize:)`` bytes, aligned for `T` and `Int32`.
    let scratch: UnsafeMutableRawPointer

    func input<T>(_ i: Int, _ type: T.Type) -> UnsafePointer<T> { inputs[i].assumingMemoryBound(to: T.self) }
    func output<T>(_ k: Int, _ type: T.Type) -> UnsafeMutablePointer<T> { outputs[k].assumingMemoryBound(to: T.self) }
}

/// Whether the CPU backend can run `node` with its op's pointer kernel (a batched LAPACK op
/// whose blocks are computed in place; see ``runLAPACKBlockKernel(_:_:allocate:parallel:)``).
package func hasLAPACKBlockKernel(_ node: Apply) -> Bool {
    (node.op as? any BatchedLinalgOp)?.hasBlockKernel ?? false
}

/// Calls `body(p)` for every part `p` in `0..<parts`, possibly several at once on other
/// threads, and returns when every part is done.
package typealias ParallelChunks = (_ parts: Int, _ body: (Int) -> Void) throws -> Void

/// Runs `node`'s batched LAPACK op with its pointer kernel: the same values and errors as its
/// `perform`, without copying blocks. `allocate` supplies each output (C-contiguous, any
/// contents), typically from the function's buffer recycler; `parallel`, when given, spreads
/// batches of small matrices over threads (each chunk with its own scratch memory).
package func runLAPACKBlockKernel(
    _ node: Apply, _ inputs: [NDArray], allocate: (_ shape: [Int], _ dtype: DType) throws -> NDArray,
    parallel: ParallelChunks? = nil
) throws -> [NDArray] {
    guard let op = node.op as? any BatchedLinalgOp, op.hasBlockKernel else {
        throw TheanoError.graph("\(node.op): no LAPACK block kernel")
    }
    return try op.performInPlace(node, inputs, allocate: allocate, parallel: parallel)
}

/// Below this many elements in a block, a batch is split over threads: LAPACK then works on
/// each small matrix alone (OpenBLAS does not thread such calls), so threads do not compete.
private let parallelBlockLimit = 128 * 128

/// Batches with fewer elements in all than this stay on one thread (too little work to split).
private let parallelBatchMinimum = 1 << 14

extension BatchedLinalgOp {
    var hasBlockKernel: Bool { false }
    func scratchBytes(_ cores: [[Int]], elementSize: Int) -> Int { 0 }

    func computeBlock<T: LAPACKScalar>(in block: LinalgBlock, _ cores: [[Int]], _ type: T.Type, _ location: () -> String) throws {
        throw TheanoError.graph("\(name): no in-place block kernel")
    }

    func performInPlace(
        _ node: Apply, _ inputs: [NDArray], allocate: (_ shape: [Int], _ dtype: DType) throws -> NDArray, parallel: ParallelChunks?
    ) throws -> [NDArray] {
        switch inputs[0].dtype {
        case .float32: return try performInPlace(node, inputs, Float.self, allocate: allocate, parallel: parallel)
        case .float64: return try performInPlace(node, inputs, Double.self, allocate: allocate, parallel: parallel)
        default:
            throw TheanoError.typeMismatch("\(name): expected float32 or float64 values, got \(inputs[0].dtype)")
        }
    }

    /// The loop over blocks of the pointer kernel: inputs are read where they lie when already
    /// C-contiguous in the right dtype (else copied once, whole), outputs are allocated once
    /// at their full size, and each block is computed into them with scratch memory shared by
    /// the blocks of a chunk. The error reported is that of the first failing block, as on
    /// one thread.
    private func performInPlace<T: LAPACKScalar>(
        _ node: Apply, _ inputs: [NDArray], _ type: T.Type, allocate: (_ shape: [Int], _ dtype: DType) throws -> NDArray,
        parallel: ParallelChunks?
    ) throws -> [NDArray] {
        let ranks = coreRanks
        let (batch, cores, outCores) = try blockShapes(node, inputs)
        let count = try checkedShapeSize(batch, context: name)
        var held: [NDArray] = []
        for (i, value) in inputs.enumerated() {
            // The node's types fix the dtypes: int32 pivots, every other input of type T.
            let dtype: DType = integerInputs.contains(i) ? .int32 : T.dtype
            guard value.dtype == dtype else {
                throw TheanoError.typeMismatch("\(name): input \(i) \(expressionText(node.inputs[i])) holds \(value.dtype) values, expected \(dtype)")
            }
            held.append(value.isContiguous ? value : try value.copy(context: "\(name): input \(i)"))
        }
        var outputs: [NDArray] = []
        for (k, core) in outCores.enumerated() {
            _ = try checkedAllocation(batch + core, dtype: node.outputTypes[k].dtype, context: "\(name): output \(k)")
            let array = try allocate(batch + core, node.outputTypes[k].dtype)
            guard array.isContiguous, array.shape == batch + core, array.dtype == node.outputTypes[k].dtype else {
                throw TheanoError.graph("\(name): output \(k) was allocated as \(array.dtype)\(formatShape(array.shape)), not a contiguous \(node.outputTypes[k].dtype)\(formatShape(batch + core))")
            }
            outputs.append(array)
        }
        if count == 0 { return outputs }
        let layout = BlockLayout(
            inBases: held.map { UnsafeRawPointer($0.storage.baseAddress + $0.offset * $0.dtype.byteSize) },
            outBases: outputs.map { $0.storage.baseAddress + $0.offset * $0.dtype.byteSize },
            inBytes: inputs.indices.map { shapeSize(cores[$0]) * held[$0].dtype.byteSize },
            outBytes: outputs.indices.map { shapeSize(outCores[$0]) * outputs[$0].dtype.byteSize },
            ownBatches: inputs.indices.map { Array(held[$0].shape.dropLast(ranks[$0])) },
            floatInputs: inputs.indices.filter { !integerInputs.contains($0) }, batch: batch, inputShapes: inputs.map(\.shape))
        let scratchBytes = Swift.max(scratchBytes(cores, elementSize: MemoryLayout<T>.stride), 16)
        let blockElements = cores.map(shapeSize).max() ?? 0
        let failure: (block: Int, error: TheanoError)?
        let batchElements = count.multipliedReportingOverflow(by: Swift.max(blockElements, 1))
        if let parallel, blockElements <= parallelBlockLimit, count >= 2,
           batchElements.overflow || batchElements.partialValue >= parallelBatchMinimum {
            failure = try runChunks(node, layout, cores, T.self, count: count, scratchBytes: scratchBytes, parallel: parallel)
        } else {
            let scratch = try ArrayStorage(byteCount: scratchBytes, zeroed: false)
            failure = runBlocks(node, layout, cores, T.self, 0..<count, scratch: scratch.baseAddress)
            withExtendedLifetime(scratch) {}
        }
        withExtendedLifetime(held) {}
        if let failure { throw failure.error }
        return outputs
    }

    /// Spreads the blocks over `parallel`'s threads in chunks, each with its own scratch; the
    /// first failing block's error (lowest index) wins.
    private func runChunks<T: LAPACKScalar>(
        _ node: Apply, _ layout: BlockLayout, _ cores: [[Int]], _ type: T.Type, count: Int, scratchBytes: Int, parallel: ParallelChunks
    ) throws -> (block: Int, error: TheanoError)? {
        let grain = 8
        let chunks = (count + grain - 1) / grain
        let scratch = try ArrayStorage(byteCount: try checkedProduct([chunks, scratchBytes], context: name), zeroed: false)
        var failures = [(block: Int, error: TheanoError)?](repeating: nil, count: chunks)
        try failures.withUnsafeMutableBufferPointer { slots in
            try parallel(chunks) { chunk in
                let blocks = (chunk * grain)..<Swift.min(count, (chunk + 1) * grain)
                slots[chunk] = runBlocks(node, layout, cores, T.self, blocks, scratch: scratch.baseAddress + chunk * scratchBytes)
            }
        }
        withExtendedLifetime(scratch) {}
        return failures.lazy.compactMap { $0 }.first
    }

    /// Computes blocks `range` (in batch order) with `scratch`, stopping at the first error.
    private func runBlocks<T: LAPACKScalar>(
        _ node: Apply, _ layout: BlockLayout, _ cores: [[Int]], _ type: T.Type, _ range: Range<Int>, scratch: UnsafeMutableRawPointer
    ) -> (block: Int, error: TheanoError)? {
        var block = LinalgBlock(inputs: layout.inBases, outputs: layout.outBases, scratch: scratch)
        var index = LinalgBatch.batchIndex(range.lowerBound, layout.batch)
        var previous = layout.inBases
        for b in range {
            for i in layout.inBases.indices {
                block.inputs[i] = layout.inBases[i] + LinalgBatch.blockOffset(index, own: layout.ownBatches[i]) * layout.inBytes[i]
            }
            for k in layout.outBases.indices {
                block.outputs[k] = layout.outBases[k] + b * layout.outBytes[k]
            }
            // A block the previous output block also read (a broadcast batch axis) is not
            // checked again.
            for i in layout.floatInputs where b == range.lowerBound || block.inputs[i] != previous[i] {
                if allFinite(block.inputs[i], layout.inBytes[i] / MemoryLayout<T>.stride, T.dtype) { continue }
                return (b, TheanoError.invalidArgument(
                    "\(name): input \(i) \(expressionText(node.inputs[i])) contains NaN or infinity\(LinalgBatch.blockText(b, layout.batch)); linear algebra needs finite values"))
            }
            do {
                try computeBlock(in: block, cores, T.self) { LinalgBatch.blockText(b, layout.batch) }
            } catch {
                let named = node.inputs.indices.map { i in
                    "input \(i) is \(expressionText(node.inputs[i])) of shape \(formatShape(layout.inputShapes[i]))"
                }
                let failure = error as? TheanoError ?? TheanoError.graph("\(error)")
                return (b, TheanoError(failure.kind, failure.message + "; " + named.joined(separator: ", ")))
            }
            for i in layout.inBases.indices { previous[i] = block.inputs[i] }
            LinalgBatch.advance(&index, layout.batch)
        }
        return nil
    }
}

/// Where the blocks of a call lie: each input's and output's base address and block size in
/// bytes, each input's own batch axes (for broadcast blocks), which inputs are floats, the
/// batch shape.
private struct BlockLayout {
    let inBases: [UnsafeRawPointer]
    let outBases: [UnsafeMutableRawPointer]
    let inBytes: [Int]
    let outBytes: [Int]
    let ownBatches: [[Int]]
    let floatInputs: [Int]
    let batch: [Int]
    /// The inputs' shapes as given (for messages).
    let inputShapes: [[Int]]
}

/// Whether the `count` values of `dtype` (float32 or float64) at `p` are all finite: not
/// generic, so the loop is compiled for each type however the caller was.
private func allFinite(_ p: UnsafeRawPointer, _ count: Int, _ dtype: DType) -> Bool {
    switch dtype {
    case .float64: return allFinite(p.assumingMemoryBound(to: Double.self), count)
    case .float32: return allFinite(p.assumingMemoryBound(to: Float.self), count)
    default: return true
    }
}

// The exponent bits all set mean infinity or NaN; the loops test bits (no branch, no
// ordered floating-point reduction), so they vectorise.

private func allFinite(_ p: UnsafePointer<Double>, _ count: Int) -> Bool {
    let exponent: UInt64 = 0x7FF0_0000_0000_0000
    var bad: UInt64 = 0
    for j in 0..<count { bad |= (p[j].bitPattern & exponent) == exponent ? 1 : 0 }
    return bad == 0
}

private func allFinite(_ p: UnsafePointer<Float>, _ count: Int) -> Bool {
    let exponent: UInt32 = 0x7F80_0000
    var bad: UInt32 = 0
    for j in 0..<count { bad |= (p[j].bitPattern & exponent) == exponent ? 1 : 0 }
    return bad == 0
}

extension LinalgBatch {
    /// Steps a batch index to the next block in C order.
    static func advance(_ index: inout [Int], _ batch: [Int]) {
        var axis = batch.count - 1
        while axis >= 0 {
            index[axis] += 1
            if index[axis] < batch[axis] { return }
            index[axis] = 0
            axis -= 1
        }
    }
}
