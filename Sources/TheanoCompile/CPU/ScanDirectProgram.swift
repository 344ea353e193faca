import CTheanoRuntime
#if canImport(Glibc)
import Glibc
#endif
import TheanoArray
import TheanoGraph
import TheanoTensor

/// A loop body run on raw addresses (``ScanDirectSteps``): every step after the first is a
/// fixed list of calls (compiled elementwise kernels, BLAS products, row copies) on the
/// addresses of that step's rows, with every intermediate value in scratch memory allocated
/// once per loop call. No array, slot or argument list is built and no graph is walked, and
/// the step's results are written straight into the loop's output rows.
///
/// The first step runs the general way; ``prepare(arguments:rows:)`` then runs the body's
/// kernels once more on that step's values, to learn every value's shape and layout, and
/// plans the calls. It declines (and every step runs the general way) unless each node is:
/// - a compiled elementwise or reduction kernel (in place only on a value this step computed);
/// - a `Gemm` or a two-dimensional `MatMul` on float32 or float64 whose operands BLAS reads
///   in place, with constant scale factors (a `MatMul` of one row or column runs as the GEMV
///   its kernel runs);
/// - a view (an op that overwrites nothing and returns a view of its first input, its other
///   inputs constants: a transpose, a reshape).
///
/// Later steps have the same shapes and layouts as the first (the loop's rows are views of
/// the same buffers), so the plan holds for all of them. It holds for later calls too: the
/// loop's kernel keeps plans between calls (``ScanPlanCache``), and a call whose first step
/// has the layouts of the plan's skips the tracing run (a call with other layouts plans
/// again). A step whose elementwise kernel
/// reports a problem (an integer `pow` with a negative exponent) returns false, and the loop
/// reruns it the general way, which throws the reference's error. The calls are the ones the
/// general path makes (the same kernels, the same BLAS routine and library choice), so the
/// results are equal bit for bit.
///
/// A plan is used by one loop call at a time (a call takes it from the cache and gives it
/// back), hence `@unchecked Sendable`.
final class ScanDirectProgram: ScanDirectSteps, @unchecked Sendable {
    /// Where a value lives: at a per-step address (a body argument, an output row) or a fixed one.
    enum Base {
        case argument(Int)
        case row(Int)
        case fixed(UnsafeMutableRawPointer)
    }

    /// An address of the step: a base plus a byte offset (what a call resolves per step).
    struct Location {
        var base: Base
        var byteOffset: Int
    }

    /// A value of the step: where it lives, with its shape and element strides.
    struct Value {
        var location: Location
        var shape: [Int]
        var strides: [Int]
        var dtype: DType
        /// Computed by this step into its own memory (an output row or scratch): an in-place
        /// kernel may overwrite it.
        var isOwned: Bool
    }

    /// One call of the plan.
    enum Call {
        case kernel(KernelCall)
        case product(ProductCall)
        /// A `MatMul` of one row or column: `C = A B` as the GEMV that `matmul` runs (the
        /// product's scale factors are 1 and 0, and it has no `Z`).
        case matrixProduct(ProductCall)
        case copy(CopyCall)
    }

    /// Copies one value's elements into another of the same shape and dtype, row by row.
    struct CopyCall {
        let from: Location
        let to: Location
        let elementSize: Int
        /// The rows of both layouts, merged where both are contiguous (target first).
        let walk: StridedWalk

        init(from source: Value, to target: Value) {
            from = source.location
            to = target.location
            elementSize = source.dtype.byteSize
            walk = StridedWalk(shape: source.shape, strides: [target.strides, source.strides], offsets: [0, 0])
        }
    }

    /// A compiled elementwise or reduction kernel with its operands' bases and its call's fixed
    /// shape and strides.
    final class KernelCall {
        let function: UnsafeMutableRawPointer
        let operands: [Location]
        let rank: Int64
        /// The trailing axes of `shape` that a reduction sums over (0 for elementwise kernels).
        let reduceAxes: Int64
        let shape: UnsafeMutableBufferPointer<Int64>
        let strides: UnsafeMutableBufferPointer<Int64>
        let data: UnsafeMutableBufferPointer<UnsafeMutablePointer<CChar>?>

