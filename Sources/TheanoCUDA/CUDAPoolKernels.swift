import TheanoArray
import TheanoCompile
import TheanoGraph
import TheanoTensor

// Pooling on the device: the forward `Pool` through the device's cuDNN where it has it and
// cuDNN's pooling is the op's (``PoolingCall``: windows inside the padded input, max or
// average), else with the backend's kernels (``CUDAPoolSource``): `Pool` in every mode, `MaxPoolGrad`,
// `AveragePoolGrad` and `MaxPoolGather`, from window tables built on the host once per input shape. The geometry
// comes from the op's own checks, so a bad shape throws the reference's error; a second
// operand of the wrong shape, a dtype the op does not produce, or a geometry too large for the
// 32-bit tables runs the node's reference, which reports or computes it. The operands are read
// where they are, the tables stay on the device with the last shape's, and the result stays
// in device memory.

/// The window tables of one geometry, as ``CUDAPoolSource`` reads them.
struct CUDAPoolTables: Sendable {
    let cells: [Int32]
    let start: [Int32]
    let windows: [Int32]
    let windowStart: [Int32]
    let divisors: [Double]

    /// The tables of `g`, or nil when a spatial index or table size does not fit in 32 bits.
    init?(_ g: PoolGeometry) {
        let limit = Int(Int32.max)
        let cellCount = g.cells.reduce(0) { $0 + $1.count }
        guard g.inputSpatial < limit, g.outputSpatial < limit, cellCount < limit else { return nil }
        var cells: [Int32] = [], start: [Int32] = [0]
        cells.reserveCapacity(cellCount)
        // Windows per input cell, counted first so that each cell's list is in window order.
        var counts = [Int32](repeating: 0, count: g.inputSpatial + 1)
        for window in g.cells {
            for c in window {
                cells.append(Int32(c))
                counts[c + 1] += 1
            }
            start.append(Int32(cells.count))
        }
        for i in 0..<g.inputSpatial { counts[i + 1] += counts[i] }
        var next = counts, windows = [Int32](repeating: 0, count: cellCount)
        for (o, window) in g.cells.enumerated() {
            for c in window {
                windows[Int(next[c])] = Int32(o)
                next[c] += 1
            }
        }
        (self.cells, self.start, self.windows, self.windowStart, self.divisors) = (cells, start, windows, counts, g.divisors)
    }
}

/// One pooling node on the device: the forward op (`gy` is not read), a gradient op (inputs
/// `x` and the output gradient), or `MaxPoolGather` (inputs `x` and the values to gather,
/// shaped like `x`).
struct CUDAPoolKernel: Kernel, @unchecked Sendable {
    enum Role { case forward, gradient, gather }

    let device: any CUDADevice
    let kernel: CUDAKernel
    let parameters: PoolParameters
    let role: Role
    /// The tables of the last input's spatial shape, in device memory.
    private let tableCache = LastValueCache<[Int], [NDArray]>()

    var acceptsDeviceArrays: Bool { true }

    init(device: any CUDADevice, kernel: CUDAKernel, parameters: PoolParameters, role: Role) {
        (self.device, self.kernel, self.parameters, self.role) = (device, kernel, parameters, role)
    }

    func run(_ node: Apply, _ inputs: [NDArray], _ context: KernelContext) throws -> [NDArray] {
        let dtype = node.outputTypes[0].dtype, x = inputs[0]
        guard x.dtype == dtype, inputs.count == (role == .forward ? 1 : 2) else { return try performOnHost(node, inputs) }
        if role == .forward, device.dnnLibrary != nil, let pooled = try poolWithLibrary(x, dtype) { return [pooled] }
        let g = try parameters.geometry(x.shape, op: opName)
        // The second operand: the output gradient (pooled shape) or the values to gather
        // (the input's shape); another shape or dtype runs the reference, which reports it.
        if role != .forward {
            guard inputs[1].shape == (role == .gradient ? g.outputShape : g.inputShape), inputs[1].dtype == dtype else {
                return try performOnHost(node, inputs)
            }
        }
        let device = self.device
        guard let tables = tableCache.value(for: Array(x.shape.suffix(parameters.window.count)), make: {
            guard let t = CUDAPoolTables(g) else { return nil }
            return try? [NDArray(t.cells), NDArray(t.start), NDArray(t.windows), NDArray(t.windowStart), NDArray(t.divisors)]
                .map { try device.contiguousArray($0) }
        }) else {
            return try performOnHost(node, inputs)
        }
        guard let out = try? device.allocateArray(role == .gradient ? g.inputShape : g.outputShape, dtype) else {
            return try performOnHost(node, inputs)
        }
        if out.count == 0 { return [out] }
        let uploads = DeviceUploads(device: device)
        defer { uploads.release() }
        let addresses = try tables.map { device.address(of: $0) } + [uploads.upload(x)]
        // The forward kernel does not read `gy`; it gets the input's address.
        let gy = role == .forward ? addresses[5] : try uploads.upload(inputs[1])
        try launch(device, kernel, elements: out.count, extent: nil,
                   [UInt64(g.batch), UInt64(g.inputSpatial), UInt64(g.outputSpatial)] + addresses.map(\.raw) + [gy.raw, device.address(of: out).raw])
        return [out]
    }

    /// The forward pooling through the device's library (cuDNN), or nil when it does not take
    /// it (partial windows, the sum mode, ...: ``PoolingCall``) and the backend's kernel runs.
    private func poolWithLibrary(_ x: NDArray, _ dtype: DType) throws -> NDArray? {
        // The op's own checks (a bad shape throws the reference's error), without listing windows.
        let outline = try parameters.outline(x.shape, op: opName)
        guard let out = try? device.allocateArray(outline.lead + outline.output, dtype) else { return nil }
        let uploads = DeviceUploads(device: device)
        defer { uploads.release() }
        let source = try uploads.upload(x)
        guard let call = PoolingCall(parameters, shape: x.shape, dtype: dtype, x: source, y: device.address(of: out)) else { return nil }
        do {
            try device.pooling(call)
        } catch let error as TheanoError where error.kind == .unsupported {
            return nil
        }
        return out
    }

    /// The op's name in error messages, as the op's own `perform` writes it.
    private var opName: String {
        switch role {
        case .forward: parameters.name
        case .gradient: parameters.name + (parameters.mode == .max ? "MaxGrad" : "AverageGrad")
        case .gather: parameters.name + "MaxGather"
        }
    }
}
