import TheanoArray
import TheanoCompile
import TheanoGraph
import TheanoTensor

// Convolutions on the device: through the device's convolution library (cuDNN) where it has
// one and cuDNN can express the geometry (``ConvolutionCall``), else as im2col + cuBLAS
// (``CUDAConvSource``): `Conv` (forward, and `ConvBiasReLU` with its epilogue kernel after
// either), `ConvGradInputs` and `ConvGradWeights`, any of 1-3 spatial axes with strides, padding,
// dilation, groups and `filterFlip`. The geometry comes from the ops' own checks, so a shape
// mistake throws the reference's error. An operand of another dtype, an empty extent (the
// result is zeros or empty) or a geometry whose tables do not fit in 32 bits runs the node's
// reference. The operands are read where they are (sizes on the host), the tables stay on the
// device with the last geometry's, and the result stays in device memory.

/// The index tables of one geometry: the im2col table and, per input position, the column
/// entries that read it.
struct CUDAConvTables: Sendable {
    let inputIndex: [Int32]
    let entries: [Int32]
    let entryStart: [Int32]

    init(_ g: ConvGeometry) throws {
        let table = try g.inputIndexTable()
        guard table.count < Int(Int32.max) else {
            throw TheanoError.unsupported("CUDA convolution: \(table.count) kernel-output pairs are more than 32-bit indices hold")
        }
        var starts = [Int32](repeating: 0, count: g.inputSpatial + 1)
        for i in table where i >= 0 { starts[Int(i) + 1] += 1 }
        for i in 0..<g.inputSpatial { starts[i + 1] += starts[i] }
        var next = starts, entries = [Int32](repeating: 0, count: Int(starts[g.inputSpatial]))
        for (t, i) in table.enumerated() where i >= 0 {
            entries[Int(next[Int(i)])] = Int32(t)
            next[Int(i)] += 1
        }
        (inputIndex, self.entries, entryStart) = (table, entries, starts)
    }
}

/// One convolution node on the device.
struct CUDAConvKernel: Kernel, @unchecked Sendable {
    enum Role { case forward, gradInputs, gradWeights }

    let device: any CUDADevice
    let im2col: CUDAKernel
    let col2im: CUDAKernel
    let role: Role
    /// ``ConvBiasReLU``'s bias and rectifier after the forward product (the kernel, and whether
    /// input 2 is a bias).
    let epilogue: (kernel: CUDAKernel, hasBias: Bool)?
    /// The node's geometry from its inputs (the op's own checks).
    let geometry: @Sendable ([NDArray]) throws -> ConvGeometry
    /// The tables of the last geometry in device memory: the im2col table, the entries and
    /// their starts.
    private let tableCache = LastValueCache<ConvGeometry, [NDArray]>()

    var acceptsDeviceArrays: Bool { true }
    /// The sizes after the two operands are read on the host; a bias on the device.
    func readsOnDevice(input index: Int, of node: Apply) -> Bool {
        index < 2 || (index == 2 && epilogue?.hasBias == true)
    }

    init(device: any CUDADevice, im2col: CUDAKernel, col2im: CUDAKernel, role: Role,
         epilogue: (kernel: CUDAKernel, hasBias: Bool)? = nil, geometry: @escaping @Sendable ([NDArray]) throws -> ConvGeometry) {
        (self.device, self.im2col, self.col2im, self.role, self.geometry) = (device, im2col, col2im, role, geometry)
        self.epilogue = epilogue
    }

