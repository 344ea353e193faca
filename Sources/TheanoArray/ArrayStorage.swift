#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// The memory behind one or more ``NDArray`` values: a 64-byte aligned, untyped buffer in
/// host memory, or a block of a device's memory (``device`` is set; see ``DeviceMemory``).
///
/// Storage is shared by views and copied on write by ``NDArray``; it is never resized.
/// It is `@unchecked Sendable` because ``NDArray`` only writes to storage it uniquely owns.
public final class ArrayStorage: @unchecked Sendable {
    /// Start of the buffer (64-byte aligned).
    public let baseAddress: UnsafeMutableRawPointer
    /// Size of the buffer in bytes.
    public let byteCount: Int
    /// The device whose memory this is, or nil for host memory. A device buffer's
    /// ``baseAddress`` is a device address: only that device's kernels may read through it.
    public let device: (any DeviceMemory)?

    /// Alignment of every buffer: a cache line, and what AVX-512 loads prefer.
    public static let alignment = 64

    /// The largest buffer asked of the system: its memory plus swap (on Linux; its memory
    /// elsewhere). A larger request could only succeed by overcommitting, and filling it would
    /// get the process killed, so it is refused as out of memory up front.
    public static let maxByteCount: Int = {
        var total = ProcessInfo.processInfo.physicalMemory
        #if os(Linux)
        // "SwapTotal:     8388604 kB"
        if let text = try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8),
           let line = text.split(separator: "\n").first(where: { $0.hasPrefix("SwapTotal:") }),
           let kib = line.split(separator: " ").dropFirst().first.flatMap({ UInt64($0) }) {
            let (swap, o1) = kib.multipliedReportingOverflow(by: 1024)
            let (sum, o2) = total.addingReportingOverflow(swap)
            if !o1 && !o2 { total = sum }
        }
        #endif
        return Int(clamping: total)
    }()

    /// Allocates `byteCount` bytes, zero-filled when `zeroed` is true.
    ///
    /// - Throws: `.outOfMemory` with the size when it exceeds ``maxByteCount`` or the system
    ///   refuses it; `.invalidArgument` for a negative size.
    public init(byteCount: Int, zeroed: Bool = true) throws {
        guard byteCount >= 0 else {
            throw TheanoError.invalidArgument("cannot allocate a negative number of bytes (\(byteCount))")
        }
        guard byteCount <= ArrayStorage.maxByteCount else {
            throw TheanoError.outOfMemory(
                "out of memory: cannot allocate \(formatByteCount(byteCount)), more than this machine's memory and swap (\(formatByteCount(ArrayStorage.maxByteCount)))")
        }
        var pointer: UnsafeMutableRawPointer?
        let status = posix_memalign(&pointer, ArrayStorage.alignment, Swift.max(byteCount, ArrayStorage.alignment))
        guard status == 0, let pointer else {
            throw TheanoError.outOfMemory(
                "out of memory: the system refused \(formatByteCount(byteCount)) (\(String(cString: strerror(status))))")
        }
        self.byteCount = byteCount
        self.baseAddress = pointer
        self.device = nil
        if zeroed { baseAddress.initializeMemory(as: UInt8.self, repeating: 0, count: Swift.max(byteCount, 1)) }
    }

    /// Wraps `byteCount` bytes of `device`'s memory at `deviceAddress` (not 0), which the
    /// storage owns from now on: it is returned with ``DeviceMemory/releaseBlock(at:)`` when
    /// the storage goes away.
    ///
    /// - Throws: `.invalidArgument` for address 0 or a negative size.
    public init(deviceAddress: UInt64, byteCount: Int, device: any DeviceMemory) throws {
        guard byteCount >= 0, let pointer = UnsafeMutableRawPointer(bitPattern: UInt(deviceAddress)) else {
            throw TheanoError.invalidArgument("\(device.name): cannot wrap \(byteCount) bytes at device address \(deviceAddress)")
        }
        self.baseAddress = pointer
        self.byteCount = byteCount
        self.device = device
    }

    deinit {
        if let device { device.releaseBlock(at: deviceAddress) } else { free(baseAddress) }
    }
}

/// `4294967296 bytes (4.0 GiB)`: a byte count for error messages.
public func formatByteCount(_ bytes: Int) -> String {
    let units = ["KiB", "MiB", "GiB", "TiB", "PiB", "EiB"]
    var value = Double(bytes)
    var unit = -1
    while value >= 1024 && unit < units.count - 1 {
        value /= 1024
        unit += 1
    }
    let noun = bytes == 1 ? "byte" : "bytes"
    if unit < 0 { return "\(bytes) \(noun)" }
    return "\(bytes) \(noun) (\((value * 10).rounded() / 10) \(units[unit]))"
}