        init(function: UnsafeMutableRawPointer, operands: [Value], shape: [Int64], strides: [Int64], reduceAxes: Int = 0) {
            self.function = function
            self.operands = operands.map(\.location)
            self.reduceAxes = Int64(reduceAxes)
            self.rank = Int64(shape.count)
            self.shape = .allocate(capacity: Swift.max(shape.count, 1))
            _ = self.shape.initialize(from: shape)
            self.strides = .allocate(capacity: Swift.max(strides.count, 1))
            _ = self.strides.initialize(from: strides)
            self.data = .allocate(capacity: Swift.max(operands.count, 1))
            data.initialize(repeating: nil)
        }

        deinit {
            shape.deallocate()
            strides.deallocate()
            data.deallocate()
        }
    }

    /// `C = alpha op(A) op(B) + beta C` after copying `Z` into `C` when there is one.
    struct ProductCall {
        let dtype: DType
        let a: Location, lda: Int, transposeA: Bool
        let b: Location, ldb: Int, transposeB: Bool
        let c: Location, ldc: Int
        let m: Int, n: Int, k: Int
        let alpha: Double, beta: Double
        /// Copies a functional `Gemm`'s accumulator `Z` into `C` first.
        let z: CopyCall?
    }

    /// The shapes, strides and dtypes of a first step's arguments and rows: what a plan
    /// depends on besides the body.
    struct Layouts: Equatable {
        struct Layout: Equatable {
            let shape: [Int], strides: [Int], dtype: DType
            init(_ a: NDArray) { (shape, strides, dtype) = (a.shape, a.strides, a.dtype) }
        }
        let arguments: [Layout], rows: [Layout]
        init(arguments: [NDArray], rows: [NDArray]) {
            self.arguments = arguments.map(Layout.init)
            self.rows = rows.map(Layout.init)
        }
    }

    private let program: Program
    private let constantSlots: Set<Int>
    private let generation: [KernelTable.Entry]
    /// The kernel table's generation number `generation` was read at.
    private let generationNumber: Int
    private let context: KernelContext
    /// The layouts the current plan was made for, or (`declinedFor`) the last ones it could
    /// not be made for (so a loop called again on them does not trace again).
    private var plannedFor: Layouts?
    private var declinedFor: Layouts?
    private var calls: [Call] = []
    /// Scratch memory of the intermediate values (one block each, for the whole loop call).
    private var scratch: [UnsafeMutableRawPointer] = []
    /// The constants the plan reads (kept alive with it).
    private var constants: [NDArray] = []

    /// A plan for `body`, or nil when its program cannot run this way (see the type's notes).
    init?(_ body: CompiledGraph, context: KernelContext) {
        let program = body.program
        guard program.runsLean, !program.instructions.isEmpty else { return nil }
        let (generation, generationNumber) = program.kernels.currentGeneration()
        let constantSlots = Set(program.constants.map(\.slot))
        let protectedSlots = constantSlots.union(program.inputSlots)
        for (index, inst) in program.instructions.enumerated() {
            let kernel = generation[index].kernel
            // The plan runs the body once more on the first step's values: nothing may
            // overwrite an argument or a constant (the destroy rules forbid it; checked anyway).
            let destroyed = inst.node.op.destroyMap.values.joined().map { inst.inputSlots[$0] }
            if let compiled = kernel as? CompiledKernel, let d = compiled.program.inPlaceInput,
               protectedSlots.contains(inst.inputSlots[d]) { return nil }
            guard destroyed.allSatisfy({ !protectedSlots.contains($0) }) else { return nil }
            if kernel is CompiledKernel {
            } else if inst.node.op is Gemm {
                guard kernel is GemmKernel else { return nil }
            } else if inst.node.op is MatMul {
                guard kernel is MatMulKernel, inst.node.inputs.allSatisfy({ $0.type.rank == 2 }) else { return nil }
            } else {
                guard inst.node.op.destroyMap.isEmpty, inst.outputSlots.count == 1,
                      inst.inputSlots.dropFirst().allSatisfy(constantSlots.contains) else { return nil }
            }
        }
        self.program = program
        self.constantSlots = constantSlots
        self.generation = generation
        self.generationNumber = generationNumber
        self.context = context
    }

