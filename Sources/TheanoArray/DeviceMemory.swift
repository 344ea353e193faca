/// The memory of an accelerator (a GPU) as the array layer sees it: an owner that frees its
/// blocks and copies them to host memory. The backend that owns the device implements it
/// (the CUDA backend's caching allocator); nothing here knows which device it is.
///
/// An ``NDArray`` whose ``ArrayStorage`` has a ``ArrayStorage/device`` keeps the usual header
/// (dtype, shape, strides, offset) over device memory: views of it are metadata as on the
/// host, but its elements can be read only by that device's kernels, or on the host after
/// ``NDArray/onHost()``.
public protocol DeviceMemory: AnyObject, Sendable {
    /// What the device is, for messages (`"CUDA emulator"`, `"NVIDIA H200 (sm_90)"`).
    var name: String { get }
    /// Returns a block this owner allocated (a storage's device address) to the device.
    func releaseBlock(at address: UInt64)
    /// Copies `bytes` from the device block at `address` to host memory.
    /// - Throws: the device's failure.
    func copyBlock(at address: UInt64, toHost host: UnsafeMutableRawPointer, bytes: Int) throws
}

extension ArrayStorage {
    /// Whether the buffer is device memory (``device`` is not nil).
    public var isOnDevice: Bool { device != nil }

    /// The device address of a device buffer (its ``baseAddress`` as an integer).
    public var deviceAddress: UInt64 { UInt64(UInt(bitPattern: baseAddress)) }
}

extension NDArray {
    /// Whether the elements live in device memory (see ``DeviceMemory``).
    public var isOnDevice: Bool { storage.isOnDevice }

    /// This array with its elements in host memory: `self` when they are there already, else a
    /// copy of the device buffer into a fresh host buffer, with the same shape, strides and
    /// offset (so a view stays the same view).
    ///
    /// - Throws: `.outOfMemory` when the host buffer cannot be had, or the device's failure.
    public func onHost() throws -> NDArray {
        guard let device = storage.device else { return self }
        let host = try ArrayStorage(byteCount: storage.byteCount, zeroed: false)
        if storage.byteCount > 0 {
            try device.copyBlock(at: storage.deviceAddress, toHost: host.baseAddress, bytes: storage.byteCount)
        }
        return NDArray(storage: host, dtype: dtype, shape: shape, strides: strides, offset: offset)
    }
}
