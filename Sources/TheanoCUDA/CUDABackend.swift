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
    public let device: any CUDADevice

    public init(device: any CUDADevice) {
        self.device = device
    }

    public var name: String { device is EmulatedCUDADevice ? "cuda-emulator" : "cuda" }

    public func kernels(for nodes: [Apply], in session: LinkSession) throws -> [KernelChoice] {
        var kernels: [String] = [], programs: [Int: (name: String, program: ScalarProgram)] = [:]
        for (i, node) in nodes.enumerated() {
            guard let program = Self.elementwiseProgram(node) else { continue }
            let name = "th_node\(i)"
            guard let source = try? CUDAKernelSource.elementwise(program, name: name) else { continue }
            kernels.append(source)
            programs[i] = (name, program)
        }
        guard !programs.isEmpty else { return nodes.map { _ in .reference } }
        let unit = CUDAKernelSource.unit(kernels)
        session.addGeneratedSource(unit, language: "cuda")
        let loaded = try device.load(source: unit, kernels: programs.values.map(\.name))
        return nodes.indices.map { i in
            guard let (name, program) = programs[i], let kernel = loaded[name] else { return .reference }
            return .kernel(CUDAElementwiseKernel(device: device, kernel: kernel, program: program),
                           implementation: "CUDA kernel")
        }
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

/// One elementwise node on a device: inputs copied there, one launch, outputs copied back.
/// Sizes that disagree at run time, and a kernel that sets its error word (an integer power
/// with a negative exponent), run the node's reference instead, which reports the problem.
struct CUDAElementwiseKernel: Kernel, @unchecked Sendable {
    let device: any CUDADevice
    let kernel: CUDAKernel
    let program: ScalarProgram

    func run(_ node: Apply, _ inputs: [NDArray], _ context: KernelContext) throws -> [NDArray] {
        guard let shape = broadcastShape(node, inputs), shape.count <= CUDAKernelSource.maxDimensions else {
            return try node.op.perform(node, inputs)
        }
        let outputs = try node.outputTypes.map { try context.buffers.allocate(shape, $0.dtype) }
        let count = shape.reduce(1, *)
        if count == 0 { return outputs }
        var allocations: [DeviceAddress] = []
        defer { for a in allocations { device.free(a) } }
        func upload<T>(_ values: [T]) throws -> DeviceAddress {
            let bytes = MemoryLayout<T>.stride * Swift.max(values.count, 1)
            let address = try device.allocate(bytes: bytes)
            allocations.append(address)
            try values.withUnsafeBytes { if let base = $0.baseAddress { try device.copy(from: base, to: address, bytes: $0.count) } }
            return address
        }
        var addresses: [UInt64] = [], strides: [Int64] = []
        for (k, value) in inputs.enumerated() {
            let dense = value.contiguous()
            let bytes = dense.count * dense.dtype.byteSize
            let address = try device.allocate(bytes: Swift.max(bytes, 1))
            allocations.append(address)
            try withExtendedLifetime(dense) {
                try device.copy(from: dense.storage.baseAddress + dense.offset * dense.dtype.byteSize, to: address, bytes: bytes)
            }
            addresses.append(address.raw)
            let own = contiguousStrides(dense.shape)
            strides += shape.indices.map { d in node.inputs[k].type.shape[d] == 1 ? 0 : Int64(own[d]) }
        }
        var outputAddresses: [DeviceAddress] = []
        for output in outputs {
            let address = try device.allocate(bytes: output.count * output.dtype.byteSize)
            allocations.append(address)
            outputAddresses.append(address)
            addresses.append(address.raw)
            strides += contiguousStrides(shape).map { Int64($0) }
        }
        let contiguous = inputs.allSatisfy { $0.shape == shape }
        var extent: [Int64] = [Int64(count), Int64(shape.count), contiguous ? 1 : 0] + shape.map { Int64($0) }
        extent += Array(repeating: 0, count: CUDAKernelSource.maxDimensions - shape.count)
        var stridePointer = try upload(strides).raw, dataPointer = try upload(addresses).raw, errorPointer = try upload([Int32(0)]).raw
        let errorWord = DeviceAddress(errorPointer)
        let block = device.preferredBlockSize
        let grid = UInt32(Swift.min((count + Int(block) - 1) / Int(block), Int(device.maximumGridSize)))
        try extent.withUnsafeMutableBytes { e in
            try withUnsafeMutablePointer(to: &stridePointer) { s in
                try withUnsafeMutablePointer(to: &dataPointer) { d in
                    try withUnsafeMutablePointer(to: &errorPointer) { r in
                        try device.launch(kernel, grid: Swift.max(grid, 1), block: block,
                                          arguments: [e.baseAddress, UnsafeMutableRawPointer(s), UnsafeMutableRawPointer(d), UnsafeMutableRawPointer(r)])
                    }
                }
            }
        }
        var status: Int32 = 0
        try device.copy(from: errorWord, to: &status, bytes: 4)
        if status != 0 { return try node.op.perform(node, inputs) }
        for (output, address) in zip(outputs, outputAddresses) {
            try device.copy(from: address, to: output.storage.baseAddress + output.offset * output.dtype.byteSize,
                            bytes: output.count * output.dtype.byteSize)
        }
        return outputs
    }

    /// The output shape under the static broadcasting rule (an axis broadcasts only where the
    /// input's static size is 1), or nil when run-time sizes disagree.
    private func broadcastShape(_ node: Apply, _ inputs: [NDArray]) -> [Int]? {
        let rank = node.outputTypes[0].rank
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
}