    deinit { discardPlan() }

    /// Whether this plan may serve a loop call running in `context`: made for the same
    /// context, on the kernels the body runs now (an upgrade replaces them).
    func serves(_ context: KernelContext) -> Bool {
        self.context.buffers === context.buffers && !isStale
    }

    /// Whether the body's kernels were replaced (upgraded) since this plan read them.
    var isStale: Bool { program.kernels.currentGeneration().number != generationNumber }

    func prepare(arguments: [NDArray], rows: [NDArray]) -> Bool {
        let layouts = Layouts(arguments: arguments, rows: rows)
        if plannedFor == layouts { return true }
        if declinedFor == layouts { return false }
        discardPlan()
        if (try? plan(arguments: arguments, rows: rows)) == true {
            plannedFor = layouts
            ScanStepCounter.current?.addPlan()
            return true
        }
        discardPlan()
        declinedFor = layouts
        return false
    }

    /// Forgets the plan and frees its scratch memory.
    private func discardPlan() {
        for block in scratch { free(block) }
        scratch.removeAll()
        calls.removeAll()
        constants.removeAll()
        plannedFor = nil
    }

    /// Runs the body once on the first step's values (keeping every slot) and turns each node
    /// into calls on bases; false when some value or node does not fit the plan.
    private func plan(arguments: [NDArray], rows: [NDArray]) throws -> Bool {
        guard arguments.count == program.inputSlots.count, rows.count == program.outputSlots.count,
              rows.allSatisfy(\.isContiguous) else { return false }
        var traced: [NDArray?] = Array(repeating: nil, count: program.slotCount)
        var values: [Value?] = Array(repeating: nil, count: program.slotCount)
        func address(_ a: NDArray) -> UnsafeMutableRawPointer { a.storage.baseAddress + a.offset * a.dtype.byteSize }
        for (i, (s, a)) in zip(program.inputSlots, arguments).enumerated() {
            traced[s] = a
            values[s] = Value(location: Location(base: .argument(i), byteOffset: 0), shape: a.shape, strides: a.strides, dtype: a.dtype, isOwned: false)
        }
        for (s, c) in program.constants {
            traced[s] = c
            constants.append(c)
            values[s] = Value(location: Location(base: .fixed(address(c)), byteOffset: 0), shape: c.shape, strides: c.strides, dtype: c.dtype, isOwned: false)
        }
        // A value returned as several outputs is computed into the first one's row.
        let outputIndex = Dictionary(program.outputSlots.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
        // A value an in-place node overwrites to give output `k` goes to row `k` too (the
        // product that `tanh` then overwrites, in a recurrent step).
        var rowOf = outputIndex
        let producer = Dictionary(program.instructions.enumerated().flatMap { i, inst in inst.outputSlots.map { ($0, i) } },
                                  uniquingKeysWith: { first, _ in first })
        for (slot, k) in outputIndex {
            var s = slot
            while let i = producer[s], let d = destroyedInput(i), rowOf[d] == nil {
                rowOf[d] = k
                s = d
            }
        }
        /// Where a freshly computed result goes: its output row when it is (or becomes, in
        /// place) a body output of the row's shape, else new scratch memory.
        func place(_ slot: Int, _ result: NDArray) -> Value? {
            if let k = rowOf[slot], rows[k].shape == result.shape, rows[k].dtype == result.dtype {
                return Value(location: Location(base: .row(k), byteOffset: 0), shape: result.shape,
                             strides: contiguousStrides(result.shape), dtype: result.dtype, isOwned: true)
            }
            // Memory refused: no plan (the steps run the general way), never a trap.
            var block: UnsafeMutableRawPointer?
            guard let bytes = try? checkedByteCount(result.shape, dtype: result.dtype, context: "scan step"),
                  posix_memalign(&block, 64, Swift.max(bytes, 64)) == 0, let block else { return nil }
            scratch.append(block)
            return Value(location: Location(base: .fixed(block), byteOffset: 0), shape: result.shape,
                         strides: contiguousStrides(result.shape), dtype: result.dtype, isOwned: true)
        }
        for (index, inst) in program.instructions.enumerated() {
            let known = inst.inputSlots.compactMap { s in traced[s].flatMap { t in values[s].map { (t, $0) } } }
            guard known.count == inst.inputSlots.count else { return false }
            let (inputs, operands) = (known.map(\.0), known.map(\.1))
            let results = try generation[index].kernel.run(inst.node, inputs, context)
            guard results.count == inst.outputSlots.count else { return false }
            for (s, r) in zip(inst.outputSlots, results) { traced[s] = r }
            let kernel = generation[index].kernel
            if let compiled = kernel as? CompiledKernel, let r = compiled.program.reduction {
                // The kernel's own layout (`CompiledKernel.runReduce`) on the traced shapes.
                guard let shape = compiled.broadcastShape(inputs), r.kind.hasIdentity || !r.axes.contains(where: { shape[$0] == 0 }),
                      results.count == 1 else { return false }
                let layout = ReductionLayout(r, shape: shape)
                guard results[0].shape == layout.outputShape, let out = place(inst.outputSlots[0], results[0]) else { return false }
                let strides = layout.strides(inputs: operands.map(\.strides), broadcast: compiled.broadcast, output: out.strides)
                calls.append(.kernel(KernelCall(function: compiled.function, operands: operands + [out],
                                                          shape: layout.callShape, strides: strides, reduceAxes: r.axes.count)))
                values[inst.outputSlots[0]] = out
            } else if let compiled = kernel as? CompiledKernel {
                guard let shape = compiled.broadcastShape(inputs) else { return false }
                var outputs: [Value] = []
                for (k, (s, r)) in zip(inst.outputSlots, results).enumerated() {
                    guard r.shape == shape else { return false }
                    if k == 0, let d = compiled.program.inPlaceInput, r.storage === inputs[d].storage {
                        // Written over its destroyed input: only a value this step computed.
                        guard operands[d].isOwned, inputs[d].offset == r.offset, inputs[d].strides == r.strides else { return false }
                        outputs.append(operands[d])
                    } else {
                        guard let v = place(s, r) else { return false }
                        outputs.append(v)
                    }
                }
                let strides = compiled.callStrides(rank: shape.count, inputs: operands.map(\.strides), outputs: outputs.map(\.strides))
                calls.append(.kernel(KernelCall(function: compiled.function, operands: operands + outputs,
                                                          shape: shape.map { Int64($0) }, strides: strides)))
                for (s, v) in zip(inst.outputSlots, outputs) { values[s] = v }
            } else if let gemm = inst.node.op as? Gemm {
                guard let (call, c) = try gemmCall(gemm, inst, inputs, operands, results[0], place: place) else { return false }
                calls.append(.product(call))
                values[inst.outputSlots[0]] = c
            } else if inst.node.op is MatMul {
                let (a, b) = (operands[0], operands[1])
                let (m, k, n) = (a.shape[0], a.shape[1], b.shape[1])
                guard m > 0, n > 0, k > 0, a.dtype == b.dtype, results[0].shape == [m, n],
                      let la = blasLayout(rows: m, cols: k, rowStride: a.strides[0], colStride: a.strides[1]),
                      let lb = blasLayout(rows: k, cols: n, rowStride: b.strides[0], colStride: b.strides[1]),
                      let c = place(inst.outputSlots[0], results[0]) else { return false }
                let call = ProductCall(dtype: a.dtype, a: a.location, lda: la.ld, transposeA: la.transposed,
                                       b: b.location, ldb: lb.ld, transposeB: lb.transposed, c: c.location, ldc: n,
                                       m: m, n: n, k: k, alpha: 1, beta: 0, z: nil)
                // One row or column (a batch of one) runs as the GEMV that `matmul` runs.
                calls.append(MatMulKernel.runsAsGemm(m: m, k: k, n: n) ? .product(call) : .matrixProduct(call))
                values[inst.outputSlots[0]] = c
            } else {
                // A view of the first input: same base, the view's own offset and strides.
                let (r, x) = (results[0], inputs[0])
                guard r.storage === x.storage else { return false }
                var v = operands[0]
                v.location.byteOffset += (r.offset - x.offset) * r.dtype.byteSize
                v.shape = r.shape
                v.strides = r.strides
                v.dtype = r.dtype
                v.isOwned = false
                values[inst.outputSlots[0]] = v
            }
        }
        // Results not computed into their rows (an argument or a view returned as it is, an
        // in-place result in scratch, a value returned twice) are copied there.
        for (k, s) in program.outputSlots.enumerated() {
            guard let v = values[s], v.shape == rows[k].shape, v.dtype == rows[k].dtype else { return false }
            if case .row(let j) = v.location.base, j == k, v.location.byteOffset == 0, v.strides == contiguousStrides(v.shape) { continue }
            let row = Value(location: Location(base: .row(k), byteOffset: 0), shape: v.shape,
                            strides: contiguousStrides(v.shape), dtype: v.dtype, isOwned: true)
            calls.append(.copy(CopyCall(from: v, to: row)))
        }
        for (s, r) in zip(program.outputSlots, rows) where traced[s]?.shape != r.shape { return false }
        // Give the traced intermediate results back (the first step's outputs are already in the rows).
        // Latest first, so that views are dropped before the values they view.
        let kept = Set(program.inputSlots).union(program.constants.map(\.slot))
        for s in traced.indices.reversed() where !kept.contains(s) { context.buffers.release(&traced[s]) }
        return true
    }

    /// The slot that instruction `index` overwrites to give its first output, if any.
    private func destroyedInput(_ index: Int) -> Int? {
        let inst = program.instructions[index]
        if let compiled = generation[index].kernel as? CompiledKernel, let d = compiled.program.inPlaceInput {
            return inst.inputSlots[d]
        }
        if let gemm = inst.node.op as? Gemm, gemm.inPlace { return inst.inputSlots[0] }
        return nil
    }

    /// The product call of a `Gemm` node and the value it computes, or nil when it cannot run
    /// on fixed addresses.
    private func gemmCall(_ gemm: Gemm, _ inst: Program.Instruction, _ inputs: [NDArray], _ operands: [Value],
                          _ result: NDArray, place: (Int, NDArray) -> Value?) throws -> (ProductCall, Value)? {
        let p = Gemm.positions(inputs.count)
        guard constantSlots.contains(inst.inputSlots[p.alpha]), p.beta.map({ constantSlots.contains(inst.inputSlots[$0]) }) ?? true else { return nil }
        let o = try gemm.operands(inst.node, inputs)
        var a = operands[p.x], b = operands[p.y]
        if gemm.transposeX { a.shape.reverse(); a.strides.reverse() }
        if gemm.transposeY { b.shape.reverse(); b.strides.reverse() }
        let (m, k, n) = (a.shape[0], a.shape[1], b.shape[1])
        // The general path handles empty products and zero factors by hand.
        guard m > 0, n > 0, k > 0, o.alpha != 0, a.dtype == b.dtype, result.shape == [m, n],
              let la = blasLayout(rows: m, cols: k, rowStride: a.strides[0], colStride: a.strides[1]),
              let lb = blasLayout(rows: k, cols: n, rowStride: b.strides[0], colStride: b.strides[1]) else { return nil }
        var c: Value
        var z: CopyCall? = nil
        if let zi = p.z {
            guard o.beta != 0 else { return nil }
            if gemm.inPlace, result.storage === inputs[zi].storage {
                // Updated in place: only a value this step computed, stored in C order.
                guard operands[zi].isOwned, operands[zi].strides == contiguousStrides([m, n]),
                      result.offset == inputs[zi].offset else { return nil }
                c = operands[zi]
            } else {
                guard let placed = place(inst.outputSlots[0], result) else { return nil }
                c = placed
                var broadcastZ = operands[zi]
                for d in 0..<2 where broadcastZ.shape[d] == 1 && c.shape[d] != 1 { broadcastZ.strides[d] = 0 }
                broadcastZ.shape = c.shape
                z = CopyCall(from: broadcastZ, to: c)
            }
        } else {
            guard let placed = place(inst.outputSlots[0], result) else { return nil }
            c = placed
        }
        guard c.strides == contiguousStrides([m, n]) else { return nil }
        let call = ProductCall(dtype: a.dtype, a: a.location, lda: la.ld, transposeA: la.transposed, b: b.location, ldb: lb.ld,
                               transposeB: lb.transposed, c: c.location, ldc: n, m: m, n: n, k: k,
                               alpha: o.alpha, beta: p.z == nil ? 0 : o.beta, z: z)
        return (call, c)
    }

    func run(arguments: UnsafePointer<UnsafeMutableRawPointer>, rows: UnsafePointer<UnsafeMutableRawPointer>) -> Bool {
        @inline(__always) func address(_ l: Location) -> UnsafeMutableRawPointer {
            switch l.base {
            case .argument(let i): return arguments[i] + l.byteOffset
            case .row(let k): return rows[k] + l.byteOffset
            case .fixed(let p): return p + l.byteOffset
            }
        }
        func copy(_ c: CopyCall) {
            let (source, target, size) = (address(c.from), address(c.to), c.elementSize)
            c.walk.forEachRow { offsets, n, inner in
                let into = target + offsets[0] * size, from = source + offsets[1] * size
                if inner[0] == 1 && inner[1] == 1 {
                    into.copyMemory(from: from, byteCount: n * size)
                } else {
                    for j in 0..<n { (into + j * inner[0] * size).copyMemory(from: from + j * inner[1] * size, byteCount: size) }
                }
            }
        }
        let pool = context.pool
        let poolHandle = pool.flatMap { $0.handle.map { UnsafeMutableRawPointer($0) } }
        for call in calls {
            switch call {
            case .kernel(let e):
                for (j, v) in e.operands.enumerated() { e.data[j] = address(v).assumingMemoryBound(to: CChar.self) }
                var c = th_call(ndim: e.rank, shape: e.shape.baseAddress, data: e.data.baseAddress,
                                strides: e.strides.baseAddress, reduce_ndim: e.reduceAxes,
                                parallel_for: pool == nil ? nil : th_parallel_for, pool: poolHandle)
                if th_invoke(e.function, &c) != 0 { return false }
            case .product(let p):
                if let z = p.z { copy(z) }
                rawGemm(dtype: p.dtype, transposeA: p.transposeA, transposeB: p.transposeB, m: p.m, n: p.n, k: p.k,
                        alpha: p.alpha, a: address(p.a), lda: p.lda, b: address(p.b), ldb: p.ldb, beta: p.beta,
                        c: address(p.c), ldc: p.ldc)
            case .matrixProduct(let p):
                rawMatrixProduct(dtype: p.dtype, m: p.m, n: p.n, k: p.k, a: address(p.a), transposeA: p.transposeA, lda: p.lda,
                                 b: address(p.b), transposeB: p.transposeB, ldb: p.ldb, c: address(p.c))
            case .copy(let c):
                copy(c)
            }
        }
        return true
    }
}
