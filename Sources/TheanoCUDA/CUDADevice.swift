import Foundation
import TheanoArray

/// An address in a device's memory (on the emulator, a host address).
public struct DeviceAddress: Hashable, Sendable {
    public let raw: UInt64
    public init(_ raw: UInt64) { self.raw = raw }
}

/// A kernel loaded on a device, by name.
public struct CUDAKernel: @unchecked Sendable {
    public let name: String
    let handle: UnsafeMutableRawPointer
}

/// What the CUDA backend needs from a device: memory, transfers, modules of compiled kernels
/// and launches. Two implementations share it: ``CUDADriverDevice`` (a GPU through the driver
/// API) and ``EmulatedCUDADevice`` (the same CUDA C run on the CPU by ``CUDAEmulator``), so the
/// backend's launch path runs the same way with and without a GPU.
///
/// Launch arguments follow the driver's `cuLaunchKernel` convention: one pointer per kernel
/// parameter, to that parameter's value.
///
/// A device is also the ``DeviceMemory`` of the arrays its kernels produce: an `NDArray` in its
/// memory returns its block through ``free(_:)`` and is read on the host through
/// ``copy(from:to:bytes:)-(DeviceAddress,_,_)``.
public protocol CUDADevice: DeviceMemory {
    /// What the device is, for reports (`"NVIDIA H200 (sm_90)"`, `"CUDA emulator"`).
    var name: String { get }
    /// Allocates `bytes` of device memory.
    /// - Throws: `TheanoError.outOfMemory` naming the size when the device has no room.
    func allocate(bytes: Int) throws -> DeviceAddress
    /// Releases memory from ``allocate(bytes:)``.
    func free(_ address: DeviceAddress)
    /// Copies `bytes` from host memory to the device.
    func copy(from host: UnsafeRawPointer, to device: DeviceAddress, bytes: Int) throws
    /// Copies `bytes` from the device to host memory.
    func copy(from device: DeviceAddress, to host: UnsafeMutableRawPointer, bytes: Int) throws
    /// Loads the kernels `names` of the CUDA C translation unit `source`.
    func load(source: String, kernels names: [String]) throws -> [String: CUDAKernel]
    /// Launches `kernel` on `grid` blocks of `block` threads (x only) and waits for it.
    func launch(_ kernel: CUDAKernel, grid: UInt32, block: UInt32, arguments: [UnsafeMutableRawPointer?]) throws
    /// Runs a (strided batched) matrix product on device memory: cuBLAS on a GPU.
    /// - Throws: `TheanoError` for parameters cuBLAS would reject, or its failure.
    func gemm(_ call: GEMMCall) throws
    /// The library the device runs ``ConvolutionCall``s and ``PoolingCall``s with
    /// (`"cuDNN 9.1.0"`), or nil when it has none: convolutions then run as im2col + cuBLAS and
    /// pooling as the backend's own kernels.
    var dnnLibrary: String? { get }
    /// The workspace bytes ``convolution(_:workspace:workspaceBytes:)`` needs for `call`.
    /// - Throws: `TheanoError.unsupported` when the library cannot run this call (the
    ///   backend then runs it as im2col + cuBLAS).
    func convolutionWorkspace(_ call: ConvolutionCall) throws -> Int
    /// Runs (queues) `call` with `workspace` device memory of at least
    /// ``convolutionWorkspace(_:)`` bytes.
    func convolution(_ call: ConvolutionCall, workspace: DeviceAddress, workspaceBytes: Int) throws
    /// Runs (queues) a forward pooling through the library.
    /// - Throws: `TheanoError.unsupported` when the library cannot run it (the backend then
    ///   runs its own pooling kernel).
    func pooling(_ call: PoolingCall) throws
    /// The threads per block the backend launches elementwise kernels with.
    var preferredBlockSize: UInt32 { get }
    /// The most blocks of an elementwise launch (grid-stride loops cover the rest).
    var maximumGridSize: UInt32 { get }
}

