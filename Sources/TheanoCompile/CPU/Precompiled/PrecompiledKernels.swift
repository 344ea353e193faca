import TheanoArray
import TheanoGraph
import TheanoTensor

/// Kernels for elementwise and reduction nodes that need no C compiler: what a function runs
/// while its generated C compiles (and what runs when there is no compiler).
///
/// A node's scalar program runs block by block (``precompiledBlockSize`` elements) through
/// typed loops compiled with the package (``BlockProgram``, ``StepKernels``): intermediate
/// results stay in cache-sized registers, scalar operands are never expanded, inputs are read
/// in place when C-contiguous and copied block by block otherwise. Reductions fold each block
/// as it is produced (``ReductionGeometry``). Results are the reference's: the same
/// expressions and libm functions, float sums in double; a run-time problem (sizes that
/// disagree, integer `pow` of a negative exponent, `max` of an empty axis) reruns the node's
/// reference `perform`, so errors read as the reference's.
enum PrecompiledKernels {
    /// What the kernel report calls these kernels.
    static let implementation = "precompiled"

    /// A kernel for `node` (`Elemwise`, `Composite`, `Reduce`, `CompositeReduce`) whose C
    /// program is `program` (see CBackend/CKernelOp.swift `KernelProgram`), or nil when this
    /// tier has none for it (the node then runs its reference `perform`).
    static func kernel(for node: Apply, program: KernelProgram) -> (any Kernel)? {
        let p = program.program
        guard let rank = node.inputs.first?.type.rank, node.inputs.allSatisfy({ $0.type.rank == rank }),
              p.inputTypes == node.inputs.map(\.type.dtype) else { return nil }
        let broadcast = node.inputs.map { v in v.type.shape.map { $0 == 1 } }
        let scalarInputs = broadcast.map { $0.allSatisfy { $0 } }
        guard let blocks = BlockProgram(p, scalarInputs: scalarInputs, writesOutputs: program.reduction == nil) else { return nil }
        let outputTypes = node.outputTypes.map(\.dtype)
        guard let r = program.reduction else {
            guard outputTypes == p.outputs.map(p.dtype(of:)) else { return nil }
            return ElementwiseKernel(program: blocks, broadcast: broadcast, outputTypes: outputTypes)
        }
        guard p.outputs.count == 1, outputTypes.count == 1,
              r.axes.allSatisfy({ $0 >= 0 && $0 < rank }), Set(r.axes).count == r.axes.count else { return nil }
        let element = p.dtype(of: p.outputs[0])
        guard outputTypes[0] == r.kind.outputDType(for: element) else { return nil }
        return ReduceKernel(program: blocks, broadcast: broadcast, reduction: r, elementType: element,
                            outputType: outputTypes[0], reducer: reducer(r.kind, element))
    }

    /// The fold of `kind` over values of `dtype`.
    static func reducer(_ kind: ReduceKind, _ dtype: DType) -> BlockReducer {
        func integer<T: KernelInteger>(_: T.Type) -> BlockReducer {
            switch kind {
            case .sum: return BlockReducer(IntSumFold<T>.self)
            case .prod: return BlockReducer(IntProdFold<T>.self)
            case .max: return BlockReducer(IntMaxFold<T>.self)
            case .min: return BlockReducer(IntMinFold<T>.self)
            case .all: return BlockReducer(AllFold<T>.self)
            case .any: return BlockReducer(AnyFold<T>.self)
            }
        }
        func float<T: KernelFloat>(_: T.Type) -> BlockReducer {
            switch kind {
            case .sum: return BlockReducer(FloatSumFold<T>.self)
            case .prod: return BlockReducer(FloatProdFold<T>.self)
            case .max: return BlockReducer(FloatMaxFold<T>.self)
            case .min: return BlockReducer(FloatMinFold<T>.self)
            case .all: return BlockReducer(AllFold<T>.self)
            case .any: return BlockReducer(AnyFold<T>.self)
            }
        }
        switch dtype {
        case .bool:
            switch kind {
            case .sum: return BlockReducer(BoolSumFold.self)
            case .prod: return BlockReducer(BoolProdFold.self)
            case .max, .any: return BlockReducer(BoolAnyFold.self)
            case .min, .all: return BlockReducer(BoolAllFold.self)
            }
        case .uint8: return integer(UInt8.self)
        case .int8: return integer(Int8.self)
        case .int16: return integer(Int16.self)
        case .int32: return integer(Int32.self)
        case .int64: return integer(Int64.self)
        case .float32: return float(Float.self)
        case .float64: return float(Double.self)
        }
    }
}

private func baseAddress(_ x: NDArray) -> UnsafeMutableRawPointer {
    x.storage.baseAddress + x.offset * x.dtype.byteSize
}

