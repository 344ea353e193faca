import TheanoArray
import TheanoCompile
import TheanoGraph
import TheanoTensor

// The CUDA backend's matrix products: `Gemm` and `MatMul` nodes as one cuBLAS call each
// (``CUDADevice/gemm(_:)``; on the emulator, plain loops with cuBLAS's meaning). Operands are
// read and checked by the op's own code (so errors read as on the other backends); a
// transposed operand is passed as cuBLAS's transpose flag, not copied; the cases where
// cuBLAS's conventions differ from the graph's (`alpha = 0` not reading `X`, `beta = 0` not
// reading `Z`, so NaN would not propagate) and empty products run the node's reference.
// Operands are read where they are (this device's arrays in place; host ones copied there)
// and the product stays in device memory.

/// What the kernel report calls these kernels.
let cuBLASName = "cuBLAS"

/// `a` (matrices in its last two axes) as C-contiguous storage the product can read: `a`
/// itself, the array whose last two axes are swapped (read with the transpose flag), or `a`
/// to be copied in C order (``DeviceUploads/upload(_:)-(NDArray)`` makes the copy). The leading
/// dimension is the storage's last axis.
func storedMatrices(_ a: NDArray) throws -> (array: NDArray, transposed: Bool, ld: Int) {
    if a.isContiguous { return (a, false, Swift.max(a.shape.last ?? 1, 1)) }
    if a.rank >= 2 {
        var axes = Array(0..<a.rank)
        axes.swapAt(a.rank - 2, a.rank - 1)
        let swapped = try a.transposed(axes)
        if swapped.isContiguous { return (swapped, true, Swift.max(swapped.shape[a.rank - 1], 1)) }
    }
    return (a, false, Swift.max(a.shape.last ?? 1, 1))
}

/// `v` with the shape `shape` (a view when `v` is C-contiguous or already has that shape;
/// otherwise a C-order copy made where `v` lives).
func reshapedOperand(_ v: NDArray, _ shape: [Int], device: any CUDADevice) throws -> NDArray {
    if v.shape == shape { return v }
    // A contiguous array (on the host or the device) reshapes as a view.
    if v.isContiguous { return try v.reshaped(shape) }
    if !device.holds(v) { return try v.onHost().reshaped(shape) }
    return try device.contiguousArray(v).reshaped(shape)
}

/// A `Gemm` node (`Z' = alpha * op(X) @ op(Y) + beta * Z`): the operands read as they are
/// stored, `Z` broadcast into a new device array (never overwritten), one cuBLAS call
/// accumulating into it.
struct CUDAGemmKernel: Kernel, @unchecked Sendable {
    let device: any CUDADevice
    let op: Gemm

    var acceptsDeviceArrays: Bool { true }
    /// The scalars `alpha` and `beta` are read on the host.
    func readsOnDevice(input index: Int, of node: Apply) -> Bool {
        let p = Gemm.positions(node.inputs.count)
        return index != p.alpha && index != p.beta
    }

    func run(_ node: Apply, _ inputs: [NDArray], _ context: KernelContext) throws -> [NDArray] {
        // The scalars are read on the host.
        var inputs = inputs
        let p = Gemm.positions(inputs.count)
        for i in [p.alpha, p.beta].compactMap({ $0 }) where inputs[i].isOnDevice { inputs[i] = try inputs[i].onHost() }
        let o = try op.operands(node, inputs)
        let (m, k, n) = (o.x.shape[0], o.x.shape[1], o.y.shape[1])
        let dtype = node.outputTypes[0].dtype
        guard o.alpha != 0, k > 0, m > 0, n > 0, o.z == nil || o.beta != 0, o.x.dtype == dtype, o.y.dtype == dtype else {
            return try performOnHost(node, inputs)
        }
        let out = try device.allocateArray([m, n], dtype)
        let x = try storedMatrices(o.x), y = try storedMatrices(o.y)
        let uploads = DeviceUploads(device: device)
        defer { uploads.release() }
        let dx = try uploads.upload(x.array), dy = try uploads.upload(y.array)
        if let z = o.z {
            let accumulator = z.dtype == dtype ? z : try z.onHost().astype(dtype)
            try device.copyElements(of: try accumulator.broadcast(to: [m, n]), to: device.address(of: out))
        }
        try device.gemm(.rowMajor(dtype: dtype, m: m, n: n, k: k, alpha: o.alpha, beta: o.z == nil ? 0 : o.beta,
                                  x: dx, ldx: x.ld, strideX: 0, transposeX: x.transposed,
                                  y: dy, ldy: y.ld, strideY: 0, transposeY: y.transposed,
                                  c: device.address(of: out), strideC: 0, batch: 1))
        return [out]
    }
}

