import Synchronization

/// The value made for the last key, kept across calls of a kernel (a training loop calls it
/// with the same shapes, so the host-built tables of pooling and convolution kernels are
/// made once). Safe to share between threads.
final class LastValueCache<Key: Equatable & Sendable, Value: Sendable>: Sendable {
    private let last = Mutex<(key: Key, value: Value)?>(nil)

    /// The value for `key`: the kept one when the key is the last one, else `make()`'s (kept
    /// when it is not nil).
    func value(for key: Key, make: () -> Value?) -> Value? {
        if let hit = last.withLock({ $0 }), hit.key == key { return hit.value }
        guard let made = make() else { return nil }
        last.withLock { $0 = (key, made) }
        return made
    }
}
