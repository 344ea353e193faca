import Foundation
import TheanoArray

/// A GPU through the CUDA driver API (`libcuda.so.1`, loaded with `dlopen`): the device's
/// primary context, memory, cubins compiled by NVRTC for the device's own architecture (so no
/// PTX newer than the driver is ever loaded) and kept in the on-disk kernel cache, and
/// launches.
///
/// Everything runs in order on one non-blocking stream of the device's own: kernel launches,
/// cuBLAS products and host-device copies are queued and the host goes on; copies to the
/// device are staged in page-locked buffers (``PinnedStaging``), so they return once the data
/// is staged. The host waits only when it reads device memory (a copy to the host), when the
/// driver returns memory, and when an integer power's error word is read. A kernel that fails
/// reports at the next wait; with `THEANO_CUDA_LAUNCH_BLOCKING=1` every launch and product is
/// waited for (as `CUDA_LAUNCH_BLOCKING=1` does for CUDA programs), so the failure names its
/// kernel.
///
/// Verified on a GPU machine only (the test suite checks the error without one, and the
/// staging against a stream that defers its work).
public final class CUDADriverDevice: CUDADevice, @unchecked Sendable {
    private typealias Status = Int32
    private typealias Init = @convention(c) (UInt32) -> Status
    private typealias DeviceCount = @convention(c) (UnsafeMutablePointer<Int32>) -> Status
    private typealias DeviceGet = @convention(c) (UnsafeMutablePointer<Int32>, Int32) -> Status
    private typealias DeviceName = @convention(c) (UnsafeMutablePointer<CChar>, Int32, Int32) -> Status
    private typealias DeviceAttribute = @convention(c) (UnsafeMutablePointer<Int32>, Int32, Int32) -> Status
    private typealias RetainContext = @convention(c) (UnsafeMutablePointer<OpaquePointer?>, Int32) -> Status
    private typealias SetContext = @convention(c) (OpaquePointer?) -> Status
    private typealias MemAlloc = @convention(c) (UnsafeMutablePointer<UInt64>, Int) -> Status
    private typealias MemFree = @convention(c) (UInt64) -> Status
    private typealias ModuleLoad = @convention(c) (UnsafeMutablePointer<OpaquePointer?>, UnsafeRawPointer) -> Status
    private typealias ModuleFunction = @convention(c) (UnsafeMutablePointer<OpaquePointer?>, OpaquePointer?, UnsafePointer<CChar>) -> Status
    private typealias LaunchKernel = @convention(c) (OpaquePointer?, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, OpaquePointer?,
                                                     UnsafeMutablePointer<UnsafeMutableRawPointer?>?, UnsafeMutablePointer<UnsafeMutableRawPointer?>?) -> Status
    private typealias StreamCreate = @convention(c) (UnsafeMutablePointer<OpaquePointer?>, UInt32) -> Status
    private typealias StreamWait = @convention(c) (OpaquePointer?) -> Status
    private typealias HostAlloc = @convention(c) (UnsafeMutablePointer<UnsafeMutableRawPointer?>, Int, UInt32) -> Status
    private typealias HostFree = @convention(c) (UnsafeMutableRawPointer?) -> Status
    private typealias CopyToDeviceAsync = @convention(c) (UInt64, UnsafeRawPointer, Int, OpaquePointer?) -> Status
    private typealias CopyToHostAsync = @convention(c) (UnsafeMutableRawPointer, UInt64, Int, OpaquePointer?) -> Status
    private typealias EventCreate = @convention(c) (UnsafeMutablePointer<OpaquePointer?>, UInt32) -> Status
    private typealias EventRecord = @convention(c) (OpaquePointer?, OpaquePointer?) -> Status
    private typealias ErrorString = @convention(c) (Status, UnsafeMutablePointer<UnsafePointer<CChar>?>) -> Status