/// A `MatMul` node with NumPy's rules: a vector operand becomes a one-row (input 0) or
/// one-column (input 1) matrix, the batch axes broadcast (an operand with one matrix is read
/// with a batch stride of 0; one broadcast along some batch axes only is expanded on the
/// host), and the stack is one strided batched cuBLAS call.
struct CUDAMatMulKernel: Kernel, @unchecked Sendable {
    let device: any CUDADevice
    let op: MatMul

    var acceptsDeviceArrays: Bool { true }

    func run(_ node: Apply, _ inputs: [NDArray], _ context: KernelContext) throws -> [NDArray] {
        try op.checkRuntimeShapes(node, inputs)
        let dtype = node.outputTypes[0].dtype
        var a = inputs[0], b = inputs[1]
        guard a.dtype == dtype, b.dtype == dtype, a.rank >= 1, b.rank >= 1 else { return try performOnHost(node, inputs) }
        if a.rank == 1 { a = try reshapedOperand(a, [1, a.shape[0]], device: device) }
        if b.rank == 1 { b = try reshapedOperand(b, [b.shape[0], 1], device: device) }
        let (m, k, n) = (a.shape[a.rank - 2], a.shape[a.rank - 1], b.shape[b.rank - 1])
        let batch = try broadcastShapes([Array(a.shape.dropLast(2)), Array(b.shape.dropLast(2))], context: "matmul")
        let count = try checkedProduct(batch, context: "matmul: batch")
        guard m > 0, n > 0, k > 0, count > 0 else { return try performOnHost(node, inputs) }
        let uploads = DeviceUploads(device: device)
        defer { uploads.release() }

        /// An operand on the device: its storage, transpose flag, leading dimension and
        /// batch stride.
        func operand(_ v: NDArray, rows: Int, columns: Int) throws -> (DeviceAddress, Bool, Int, Int) {
            let own = Array(v.shape.dropLast(2))
            let single = shapeSize(own) == 1
            let matrices = single ? try reshapedOperand(v, [rows, columns], device: device)
                : (own == batch ? v : try v.broadcast(to: batch + [rows, columns]))
            let stored = try storedMatrices(matrices)
            return (try uploads.upload(stored.array), stored.transposed, stored.ld, single ? 0 : rows * columns)
        }
        let (da, ta, lda, strideA) = try operand(a, rows: m, columns: k)
        let (db, tb, ldb, strideB) = try operand(b, rows: k, columns: n)
        let out = try device.allocateArray(outputShape(batch, m, n, inputs), dtype)
        try device.gemm(.rowMajor(dtype: dtype, m: m, n: n, k: k, alpha: 1, beta: 0,
                                  x: da, ldx: lda, strideX: strideA, transposeX: ta,
                                  y: db, ldy: ldb, strideY: strideB, transposeY: tb,
                                  c: device.address(of: out), strideC: m * n, batch: count))
        return [out]
    }

    /// The output's shape: the batch, then the rows of input 0 and the columns of input 1,
    /// each only when that input is a matrix.
    private func outputShape(_ batch: [Int], _ m: Int, _ n: Int, _ inputs: [NDArray]) -> [Int] {
        batch + (inputs[0].rank >= 2 ? [m] : []) + (inputs[1].rank >= 2 ? [n] : [])
    }
}
