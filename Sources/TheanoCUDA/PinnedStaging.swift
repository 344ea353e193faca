import Foundation
import TheanoArray

/// A device's stream as ``PinnedStaging`` drives it: page-locked host memory, copies queued
/// on the stream, events that mark a point in the stream, and waiting.
///
/// ``CUDADriverDevice`` implements it with the driver API (`cuMemHostAlloc`,
/// `cuMemcpyHtoDAsync`, `cuEventRecord`, ...); the tests implement it with a stream that runs
/// its queue only when waited on, so a staging buffer reused too early shows up as wrong data.
protocol StagingStream: AnyObject {
    /// Page-locked host memory of `bytes` (the driver copies from it without staging it again).
    func allocatePinned(bytes: Int) throws -> UnsafeMutableRawPointer
    func freePinned(_ memory: UnsafeMutableRawPointer)
    /// Queues a copy of `bytes` from pinned host memory to the device.
    func enqueueCopy(from pinned: UnsafeRawPointer, to device: DeviceAddress, bytes: Int) throws
    /// Queues a copy of `bytes` from the device to pinned host memory.
    func enqueueCopy(from device: DeviceAddress, to pinned: UnsafeMutableRawPointer, bytes: Int) throws
    /// A new event (a marker that can be placed in the stream).
    func makeEvent() throws -> OpaquePointer
    func destroyEvent(_ event: OpaquePointer)
    /// Places `event` after everything queued so far.
    func record(_ event: OpaquePointer) throws
    /// Waits on the host until the stream has passed `event`.
    func wait(for event: OpaquePointer) throws
    /// Waits on the host until everything queued has run.
    func synchronize() throws
}

/// Host-device copies through page-locked staging buffers on one stream, so that a copy to the
/// device returns as soon as the data is staged (the caller may reuse its memory at once, and
/// the copy runs in order with the kernels queued before and after it) and the host waits
/// only when it reads device memory.
///
/// Uploads are packed into a ring of `slabCount` slabs of `slabBytes` (64-byte aligned
/// pieces; a larger copy goes slab by slab). When an upload does not fit in the current slab,
/// an event is recorded behind that slab's copies and the next slab is taken, after waiting
/// for its own event if its copies may still be queued. Downloads go through one more slab and
/// wait for the stream, chunk by chunk. After any wait for the whole stream, no slab has
/// copies pending.
///
/// The staging does not hold its stream (the device that owns both passes it to each call), so
/// no reference cycle keeps a device alive; the device calls ``release(on:)`` when it goes.
///
/// Thread-safe: one lock orders the callers, as the stream orders their copies.
final class PinnedStaging: @unchecked Sendable {
    /// The size of one staging slab.
    let slabBytes: Int
    /// How many upload slabs the ring holds at most.
    let slabCount: Int

    private struct Slab {
        let memory: UnsafeMutableRawPointer
        let event: OpaquePointer
        /// Bytes of the slab taken since it was last (re)started.
        var used = 0
        /// Whether copies from the slab may still be queued (its event was recorded and not
        /// waited for).
        var pending = false
    }

    private var slabs: [Slab] = []
    private var current = 0
    private var downloadSlab: UnsafeMutableRawPointer?
    private let lock = NSLock()

    /// Counters for tests and reports.
    struct Statistics: Equatable {
        /// Copies queued to the device, and waits for a slab's earlier copies to finish.
        var uploads = 0, slabWaits = 0
        /// Downloads, and waits for the whole stream.
        var downloads = 0, streamWaits = 0
    }
    private(set) var statistics = Statistics()

    init(slabBytes: Int = 4 << 20, slabCount: Int = 4) {
        precondition(slabBytes >= 64 && slabBytes % 64 == 0 && slabCount >= 2, "PinnedStaging: slabs of a multiple of 64 bytes, at least two")
        self.slabBytes = slabBytes
        self.slabCount = slabCount
    }

