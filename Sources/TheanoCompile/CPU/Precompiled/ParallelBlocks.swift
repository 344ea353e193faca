import CTheanoRuntime
import Synchronization

/// Runs parts of a precompiled kernel's work on the runtime's thread pool.
enum ParallelBlocks {
    /// Elements from which an elementwise loop is split over the pool (as the generated C).
    static let threshold = 1 << 17
    /// Elements per part.
    static let grain = 1 << 15

    /// Calls `body(p)` for every part `p` in `0..<parts`: on the pool's threads and the
    /// caller's when there is a pool, else in order on the caller. Rethrows the error of the
    /// first part that throws (after every part has run).
    static func forEach(_ parts: Int, pool: ThreadPool?, _ body: (Int) throws -> Void) throws {
        guard parts > 1, let pool, pool.threads > 1, let handle = pool.handle else {
            for p in 0..<parts { try body(p) }
            return
        }
        try withoutActuallyEscaping(body) { body in
            let job = Job(body)
            withExtendedLifetime(job) {
                th_parallel_for(UnsafeMutableRawPointer(handle), Int64(parts), 1, Unmanaged.passUnretained(job).toOpaque()) { context, begin, end in
                    guard let context else { return }
                    let job = Unmanaged<Job>.fromOpaque(context).takeUnretainedValue()
                    for p in begin..<end { job.run(Int(p)) }
                }
            }
            if let error = job.error.withLock({ $0 }) { throw error }
        }
    }

    private final class Job: @unchecked Sendable {
        let body: (Int) throws -> Void
        let error = Mutex<(any Error)?>(nil)

        init(_ body: @escaping (Int) throws -> Void) { self.body = body }

        func run(_ p: Int) {
            do {
                try body(p)
            } catch {
                self.error.withLock { if $0 == nil { $0 = error } }
            }
        }
    }
}
