import Foundation
import TheanoArray
import TheanoCompile
import TheanoGraph
import TheanoTensor

/// The CUDA backend in the kernel seam (`CompileOptions(backend: Backend(CUDABackend(device:)))`),
/// first stage: elementwise nodes (`Elemwise`, fused `Composite`) run as generated CUDA kernels
/// on `device`, every other node as its reference `perform` on the host. Values live on the
/// host between nodes: each kernel copies its inputs to the device and its outputs back (the
/// device-resident arrays and the transfer rewrite come next; docs/CUDA.md).
///
/// With an ``EmulatedCUDADevice`` the whole path (code generation, module loading, launch
/// configuration, the kernels' math and error word) runs on any machine.
public struct CUDABackend: KernelBackend {
    /// Where the kernels run: a given device, or a GPU opened when the first function is
    /// compiled.
    private enum Target: Sendable {
        case device(any CUDADevice)
        case driver(ordinal: Int)
    }

    private let target: Target

    /// The backend on `device` (an ``EmulatedCUDADevice``, or an opened ``CUDADriverDevice``),
    /// its memory through a ``CachingCUDADevice`` (unless it is one already).
    public init(device: any CUDADevice) {
        target = .device(device is CachingCUDADevice ? device : CachingCUDADevice(device))
    }

    /// The backend on GPU `ordinal`, opened (through the driver API) when the first function
    /// is compiled for it and shared by every function after.
    public init(ordinal: Int) {
        target = .driver(ordinal: ordinal)
    }

    public var name: String {
        switch target {
        case .device(let device):
            let base = (device as? CachingCUDADevice)?.base ?? device
            return base is EmulatedCUDADevice ? "cuda-emulator" : "cuda"
        case .driver(let ordinal): return ordinal == 0 ? "cuda" : "cuda:\(ordinal)"
        }
    }

    /// The device, opening the GPU if this backend names one by ordinal.
    ///
    /// - Throws: `TheanoError.unsupported` naming the driver library and the folders searched,
    ///   or the driver's failure, when the GPU cannot be opened.
    public func openDevice() throws -> any CUDADevice {
        switch target {
        case .device(let device): return device
        case .driver(let ordinal): return try CUDADriverDevice.shared(ordinal: ordinal)
        }
    }

    public func kernels(for nodes: [Apply], in session: LinkSession) throws -> [KernelChoice] {
        let device = try openDevice()
        var plans: [Int: CUDANodePlan] = [:]
        var sources: [String] = [], entryPoints: [String] = [], declared = Set<String>()
        for (i, node) in nodes.enumerated() {
            guard let plan = CUDANodePlan.make(for: node, name: "th_node\(i)", device: device) else { continue }
            if let shared = plan.shared, declared.insert(shared).inserted { sources.append(shared) }
            sources += plan.sources
            entryPoints += plan.entryPoints
            plans[i] = plan
        }
        var loaded: [String: CUDAKernel] = [:]
        if !entryPoints.isEmpty {
            let unit = CUDAKernelSource.unit(sources)
            session.addGeneratedSource(unit, language: "cuda")
            loaded = try device.load(source: unit, kernels: entryPoints)
        }
        return nodes.enumerated().map { i, node in
            plans[i].flatMap { $0.kernel(loaded) } ?? Self.libraryKernel(node, device: device) ?? Self.hostChoice(node, device: device)
        }
    }

    /// `value` in the device's memory (in C order, unless it is there already): for the
    /// scheduler, which places there the inputs and constants that only this backend's
    /// kernels read. A broadcast view (more elements than its storage holds) is left where it
    /// is: each kernel reads it as its own launch needs.
    public func residentCopy(of value: NDArray) throws -> NDArray? {
        let device = try openDevice()
        if device.holds(value) { return value }
        guard value.byteCount <= value.storage.byteCount else { return nil }
        return try device.contiguousArray(value)
    }

    /// Nodes that run on a library (cuBLAS) instead of a generated kernel.
    static func libraryKernel(_ node: Apply, device: any CUDADevice) -> KernelChoice? {
        let dtype = node.outputTypes[0].dtype
        guard dtype == .float32 || dtype == .float64 else { return nil }
        if let gemm = node.op as? Gemm { return .kernel(CUDAGemmKernel(device: device, op: gemm), implementation: cuBLASName) }
        if let matmul = node.op as? MatMul { return .kernel(CUDAMatMulKernel(device: device, op: matmul), implementation: cuBLASName) }
        return nil
    }

