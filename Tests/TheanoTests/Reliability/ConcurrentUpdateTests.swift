import Dispatch
import Theano
import XCTest

/// Calls that update shared variables are linearizable; calls without updates run
/// concurrently and always see a whole value.
final class ConcurrentUpdateTests: XCTestCase {
    let backends = [CompileOptions(backend: .cpu), CompileOptions(backend: .reference)]

    func testConcurrentIncrementsAreNeverLost() throws {
        for options in backends {
            let size = options.backend.name == "cpu" ? 1 << 21 : 1 << 12
            let w = Shared(try NDArray.zeros([size], .float32), name: "w")
            let f = try function([], [], updates: [w: w + 1], options: options)
            let threads = 8, calls = options.backend.name == "cpu" ? 40 : 10
            let failures = Counter()
            DispatchQueue.concurrentPerform(iterations: threads) { _ in
                for _ in 0..<calls {
                    do { _ = try f() } catch { failures.add() }
                }
            }
            XCTAssertEqual(failures.value, 0)
            let values = w.value.doubles
            XCTAssertEqual(values.first, Double(threads * calls), "\(options.backend)")
            XCTAssertTrue(values.allSatisfy { $0 == Double(threads * calls) }, "every element saw every increment (\(options.backend))")
        }
    }

    func testReadersSeeWholeValuesWhileUpdatesRun() throws {
        for options in backends {
            let size = 1 << 16
            let w = Shared(try NDArray.zeros([size], .float64), name: "w")
            let step = try function([], [], updates: [w: w + 1], options: options)
            let read = try function([], [w * 1], options: options)
            let torn = Counter()
            DispatchQueue.concurrentPerform(iterations: 4) { i in
                for _ in 0..<25 {
                    if i < 2 {
                        _ = try? step()
                    } else {
                        for value in [(try? read())?.first, w.value].compactMap({ $0 }) {
                            let d = value.doubles
                            if d.contains(where: { $0 != d[0] }) { torn.add() }
                        }
                    }
                }
            }
            XCTAssertEqual(torn.value, 0, "a reader saw a half-updated value (\(options.backend))")
            XCTAssertEqual(w.value.doubles.first, 50)
        }
    }

    func testTwoFunctionsUpdatingTheSameVariables() throws {
        // Opposite orders of the same variables in two functions must not deadlock.
        let a = Shared(NDArray([0.0]), name: "a"), b = Shared(NDArray([0.0]), name: "b")
        let f = try function([], [], updates: [a: a + 1, b: b + a])
        let g = try function([], [], updates: [b: b + 1, a: a + b])
        DispatchQueue.concurrentPerform(iterations: 4) { i in
            for _ in 0..<100 { _ = try? (i % 2 == 0 ? f() : g()) }
        }
        XCTAssertGreaterThan(a.value.doubles[0], 0)
    }
}

/// A thread-safe counter for tests.
final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var n = 0
    func add() { lock.lock(); n += 1; lock.unlock() }
    var value: Int { lock.lock(); defer { lock.unlock() }; return n }
}
