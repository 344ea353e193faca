import CTheanoRuntime
import TheanoArray
import TheanoGraph
import TheanoTensor

/// A loop body that is one compiled elementwise kernel, run on row addresses: every step
/// after the first is one call of the kernel with the data pointers of that step's rows, with
/// no array, slot or argument built (``ScanDirectSteps``). A counter loop's step costs tens of
/// nanoseconds this way instead of about a microsecond through the nested program.
///
/// Taken only when the body's program is that one node (no shared variable, no in-place
/// write, no profile or DebugMode), the node's kernel is a compiled elementwise kernel, its
/// inputs are the body's inputs or constants, and its outputs are the body's outputs in
/// order; ``prepare(arguments:rows:)`` then checks the first step's shapes, dtypes and
/// layouts. A step whose kernel reports a problem reruns the general way, which reports it.
final class ScanDirectKernel: ScanDirectSteps {
    private let kernel: CompiledKernel
    private let node: Apply
    /// Per kernel input: the body argument it reads, or nil for a constant.
    private let argumentOf: [Int?]
    /// Per kernel input: the constant it reads (nil for an argument).
    private let constants: [NDArray?]
    private let pool: ThreadPool?
    // Filled by `prepare`: the call's shape, strides and data pointers, kept for every step.
    private var shape: [Int64] = []
    private var strides: [Int64] = []
    private var data: UnsafeMutableBufferPointer<UnsafeMutablePointer<CChar>?>?

    init?(_ body: CompiledGraph, pool: ThreadPool?) {
        let program = body.program
        guard program.runsLean, program.instructions.count == 1,
              let kernel = program.kernels.current()[0].kernel as? CompiledKernel,
              kernel.program.reduction == nil, kernel.program.inPlaceInput == nil else { return nil }
        let inst = program.instructions[0]
        guard program.outputSlots == inst.outputSlots, Set(inst.outputSlots).count == inst.outputSlots.count else { return nil }
        var argumentOf: [Int?] = [], constants: [NDArray?] = []
        for s in inst.inputSlots {
            if let i = program.inputSlots.firstIndex(of: s) {
                argumentOf.append(i)
                constants.append(nil)
            } else if let c = program.constants.first(where: { $0.slot == s }) {
                argumentOf.append(nil)
                constants.append(c.value)
            } else {
                return nil
            }
        }
        self.kernel = kernel
        self.node = inst.node
        self.argumentOf = argumentOf
        self.constants = constants
        self.pool = pool
    }

    deinit { data?.deallocate() }

    func prepare(arguments: [NDArray], rows: [NDArray]) -> Bool {
        let inputs = zip(argumentOf, constants).map { i, c in i.map { arguments[$0] } ?? c! }
        guard let shape = kernel.broadcastShape(inputs), rows.count == kernel.outputTypes.count,
              zip(rows, kernel.outputTypes).allSatisfy({ $0.shape == shape && $0.dtype == $1 && $0.isContiguous }),
              zip(inputs, node.inputs).allSatisfy({ $0.dtype == $1.type.dtype }) else { return false }
        let nd = shape.count
        var strides: [Int64] = []
        for (i, x) in inputs.enumerated() {
            for d in 0..<nd { strides.append(kernel.broadcast[i][d] ? 0 : Int64(x.strides[d])) }
        }
        let contiguous = contiguousStrides(shape).map { Int64($0) }
        for _ in rows { strides.append(contentsOf: contiguous) }
        self.shape = shape.map { Int64($0) }
        self.strides = strides
        let data = UnsafeMutableBufferPointer<UnsafeMutablePointer<CChar>?>.allocate(capacity: inputs.count + rows.count)
        for (j, c) in constants.enumerated() {
            data[j] = c.map { ($0.storage.baseAddress + $0.offset * $0.dtype.byteSize).assumingMemoryBound(to: CChar.self) }
        }
        self.data = data
        return true
    }

    func run(arguments: UnsafePointer<UnsafeMutableRawPointer>, rows: UnsafePointer<UnsafeMutableRawPointer>) -> Bool {
        guard let data else { return false }
        for (j, i) in argumentOf.enumerated() {
            if let i { data[j] = arguments[i].assumingMemoryBound(to: CChar.self) }
        }
        let inputCount = argumentOf.count
        for k in 0..<(data.count - inputCount) { data[inputCount + k] = rows[k].assumingMemoryBound(to: CChar.self) }
        let status = withExtendedLifetime(constants) {
            shape.withUnsafeBufferPointer { shapePointer in
                strides.withUnsafeBufferPointer { stridePointer in
                    var call = th_call(
                        ndim: Int64(shapePointer.count), shape: shapePointer.baseAddress, data: data.baseAddress,
                        strides: stridePointer.baseAddress, reduce_ndim: 0,
                        parallel_for: pool == nil ? nil : th_parallel_for,
                        pool: pool.flatMap { $0.handle.map { UnsafeMutableRawPointer($0) } })
                    return th_invoke(kernel.function, &call)
                }
            }
        }
        return status == 0
    }
}