    /// A node without a CUDA kernel. Views and shape arithmetic are the reference by design
    /// (they move no data: a view's metadata, a shape's few integers), run on device arrays
    /// as they are where the reference reads only their header (``DeviceViewKernel``);
    /// anything else computes on the host, its device inputs copied there first, and is
    /// reported as missing, so ``CompileOptions/strict`` turns it into an error.
    static func hostChoice(_ node: Apply, device: any CUDADevice) -> KernelChoice {
        if DeviceViewKernel.handles(node) { return .reference(running: DeviceViewKernel(device: device)) }
        if !node.op.viewMap.isEmpty || isShapeArithmetic(node) { return .reference }
        return .missing("no CUDA kernel for \(node.op): it runs on the host, its operands copied between host and device")
    }

    /// Ops whose outputs are shapes or entries of shapes, or that only check a shape.
    static func isShapeArithmetic(_ node: Apply) -> Bool {
        node.op is Shape || node.op is ShapeIndex || node.op is ShapeEntry || node.op is MakeVector || node.op is SpecifyShape
    }

    /// Whether a node is a softmax (false) or log-softmax (true), and its float dtype.
    static func softmax(_ node: Apply) -> (Bool, DType)? {
        let dtype = node.outputTypes[0].dtype
        guard dtype == .float32 || dtype == .float64, node.inputs[0].type.dtype == dtype else { return nil }
        if node.op is Softmax { return (false, dtype) }
        if node.op is LogSoftmax { return (true, dtype) }
        return nil
    }

    /// The float dtype of a fused softmax cross-entropy node or its gradient.
    static func crossEntropy(_ node: Apply) -> DType? {
        guard node.op is CrossEntropySoftmax1Hot || node.op is CrossEntropySoftmax1HotGrad else { return nil }
        let dtype = node.outputTypes[0].dtype
        return dtype == .float32 || dtype == .float64 ? dtype : nil
    }

    /// A reduction node's elementwise program (the identity for a plain `Reduce`) and what it
    /// reduces, or nil for other nodes.
    static func reduction(_ node: Apply) -> (ScalarProgram, Reduction)? {
        if let reduce = node.op as? Reduce {
            let t = node.inputs[0].type.dtype
            return (ScalarProgram(inputTypes: [t], steps: [], outputs: [.input(0)]),
                    Reduction(kind: reduce.kind, axes: reduce.axes.sorted(), keepdims: reduce.keepdims))
        }
        if let reduce = node.op as? CompositeReduce {
            return (reduce.program, Reduction(kind: reduce.kind, axes: reduce.axes, keepdims: reduce.keepdims))
        }
        return nil
    }

    /// The scalar program of an elementwise node, or nil for other nodes.
    static func elementwiseProgram(_ node: Apply) -> ScalarProgram? {
        if let composite = node.op as? Composite { return composite.program }
        if let elemwise = node.op as? Elemwise {
            let types = node.inputs.map(\.type.dtype)
            return ScalarProgram(inputTypes: types, steps: [
                ScalarProgram.Step(op: elemwise.scalar, operands: types.indices.map { .input($0) }, dtype: node.outputTypes[0].dtype),
            ], outputs: [.step(0)])
        }
        return nil
    }
}

/// One elementwise node on a device: one launch over its inputs where they are (this device's
/// arrays read in place with their strides, host arrays copied there), writing outputs that
/// stay in device memory. Sizes that disagree at run time, and a kernel that sets its error
/// word (an integer power with a negative exponent), run the node's reference instead, which
/// reports the problem.
struct CUDAElementwiseKernel: Kernel, @unchecked Sendable {
    let device: any CUDADevice
    let kernel: CUDAKernel
    /// Whether the program can set the error word (``CUDAKernelSource/canReportError(_:)``);
    /// when it cannot, the launch has none and nothing is read back.
    let reportsErrors: Bool

    var acceptsDeviceArrays: Bool { true }

