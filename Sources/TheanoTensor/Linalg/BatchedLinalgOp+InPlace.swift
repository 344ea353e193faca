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
/// whose blocks are computed in place; see ``runLAPACKBlockKernel(_:_:allocate:)``).
package func hasLAPACKBlockKernel(_ node: Apply) -> Bool {
    (node.op as? any BatchedLinalgOp)?.hasBlockKernel ?? false
}

/// Runs `node`'s batched LAPACK op with its pointer kernel: the same values and errors as its
/// `perform`, without copying blocks. `allocate` supplies each output (C-contiguous, any
/// contents), typically from the function's buffer recycler.
package func runLAPACKBlockKernel(
    _ node: Apply, _ inputs: [NDArray], allocate: (_ shape: [Int], _ dtype: DType) throws -> NDArray
) throws -> [NDArray] {
    guard let op = node.op as? any BatchedLinalgOp, op.hasBlockKernel else {
        throw TheanoError.graph("\(node.op): no LAPACK block kernel")
    }
    return try op.performInPlace(node, inputs, allocate: allocate)
}

extension BatchedLinalgOp {
    var hasBlockKernel: Bool { false }
    func scratchBytes(_ cores: [[Int]], elementSize: Int) -> Int { 0 }

    func computeBlock<T: LAPACKScalar>(in block: LinalgBlock, _ cores: [[Int]], _ type: T.Type, _ location: () -> String) throws {
        throw TheanoError.graph("\(name): no in-place block kernel")
    }

    func performInPlace(_ node: Apply, _ inputs: [NDArray], allocate: (_ shape: [Int], _ dtype: DType) throws -> NDArray) throws -> [NDArray] {
        switch inputs[0].dtype {
        case .float32: return try performInPlace(node, inputs, Float.self, allocate: allocate)
        case .float64: return try performInPlace(node, inputs, Double.self, allocate: allocate)
        default:
            throw TheanoError.typeMismatch("\(name): expected float32 or float64 values, got \(inputs[0].dtype)")
        }
    }

    /// The loop over blocks of the pointer kernel: inputs are read where they lie when already
    /// C-contiguous in the right dtype (else copied once, whole), outputs are allocated once
    /// at their full size, and each block is computed into them with shared scratch memory.
    private func performInPlace<T: LAPACKScalar>(
        _ node: Apply, _ inputs: [NDArray], _ type: T.Type, allocate: (_ shape: [Int], _ dtype: DType) throws -> NDArray
    ) throws -> [NDArray] {
        let ranks = coreRanks
        let batch = try LinalgBatch.runtimeShape(name, node, inputs, coreRanks: ranks)
        let cores: [[Int]] = inputs.enumerated().map { i, v in Array(v.shape.suffix(ranks[i])) }
        for (i, core) in cores.enumerated() {
            // LAPACK indexes a block with 32-bit integers.
            _ = try lapackSize(shapeSize(core), "\(name): input \(i) \(expressionText(node.inputs[i])) of shape \(formatShape(inputs[i].shape))")
        }
        let outCores = try runtimeCoreShapes(node, cores)
        let count = try checkedShapeSize(batch, context: name)
        var held: [NDArray] = []
        for (i, value) in inputs.enumerated() {
            let dtype: DType = integerInputs.contains(i) ? .int32 : T.dtype
            var array = value
            if array.dtype != dtype { array = array.astype(dtype) }
            if !array.isContiguous { array = try array.copy(context: "\(name): input \(i)") }
            held.append(array)
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
        let scratch = try ArrayStorage(byteCount: Swift.max(scratchBytes(cores, elementSize: MemoryLayout<T>.stride), 16), zeroed: false)
        let inSizes = cores.map(shapeSize), outSizes = outCores.map(shapeSize)
        let inBases: [UnsafeRawPointer] = held.map { UnsafeRawPointer($0.storage.baseAddress + $0.offset * $0.dtype.byteSize) }
        let outBases: [UnsafeMutableRawPointer] = outputs.map { $0.storage.baseAddress + $0.offset * $0.dtype.byteSize }
        let ownBatches: [[Int]] = inputs.indices.map { Array(held[$0].shape.dropLast(ranks[$0])) }
        let floatInputs = inputs.indices.filter { !integerInputs.contains($0) }
        var block = LinalgBlock(inputs: inBases, outputs: outBases, scratch: scratch.baseAddress)
        var index = Array(repeating: 0, count: batch.count)
        for b in 0..<count {
            for i in inputs.indices {
                let offset = LinalgBatch.blockOffset(index, own: ownBatches[i]) * inSizes[i]
                block.inputs[i] = inBases[i] + offset * held[i].dtype.byteSize
            }
            for k in outputs.indices {
                block.outputs[k] = outBases[k] + b * outSizes[k] * outputs[k].dtype.byteSize
            }
            for i in floatInputs where !allFinite(block.inputs[i], inSizes[i], T.dtype) {
                throw TheanoError.invalidArgument(
                    "\(name): input \(i) \(expressionText(node.inputs[i])) contains NaN or infinity\(LinalgBatch.blockText(b, batch)); linear algebra needs finite values")
            }
            do {
                try computeBlock(in: block, cores, T.self) { LinalgBatch.blockText(b, batch) }
            } catch let error as TheanoError {
                let named = node.inputs.indices.map { i in
                    "input \(i) is \(expressionText(node.inputs[i])) of shape \(formatShape(inputs[i].shape))"
                }
                throw TheanoError(error.kind, error.message + "; " + named.joined(separator: ", "))
            }
            LinalgBatch.advance(&index, batch)
        }
        withExtendedLifetime((held, scratch)) {}
        return outputs
    }
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

private func allFinite(_ p: UnsafePointer<Double>, _ count: Int) -> Bool {
    var finite = true
    for j in 0..<count { finite = finite && p[j].isFinite }
    return finite
}

private func allFinite(_ p: UnsafePointer<Float>, _ count: Int) -> Bool {
    var finite = true
    for j in 0..<count { finite = finite && p[j].isFinite }
    return finite
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
