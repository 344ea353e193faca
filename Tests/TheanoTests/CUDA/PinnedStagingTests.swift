import Foundation
@testable import TheanoCUDA
import XCTest

/// The driver device's staged, queued copies (``PinnedStaging``) against a stream that runs
/// nothing until the host waits: a staging buffer handed out again before its copy ran, a
/// copy out of order, or a download that does not wait would all read wrong bytes here.
final class PinnedStagingTests: XCTestCase {
    /// A stream whose queue runs only when waited on. Device memory is one host buffer
    /// (addresses are offsets into it); "kernels" are snapshots of device bytes taken when the
    /// queue reaches them.
    final class DeferredStream: StagingStream {
        enum Work {
            case toDevice(UnsafeRawPointer, Int, Int)
            case toHost(Int, UnsafeMutableRawPointer, Int)
            case mark(Int)
            case snapshot(Int, Int)
        }
        var device = [UInt8](repeating: 0, count: 1 << 16)
        var queue: [Work] = []
        var snapshots: [[UInt8]] = []
        var pinnedLive = 0, pinnedAllocations = 0, eventsLive = 0
        private var nextEvent = 1
        /// For each event, the queue position its latest record marks (`mark(id)` entries).
        func allocatePinned(bytes: Int) throws -> UnsafeMutableRawPointer {
            pinnedLive += 1
            pinnedAllocations += 1
            let memory = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
            memory.initializeMemory(as: UInt8.self, repeating: 0xEE, count: bytes)
            return memory
        }
        func freePinned(_ memory: UnsafeMutableRawPointer) {
            pinnedLive -= 1
            memory.deallocate()
        }
        func enqueueCopy(from pinned: UnsafeRawPointer, to device: DeviceAddress, bytes: Int) throws {
            queue.append(.toDevice(pinned, Int(device.raw), bytes))
        }
        func enqueueCopy(from device: DeviceAddress, to pinned: UnsafeMutableRawPointer, bytes: Int) throws {
            queue.append(.toHost(Int(device.raw), pinned, bytes))
        }
        func makeEvent() throws -> OpaquePointer {
            defer { nextEvent += 1 }
            eventsLive += 1
            return OpaquePointer(bitPattern: nextEvent)!
        }
        func destroyEvent(_ event: OpaquePointer) { eventsLive -= 1 }
        func record(_ event: OpaquePointer) throws { queue.append(.mark(Int(bitPattern: UnsafeRawPointer(event)))) }
        func wait(for event: OpaquePointer) throws {
            let id = Int(bitPattern: UnsafeRawPointer(event))
            guard let last = queue.lastIndex(where: { if case .mark(id) = $0 { true } else { false } }) else { return }
            run(through: last)
        }
        func synchronize() throws { run(through: queue.count - 1) }
        /// A kernel reading `bytes` at `address`, queued after the work before it.
        func enqueueSnapshot(at address: Int, bytes: Int) { queue.append(.snapshot(address, bytes)) }

        private func run(through last: Int) {
            guard last >= 0 else { return }
            for work in queue[...last] {
                switch work {
                case let .toDevice(source, address, bytes):
                    device.withUnsafeMutableBytes { ($0.baseAddress! + address).copyMemory(from: source, byteCount: bytes) }
                case let .toHost(address, target, bytes):
                    device.withUnsafeBytes { target.copyMemory(from: $0.baseAddress! + address, byteCount: bytes) }
                case let .snapshot(address, bytes):
                    snapshots.append(Array(device[address..<address + bytes]))
                case .mark:
                    break
                }
            }
            queue.removeFirst(last + 1)
        }
    }

    /// Repeated uploads to one address, each read by a queued kernel, with the caller's buffer
    /// overwritten after each call: every kernel sees its own upload, through ring wraps.
    func testEachQueuedKernelSeesTheUploadBeforeIt() throws {
        let stream = DeferredStream()
        let staging = PinnedStaging(slabBytes: 256, slabCount: 3)
        var host = [UInt8](repeating: 0, count: 100)
        for round in 0..<40 {
            for i in host.indices { host[i] = UInt8(truncatingIfNeeded: round &* 7 &+ i) }
            try host.withUnsafeBytes { try staging.upload(from: $0.baseAddress!, to: DeviceAddress(512), bytes: 100, on: stream) }
            host = host.map { _ in 0xAB }  // the caller reuses its memory at once
            stream.enqueueSnapshot(at: 512, bytes: 100)
        }
        try staging.synchronize(stream)
        XCTAssertEqual(stream.snapshots.count, 40)
        for (round, seen) in stream.snapshots.enumerated() {
            XCTAssertEqual(seen, (0..<100).map { UInt8(truncatingIfNeeded: round &* 7 &+ $0) }, "kernel \(round)")
        }
        // Two 128-byte pieces per 256-byte slab: the ring of three wrapped and waited.
        XCTAssertGreaterThan(staging.statistics.slabWaits, 0)
        XCTAssertEqual(staging.statistics.uploads, 40)
        XCTAssertEqual(stream.pinnedAllocations, 3, "the ring keeps its three slabs")
    }