    func run(_ node: Apply, _ inputs: [NDArray], _ context: KernelContext) throws -> [NDArray] {
        guard let shape = staticBroadcast(node, inputs, rank: node.outputTypes[0].rank), shape.count <= CUDAKernelSource.maxDimensions else {
            return try performOnHost(node, inputs)
        }
        let outputs = try node.outputTypes.map { try device.allocateArray(shape, $0.dtype) }
        let count = shape.reduce(1, *)
        if count == 0 { return outputs }
        let uploads = DeviceUploads(device: device)
        defer { uploads.release() }
        var (addresses, strides) = try uploads.operands(of: node, inputs, order: Array(shape.indices))
        for output in outputs {
            addresses.append(device.address(of: output).raw)
            strides += contiguousStrides(shape).map { Int64($0) }
        }
        // The kernel's fast path indexes every operand by the flat index: only for dense
        // operands of the full shape.
        let contiguous = inputs.allSatisfy { $0.shape == shape && (!device.holds($0) || $0.isContiguous) }
        var extent: [Int64] = [Int64(count), Int64(shape.count), contiguous ? 1 : 0] + shape.map { Int64($0) }
        extent += Array(repeating: 0, count: CUDAKernelSource.maxDimensions - shape.count)
        let parameters = try uploads.launchParameters(strides: strides, addresses: addresses, errorWord: reportsErrors)
        try launch(device, kernel, elements: count, extent: extent, [parameters.strides, parameters.addresses, parameters.errorWord])
        if try uploads.errorWordIsSet(parameters.errorWord) { return try performOnHost(node, inputs) }
        return outputs
    }
}

/// The iteration shape of a node's inputs under the static broadcasting rule (an axis
/// broadcasts only where the input's static size is 1), or nil when run-time sizes disagree.
func staticBroadcast(_ node: Apply, _ inputs: [NDArray], rank: Int) -> [Int]? {
    var shape = Array(repeating: 1, count: rank)
    for (k, value) in inputs.enumerated() {
        guard value.rank == rank else { return nil }
        for d in 0..<rank where node.inputs[k].type.shape[d] != 1 {
            if shape[d] == 1 { shape[d] = value.shape[d] } else if value.shape[d] != shape[d] { return nil }
        }
    }
    for (k, value) in inputs.enumerated() {
        for d in 0..<rank where node.inputs[k].type.shape[d] != 1 && value.shape[d] != shape[d] { return nil }
    }
    return shape
}

/// What a reduction node reduces.
struct Reduction: Sendable {
    let kind: ReduceKind
    /// Sorted.
    let axes: [Int]
    let keepdims: Bool
}

/// Operands copied to a device for one launch, and the device memory they took (released by
/// ``release()``). Every address it hands out stays valid until then: the device arrays whose
/// own memory it passes on are kept alive too (a temporary contiguous copy included).
final class DeviceUploads {
    let device: any CUDADevice
    private(set) var allocations: [DeviceAddress] = []
    /// Device arrays whose memory a launch reads in place.
    private var kept: [NDArray] = []

    init(device: any CUDADevice) { self.device = device }

    deinit { release() }

    func release() {
        for a in allocations { device.free(a) }
        allocations = []
        kept = []
    }

    /// Device memory of `bytes` (at least 1).
    func allocate(_ bytes: Int) throws -> DeviceAddress {
        let address = try device.allocate(bytes: Swift.max(bytes, 1))
        allocations.append(address)
        return address
    }

    /// A device copy of `values`.
    func upload<T>(_ values: [T]) throws -> DeviceAddress {
        let address = try allocate(MemoryLayout<T>.stride * values.count)
        try values.withUnsafeBytes { if let base = $0.baseAddress, $0.count > 0 { try device.copy(from: base, to: address, bytes: $0.count) } }
        return address
    }

    /// `array` in C order in device memory: its own memory when it is a C-contiguous array of
    /// this device, else a copy (made on the device for a strided array of this device).
    func upload(_ array: NDArray) throws -> DeviceAddress {
        if device.holds(array) {
            let dense = try device.contiguousArray(array)
            kept.append(dense)
            return device.address(of: dense)
        }
        let dense = try denseOnHost(array)
        let bytes = dense.count * dense.dtype.byteSize
        (device as? CachingCUDADevice)?.noteArrayToDevice(bytes: bytes)
        let address = try allocate(bytes)
        if bytes > 0 {
            try withExtendedLifetime(dense) {
                try device.copy(from: dense.storage.baseAddress + dense.offset * dense.dtype.byteSize, to: address, bytes: bytes)
            }
        }
        return address
    }

