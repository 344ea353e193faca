import CDNNL
import Synchronization
import TheanoArray

/// The process's oneDNN CPU engine and stream, and the primitives built on them.
///
/// Created once, on first use (``shared``), and never torn down. The engine and the stream are
/// immutable after creation; the only mutable state is the primitive cache, behind a lock.
///
/// Thread safety: oneDNN primitives may be shared between threads, but a primitive's
/// library-managed scratchpad and the stream may not be used by two executions at once, so
/// ``execute(_:_:)`` runs one primitive at a time (each already spreads over all cores with
/// OpenMP; two at once would only oversubscribe them).
final class DNNLContext: @unchecked Sendable {
    /// The context of this process, created on first use. Throws (every time) when oneDNN
    /// cannot create a CPU engine.
    static var shared: DNNLContext {
        get throws { try sharedResult.get() }
    }

    private static let sharedResult: Result<DNNLContext, TheanoError> = Result { try DNNLContext() }
        .mapError { $0 as? TheanoError ?? TheanoError.unsupported("oneDNN: \($0)") }

    let engine: dnnl_engine_t
    private let stream: dnnl_stream_t
    /// Serialises executions (see the type's documentation).
    private let executionLock = Mutex(())
    /// Primitives built so far, by what they compute.
    private let cache = Mutex<[DNNLPrimitiveKey: DNNLPrimitive]>([:])

    private init() throws {
        var engine: dnnl_engine_t?
        try dnnlCheck(dnnl_engine_create(&engine, dnnl_cpu, 0), "creating the CPU engine")
        var stream: dnnl_stream_t?
        do {
            try dnnlCheck(dnnl_stream_create(&stream, engine, dnnl_stream_default_flags.rawValue), "creating a stream")
        } catch {
            dnnl_engine_destroy(engine)
            throw error
        }
        self.engine = engine!
        self.stream = stream!
    }

    /// The cached primitive for `key`, built by `build` on first use. Two threads asking for
    /// the same new key may both build it; one result is kept.
    func primitive(_ key: DNNLPrimitiveKey, build: (DNNLContext) throws -> DNNLPrimitive) throws -> DNNLPrimitive {
        if let hit = cache.withLock({ $0[key] }) { return hit }
        let built = try build(self)
        return cache.withLock { entries in
            if let other = entries[key] { return other }
            entries[key] = built
            return built
        }
    }

    /// How many primitives the cache holds (for tests).
    var cachedPrimitiveCount: Int { cache.withLock { $0.count } }

    /// Runs `primitive` with the given arguments (oneDNN argument index, memory) and waits
    /// for it to finish.
    func execute(_ primitive: dnnl_primitive_t, _ arguments: [dnnl_exec_arg_t]) throws {
        try executionLock.withLock { _ in
            try dnnlCheck(dnnl_primitive_execute(primitive, stream, Int32(arguments.count), arguments), "executing a primitive")
            try dnnlCheck(dnnl_stream_wait(stream), "waiting for the stream")
        }
    }
}

/// Throws a ``TheanoError`` naming `what` and oneDNN's status unless `status` is success.
func dnnlCheck(_ status: dnnl_status_t, _ what: @autoclosure () -> String) throws {
    guard status != dnnl_success else { return }
    let message = "oneDNN: \(what()) failed: \(dnnlStatusName(status))"
    switch status {
    case dnnl_out_of_memory: throw TheanoError.outOfMemory(message)
    case dnnl_invalid_arguments: throw TheanoError.invalidArgument(message)
    default: throw TheanoError.unsupported(message)
    }
}

/// oneDNN's name of a status.
func dnnlStatusName(_ status: dnnl_status_t) -> String {
    switch status {
    case dnnl_success: "success"
    case dnnl_out_of_memory: "out of memory"
    case dnnl_invalid_arguments: "invalid arguments"
    case dnnl_unimplemented: "unimplemented (no implementation for these parameters)"
    case dnnl_iterator_ends: "iterator ends"
    case dnnl_runtime_error: "runtime error"
    case dnnl_not_required: "not required"
    default: "status \(status.rawValue)"
    }
}