    /// Uploads larger than a slab go slab by slab; a download larger than a slab comes back
    /// whole, after the uploads queued before it, without an explicit wait.
    func testCopiesLargerThanASlabRoundTrip() throws {
        let stream = DeferredStream()
        let staging = PinnedStaging(slabBytes: 128, slabCount: 2)
        let values = (0..<1000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 5) }
        try values.withUnsafeBytes { try staging.upload(from: $0.baseAddress!, to: DeviceAddress(3000), bytes: 1000, on: stream) }
        XCTAssertEqual(staging.statistics.uploads, 8, "1000 bytes in 128-byte slabs")
        XCTAssertFalse(stream.queue.isEmpty, "uploads are queued, not run")
        var back = [UInt8](repeating: 0, count: 1000)
        try back.withUnsafeMutableBytes { try staging.download(from: DeviceAddress(3000), to: $0.baseAddress!, bytes: 1000, on: stream) }
        XCTAssertEqual(back, values)
        XCTAssertTrue(stream.queue.isEmpty, "a download waits for the stream")
    }

    /// Small uploads share a slab until it is full; after a wait for the whole stream, the ring
    /// starts over without waiting for slab events.
    func testSmallUploadsPackIntoASlabAndAWaitFreesTheRing() throws {
        let stream = DeferredStream()
        let staging = PinnedStaging(slabBytes: 1024, slabCount: 2)
        var word: UInt64 = 0
        for i in 0..<16 {
            word = UInt64(i)
            try withUnsafeBytes(of: &word) { try staging.upload(from: $0.baseAddress!, to: DeviceAddress(UInt64(8 * i)), bytes: 8, on: stream) }
        }
        XCTAssertEqual(stream.pinnedAllocations, 1, "sixteen 64-byte pieces fit one slab")
        XCTAssertFalse(stream.queue.contains { if case .mark = $0 { true } else { false } }, "no event until the slab fills")
        try staging.synchronize(stream)
        stream.device.withUnsafeBytes { raw in
            for i in 0..<16 { XCTAssertEqual(raw.load(fromByteOffset: 8 * i, as: UInt64.self), UInt64(i)) }
        }
        for i in 0..<64 {
            word = UInt64(100 + i)
            try withUnsafeBytes(of: &word) { try staging.upload(from: $0.baseAddress!, to: DeviceAddress(UInt64(8 * i)), bytes: 8, on: stream) }
        }
        // 64 pieces after the wait fill slab 0, a new slab 1, slab 0 again (after waiting for
        // its event) and slab 1 again (after waiting for its).
        XCTAssertEqual(staging.statistics.slabWaits, 2)
        XCTAssertEqual(stream.pinnedAllocations, 2)
        try staging.synchronize(stream)
        stream.device.withUnsafeBytes { raw in
            for i in 0..<64 { XCTAssertEqual(raw.load(fromByteOffset: 8 * i, as: UInt64.self), UInt64(100 + i)) }
        }
    }

    /// The staging returns its page-locked memory and events when released.
    func testStagingFreesItsPinnedMemory() throws {
        let stream = DeferredStream()
        let staging = PinnedStaging(slabBytes: 64, slabCount: 2)
        do {
            let bytes = [UInt8](repeating: 1, count: 300)
            try bytes.withUnsafeBytes { try staging.upload(from: $0.baseAddress!, to: DeviceAddress(0), bytes: 300, on: stream) }
            var back = [UInt8](repeating: 0, count: 300)
            try back.withUnsafeMutableBytes { try staging.download(from: DeviceAddress(0), to: $0.baseAddress!, bytes: 300, on: stream) }
            XCTAssertEqual(back, bytes)
        }
        XCTAssertEqual(stream.pinnedLive, 3)
        staging.release(on: stream)
        XCTAssertEqual(stream.pinnedLive, 0)
        XCTAssertEqual(stream.eventsLive, 0)
    }
}