    /// A node's inputs in device memory (this device's arrays as they are, others copied
    /// there in C order) and their strides in elements along the iteration axes `order`: 0
    /// where the input's static size is 1 (it broadcasts).
    func operands(of node: Apply, _ inputs: [NDArray], order: [Int]) throws -> (addresses: [UInt64], strides: [Int64]) {
        var addresses: [UInt64] = [], strides: [Int64] = []
        for (k, value) in inputs.enumerated() {
            let resident = device.holds(value)
            if resident { kept.append(value) }
            addresses.append(resident ? device.address(of: value).raw : try upload(value).raw)
            let own = resident ? value.strides : contiguousStrides(value.shape)
            strides += order.map { d in node.inputs[k].type.shape[d] == 1 ? 0 : Int64(own[d]) }
        }
        return (addresses, strides)
    }

    /// One launch's parameter block, copied to the device at once: `strides`, `addresses`,
    /// then (when `errorWord`) a zeroed error word. Returns where each starts (0 for no error
    /// word).
    func launchParameters(strides: [Int64], addresses: [UInt64], errorWord: Bool) throws
        -> (strides: UInt64, addresses: UInt64, errorWord: UInt64) {
        var words = strides.map { UInt64(bitPattern: $0) } + addresses
        if errorWord { words.append(0) }
        let base = try upload(words).raw
        let second = base + UInt64(strides.count * 8)
        return (base, second, errorWord ? second + UInt64(addresses.count * 8) : 0)
    }

    /// Whether a kernel set the error word at `address` (0: the launch had none). Reading it
    /// waits for the kernel.
    func errorWordIsSet(_ address: UInt64) throws -> Bool {
        guard address != 0 else { return false }
        var status: Int32 = 0
        try device.copy(from: DeviceAddress(address), to: &status, bytes: 4)
        return status != 0
    }

    /// Copies device memory into `array`'s (C-contiguous) storage.
    func download(_ address: DeviceAddress, into array: NDArray) throws {
        let bytes = array.count * array.dtype.byteSize
        guard bytes > 0 else { return }
        try device.copy(from: address, to: array.storage.baseAddress + array.offset * array.dtype.byteSize, bytes: bytes)
    }
}

/// Launches `kernel` with parameters given as values (the extent as its bytes, then device
/// addresses and integers), following the driver's one-pointer-per-parameter convention.
func launch(_ device: any CUDADevice, _ kernel: CUDAKernel, grid: Int, block: UInt32, extent: [Int64]?, _ values: [UInt64]) throws {
    var extentCopy = extent ?? []
    var scalars = values
    try extentCopy.withUnsafeMutableBytes { e in
        try scalars.withUnsafeMutableBufferPointer { v in
            var parameters: [UnsafeMutableRawPointer?] = extent == nil ? [] : [e.baseAddress]
            if let base = v.baseAddress {
                for i in v.indices { parameters.append(UnsafeMutableRawPointer(base + i)) }
            }
            try device.launch(kernel, grid: UInt32(Swift.max(1, Swift.min(grid, Int(device.maximumGridSize)))), block: block, arguments: parameters)
        }
    }
}

/// Launches `kernel` with one thread per element of a grid-stride loop over `elements`: blocks
/// of the device's preferred size, as many as cover the elements (the device's grid limit
/// applies; the loop covers the rest).
func launch(_ device: any CUDADevice, _ kernel: CUDAKernel, elements: Int, extent: [Int64]?, _ values: [UInt64]) throws {
    let block = Int(device.preferredBlockSize)
    try launch(device, kernel, grid: elements / block + (elements % block == 0 ? 0 : 1), block: device.preferredBlockSize, extent: extent, values)
}

/// One reduction node on a device: the inputs read where they are (host ones copied there)
/// with the reduced axes last, the partial kernel over (output, part) blocks, the finishing
/// kernel writing the result into device memory. Sizes that disagree, a max or min over an
/// empty axis, and a kernel error word run the node's reference instead, which reports the
/// problem.
struct CUDAReduceKernel: Kernel, @unchecked Sendable {
    let device: any CUDADevice
    let partial: CUDAKernel
    let finish: CUDAKernel
    let program: ScalarProgram
    let reduction: Reduction

    var acceptsDeviceArrays: Bool { true }