/// An `Elemwise` or `Composite` node.
struct ElementwiseKernel: InPlaceKernel, @unchecked Sendable {
    let program: BlockProgram
    /// Per input, per axis: static size 1.
    let broadcast: [[Bool]]
    let outputTypes: [DType]

    func run(_ node: Apply, _ inputs: [NDArray], _ context: KernelContext) throws -> [NDArray] {
        guard let shape = staticBroadcastShape(inputs, broadcast), outputsFit(shape, outputTypes) else {
            return try node.op.perform(node, inputs)
        }
        let outputs = try outputTypes.map { try context.buffers.allocate(shape, $0) }
        let count = shapeSize(shape)
        guard count > 0 else { return outputs }
        let layouts = inputs.indices.map { InputLayout(inputs[$0], shape: shape, broadcast: broadcast[$0], scalar: program.scalarInputs[$0]) }
        let bases = outputs.map(baseAddress)
        // Outputs not written directly by their step: copied after each block.
        var copies: [(output: Int, value: Int)] = []
        for (k, v) in program.outputs.enumerated() where program.storage[v] != .output(k) { copies.append((k, v)) }
        let parts = count >= ParallelBlocks.threshold ? (count + ParallelBlocks.grain - 1) / ParallelBlocks.grain : 1
        do {
            try withExtendedLifetime((inputs, outputs)) {
                try ParallelBlocks.forEach(parts, pool: context.pool) { part in
                    let range = part * ParallelBlocks.grain ..< Swift.min(count, (part + 1) * ParallelBlocks.grain)
                    try program.run(layouts, outputs: bases, range: parts == 1 ? 0..<count : range) { values, start, n in
                        for (k, v) in copies {
                            let size = outputTypes[k].byteSize
                            copyElements(values[v], scalar: program.isScalar[v], to: bases[k] + start * size, count: n, elementSize: size)
                        }
                    }
                }
            }
        } catch {
            return try node.op.perform(node, inputs)  // the reference's error
        }
        return outputs
    }

    /// The kernel never writes into its inputs; it fails only where the reference does.
    func validate(_ node: Apply, _ inputs: [NDArray]) throws {
        if program.mayThrow || staticBroadcastShape(inputs, broadcast) == nil {
            _ = try node.op.perform(node, inputs)
        }
    }
}

/// A `Reduce` or `CompositeReduce` node.
struct ReduceKernel: Kernel, @unchecked Sendable {
    let program: BlockProgram
    let broadcast: [[Bool]]
    let reduction: KernelProgram.Reduction
    let elementType: DType
    let outputType: DType
    let reducer: BlockReducer

    func run(_ node: Apply, _ inputs: [NDArray], _ context: KernelContext) throws -> [NDArray] {
        guard let shape = staticBroadcastShape(inputs, broadcast),
              reduction.kind.hasIdentity || !reduction.axes.contains(where: { shape[$0] == 0 }) else {
            return try node.op.perform(node, inputs)
        }
        let axes = reduction.axes
        let outShape = reduction.keepdims
            ? shape.indices.map { axes.contains($0) ? 1 : shape[$0] }
            : shape.indices.filter { !axes.contains($0) }.map { shape[$0] }
        guard outputsFit(outShape, [outputType]) else { return try node.op.perform(node, inputs) }
        let output = try context.buffers.allocate(outShape, outputType)
        let count = shapeSize(shape)
        let geometry = ReductionGeometry(shape: shape, reduced: axes)
        let layouts = inputs.indices.map { InputLayout(inputs[$0], shape: shape, broadcast: broadcast[$0], scalar: program.scalarInputs[$0]) }
        let value = program.outputs[0]
        let scalarValue = program.isScalar[value]
        let size = elementType.byteSize
        // Fixed parts (never the thread count), so results do not depend on the threads; only
        // when the partial results are small beside the work.
        let parts = count >= ParallelBlocks.threshold && geometry.resultCount * 64 <= count
            ? Swift.min(16, count / ParallelBlocks.grain) : 1
        do {
            try withExtendedLifetime((inputs, output)) {
                try reducer.reduce(geometry, count, parts, context.pool, baseAddress(output)) { range, fold in
                    let spread = scalarValue ? UnsafeMutableRawPointer.allocate(byteCount: precompiledBlockSize * size, alignment: 64) : nil
                    defer { spread?.deallocate() }
                    try program.run(layouts, outputs: [], range: range) { values, start, n in
                        if let spread {
                            copyElements(values[value], scalar: true, to: spread, count: n, elementSize: size)
                            try fold(spread, start, n)
                        } else {
                            try fold(values[value], start, n)
                        }
                    }
                }
            }
        } catch {
            return try node.op.perform(node, inputs)
        }
        return [output]
    }
}
