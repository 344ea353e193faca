import TheanoArray
import TheanoGraph
import TheanoTensor

// The CPU backend's kernel for random draws: the reference's per-element functions
// (``RandomVariable/floatValue(_:_:)``), written straight into a recycled buffer and split
// over the thread pool for large draws. Element `i` depends only on the state and `i`, so the
// numbers are the reference's exactly, whatever the thread count.

extension RandomVariable: CPUKernelOp {
    func cpuKernel(_ node: Apply, _ session: LinkSession) throws -> KernelChoice? {
        switch node.outputTypes[0].dtype {
        case .float32, .float64, .int32, .int64: .kernel(RandomVariableKernel(op: self), implementation: "Philox")
        default: nil
        }
    }
}

struct RandomVariableKernel: Kernel {
    let op: RandomVariable

    func run(_ node: Apply, _ inputs: [NDArray], _ context: KernelContext) throws -> [NDArray] {
        let draw = try op.prepare(inputs)
        var out = try context.buffers.allocate(draw.shape, op.dtype)
        let count = draw.count
        let parts = count >= ParallelBlocks.threshold ? (count + ParallelBlocks.grain - 1) / ParallelBlocks.grain : 1
        let op = self.op
        func fill<T: NDArrayElement>(_: T.Type, _ value: @escaping (Int) -> T) throws {
            try out.withUnsafeMutableBufferPointer(of: T.self) { buffer in
                try ParallelBlocks.forEach(parts, pool: context.pool) { p in
                    let start = p * ParallelBlocks.grain
                    let end = parts == 1 ? count : min(count, start + ParallelBlocks.grain)
                    for i in start..<end { buffer[i] = value(i) }
                }
            }
        }
        switch op.dtype {
        case .float32: try fill(Float.self) { Float(op.floatValue($0, draw)) }
        case .float64: try fill(Double.self) { op.floatValue($0, draw) }
        case .int32: try fill(Int32.self) { Int32(truncatingIfNeeded: op.integerValue($0, draw)) }
        default: try fill(Int64.self) { op.integerValue($0, draw) }
        }
        return [out, draw.nextState]
    }
}