    func run(_ node: Apply, _ inputs: [NDArray], _ context: KernelContext) throws -> [NDArray] {
        let rank = node.inputs.map(\.type.rank).max() ?? 0
        guard let shape = staticBroadcast(node, inputs, rank: rank), rank <= CUDAKernelSource.maxDimensions,
              reduction.kind.hasIdentity || !reduction.axes.contains(where: { shape[$0] == 0 }) else {
            return try performOnHost(node, inputs)
        }
        let kept = shape.indices.filter { !reduction.axes.contains($0) }
        let order = kept + reduction.axes
        let outShape = reduction.keepdims ? shape.enumerated().map { reduction.axes.contains($0.offset) ? 1 : $0.element } : kept.map { shape[$0] }
        let output = try device.allocateArray(outShape, node.outputTypes[0].dtype)
        // The inputs broadcast against each other, so these products are not bounded by any
        // allocated array.
        let outer = try checkedProduct(kept.map { shape[$0] }, context: "CUDA reduction: kept axes")
        let inner = try checkedProduct(reduction.axes.map { shape[$0] }, context: "CUDA reduction: reduced axes")
        if outer == 0 { return [output] }
        let uploads = DeviceUploads(device: device)
        defer { uploads.release() }
        let (data, strides) = try uploads.operands(of: node, inputs, order: order)
        // Few outputs over many elements: spread each over several blocks (the second pass
        // combines them).
        let block = device.preferredBlockSize
        let parts = Swift.max(1, Swift.min(64, inner / Swift.max(Int(block) * 8, 1), Int(device.maximumGridSize) / Swift.max(outer, 1)))
        let element = program.dtype(of: program.outputs[0])
        let partials = try uploads.allocate(try checkedProduct([outer, parts, CUDAReductionSource.accumulatorBytes(reduction.kind, element: element)],
                                                               context: "CUDA reduction: partial results"))
        let out = device.address(of: output)
        var extent: [Int64] = [Int64(try checkedProduct([outer, inner], context: "CUDA reduction: elements")), Int64(rank), 0] + order.map { Int64(shape[$0]) }
        extent += Array(repeating: 0, count: CUDAKernelSource.maxDimensions - rank)
        let parameters = try uploads.launchParameters(strides: strides, addresses: data,
                                                      errorWord: CUDAKernelSource.canReportError(program))
        try launch(device, partial, grid: outer * parts, block: block, extent: extent, [
            UInt64(reduction.axes.count), UInt64(parts), parameters.strides, parameters.addresses, partials.raw, parameters.errorWord,
        ])
        if try uploads.errorWordIsSet(parameters.errorWord) { return try performOnHost(node, inputs) }
        try launch(device, finish, elements: outer, extent: nil, [
            UInt64(outer), UInt64(parts), partials.raw, out.raw,
        ])
        return [output]
    }
}

/// A softmax or log-softmax node on a device: the input in C order with its axis last
/// (contiguous lanes; copied on the device when it is not), one block per lane, the result
/// left in device memory (and its axis put back, on the device, when it was not last).
struct CUDASoftmaxKernel: Kernel, @unchecked Sendable {
    let device: any CUDADevice
    let kernel: CUDAKernel

    var acceptsDeviceArrays: Bool { true }

    func run(_ node: Apply, _ inputs: [NDArray], _ context: KernelContext) throws -> [NDArray] {
        let x = inputs[0]
        let axisValue = (node.op as? Softmax)?.axis ?? (node.op as? LogSoftmax)?.axis ?? -1
        let axis = axisValue < 0 ? axisValue + x.rank : axisValue
        guard x.rank >= 1, axis >= 0, axis < x.rank else { return try performOnHost(node, inputs) }
        let order = (0..<x.rank).filter { $0 != axis } + [axis]
        let lanesFirst = try x.transposed(order)
        let n = x.shape[axis], count = x.count
        if n == 0 || count == 0 { return [try device.allocateArray(x.shape, node.outputTypes[0].dtype)] }
        let lanes = count / n
        let uploads = DeviceUploads(device: device)
        defer { uploads.release() }
        let input = try uploads.upload(lanesFirst)
        let result = try device.allocateArray(lanesFirst.shape, x.dtype)
        try launch(device, kernel, grid: lanes, block: device.preferredBlockSize, extent: nil,
                   [UInt64(lanes), UInt64(n), input.raw, device.address(of: result).raw])
        if axis == x.rank - 1 { return [result] }
        // Put the axis back where it was.
        var inverse = Array(repeating: 0, count: x.rank)
        for (position, original) in order.enumerated() { inverse[original] = position }
        return [try device.contiguousArray(try result.transposed(inverse))]
    }
}