    /// Waits for `stream` and returns the page-locked memory and events to it; the staging
    /// starts over empty if used again.
    func release(on stream: any StagingStream) {
        lock.withLock {
            try? stream.synchronize()
            for slab in slabs {
                stream.freePinned(slab.memory)
                stream.destroyEvent(slab.event)
            }
            if let downloadSlab { stream.freePinned(downloadSlab) }
            (slabs, current, downloadSlab) = ([], 0, nil)
        }
    }

    /// Stages `bytes` from `host` and queues their copy to `device`; returns before the copy
    /// runs (the data is already in the staging slab).
    func upload(from host: UnsafeRawPointer, to device: DeviceAddress, bytes: Int, on stream: any StagingStream) throws {
        guard bytes > 0 else { return }
        try lock.withLock {
            var offset = 0
            while offset < bytes {
                let chunk = Swift.min(bytes - offset, slabBytes)
                let staged = try reserve(chunk, on: stream)
                staged.copyMemory(from: host + offset, byteCount: chunk)
                try stream.enqueueCopy(from: UnsafeRawPointer(staged), to: DeviceAddress(device.raw &+ UInt64(offset)), bytes: chunk)
                statistics.uploads += 1
                offset += chunk
            }
        }
    }

    /// Copies `bytes` at `device` into `host`, after everything queued before: waits for the
    /// stream.
    func download(from device: DeviceAddress, to host: UnsafeMutableRawPointer, bytes: Int, on stream: any StagingStream) throws {
        guard bytes > 0 else { return }
        try lock.withLock {
            let slab: UnsafeMutableRawPointer
            if let downloadSlab {
                slab = downloadSlab
            } else {
                slab = try stream.allocatePinned(bytes: slabBytes)
                downloadSlab = slab
            }
            var offset = 0
            while offset < bytes {
                let chunk = Swift.min(bytes - offset, slabBytes)
                try stream.enqueueCopy(from: DeviceAddress(device.raw &+ UInt64(offset)), to: slab, bytes: chunk)
                try synchronizeLocked(stream)
                (host + offset).copyMemory(from: slab, byteCount: chunk)
                offset += chunk
            }
            statistics.downloads += 1
        }
    }

    /// Waits until everything queued on the stream has run.
    func synchronize(_ stream: any StagingStream) throws {
        try lock.withLock { try synchronizeLocked(stream) }
    }

    private func synchronizeLocked(_ stream: any StagingStream) throws {
        try stream.synchronize()
        statistics.streamWaits += 1
        // Every copy has run: no slab is pending, and the current one can start over.
        for i in slabs.indices { slabs[i].pending = false }
        if !slabs.isEmpty { slabs[current].used = 0 }
    }

    /// `bytes` (at most a slab) of staging memory that no queued copy reads.
    private func reserve(_ bytes: Int, on stream: any StagingStream) throws -> UnsafeMutableRawPointer {
        let size = (bytes + 63) / 64 * 64
        if slabs.isEmpty { try addSlab(stream) }
        if slabs[current].used + size > slabBytes {
            // The current slab's copies are all queued: mark where they end, and move on.
            try stream.record(slabs[current].event)
            slabs[current].pending = true
            current = (current + 1) % slabCount
            if current == slabs.count {
                try addSlab(stream)
            } else if slabs[current].pending {
                try stream.wait(for: slabs[current].event)
                statistics.slabWaits += 1
                slabs[current].pending = false
            }
            slabs[current].used = 0
        }
        let memory = slabs[current].memory + slabs[current].used
        slabs[current].used += size
        return memory
    }

    private func addSlab(_ stream: any StagingStream) throws {
        let memory = try stream.allocatePinned(bytes: slabBytes)
        do {
            slabs.append(Slab(memory: memory, event: try stream.makeEvent()))
        } catch {
            stream.freePinned(memory)
            throw error
        }
    }
}
