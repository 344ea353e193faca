import Foundation
import Synchronization
import TheanoArray
import TheanoGraph
import TheanoTensor

extension IfElse: CPUKernelOp {
    /// Both branches compiled once into nested programs on this backend; each call runs only
    /// the one the condition chooses.
    func cpuKernel(_ node: Apply, _ session: LinkSession) throws -> KernelChoice? {
        let branches = try innerGraphs.map { try session.compile($0) }
        return .kernel(IfElseKernel(then: branches[0], else: branches[1]), implementation: nestedProgram,
                       nested: branches.map(\.kernelReport))
    }
}

/// Runs an ``IfElse``: the nested program of the branch the condition chooses.
struct IfElseKernel: Kernel {
    let then: CompiledGraph
    let `else`: CompiledGraph

    func run(_ node: Apply, _ inputs: [NDArray], _ context: KernelContext) throws -> [NDArray] {
        let condition = inputs[0].doubles.first.map { $0 != 0 } ?? false
        return try (condition ? then : `else`).run(Array(inputs.dropFirst()), in: context)
    }
}

extension Scan: CPUKernelOp {
    /// The body compiled once into a nested program on this backend; the loop runs it once per
    /// step, writing each step's outputs into buffers allocated once.
    func cpuKernel(_ node: Apply, _ session: LinkSession) throws -> KernelChoice? {
        let body = try session.compile(innerGraphs[0])
        return .kernel(ScanKernel(op: self, body: body), implementation: nestedProgram, nested: [body.kernelReport])
    }
}

/// Runs a ``Scan``: its loop with the compiled body as the step.
struct ScanKernel: Kernel {
    let op: Scan
    let body: CompiledGraph
    /// Direct-step plans kept between calls.
    let plans = ScanPlanCache()

    func run(_ node: Apply, _ inputs: [NDArray], _ context: KernelContext) throws -> [NDArray] {
        let inputs = try withTransposedMatricesInRowOrder(inputs, context)
        let scratch = body.makeScratch()
        let direct = op.hasUntil ? nil : plans.take(body, context: context)
        defer { if let direct { plans.giveBack(direct) } }
        return try op.run(inputs, allocate: { try context.buffers.allocate($0, $1) }, recycle: { context.buffers.release(&$0) },
                          direct: direct) { t, arguments in
            try body.runStep(arguments, in: context, checkingInputs: t == 0, scratch: scratch)
        }
    }
}

extension ScanKernel {
    /// The most elements of a non-sequence ``withTransposedMatricesInRowOrder(_:_:)`` copies.
    static let rowOrderCopyLimit = 1 << 18
    /// The fewest steps for which it copies.
    static let rowOrderCopyMinimumSteps = 4

    /// `inputs` with each non-sequence that is a transposed float matrix (column-major
    /// strides, a gradient's `Wᵀ`) replaced by a row-major copy, once per call: the body's
    /// products then read it without a transpose at every step (an RNN's backward step product
    /// `g · Whᵀ`, 32x128x128, took 13 µs with the transposed operand and 10 µs without). The
    /// values are the same; only loops of several steps over matrices of at most
    /// ``rowOrderCopyLimit`` elements copy.
    func withTransposedMatricesInRowOrder(_ inputs: [NDArray], _ context: KernelContext) throws -> [NDArray] {
        guard inputs.count >= op.nonSequenceRange.upperBound, inputs[0].rank == 0,
              let steps = try? inputs[0].item(Int64.self), steps >= Int64(Self.rowOrderCopyMinimumSteps) else { return inputs }
        var out = inputs
        for i in op.nonSequenceRange {
            let m = inputs[i]
            guard m.rank == 2, m.dtype == .float32 || m.dtype == .float64, !m.isOnDevice, m.shape[0] > 1, m.shape[1] > 1,
                  m.count <= Self.rowOrderCopyLimit, m.strides == [1, m.shape[0]] else { continue }
            let copy = try context.buffers.allocate(m.shape, m.dtype)
            try NDArray.assign(m, into: copy)
            out[i] = copy
        }
        return out
    }
}


/// The direct-step plans (``ScanDirectProgram``) of one loop node, kept between its calls: a
/// call takes one made in its context on the body's current kernels (or makes a new one) and
/// gives it back when the loop ends, so a loop called again on the same layouts skips the
/// tracing run of its first step. Calls running at once take different plans; at most
/// ``limit`` idle plans are kept.
final class ScanPlanCache: Sendable {
    static let limit = 4
    private let idle = Mutex<[ScanDirectProgram]>([])

    /// A plan for a loop call in `context`: a kept one if it serves it, else a new one (nil
    /// when the body cannot run on row addresses).
    func take(_ body: CompiledGraph, context: KernelContext) -> ScanDirectProgram? {
        let kept = idle.withLock { plans -> ScanDirectProgram? in
            plans.removeAll { $0.isStale }
            guard let i = plans.lastIndex(where: { $0.serves(context) }) else { return nil }
            return plans.remove(at: i)
        }
        return kept ?? ScanDirectProgram(body, context: context)
    }

    /// Keeps `plan` for a later call (unless ``limit`` plans are kept already).
    func giveBack(_ plan: ScanDirectProgram) {
        idle.withLock { plans in
            if plans.count < Self.limit { plans.append(plan) }
        }
    }
}