    func run(_ node: Apply, _ inputs: [NDArray], _ context: KernelContext) throws -> [NDArray] {
        var inputs = inputs
        for i in inputs.indices where !readsOnDevice(input: i, of: node) && inputs[i].isOnDevice { inputs[i] = try inputs[i].onHost() }
        let dtype = node.outputTypes[0].dtype
        guard inputs.count >= 2, inputs[0].dtype == dtype, inputs[1].dtype == dtype else { return try performOnHost(node, inputs) }
        let g = try geometry(inputs)
        let shape = role == .forward ? g.outputShape : role == .gradInputs ? g.inputShape : g.filterShape
        // A bias has one value, or one per channel; another shape runs the reference, which
        // reports it.
        var biasStride = 0
        if let epilogue, epilogue.hasBias {
            guard inputs.count == 3, inputs[2].dtype == dtype, inputs[2].rank == shape.count,
                  inputs[2].shape.enumerated().allSatisfy({ $1 == 1 || ($0 == 1 && $1 == shape[1]) }) else {
                return try performOnHost(node, inputs)
            }
            biasStride = inputs[2].shape[1] == 1 ? 0 : 1
        }
        guard g.groups > 0, [g.batch, g.inChannels, g.outChannels, g.inputSpatial, g.kernelSpatial, g.outputSpatial].allSatisfy({ $0 > 0 }),
              let out = try? device.allocateArray(shape, dtype) else {
            return try performOnHost(node, inputs)
        }
        let uploads = DeviceUploads(device: device)
        defer { uploads.release() }
        let target = device.address(of: out)
        let first = try uploads.upload(inputs[0]), second = try uploads.upload(inputs[1])
        if try convolveWithLibrary(g, dtype: dtype, first, second, target, uploads) {
            try finish(out, bias: inputs.count > 2 ? inputs[2] : nil, biasStride: biasStride, g, uploads)
            return [out]
        }
        guard let tables = tableCache.value(for: g, make: { [device] in
                  guard let t = try? CUDAConvTables(g) else { return nil }
                  return try? [NDArray(t.inputIndex), NDArray(t.entries), NDArray(t.entryStart)].map { try device.contiguousArray($0) }
              }),
              let columns = try? checkedProduct([g.batch, g.inChannels, g.kernelSpatial, g.outputSpatial, dtype.byteSize], context: "CUDA convolution columns") else {
            return try performOnHost(node, inputs)
        }
        let (width, k, p) = (dtype.byteSize, g.kernelSpatial, g.outputSpatial)
        let (cg, og) = (g.inChannels / g.groups, g.outChannels / g.groups)
        let reduction = cg * k, planes = g.batch * g.inChannels
        func at(_ base: DeviceAddress, _ elements: Int) -> DeviceAddress { DeviceAddress(base.raw + UInt64(elements * width)) }

        let col = try uploads.allocate(columns)
        func columnsOf(_ x: DeviceAddress) throws {
            let table = device.address(of: tables[0])
            try launch(device, im2col, elements: columns / width, extent: nil,
                       [UInt64(planes), UInt64(g.inputSpatial), UInt64(k), UInt64(p), table.raw, x.raw, col.raw])
        }
        switch role {
        case .forward:
            // Per group, over the batch: y[b, group rows] = W_g [og, cg*k] · col[b, g] [cg*k, p].
            try columnsOf(first)
            for grp in 0..<g.groups {
                try device.gemm(.rowMajor(dtype: dtype, m: og, n: p, k: reduction, alpha: 1, beta: 0,
                                          x: at(second, grp * og * reduction), ldx: reduction, strideX: 0, transposeX: false,
                                          y: at(col, grp * reduction * p), ldy: p, strideY: g.inChannels * k * p, transposeY: false,
                                          c: at(target, grp * og * p), strideC: g.outChannels * p, batch: g.batch))
            }
            try finish(out, bias: inputs.count > 2 ? inputs[2] : nil, biasStride: biasStride, g, uploads)
        case .gradInputs:
            // col[b, g] = W_gᵀ · gy[b, group rows], then each input element gathers its entries.
            for grp in 0..<g.groups {
                try device.gemm(.rowMajor(dtype: dtype, m: reduction, n: p, k: og, alpha: 1, beta: 0,
                                          x: at(second, grp * og * reduction), ldx: reduction, strideX: 0, transposeX: true,
                                          y: at(first, grp * og * p), ldy: p, strideY: g.outChannels * p, transposeY: false,
                                          c: at(col, grp * reduction * p), strideC: g.inChannels * k * p, batch: g.batch))
            }
            let entries = device.address(of: tables[1]), starts = device.address(of: tables[2])
            try launch(device, col2im, elements: out.count, extent: nil,
                       [UInt64(planes), UInt64(g.inputSpatial), UInt64(k * p), entries.raw, starts.raw, col.raw, target.raw])
        case .gradWeights:
            // dW_g = Σ_b gy[b, group rows] · col[b, g]ᵀ, accumulated image by image.
            try columnsOf(first)
            for grp in 0..<g.groups {
                for b in 0..<g.batch {
                    try device.gemm(.rowMajor(dtype: dtype, m: og, n: reduction, k: p, alpha: 1, beta: b == 0 ? 0 : 1,
                                              x: at(second, (b * g.outChannels + grp * og) * p), ldx: p, strideX: 0, transposeX: false,
                                              y: at(col, (b * g.inChannels * k + grp * reduction) * p), ldy: p, strideY: 0, transposeY: true,
                                              c: at(target, grp * og * reduction), strideC: 0, batch: 1))
                }
            }
        }
        return [out]
    }

    /// Runs the node's product through the device's convolution library (cuDNN) when it has
    /// one that takes this geometry; false when the im2col path should run instead (no
    /// library, padding cuDNN cannot express, or the library has no algorithm for it).
    private func convolveWithLibrary(_ g: ConvGeometry, dtype: DType, _ first: DeviceAddress, _ second: DeviceAddress,
                                     _ target: DeviceAddress, _ uploads: DeviceUploads) throws -> Bool {
        guard device.dnnLibrary != nil else { return false }
        // The operands by role: forward (x, w) -> y, gradInputs (gy, w) -> x, gradWeights (x, gy) -> w.
        let call: ConvolutionCall? = switch role {
        case .forward: ConvolutionCall(g, direction: .forward, dtype: dtype, x: first, w: second, y: target)
        case .gradInputs: ConvolutionCall(g, direction: .backwardData, dtype: dtype, x: target, w: second, y: first)
        case .gradWeights: ConvolutionCall(g, direction: .backwardFilter, dtype: dtype, x: first, w: target, y: second)
        }
        guard let call else { return false }
        let bytes: Int
        do {
            bytes = try device.convolutionWorkspace(call)
        } catch let error as TheanoError where error.kind == .unsupported {
            return false
        }
        let workspace = try uploads.allocate(bytes)
        try device.convolution(call, workspace: workspace, workspaceBytes: bytes)
        return true
    }

    /// ``ConvBiasReLU``'s bias and rectifier on the forward product `out`, if this node has them.
    private func finish(_ out: NDArray, bias: NDArray?, biasStride: Int, _ g: ConvGeometry, _ uploads: DeviceUploads) throws {
        guard role == .forward, let epilogue else { return }
        let address = epilogue.hasBias ? try uploads.upload(bias ?? out).raw : 0
        try launch(device, epilogue.kernel, elements: out.count, extent: nil,
                   [UInt64(out.count), UInt64(g.outChannels), UInt64(g.outputSpatial), UInt64(biasStride), address, device.address(of: out).raw])
    }
}
