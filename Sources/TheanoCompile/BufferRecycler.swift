import Synchronization
import TheanoArray

/// Reuses array storage across nodes and across calls of one compiled function, keeping no
/// more than a call needs.
///
/// Intermediate results go back to the recycler when their last reader has run; results
/// handed to the caller are remembered and reused only once the caller has let go of them (the
/// recycler then holds the only reference), so a value the caller still holds is never
/// overwritten. Large fresh allocations cost page faults on first touch; reusing warm buffers
/// avoids them.
///
/// What is kept is bounded by demand: for each byte size, at most as many free buffers as
/// one call has asked ``allocate(_:_:)`` for (the most seen in any call), so buffers made
/// elsewhere (a library's result, a reference implementation's) are dropped when released
/// instead of piling up, and memory stays flat while a function is called again and again.
public final class BufferRecycler: Sendable {
    private struct State {
        /// Storage believed free, by byte count.
        var free: [Int: [ArrayStorage]] = [:]
        /// Storage returned to callers: free once nobody else references it.
        var lent: [ArrayStorage] = []
        /// Bytes held in `free` and `lent`.
        var bytes = 0
        /// Buffers per byte size taken and not yet given back in the calls under way, the most
        /// outstanding at once so far (`requests`), and the most seen in one call (`demand`).
        /// Counting what is outstanding at once, not every request, keeps a loop that takes
        /// and gives back a buffer per step (a nested program run thousands of times in one
        /// call) from raising the demand with each step.
        var outstanding: [Int: Int] = [:]
        var requests: [Int: Int] = [:]
        var demand: [Int: Int] = [:]
        var callsUnderWay = 0

        /// How many free buffers of `bytes` are worth keeping: the demand of one call, or,
        /// before a call has ended, what the calls under way have asked for so far.
        func wanted(_ bytes: Int) -> Int {
            Swift.max(demand[bytes, default: 0], requests[bytes, default: 0])
        }
    }

    private let state = Mutex(State())
    /// At most this many bytes are kept for reuse.
    private let capacity: Int

    public init(capacity: Int = 1 << 30) { self.capacity = capacity }

    /// A C-contiguous array of `shape` whose contents are undefined. Throws when the shape is
    /// invalid or the memory cannot be had (``TheanoError/Kind/outOfMemory``).
    public func allocate(_ shape: [Int], _ dtype: DType) throws -> NDArray {
        let bytes = try checkedByteCount(shape, dtype: dtype, context: "allocating a result")
        if bytes >= 4096, let storage = take(bytes) {
            return NDArray(storage: storage, dtype: dtype, shape: shape, strides: contiguousStrides(shape), offset: 0)
        }
        return try NDArray(allocating: shape, dtype: dtype, zeroed: false, context: "allocating a result")
    }

    /// Marks the start of a call (demand is counted per call).
    func beginCall() {
        state.withLock { $0.callsUnderWay += 1 }
    }

    /// Marks the end of a call: its requests become the demand when they exceed it, and free
    /// buffers beyond the demand are dropped.
    func endCall() {
        state.withLock { s in
            s.callsUnderWay -= 1
            guard s.callsUnderWay == 0 else { return }
            for (bytes, n) in s.requests where n > s.demand[bytes, default: 0] { s.demand[bytes] = n }
            s.requests.removeAll(keepingCapacity: true)
            s.outstanding.removeAll(keepingCapacity: true)
            for (bytes, list) in s.free {
                let keep = s.demand[bytes, default: 0]
                if list.count > keep {
                    s.free[bytes] = Array(list.prefix(keep))
                    s.bytes -= (list.count - keep) * bytes
                }
            }
        }
    }

    private func take(_ bytes: Int) -> ArrayStorage? {
        state.withLock { s -> ArrayStorage? in
            let now = s.outstanding[bytes, default: 0] + 1
            s.outstanding[bytes] = now
            if now > s.requests[bytes, default: 0] { s.requests[bytes] = now }
            if var list = s.free[bytes], let storage = list.popLast() {
                s.free[bytes] = list
                s.bytes -= bytes
                return storage
            }
            // Lent buffers the caller has dropped: the recycler's reference is the last one.
            var i = 0
            var found: ArrayStorage? = nil
            while i < s.lent.count {
                if isKnownUniquelyReferenced(&s.lent[i]) {
                    let storage = s.lent.remove(at: i)
                    s.bytes -= storage.byteCount
                    if found == nil && storage.byteCount == bytes {
                        found = storage
                    } else if s.free[storage.byteCount, default: []].count < s.wanted(storage.byteCount) {
                        s.free[storage.byteCount, default: []].append(storage)
                        s.bytes += storage.byteCount
                    }
                } else {
                    i += 1
                }
            }
            return found
        }
    }

    /// Gives back an intermediate result whose last reader has run.
    func release(_ array: inout NDArray?) {
        guard var value = array.take(), !value.isOnDevice, value.byteCount >= 4096, value.offset == 0,
              value.storage.byteCount == value.byteCount, value.isUniquelyReferenced() else { return }
        let storage = value.storage
        state.withLock { s in
            let bytes = storage.byteCount
            if let n = s.outstanding[bytes], n > 0 { s.outstanding[bytes] = n - 1 }
            guard s.bytes + bytes <= capacity, s.free[bytes, default: []].count < s.wanted(bytes) else { return }
            s.free[bytes, default: []].append(storage)
            s.bytes += bytes
        }
    }

    /// Remembers a result handed to the caller, to reuse once the caller drops it.
    func lend(_ array: NDArray) {
        guard !array.isOnDevice, array.byteCount >= 4096, array.storage.byteCount == array.byteCount else { return }
        state.withLock { s in
            guard s.bytes + array.storage.byteCount <= capacity, s.lent.count < 64,
                  s.wanted(array.storage.byteCount) > 0 else { return }
            if s.lent.contains(where: { $0 === array.storage }) { return }
            s.lent.append(array.storage)
            s.bytes += array.storage.byteCount
        }
    }

    /// Bytes held for reuse (free and lent buffers), for tests and diagnostics.
    public var retainedBytes: Int { state.withLock { $0.bytes } }
}
