import Synchronization
import TheanoArray

#if canImport(Glibc)
import Glibc
#endif

/// The storage behind a shared variable: a value that lives between calls of compiled
/// functions, which read it and (through updates) replace it.
///
/// Reading and writing are thread-safe, and calls of compiled functions are linearizable with
/// respect to shared variables: a call that updates variables holds their locks (exclusively)
/// and the locks of the variables it only reads (shared) from before it reads them until its
/// updates are stored, taking them in one global order (``lockAll(_:_:)``). Setting a value
/// checks it against the variable's type, so a shared variable never holds a value its graphs
/// were not built for.
public final class SharedValue: @unchecked Sendable {
    public let type: TensorType
    /// Guarded by `lock`.
    private var current: NDArray
    private let lock: UnsafeMutablePointer<pthread_rwlock_t>

    /// Creates storage for `value`; the type has the value's dtype and exact shape.
    public init(_ value: NDArray) {
        self.type = TensorType(value.dtype, exactShape: value.shape)
        self.current = value
        self.lock = SharedValue.makeLock()
    }

    /// Creates storage for `value` with a declared static shape (`nil` sizes may change when
    /// the value is set later). Throws when `value` does not fit `shape`.
    public init(_ value: NDArray, shape: [Int?]) throws {
        let type = TensorType(value.dtype, shape: shape)
        if let problem = type.mismatch(with: value) {
            throw TheanoError.typeMismatch("shared variable: the initial value does not fit the declared type: \(problem)")
        }
        self.type = type
        self.current = value
        self.lock = SharedValue.makeLock()
    }

    /// How to build this variable's default update from the variable itself (Theano's
    /// `default_update`); `nil` when it has none. A builder rather than an expression, so that
    /// an update that reads the variable (as a random draw's next state does) forms no
    /// reference cycle through this storage.
    private let defaultUpdateBuilder = Mutex<DefaultUpdate?>(nil)

    /// Builds a default update expression given the shared variable it updates.
    public struct DefaultUpdate: @unchecked Sendable {
        public let build: (Variable) throws -> Variable
        public init(_ build: @escaping (Variable) throws -> Variable) { self.build = build }
    }

    /// The default update: compiled functions that read this variable and give it no explicit
    /// update store the builder's expression into it after each call, unless compiled with
    /// `noDefaultUpdates`.
    public var defaultUpdate: DefaultUpdate? {
        get { defaultUpdateBuilder.withLock { $0 } }
        set { defaultUpdateBuilder.withLock { $0 = newValue } }
    }

    deinit {
        pthread_rwlock_destroy(lock)
        lock.deallocate()
    }

    private static func makeLock() -> UnsafeMutablePointer<pthread_rwlock_t> {
        let lock = UnsafeMutablePointer<pthread_rwlock_t>.allocate(capacity: 1)
        pthread_rwlock_init(lock, nil)
        return lock
    }

    /// The current value, in host memory. Inside a compiled function's call that holds this
    /// variable's lock, the value the call read (so inner graphs and reference implementations
    /// see one consistent snapshot and never wait for their own call).
    ///
    /// A variable that a device's function updated keeps its value in that device's memory;
    /// reading `value` copies it to the host (each time: keep the result to read it often). If
    /// the device cannot copy (it failed), the elements read as NaN (0 for integers and
    /// bools); ``hostValue()`` throws the device's error instead.
    public var value: NDArray {
        do {
            return try hostValue()
        } catch {
            let stored = storedValue()
            let fill = stored.dtype.isFloatingPoint ? Double.nan : 0
            return (try? NDArray.full(stored.shape, fill, stored.dtype)) ?? NDArray(zeros: [0], dtype: stored.dtype)
        }
    }

    /// The current value in host memory (as ``value``), or the device's error when a value in
    /// device memory cannot be copied.
    public func hostValue() throws -> NDArray {
        try storedValue().onHost()
    }

    /// The stored value, wherever it lives (a device's memory included), for code that
    /// passes it on to that device (a compiled function's call reads it this way).
    public func storedValue() -> NDArray {
        if let snapshot = SharedValue.callSnapshot, let v = snapshot.values[ObjectIdentifier(self)] { return v }
        pthread_rwlock_rdlock(lock)
        defer { pthread_rwlock_unlock(lock) }
        return current
    }

    /// Replaces the value after checking it against ``type``; `name` is used in the error.
    public func set(_ newValue: NDArray, name: String? = nil) throws {
        if let problem = type.mismatch(with: newValue) {
            throw TheanoError.typeMismatch("shared variable \(name.map { "'\($0)'" } ?? ""): cannot set a new value: \(problem)")
        }
        setUnchecked(newValue)
    }

    /// Replaces the value without a type check; the caller has already checked it.
    public func setUnchecked(_ newValue: NDArray) {
        pthread_rwlock_wrlock(lock)
        current = newValue
        pthread_rwlock_unlock(lock)
    }

    // MARK: Calls of compiled functions

    /// How a call holds a shared variable.
    public enum Access: Sendable {
        /// The call only reads the value (other readers may proceed).
        case read
        /// The call may replace or overwrite the value (no one else reads or writes meanwhile).
        case write
    }

    /// Runs `body` holding every lock of `accesses` (each variable once; `write` wins over
    /// `read`), taken in one global order so that concurrent calls cannot deadlock.
    public static func lockAll<R>(_ accesses: [(SharedValue, Access)], _ body: () throws -> R) rethrows -> R {
        var modes: [ObjectIdentifier: (SharedValue, Access)] = [:]
        for (value, access) in accesses {
            let key = ObjectIdentifier(value)
            if case .write = access { modes[key] = (value, .write) } else if modes[key] == nil { modes[key] = (value, .read) }
        }
        let ordered = modes.sorted { $0.key < $1.key }.map(\.value)
        for (value, access) in ordered {
            switch access {
            case .read: pthread_rwlock_rdlock(value.lock)
            case .write: pthread_rwlock_wrlock(value.lock)
            }
        }
        defer { for (value, _) in ordered.reversed() { pthread_rwlock_unlock(value.lock) } }
        return try body()
    }

    /// The value, read by a caller that holds this variable's lock (``lockAll(_:_:)``).
    public func valueWhileLocked() -> NDArray { current }

    /// The value for an in-place update, read by a caller that holds this variable's lock
    /// for writing: the stored array itself when nothing else references its storage and it
    /// can be overwritten element by element (C-contiguous: no broadcast or overlapping
    /// strides), else a fresh C-contiguous copy, so that an array someone else holds never
    /// changes and a broadcast view is never written through.
    public func valueForInPlaceUpdateWhileLocked() -> NDArray {
        // A device array is overwritten only by device kernels, which write new arrays; a
        // host kernel gets a host copy from the scheduler.
        if current.isOnDevice || (current.isContiguous && current.isUniquelyReferenced()) { return current }
        return current.copy()
    }

    /// Stores a new value, by a caller that holds this variable's lock for writing.
    public func setWhileLocked(_ newValue: NDArray) { current = newValue }

    /// The values a call read, for code running inside that call (see ``value``).
    public struct CallSnapshot: Sendable {
        public let values: [ObjectIdentifier: NDArray]
        public init(values: [ObjectIdentifier: NDArray]) { self.values = values }
    }

    @TaskLocal public static var callSnapshot: CallSnapshot?
}