    public let name: String
    /// The device's architecture, `sm_XY` from its compute capability.
    public let architecture: String
    private let context: OpaquePointer?
    private let setContext: SetContext, memAlloc: MemAlloc, memFree: MemFree
    private let moduleLoad: ModuleLoad, moduleFunction: ModuleFunction, launchKernel: LaunchKernel
    private let errorString: ErrorString
    private let streamSynchronize: StreamWait, hostAlloc: HostAlloc, hostFree: HostFree
    private let copyToDeviceAsync: CopyToDeviceAsync, copyToHostAsync: CopyToHostAsync
    private let eventCreate: EventCreate, eventRecord: EventRecord, eventSynchronize: StreamWait, eventDestroy: StreamWait
    private let library: LoadedLibrary
    /// The stream every launch, product and copy is queued on.
    let stream: OpaquePointer?
    /// Waits after every launch and product (`THEANO_CUDA_LAUNCH_BLOCKING=1`).
    let launchBlocking: Bool
    private let staging = PinnedStaging()
    private var modules: [OpaquePointer?] = []
    private var cublas: CUBLAS?
    /// cuDNN once loaded, or why it could not be (tried once).
    private var cudnn: CUDNN?
    private var triedCUDNN = false
    private var cudnnProblem: String?
    private let lock = NSLock()

    /// Opens device `ordinal` (0 for the first GPU).
    ///
    /// - Throws: `TheanoError.unsupported` when the driver library is not found (naming where
    ///   it was looked for), `cuInit` fails (no GPU, or a driver without a device), or there is
    ///   no such device.
    public init(ordinal: Int = 0, locator: CUDALibraryLocator = CUDALibraryLocator(),
                environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        let lib = try locator.load(.driver)
        library = lib
        let describe = try lib.function("cuGetErrorString", as: ErrorString.self)
        errorString = describe
        let cuInit = try lib.function("cuInit", as: Init.self)
        let count = try lib.function("cuDeviceGetCount", as: DeviceCount.self)
        let get = try lib.function("cuDeviceGet", as: DeviceGet.self)
        let getName = try lib.function("cuDeviceGetName", as: DeviceName.self)
        let attribute = try lib.function("cuDeviceGetAttribute", as: DeviceAttribute.self)
        let retain = try lib.function("cuDevicePrimaryCtxRetain", as: RetainContext.self)
        let setCurrent = try lib.function("cuCtxSetCurrent", as: SetContext.self)
        setContext = setCurrent
        memAlloc = try lib.function("cuMemAlloc_v2", as: MemAlloc.self)
        memFree = try lib.function("cuMemFree_v2", as: MemFree.self)
        moduleLoad = try lib.function("cuModuleLoadData", as: ModuleLoad.self)
        moduleFunction = try lib.function("cuModuleGetFunction", as: ModuleFunction.self)
        launchKernel = try lib.function("cuLaunchKernel", as: LaunchKernel.self)
        let createStream = try lib.function("cuStreamCreate", as: StreamCreate.self)
        streamSynchronize = try lib.function("cuStreamSynchronize", as: StreamWait.self)
        hostAlloc = try lib.function("cuMemHostAlloc", as: HostAlloc.self)
        hostFree = try lib.function("cuMemFreeHost", as: HostFree.self)
        copyToDeviceAsync = try lib.function("cuMemcpyHtoDAsync_v2", as: CopyToDeviceAsync.self)
        copyToHostAsync = try lib.function("cuMemcpyDtoHAsync_v2", as: CopyToHostAsync.self)
        eventCreate = try lib.function("cuEventCreate", as: EventCreate.self)
        eventRecord = try lib.function("cuEventRecord", as: EventRecord.self)
        eventSynchronize = try lib.function("cuEventSynchronize", as: StreamWait.self)
        eventDestroy = try lib.function("cuEventDestroy_v2", as: StreamWait.self)
        launchBlocking = environment["THEANO_CUDA_LAUNCH_BLOCKING"].map { $0 == "1" || $0.lowercased() == "true" } ?? false

        func verify(_ status: Status, _ what: String) throws {
            guard status == 0 else {
                var message: UnsafePointer<CChar>?
                _ = describe(status, &message)
                throw TheanoError.unsupported("CUDA driver (\(lib.path)): \(what) failed: \(message.map { String(cString: $0) } ?? "error \(status)")")
            }
        }
        try verify(cuInit(0), "cuInit (is there a GPU and a working driver?)")
        var devices: Int32 = 0
        try verify(count(&devices), "counting devices")
        guard ordinal >= 0, ordinal < Int(devices) else {
            throw TheanoError.unsupported("CUDA driver: no device \(ordinal); this machine has \(devices)")
        }
        var device: Int32 = 0
        try verify(get(&device, Int32(ordinal)), "opening device \(ordinal)")
        var text = [CChar](repeating: 0, count: 256)
        try verify(getName(&text, Int32(text.count), device), "reading the device's name")
        var major: Int32 = 0, minor: Int32 = 0
        try verify(attribute(&major, 75, device), "reading the compute capability")  // CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR
        try verify(attribute(&minor, 76, device), "reading the compute capability")  // ..._MINOR
        architecture = "sm_\(major)\(minor)"
        name = "\(String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)) (\(architecture))"
        var ctx: OpaquePointer?
        try verify(retain(&ctx, device), "retaining the primary context")
        context = ctx
        try verify(setCurrent(ctx), "making the context current")
        var created: OpaquePointer?
        try verify(createStream(&created, 1), "creating a stream")  // CU_STREAM_NON_BLOCKING
        stream = created
    }

