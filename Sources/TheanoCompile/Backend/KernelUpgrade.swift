import Dispatch
import Synchronization
import TheanoGraph

/// Kernels a backend is still preparing, such as generated C compiling in the background.
///
/// A backend that does not want a new function to wait gives each such node a choice that
/// runs at once (a precompiled or reference kernel) together with an upgrade and a key
/// (``KernelChoice/upgrading(_:key:)``). When the final kernels are ready it calls
/// ``complete(_:)`` once, with the final choice for every key; the function then switches
/// every node of that upgrade at once, between two calls, so a call never mixes the two tiers.
/// A failure is completed with `.missing(reason)` choices: the nodes keep their first kernels
/// and the report says why.
public final class KernelUpgrade: Sendable {
    private struct State {
        var result: [Int: KernelChoice]? = nil
        var subscribers: [@Sendable ([Int: KernelChoice]) -> Void] = []
    }

    private let state = Mutex(State())
    /// Entered at creation, left at completion: `wait` waits for it.
    private let done = DispatchGroup()

    public init() {
        done.enter()
    }

    /// Delivers the final choices (by key); later calls are ignored.
    public func complete(_ choices: [Int: KernelChoice]) {
        let subscribers = state.withLock { s -> [@Sendable ([Int: KernelChoice]) -> Void]? in
            guard s.result == nil else { return nil }
            s.result = choices
            defer { s.subscribers = [] }
            return s.subscribers
        }
        guard let subscribers else { return }
        for notify in subscribers { notify(choices) }
        done.leave()
    }

    /// Whether ``complete(_:)`` was called.
    public var isComplete: Bool { state.withLock { $0.result != nil } }

    /// Blocks until the final choices are delivered.
    public func wait() {
        if isComplete { return }
        done.wait()
    }

    /// Runs `body` with the final choices once they are delivered (at once when they are).
    func onComplete(_ body: @escaping @Sendable ([Int: KernelChoice]) -> Void) {
        let ready = state.withLock { s -> [Int: KernelChoice]? in
            if let result = s.result { return result }
            s.subscribers.append(body)
            return nil
        }
        if let ready { body(ready) }
    }
}