extension CUDADevice {
    public var preferredBlockSize: UInt32 { 256 }
    public var maximumGridSize: UInt32 { 4096 }
    public var dnnLibrary: String? { nil }

    public func convolutionWorkspace(_ call: ConvolutionCall) throws -> Int {
        throw TheanoError.unsupported("\(name) has no convolution library")
    }

    public func convolution(_ call: ConvolutionCall, workspace: DeviceAddress, workspaceBytes: Int) throws {
        throw TheanoError.unsupported("\(name) has no convolution library")
    }

    public func pooling(_ call: PoolingCall) throws {
        throw TheanoError.unsupported("\(name) has no pooling library")
    }

    public func releaseBlock(at address: UInt64) {
        free(DeviceAddress(address))
    }

    public func copyBlock(at address: UInt64, toHost host: UnsafeMutableRawPointer, bytes: Int) throws {
        try copy(from: DeviceAddress(address), to: host, bytes: bytes)
    }

    /// Whether `array`'s elements are in this device's memory (rather than the host's or
    /// another device's).
    func holds(_ array: NDArray) -> Bool {
        array.storage.device === self
    }

    /// The device address of `array`'s first element (it is in this device's memory).
    func address(of array: NDArray) -> DeviceAddress {
        DeviceAddress(array.storage.deviceAddress &+ UInt64(array.offset &* array.dtype.byteSize))
    }

    /// A new C-contiguous array of `shape` and `dtype` in this device's memory (contents
    /// undefined until a kernel writes them).
    ///
    /// - Throws: `.invalidArgument` for a size that cannot be represented, `.outOfMemory` when
    ///   the device has no room.
    func allocateArray(_ shape: [Int], _ dtype: DType) throws -> NDArray {
        let bytes = try checkedByteCount(shape, dtype: dtype, context: "\(name): allocating a result")
        let block = try allocate(bytes: Swift.max(bytes, 1))
        do {
            let storage = try ArrayStorage(deviceAddress: block.raw, byteCount: bytes, device: self)
            return NDArray(storage: storage, dtype: dtype, shape: shape, strides: contiguousStrides(shape), offset: 0)
        } catch {
            free(block)
            throw error
        }
    }
}

/// The CUDA emulator behind the device interface: device memory is host memory (64-byte
/// aligned), a module is the unit compiled as C, a launch runs the kernel block by block with
/// one OS thread per CUDA thread (``CUDAEmulator``), a cuBLAS product and a cuDNN convolution
/// or pooling are their documented definitions by plain loops (``GEMMCall/runOnHost()``,
/// ``ConvolutionCall/runOnHost()``, ``PoolingCall/runOnHost()``).
public final class EmulatedCUDADevice: CUDADevice, @unchecked Sendable {
    public let name = "CUDA emulator (the generated CUDA C run on the CPU)"
    /// Whether the emulator stands for a GPU with cuDNN (the default, as on the GPU machine
    /// the backend is checked on) or without (convolutions as im2col + cuBLAS, pooling by the
    /// backend's own kernels).
    public let emulatesDNNLibrary: Bool
    /// One warp per block and a few blocks: each CUDA thread is an OS thread here.
    public var preferredBlockSize: UInt32 { 32 }
    public var maximumGridSize: UInt32 { 4 }
    private var emulators: [CUDAEmulator] = []
    private let lock = NSLock()

    /// An emulator standing for a GPU with cuDNN, or without it when
    /// `dnnLibrary` is false.
    public init(dnnLibrary: Bool = true) {
        emulatesDNNLibrary = dnnLibrary
    }

    public var dnnLibrary: String? { emulatesDNNLibrary ? "emulated cuDNN" : nil }

    /// No workspace: the loops need none.
    public func convolutionWorkspace(_ call: ConvolutionCall) throws -> Int {
        guard emulatesDNNLibrary else { throw TheanoError.unsupported("\(name) emulates a GPU without cuDNN") }
        return 0
    }