    deinit {
        staging.release(on: self)
    }

    private func check(_ status: Status, _ what: @autoclosure () -> String) throws {
        guard status == 0 else {
            var message: UnsafePointer<CChar>?
            _ = errorString(status, &message)
            let text = message.map { String(cString: $0) } ?? "error \(status)"
            if status == 2 {  // CUDA_ERROR_OUT_OF_MEMORY
                throw TheanoError.outOfMemory("CUDA driver on \(name): \(what()): \(text)")
            }
            throw TheanoError.unsupported("CUDA driver on \(name): \(what()) failed: \(text)")
        }
    }

    /// Waits for everything queued on the stream; a failure there is a kernel, product or copy
    /// queued earlier.
    func waitForStream(_ what: @autoclosure () -> String) throws {
        try current()
        try check(streamSynchronize(stream), "\(what()) (waiting for the work queued on the stream: a kernel or copy queued earlier failed; "
            + "set THEANO_CUDA_LAUNCH_BLOCKING=1 to stop at the one that does)")
    }

    /// Makes this device's context current on the calling thread.
    private func current() throws { try check(setContext(context), "making the context current") }

    public func allocate(bytes: Int) throws -> DeviceAddress {
        try current()
        var address: UInt64 = 0
        try check(memAlloc(&address, Swift.max(bytes, 1)), "allocating \(bytes) bytes")
        return DeviceAddress(address)
    }

    /// Returns the block to the driver once the work queued before has run (a queued kernel
    /// may still read it).
    public func free(_ address: DeviceAddress) {
        _ = setContext(context)
        _ = streamSynchronize(stream)
        _ = memFree(address.raw)
    }

    /// Stages the bytes and queues their copy (``PinnedStaging``): `host` may be reused as
    /// soon as this returns.
    public func copy(from host: UnsafeRawPointer, to device: DeviceAddress, bytes: Int) throws {
        guard bytes > 0 else { return }
        try current()
        try staging.upload(from: host, to: device, bytes: bytes, on: self)
    }

    /// Copies after everything queued before, and waits for it.
    public func copy(from device: DeviceAddress, to host: UnsafeMutableRawPointer, bytes: Int) throws {
        guard bytes > 0 else { return }
        try current()
        try staging.download(from: device, to: host, bytes: bytes, on: self)
    }

    public func load(source: String, kernels names: [String]) throws -> [String: CUDAKernel] {
        try current()
        let binary = try NVRTC.shared.cachedCubin(source, name: "theano.cu", architecture: architecture)
        var module: OpaquePointer?
        try binary.cubin.withUnsafeBytes { bytes in
            guard let base = bytes.baseAddress, !bytes.isEmpty else {
                throw TheanoError.unsupported("CUDA driver on \(name): NVRTC produced an empty cubin")
            }
            try check(moduleLoad(&module, base), "loading a module")
        }
        lock.lock()
        modules.append(module)
        lock.unlock()
        var out: [String: CUDAKernel] = [:]
        for n in names {
            var function: OpaquePointer?
            try check(n.withCString { moduleFunction(&function, module, $0) }, "finding kernel \(n)")
            guard let function else { throw TheanoError.unsupported("CUDA driver on \(name): no kernel \(n) in the module") }
            out[n] = CUDAKernel(name: n, handle: UnsafeMutableRawPointer(function))
        }
        return out
    }

    public func launch(_ kernel: CUDAKernel, grid: UInt32, block: UInt32, arguments: [UnsafeMutableRawPointer?]) throws {
        try current()
        var parameters = arguments
        try parameters.withUnsafeMutableBufferPointer { p in
            try check(launchKernel(OpaquePointer(kernel.handle), grid, 1, 1, block, 1, 1, 0, stream, p.baseAddress, nil), "launching \(kernel.name)")
        }
        if launchBlocking { try check(streamSynchronize(stream), "running \(kernel.name)") }
    }

