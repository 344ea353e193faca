import Synchronization
import TheanoArray

/// A device whose memory goes through a caching allocator: freed blocks are kept by size
/// class and handed out again, so a compiled function called in a loop asks the driver for
/// memory only on its first calls (`cuMemAlloc` synchronises the device and costs
/// microseconds to milliseconds; PyTorch's and CuPy's allocators cache for the same reason).
///
/// Size classes: requests up to 1 MiB round up to a power of two (at least 512 bytes); larger
/// ones to a multiple of 1 MiB, so a block is never more than twice, or 1 MiB more than, what
/// was asked. When the device reports out-of-memory, every cached block is returned to the
/// driver and the allocation is tried once more; if it fails again, the error names the
/// request, its class and the bytes in use and cached.
///
/// Everything else (transfers, modules, launches) goes straight to the wrapped device.
public final class CachingCUDADevice: CUDADevice, @unchecked Sendable {
    /// The device that owns the memory.
    public let base: any CUDADevice

    /// What the allocator has done, for tests and reports.
    public struct Statistics: Sendable, Equatable {
        /// Allocations the driver made.
        public var driverAllocations = 0
        /// Requests served from the cache.
        public var reuses = 0
        /// Bytes in blocks handed out and not yet freed (by class size).
        public var bytesInUse = 0
        /// Bytes in cached free blocks.
        public var bytesCached = 0
        /// Arrays copied from the host into this device's memory for kernels (a host input
        /// of a device kernel), and their bytes; launch parameters are not counted.
        public var arraysToDevice = 0
        public var bytesToDevice = 0
        /// Device arrays copied to the host (``NDArray/onHost()``: for a host kernel, a
        /// call's outputs, a shared variable's `value`), and their bytes.
        public var arraysToHost = 0
        public var bytesToHost = 0
    }

    private struct State {
        var free: [Int: [DeviceAddress]] = [:]
        var classOf: [DeviceAddress: Int] = [:]
        var statistics = Statistics()
    }

    private let state = Mutex(State())
    /// The copy kernels of this device (``DeviceCopyKernels``), compiled when first needed.
    let copyKernels = DeviceCopyKernels()

    public init(_ base: any CUDADevice) {
        self.base = base
    }

    public var name: String { base.name }
    public var preferredBlockSize: UInt32 { base.preferredBlockSize }
    public var maximumGridSize: UInt32 { base.maximumGridSize }

    /// The allocator's counters now.
    public var statistics: Statistics { state.withLock { $0.statistics } }

    /// The size class of a request of `bytes`, or nil when it cannot be represented.
    static func sizeClass(_ bytes: Int) -> Int? {
        let minimum = 512, step = 1 << 20
        guard bytes >= 0 else { return nil }
        if bytes <= minimum { return minimum }
        if bytes <= step {
            var size = minimum
            while size < bytes { size <<= 1 }
            return size
        }
        let (rounded, overflow) = bytes.addingReportingOverflow(step - 1)
        return overflow ? nil : rounded / step * step
    }

    public func allocate(bytes: Int) throws -> DeviceAddress {
        guard let size = Self.sizeClass(bytes) else {
            throw TheanoError.outOfMemory("CUDA allocator on \(name): cannot allocate \(bytes) bytes")
        }
        let cached: DeviceAddress? = state.withLock { state in
            guard let address = state.free[size]?.popLast() else { return nil }
            state.classOf[address] = size
            state.statistics.reuses += 1
            state.statistics.bytesCached -= size
            state.statistics.bytesInUse += size
            return address
        }
        if let cached { return cached }
        let address: DeviceAddress
        do {
            address = try base.allocate(bytes: size)
        } catch let error as TheanoError where error.kind == .outOfMemory {
            let released = emptyCache()
            do {
                address = try base.allocate(bytes: size)
            } catch let again as TheanoError where again.kind == .outOfMemory {
                let inUse = statistics.bytesInUse
                throw TheanoError.outOfMemory("CUDA allocator on \(name): out of memory allocating \(bytes) bytes (a block of \(size)) "
                    + "with \(inUse) bytes in use, after returning \(released) cached bytes to the driver: \(again.message)")
            }
        }
        state.withLock { state in
            state.classOf[address] = size
            state.statistics.driverAllocations += 1
            state.statistics.bytesInUse += size
        }
        return address
    }

    /// Keeps the block for the next request of its class. An address this allocator did not
    /// hand out goes to the wrapped device.
    public func free(_ address: DeviceAddress) {
        let kept = state.withLock { state -> Bool in
            guard let size = state.classOf.removeValue(forKey: address) else { return false }
            // On the emulator, a freed block reads as NaN (all bits set) until it is handed out
            // again, so a kernel that reads memory after its array went away gives NaN, which
            // the tests see, rather than stale values that happen to be right.
            (base as? EmulatedCUDADevice)?.poison(address, bytes: size)
            state.free[size, default: []].append(address)
            state.statistics.bytesInUse -= size
            state.statistics.bytesCached += size
            return true
        }
        if !kept { base.free(address) }
    }

    /// Returns every cached block to the driver; returns how many bytes that released.
    @discardableResult
    public func emptyCache() -> Int {
        let blocks: [(Int, [DeviceAddress])] = state.withLock { state in
            let all = state.free.map { ($0.key, $0.value) }
            state.free = [:]
            state.statistics.bytesCached = 0
            return all
        }
        var released = 0
        for (size, addresses) in blocks {
            for address in addresses { base.free(address) }
            released += size * addresses.count
        }
        return released
    }

    deinit {
        emptyCache()
    }

    public func copy(from host: UnsafeRawPointer, to device: DeviceAddress, bytes: Int) throws {
        try base.copy(from: host, to: device, bytes: bytes)
    }

    public func copy(from device: DeviceAddress, to host: UnsafeMutableRawPointer, bytes: Int) throws {
        try base.copy(from: device, to: host, bytes: bytes)
    }

    public func copyBlock(at address: UInt64, toHost host: UnsafeMutableRawPointer, bytes: Int) throws {
        try base.copy(from: DeviceAddress(address), to: host, bytes: bytes)
        state.withLock {
            $0.statistics.arraysToHost += 1
            $0.statistics.bytesToHost += bytes
        }
    }

    /// Counts an array copied from the host for a kernel (``Statistics/arraysToDevice``).
    func noteArrayToDevice(bytes: Int) {
        state.withLock {
            $0.statistics.arraysToDevice += 1
            $0.statistics.bytesToDevice += bytes
        }
    }

    public func load(source: String, kernels names: [String]) throws -> [String: CUDAKernel] {
        try base.load(source: source, kernels: names)
    }

    public func launch(_ kernel: CUDAKernel, grid: UInt32, block: UInt32, arguments: [UnsafeMutableRawPointer?]) throws {
        try base.launch(kernel, grid: grid, block: block, arguments: arguments)
    }

    public func gemm(_ call: GEMMCall) throws {
        try base.gemm(call)
    }

    public var dnnLibrary: String? { base.dnnLibrary }

    public func convolutionWorkspace(_ call: ConvolutionCall) throws -> Int {
        try base.convolutionWorkspace(call)
    }

    public func convolution(_ call: ConvolutionCall, workspace: DeviceAddress, workspaceBytes: Int) throws {
        try base.convolution(call, workspace: workspace, workspaceBytes: workspaceBytes)
    }

    public func pooling(_ call: PoolingCall) throws {
        try base.pooling(call)
    }
}
