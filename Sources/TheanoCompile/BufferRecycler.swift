import Synchronization
import TheanoArray

/// Reuses array storage across nodes and across calls of one compiled function.
///
/// Intermediate results go back to the recycler when their last reader has run; results
/// handed to the caller are remembered and reused only once the caller has let go of them (the
/// recycler then holds the only reference), so a value the caller still holds is never
/// overwritten. Large fresh allocations cost page faults on first touch; reusing warm buffers
/// avoids them.
public final class BufferRecycler: Sendable {
    private struct State {
        /// Storage believed free, by byte count.
        var free: [Int: [ArrayStorage]] = [:]
        /// Storage returned to callers: free once nobody else references it.
        var lent: [ArrayStorage] = []
        var bytes = 0
    }

    private let state = Mutex(State())
    /// At most this many bytes are kept for reuse.
    private let capacity: Int

    public init(capacity: Int = 1 << 30) { self.capacity = capacity }

    /// A C-contiguous array of `shape` whose contents are undefined.
    public func allocate(_ shape: [Int], _ dtype: DType) -> NDArray {
        let bytes = shapeSize(shape) * dtype.byteSize
        if bytes >= 4096, let storage = take(bytes) {
            return NDArray(storage: storage, dtype: dtype, shape: shape, strides: contiguousStrides(shape), offset: 0)
        }
        return NDArray(allocating: shape, dtype: dtype, zeroed: false)
    }

    private func take(_ bytes: Int) -> ArrayStorage? {
        state.withLock { s -> ArrayStorage? in
            if var list = s.free[bytes], let storage = list.popLast() {
                s.free[bytes] = list
                s.bytes -= bytes
                return storage
            }
            // Lent buffers the caller has dropped: the recycler's reference is the last one.
            var i = 0
            while i < s.lent.count {
                if isKnownUniquelyReferenced(&s.lent[i]) {
                    let storage = s.lent.remove(at: i)
                    s.bytes -= storage.byteCount
                    if storage.byteCount == bytes { return storage }
                    s.free[storage.byteCount, default: []].append(storage)
                    s.bytes += storage.byteCount
                } else {
                    i += 1
                }
            }
            return nil
        }
    }

    /// Gives back an intermediate result whose last reader has run.
    func release(_ array: inout NDArray?) {
        guard var value = array.take(), value.byteCount >= 4096, value.offset == 0,
              value.storage.byteCount == value.byteCount, value.isUniquelyReferenced() else { return }
        let storage = value.storage
        state.withLock { s in
            guard s.bytes + storage.byteCount <= capacity else { return }
            s.free[storage.byteCount, default: []].append(storage)
            s.bytes += storage.byteCount
        }
    }

    /// Remembers a result handed to the caller, to reuse once the caller drops it.
    func lend(_ array: NDArray) {
        guard array.byteCount >= 4096, array.storage.byteCount == array.byteCount else { return }
        state.withLock { s in
            guard s.bytes + array.storage.byteCount <= capacity, s.lent.count < 64 else { return }
            if s.lent.contains(where: { $0 === array.storage }) { return }
            s.lent.append(array.storage)
            s.bytes += array.storage.byteCount
        }
    }
}