    public func convolution(_ call: ConvolutionCall, workspace: DeviceAddress, workspaceBytes: Int) throws {
        guard emulatesDNNLibrary else { throw TheanoError.unsupported("\(name) emulates a GPU without cuDNN") }
        try call.runOnHost()
    }

    public func pooling(_ call: PoolingCall) throws {
        guard emulatesDNNLibrary else { throw TheanoError.unsupported("\(name) emulates a GPU without cuDNN") }
        try call.runOnHost()
    }

    public func allocate(bytes: Int) throws -> DeviceAddress {
        guard bytes >= 0, let p = aligned_alloc(64, Swift.max((bytes + 63) / 64 * 64, 64)) else {
            throw TheanoError.outOfMemory("CUDA emulator: cannot allocate \(bytes) bytes of device memory")
        }
        return DeviceAddress(UInt64(UInt(bitPattern: p)))
    }

    public func free(_ address: DeviceAddress) {
        Foundation.free(UnsafeMutableRawPointer(bitPattern: UInt(address.raw)))
    }

    /// Sets every byte of `bytes` at `address` (device memory from ``allocate(bytes:)``) to
    /// 0xFF: NaN as floats, -1 as integers.
    func poison(_ address: DeviceAddress, bytes: Int) {
        guard bytes > 0, let p = UnsafeMutableRawPointer(bitPattern: UInt(address.raw)) else { return }
        p.initializeMemory(as: UInt8.self, repeating: 0xFF, count: bytes)
    }

    public func copy(from host: UnsafeRawPointer, to device: DeviceAddress, bytes: Int) throws {
        guard bytes > 0 else { return }
        try address(device).copyMemory(from: host, byteCount: bytes)
    }

    public func copy(from device: DeviceAddress, to host: UnsafeMutableRawPointer, bytes: Int) throws {
        guard bytes > 0 else { return }
        host.copyMemory(from: try address(device), byteCount: bytes)
    }

    /// The host address behind a device address, which must come from ``allocate(bytes:)``.
    private func address(_ device: DeviceAddress) throws -> UnsafeMutableRawPointer {
        guard let p = UnsafeMutableRawPointer(bitPattern: UInt(device.raw)) else {
            throw TheanoError.invalidArgument("CUDA emulator: device address 0 is not device memory")
        }
        return p
    }

    public func load(source: String, kernels names: [String]) throws -> [String: CUDAKernel] {
        let emulator = try CUDAEmulator(unit: source, launchable: names)
        lock.lock()
        emulators.append(emulator)
        lock.unlock()
        var out: [String: CUDAKernel] = [:]
        for name in names { out[name] = CUDAKernel(name: name, handle: try emulator.launcher(name)) }
        return out
    }

    public func launch(_ kernel: CUDAKernel, grid: UInt32, block: UInt32, arguments: [UnsafeMutableRawPointer?]) throws {
        guard grid > 0, block > 0, block <= 1024 else {
            throw TheanoError.invalidArgument("CUDA emulator: cannot launch \(kernel.name) on \(grid) blocks of \(block) threads (blocks of 1 to 1024 threads)")
        }
        let launch = unsafeBitCast(kernel.handle, to: CUDAEmulator.Launch.self)
        // A module's launches share its barrier and shared memory: one launch at a time (as a
        // stream orders them on a device).
        lock.lock()
        defer { lock.unlock() }
        let failed = arguments.withUnsafeBufferPointer { launch(grid, block, $0.baseAddress) }
        if failed != 0 { throw CUDAEmulator.outOfMemory(kernel.name, block: block) }
    }

    /// cuBLAS's product by plain loops on the emulated memory (``GEMMCall/runOnHost()``).
    public func gemm(_ call: GEMMCall) throws {
        try call.runOnHost()
    }
}
