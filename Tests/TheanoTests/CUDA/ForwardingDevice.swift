import Foundation
import TheanoCUDA

/// A device that passes every call to an emulated GPU: test devices subclass it and override
/// the calls they count or refuse.
class ForwardingDevice: CUDADevice, @unchecked Sendable {
    let base: EmulatedCUDADevice

    init(base: EmulatedCUDADevice) { self.base = base }

    var name: String { base.name }
    var preferredBlockSize: UInt32 { base.preferredBlockSize }
    var maximumGridSize: UInt32 { base.maximumGridSize }
    var dnnLibrary: String? { base.dnnLibrary }
    func allocate(bytes: Int) throws -> DeviceAddress { try base.allocate(bytes: bytes) }
    func free(_ address: DeviceAddress) { base.free(address) }
    func copy(from host: UnsafeRawPointer, to device: DeviceAddress, bytes: Int) throws { try base.copy(from: host, to: device, bytes: bytes) }
    func copy(from device: DeviceAddress, to host: UnsafeMutableRawPointer, bytes: Int) throws { try base.copy(from: device, to: host, bytes: bytes) }
    func load(source: String, kernels names: [String]) throws -> [String: CUDAKernel] { try base.load(source: source, kernels: names) }
    func launch(_ kernel: CUDAKernel, grid: UInt32, block: UInt32, arguments: [UnsafeMutableRawPointer?]) throws {
        try base.launch(kernel, grid: grid, block: block, arguments: arguments)
    }
    func gemm(_ call: GEMMCall) throws { try base.gemm(call) }
    func convolutionWorkspace(_ call: ConvolutionCall) throws -> Int { try base.convolutionWorkspace(call) }
    func convolution(_ call: ConvolutionCall, workspace: DeviceAddress, workspaceBytes: Int) throws {
        try base.convolution(call, workspace: workspace, workspaceBytes: workspaceBytes)
    }
    func pooling(_ call: PoolingCall) throws { try base.pooling(call) }
}
