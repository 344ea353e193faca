import Foundation
import Synchronization
import Theano
@testable import TheanoCUDA
import XCTest

/// The caching allocator in front of a device: size classes, reuse across calls, and
/// out-of-memory handling (cache returned to the driver, one retry, then an error with sizes).
final class CachingAllocatorTests: XCTestCase {
    /// An emulated device that counts allocations and refuses to go over `limit` bytes.
    final class LimitedDevice: ForwardingDevice, @unchecked Sendable {
        let limit: Int
        private let usage = Mutex<(live: [UInt64: Int], total: Int, calls: Int)>(([:], 0, 0))
        init(limit: Int = .max) {
            self.limit = limit
            super.init(base: EmulatedCUDADevice(dnnLibrary: false))
        }
        override var name: String { "limited emulator" }
        var allocationCalls: Int { usage.withLock { $0.calls } }
        var bytesLive: Int { usage.withLock { $0.total } }
        override func allocate(bytes: Int) throws -> DeviceAddress {
            try usage.withLock { u in
                u.calls += 1
                guard u.total + bytes <= limit else { throw TheanoError.outOfMemory("test device: \(bytes) bytes do not fit") }
                let address = try base.allocate(bytes: bytes)
                u.live[address.raw] = bytes
                u.total += bytes
                return address
            }
        }
        override func free(_ address: DeviceAddress) {
            usage.withLock { u in u.total -= u.live.removeValue(forKey: address.raw) ?? 0 }
            base.free(address)
        }
    }

    func testSizeClasses() {
        XCTAssertEqual(CachingCUDADevice.sizeClass(0), 512)
        XCTAssertEqual(CachingCUDADevice.sizeClass(1), 512)
        XCTAssertEqual(CachingCUDADevice.sizeClass(513), 1024)
        XCTAssertEqual(CachingCUDADevice.sizeClass(1 << 20), 1 << 20)
        XCTAssertEqual(CachingCUDADevice.sizeClass((1 << 20) + 1), 2 << 20)
        XCTAssertEqual(CachingCUDADevice.sizeClass(5 << 20 - 7), 5 << 20)
        XCTAssertNil(CachingCUDADevice.sizeClass(Int.max))
        XCTAssertNil(CachingCUDADevice.sizeClass(-1))
    }

    func testFreedBlocksAreReusedByClass() throws {
        let device = LimitedDevice()
        let cache = CachingCUDADevice(device)
        let a = try cache.allocate(bytes: 1000)
        cache.free(a)
        let b = try cache.allocate(bytes: 700)  // the same 1024-byte class
        XCTAssertEqual(a, b)
        XCTAssertEqual(device.allocationCalls, 1)
        let c = try cache.allocate(bytes: 3000)  // another class: a new block
        XCTAssertNotEqual(b, c)
        XCTAssertEqual(cache.statistics, .init(driverAllocations: 2, reuses: 1, bytesInUse: 1024 + 4096, bytesCached: 0))
        cache.free(b)
        cache.free(c)
        XCTAssertEqual(cache.statistics.bytesCached, 1024 + 4096)
        XCTAssertEqual(cache.emptyCache(), 1024 + 4096)
        XCTAssertEqual(device.bytesLive, 0)
    }

    func testOutOfMemoryReturnsTheCacheAndRetriesOnce() throws {
        let device = LimitedDevice(limit: 8192)
        let cache = CachingCUDADevice(device)
        let a = try cache.allocate(bytes: 4096), b = try cache.allocate(bytes: 2048)
        cache.free(a)  // cached, still held from the driver
        // 8192 does not fit beside the cached 4096 and the live 2048 ... nor after the retry.
        XCTAssertThrowsError(try cache.allocate(bytes: 8000)) { error in
            let text = "\(error)"
            XCTAssertEqual((error as? TheanoError)?.kind, .outOfMemory)
            XCTAssertTrue(text.contains("8000 bytes") && text.contains("8192") && text.contains("2048 bytes in use"), text)
            XCTAssertTrue(text.contains("returning 4096 cached bytes"), text)
        }
        // Both blocks cached (3072 bytes held from the driver): an 8192-byte block fits only
        // once the cache is returned, and the retry gets it.
        let c = try cache.allocate(bytes: 1024)
        cache.free(c)
        cache.free(b)
        XCTAssertEqual(device.bytesLive, 2048 + 1024)
        let d = try cache.allocate(bytes: 6000)
        XCTAssertEqual(device.bytesLive, 8192)
        XCTAssertEqual(cache.statistics.bytesInUse, 8192)
        cache.free(d)
    }

    func testACompiledFunctionAllocatesOnlyOnItsFirstCall() throws {
        let device = LimitedDevice()
        let options = CompileOptions(backend: Backend(CUDABackend(device: device)))
        let x = Tensor.matrix("x", .float32)
        let f = try function([x], [try (exp(x) * 2).sum(axis: 1), tanh(x)], options: options)
        let value = try NDArray(Array(repeating: Float(0.5), count: 12), shape: [3, 4])
        let want = try function([x], [try (exp(x) * 2).sum(axis: 1), tanh(x)], options: CompileOptions(backend: .reference))(value)
        _ = try f(value)
        let afterFirst = device.allocationCalls
        XCTAssertGreaterThan(afterFirst, 0)
        for _ in 0..<5 {
            for (got, expected) in zip(try f(value), want) { assertClose(got, expected, rtol: 1e-6, atol: 1e-6) }
        }
        XCTAssertEqual(device.allocationCalls, afterFirst, "later calls reuse cached blocks")
    }
}