    /// The product through cuBLAS, loaded and given a handle on first use.
    public func gemm(_ call: GEMMCall) throws {
        try current()
        let library = try lock.withLock {
            if let cublas { return cublas }
            let opened = try CUBLAS(stream: stream)
            cublas = opened
            return opened
        }
        try library.gemm(call, device: name)
        if launchBlocking { try check(streamSynchronize(stream), "running a cuBLAS GEMM") }
    }

    /// cuDNN, loaded and given a handle on first use; nil (and never tried again) when it is
    /// not found or cannot start (``dnnLibraryProblem`` says why).
    private var loadedCUDNN: CUDNN? {
        lock.withLock {
            if !triedCUDNN {
                triedCUDNN = true
                _ = setContext(context)
                do { cudnn = try CUDNN(stream: stream) } catch { cudnnProblem = "\(error)" }
            }
            return cudnn
        }
    }

    /// Why cuDNN is not used on this device (not found, or it failed to start), once it was
    /// looked for; nil when it loaded or was not looked for yet.
    public var dnnLibraryProblem: String? { lock.withLock { cudnnProblem } }

    /// "cuDNN 9.x.y" when cuDNN loads on this device.
    public var dnnLibrary: String? { loadedCUDNN?.version }

    public func convolutionWorkspace(_ call: ConvolutionCall) throws -> Int {
        try current()
        guard let library = loadedCUDNN else { throw TheanoError.unsupported("CUDA driver on \(name): cuDNN is not loaded") }
        return try library.plan(for: call, device: name).workspace
    }

    public func convolution(_ call: ConvolutionCall, workspace: DeviceAddress, workspaceBytes: Int) throws {
        try current()
        guard let library = loadedCUDNN else { throw TheanoError.unsupported("CUDA driver on \(name): cuDNN is not loaded") }
        try library.convolve(call, workspace: workspace, workspaceBytes: workspaceBytes, device: name)
        if launchBlocking { try check(streamSynchronize(stream), "running a cuDNN convolution") }
    }

    public func pooling(_ call: PoolingCall) throws {
        try current()
        guard let library = loadedCUDNN else { throw TheanoError.unsupported("CUDA driver on \(name): cuDNN is not loaded") }
        try library.pool(call, device: name)
        if launchBlocking { try check(streamSynchronize(stream), "running a cuDNN pooling") }
    }
}

/// The driver's side of the staging: pinned memory, queued copies and events on ``stream``.
extension CUDADriverDevice: StagingStream {
    func allocatePinned(bytes: Int) throws -> UnsafeMutableRawPointer {
        var memory: UnsafeMutableRawPointer?
        try check(hostAlloc(&memory, bytes, 0), "allocating \(bytes) bytes of page-locked host memory")
        guard let memory else { throw TheanoError.outOfMemory("CUDA driver on \(name): no page-locked host memory for \(bytes) bytes") }
        return memory
    }

    func freePinned(_ memory: UnsafeMutableRawPointer) {
        _ = hostFree(memory)
    }

    func enqueueCopy(from pinned: UnsafeRawPointer, to device: DeviceAddress, bytes: Int) throws {
        try check(copyToDeviceAsync(device.raw, pinned, bytes, stream), "queuing a copy of \(bytes) bytes to the device")
    }

    func enqueueCopy(from device: DeviceAddress, to pinned: UnsafeMutableRawPointer, bytes: Int) throws {
        try check(copyToHostAsync(pinned, device.raw, bytes, stream), "queuing a copy of \(bytes) bytes from the device")
    }

    func makeEvent() throws -> OpaquePointer {
        var event: OpaquePointer?
        try check(eventCreate(&event, 2), "creating an event")  // CU_EVENT_DISABLE_TIMING
        guard let event else { throw TheanoError.unsupported("CUDA driver on \(name): cuEventCreate returned no event") }
        return event
    }

    func destroyEvent(_ event: OpaquePointer) {
        _ = eventDestroy(event)
    }

    func record(_ event: OpaquePointer) throws {
        try check(eventRecord(event, stream), "recording an event")
    }

    func wait(for event: OpaquePointer) throws {
        try check(eventSynchronize(event), "waiting for a staging buffer's copies (a kernel or copy queued earlier failed; "
            + "set THEANO_CUDA_LAUNCH_BLOCKING=1 to stop at the one that does)")
    }

    func synchronize() throws {
        try waitForStream("waiting for the device")
    }
}
