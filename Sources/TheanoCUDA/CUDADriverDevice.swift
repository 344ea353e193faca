import Foundation
import TheanoArray

/// A GPU through the CUDA driver API (`libcuda.so.1`, loaded with `dlopen`): the device's
/// primary context, memory, cubins compiled by NVRTC for the device's own architecture (so no
/// PTX newer than the driver is ever loaded), and launches.
///
/// Verified on a GPU machine only (the test suite checks the error without one).
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
    private typealias CopyToDevice = @convention(c) (UInt64, UnsafeRawPointer, Int) -> Status
    private typealias CopyToHost = @convention(c) (UnsafeMutableRawPointer, UInt64, Int) -> Status
    private typealias ModuleLoad = @convention(c) (UnsafeMutablePointer<OpaquePointer?>, UnsafeRawPointer) -> Status
    private typealias ModuleFunction = @convention(c) (UnsafeMutablePointer<OpaquePointer?>, OpaquePointer?, UnsafePointer<CChar>) -> Status
    private typealias LaunchKernel = @convention(c) (OpaquePointer?, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, OpaquePointer?,
                                                     UnsafeMutablePointer<UnsafeMutableRawPointer?>?, UnsafeMutablePointer<UnsafeMutableRawPointer?>?) -> Status
    private typealias Synchronize = @convention(c) () -> Status
    private typealias ErrorString = @convention(c) (Status, UnsafeMutablePointer<UnsafePointer<CChar>?>) -> Status

    public let name: String
    /// The device's architecture, `sm_XY` from its compute capability.
    public let architecture: String
    private let context: OpaquePointer?
    private let setContext: SetContext, memAlloc: MemAlloc, memFree: MemFree
    private let copyToDevice: CopyToDevice, copyToHost: CopyToHost
    private let moduleLoad: ModuleLoad, moduleFunction: ModuleFunction, launchKernel: LaunchKernel
    private let synchronize: Synchronize, errorString: ErrorString
    private let library: LoadedLibrary
    private var modules: [OpaquePointer?] = []
    private var cublas: CUBLAS?
    private let lock = NSLock()

    /// Opens device `ordinal` (0 for the first GPU).
    ///
    /// - Throws: `TheanoError.unsupported` when the driver library is not found (naming where
    ///   it was looked for), `cuInit` fails (no GPU, or a driver without a device), or there is
    ///   no such device.
    public init(ordinal: Int = 0, locator: CUDALibraryLocator = CUDALibraryLocator()) throws {
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
        copyToDevice = try lib.function("cuMemcpyHtoD_v2", as: CopyToDevice.self)
        copyToHost = try lib.function("cuMemcpyDtoH_v2", as: CopyToHost.self)
        moduleLoad = try lib.function("cuModuleLoadData", as: ModuleLoad.self)
        moduleFunction = try lib.function("cuModuleGetFunction", as: ModuleFunction.self)
        launchKernel = try lib.function("cuLaunchKernel", as: LaunchKernel.self)
        synchronize = try lib.function("cuCtxSynchronize", as: Synchronize.self)

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

    /// Makes this device's context current on the calling thread.
    private func current() throws { try check(setContext(context), "making the context current") }

    public func allocate(bytes: Int) throws -> DeviceAddress {
        try current()
        var address: UInt64 = 0
        try check(memAlloc(&address, Swift.max(bytes, 1)), "allocating \(bytes) bytes")
        return DeviceAddress(address)
    }

    public func free(_ address: DeviceAddress) {
        _ = setContext(context)
        _ = memFree(address.raw)
    }

    public func copy(from host: UnsafeRawPointer, to device: DeviceAddress, bytes: Int) throws {
        guard bytes > 0 else { return }
        try current()
        try check(copyToDevice(device.raw, host, bytes), "copying \(bytes) bytes to the device")
    }

    public func copy(from device: DeviceAddress, to host: UnsafeMutableRawPointer, bytes: Int) throws {
        guard bytes > 0 else { return }
        try current()
        try check(copyToHost(host, device.raw, bytes), "copying \(bytes) bytes from the device")
    }

    public func load(source: String, kernels names: [String]) throws -> [String: CUDAKernel] {
        try current()
        let binary = try NVRTC.shared.compile(source, name: "theano.cu", architecture: architecture)
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
            try check(launchKernel(OpaquePointer(kernel.handle), grid, 1, 1, block, 1, 1, 0, nil, p.baseAddress, nil), "launching \(kernel.name)")
        }
        try check(synchronize(), "running \(kernel.name)")
    }

    /// The product through cuBLAS, loaded and given a handle on first use.
    public func gemm(_ call: GEMMCall) throws {
        try current()
        let library = try lock.withLock {
            if let cublas { return cublas }
            let opened = try CUBLAS()
            cublas = opened
            return opened
        }
        try library.gemm(call, device: name)
        try check(synchronize(), "running a cuBLAS GEMM")
    }
}
