import Synchronization
import TheanoArray

/// The storage behind a shared variable: a value that lives between calls of compiled
/// functions, which read it and (through updates) replace it.
///
/// Reading and writing are thread-safe. Setting a value checks it against the variable's type,
/// so a shared variable never holds a value its graphs were not built for.
public final class SharedValue: Sendable {
    public let type: TensorType
    private let storage: Mutex<NDArray>

    /// Creates storage for `value`; the type has the value's dtype and exact shape.
    public init(_ value: NDArray) {
        self.type = TensorType(value.dtype, exactShape: value.shape)
        self.storage = Mutex(value)
    }

    /// Creates storage for `value` with a declared static shape (`nil` sizes may change when
    /// the value is set later). Throws when `value` does not fit `shape`.
    public init(_ value: NDArray, shape: [Int?]) throws {
        let type = TensorType(value.dtype, shape: shape)
        if let problem = type.mismatch(with: value) {
            throw TheanoError.typeMismatch("shared variable: the initial value does not fit the declared type: \(problem)")
        }
        self.type = type
        self.storage = Mutex(value)
    }

    /// The current value.
    public var value: NDArray { storage.withLock { $0 } }

    /// Replaces the value after checking it against ``type``; `name` is used in the error.
    public func set(_ newValue: NDArray, name: String? = nil) throws {
        if let problem = type.mismatch(with: newValue) {
            throw TheanoError.typeMismatch("shared variable \(name.map { "'\($0)'" } ?? ""): cannot set a new value: \(problem)")
        }
        storage.withLock { $0 = newValue }
    }

    /// Replaces the value without a type check; the caller has already checked it.
    public func setUnchecked(_ newValue: NDArray) {
        storage.withLock { $0 = newValue }
    }

    /// Runs `body` with exclusive access to the value (for in-place updates).
    public func withLock<R>(_ body: (inout NDArray) throws -> R) rethrows -> R {
        try storage.withLock { try body(&$0) }
    }
}
