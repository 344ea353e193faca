import TheanoArray
import TheanoGraph
import TheanoTensor

// The CPU backend's OpenBLAS kernels for the matrix products. Each reads and checks its
// operands exactly as the op's reference `perform` does (the op's own `operands` or
// `checkRuntimeShapes`), then calls the BLAS forms of `NDArray`: transposed views become BLAS
// flags, functional variants write into a recycled buffer, in-place variants write into
// their accumulator after validating (``InPlaceKernel``) that they cannot fail.

/// What the report calls these kernels.
let openBLAS = "OpenBLAS"

/// Whether BLAS multiplies this dtype.
private func isBLASType(_ dtype: DType) -> Bool { dtype == .float32 || dtype == .float64 }

extension Gemm: CPUKernelOp {
    func cpuKernel(_ node: Apply, _ session: LinkSession) throws -> KernelChoice? {
        isBLASType(node.outputTypes[0].dtype) ? .kernel(GemmKernel(op: self), implementation: openBLAS) : nil
    }
}

struct GemmKernel: InPlaceKernel {
    let op: Gemm

    func run(_ node: Apply, _ inputs: [NDArray], _ context: KernelContext) throws -> [NDArray] {
        let o = try op.operands(node, inputs)
        if op.inPlace, let z = o.z { return [try NDArray.gemm(alpha: o.alpha, o.x, o.y, beta: o.beta, updating: z)] }
        let out = try context.buffers.allocate([o.x.shape[0], o.y.shape[1]], node.outputTypes[0].dtype)
        return [try NDArray.gemm(alpha: o.alpha, o.x, o.y, beta: o.z == nil ? 0 : o.beta, adding: o.z, into: out)]
    }

    func validate(_ node: Apply, _ inputs: [NDArray]) throws {
        let o = try op.operands(node, inputs)
        if let z = o.z { try NDArray.validateGemm(o.x, o.y, updating: z) }
    }
}

extension Gemv: CPUKernelOp {
    func cpuKernel(_ node: Apply, _ session: LinkSession) throws -> KernelChoice? {
        isBLASType(node.outputTypes[0].dtype) ? .kernel(GemvKernel(op: self), implementation: openBLAS) : nil
    }
}

struct GemvKernel: InPlaceKernel {
    let op: Gemv

    func run(_ node: Apply, _ inputs: [NDArray], _ context: KernelContext) throws -> [NDArray] {
        let o = try op.operands(node, inputs)
        if op.inPlace, let y = o.y { return [try NDArray.gemv(alpha: o.alpha, o.a, o.x, beta: o.beta, updating: y)] }
        let out = try context.buffers.allocate([o.a.shape[0]], node.outputTypes[0].dtype)
        return [try NDArray.gemv(alpha: o.alpha, o.a, o.x, beta: o.y == nil ? 0 : o.beta, adding: o.y, into: out)]
    }

    func validate(_ node: Apply, _ inputs: [NDArray]) throws {
        let o = try op.operands(node, inputs)
        if let y = o.y { try NDArray.validateGemv(o.a, o.x, updating: y) }
    }
}

extension Ger: CPUKernelOp {
    func cpuKernel(_ node: Apply, _ session: LinkSession) throws -> KernelChoice? {
        isBLASType(node.outputTypes[0].dtype) ? .kernel(GerKernel(op: self), implementation: openBLAS) : nil
    }
}

struct GerKernel: InPlaceKernel {
    let op: Ger

    func run(_ node: Apply, _ inputs: [NDArray], _ context: KernelContext) throws -> [NDArray] {
        let o = try op.operands(node, inputs)
        if op.inPlace { return [try NDArray.ger(alpha: o.alpha, o.x, o.y, updating: o.a)] }
        return [try NDArray.ger(alpha: o.alpha, o.x, o.y, adding: o.a)]
    }

    func validate(_ node: Apply, _ inputs: [NDArray]) throws {
        let o = try op.operands(node, inputs)
        try NDArray.validateGer(o.x, o.y, updating: o.a)
    }
}

extension MatMul: CPUKernelOp {
    func cpuKernel(_ node: Apply, _ session: LinkSession) throws -> KernelChoice? {
        isBLASType(node.outputTypes[0].dtype) ? .kernel(MatMulKernel(op: self), implementation: openBLAS) : nil
    }
}

struct MatMulKernel: Kernel {
    let op: MatMul

    func run(_ node: Apply, _ inputs: [NDArray], _ context: KernelContext) throws -> [NDArray] {
        try op.checkRuntimeShapes(node, inputs)
        let (a, b) = (inputs[0], inputs[1])
        if a.rank == 2, b.rank == 2, a.dtype == b.dtype, a.dtype == node.outputTypes[0].dtype,
           MatMulKernel.runsAsGemm(m: a.shape[0], k: a.shape[1], n: b.shape[1]) {
            let out = try context.buffers.allocate([a.shape[0], b.shape[1]], node.outputTypes[0].dtype)
            return [try NDArray.gemm(alpha: 1, a, b, beta: 0, into: out)]
        }
        return [try NDArray.matmul(a, b)]
    }

    /// Whether a `[m, k] x [k, n]` product is one GEMM written into a recycled buffer: neither
    /// a row nor a column vector (which `matmul` runs as GEMV) nor empty. The loops' direct
    /// steps make the same call on the same shapes.
    static func runsAsGemm(m: Int, k: Int, n: Int) -> Bool { m > 1 && n > 1 && k > 0 }
}

extension TensorDot: CPUKernelOp {
    func cpuKernel(_ node: Apply, _ session: LinkSession) throws -> KernelChoice? {
        isBLASType(node.outputTypes[0].dtype) ? .kernel(TensorDotKernel(op: self), implementation: openBLAS) : nil
    }
}

struct TensorDotKernel: Kernel {
    let op: TensorDot

    func run(_ node: Apply, _ inputs: [NDArray], _ context: KernelContext) throws -> [NDArray] {
        try op.checkRuntimeShapes(node, inputs)
        return [try NDArray.tensordot(inputs[0], inputs[1], axes: (op.axesA, op.axesB),
                                      allocate: { try context.buffers.allocate($0, $1) }, release: { context.buffers.release(&$0) })]
    }
}

extension Outer: CPUKernelOp {
    func cpuKernel(_ node: Apply, _ session: LinkSession) throws -> KernelChoice? {
        isBLASType(node.outputTypes[0].dtype) ? .kernel(OuterKernel(), implementation: openBLAS) : nil
    }
}

struct OuterKernel: Kernel {
    func run(_ node: Apply, _ inputs: [NDArray], _ context: KernelContext) throws -> [NDArray] {
        [try NDArray.outer(inputs[0], inputs[1])]
    }
}
