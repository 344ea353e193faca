/// The memory behind one or more ``NDArray`` values: a 64-byte aligned, untyped buffer.
///
/// Storage is shared by views and copied on write by ``NDArray``; it is never resized.
/// It is `@unchecked Sendable` because ``NDArray`` only writes to storage it uniquely owns.
public final class ArrayStorage: @unchecked Sendable {
    /// Start of the buffer (64-byte aligned).
    public let baseAddress: UnsafeMutableRawPointer
    /// Size of the buffer in bytes.
    public let byteCount: Int

    /// Alignment of every buffer: a cache line, and what AVX-512 loads prefer.
    public static let alignment = 64

    /// Allocates `byteCount` bytes, zero-filled when `zeroed` is true.
    public init(byteCount: Int, zeroed: Bool = true) {
        self.byteCount = byteCount
        self.baseAddress = UnsafeMutableRawPointer.allocate(
            byteCount: Swift.max(byteCount, ArrayStorage.alignment), alignment: ArrayStorage.alignment)
        if zeroed { baseAddress.initializeMemory(as: UInt8.self, repeating: 0, count: Swift.max(byteCount, 1)) }
    }

    deinit { baseAddress.deallocate() }
}
