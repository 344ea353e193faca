import Foundation
import Synchronization
import TheanoCUDA

/// An emulated GPU with cuDNN that counts the library calls it runs: convolutions by direction,
/// and forward poolings. Tests use it to see which nodes took cuDNN's path.
final class LibraryCountingDevice: ForwardingDevice, @unchecked Sendable {
    let convolutions = Mutex<[ConvolutionCall.Direction: Int]>([:])
    let poolings = Mutex(0)

    init() { super.init(base: EmulatedCUDADevice(dnnLibrary: true)) }

    override func convolution(_ call: ConvolutionCall, workspace: DeviceAddress, workspaceBytes: Int) throws {
        convolutions.withLock { $0[call.direction, default: 0] += 1 }
        try super.convolution(call, workspace: workspace, workspaceBytes: workspaceBytes)
    }

    override func pooling(_ call: PoolingCall) throws {
        poolings.withLock { $0 += 1 }
        try super.pooling(call)
    }
}
