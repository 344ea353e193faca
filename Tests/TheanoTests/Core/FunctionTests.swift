import Dispatch
import Theano
import XCTest

final class FunctionTests: BackendTestCase {
    func testCallsWithSeveralOutputs() throws {
        let x = Tensor.vector("x", .float64)
        let y = Tensor.vector("y", .float64)
        let f = try function([x, y], [x + y, x * y])
        let out = try f(NDArray([1.0, 2.0]), NDArray([3.0, 4.0]))
        assertValues(out[0], [4, 6])
        assertValues(out[1], [3, 8])
    }

    func testSameOutputTwiceAndInputAsOutput() throws {
        let x = Tensor.vector("x", .float32)
        let f = try function([x], [x, x * 2, x * 2])
        let out = try f(NDArray([1, 2] as [Float]))
        assertValues(out[0], [1, 2])
        assertValues(out[1], [2, 4])
        assertValues(out[2], [2, 4])
    }

    func testWrongArgumentsThrowNamingTheInput() throws {
        let x = Tensor.matrix("x", .float32, shape: [nil, 3])
        let f = try function([x], [x * 2])
        assertThrows(.invalidArgument, containing: ["expected 1 argument", "got 2"]) {
            try f(try NDArray.zeros([2, 3]), try NDArray.zeros([2, 3]))
        }
        assertThrows(.typeMismatch, containing: ["argument 0", "'x'", "float32", "float64"]) {
            try f(try NDArray.zeros([2, 3], .float64))
        }
        assertThrows(.typeMismatch, containing: ["'x'", "rank 2", "rank 1"]) {
            try f(try NDArray.zeros([3]))
        }
        assertThrows(.typeMismatch, containing: ["'x'", "size 3 at axis 1", "[2, 4]"]) {
            try f(try NDArray.zeros([2, 4]))
        }
    }

    func testSharedVariableUpdatesAreAppliedTogether() throws {
        let a = Shared(NDArray([1.0, 2.0]), name: "a")
        let b = Shared(NDArray([10.0, 20.0]), name: "b")
        // Swap: both updates read the values from before the call.
        let swap = try function([], [a + b], updates: [a: b, b: a])
        let out = try swap()
        assertValues(out[0], [11, 22])
        assertValues(a.value, [10, 20])
        assertValues(b.value, [1, 2])
    }

    func testSGDStepOnSharedVariable() throws {
        let w = Shared(NDArray([1.0, -2.0]), name: "w")
        let x = Tensor.vector("x", .float64)
        let loss = try (w * x).named("loss")
        let lr = Tensor(0.5)
        let step = try function([x], [loss], updates: [w: w - lr * x])
        _ = try step(NDArray([2.0, 2.0]))
        assertValues(w.value, [0, -3])
        _ = try step(NDArray([2.0, 2.0]))
        assertValues(w.value, [-1, -4])
    }

    func testFailedCallLeavesSharedVariablesUntouched() throws {
        let w = Shared(NDArray([1.0, 2.0, 3.0]), name: "w")
        let counter = Shared(NDArray(scalar: 0.0), name: "counter")
        let x = Tensor.vector("x", .float64)
        let y = Tensor.vector("y", .float64)
        // x + y fails at run time when the sizes differ; the updates must not happen.
        let f = try function([x, y], [x + y], updates: [w: w * 2, counter: counter + 1])
        assertThrows(.shapeMismatch, containing: ["add", "[3]", "[4]"]) {
            try f(NDArray([1.0, 2.0, 3.0]), NDArray([1.0, 2.0, 3.0, 4.0]))
        }
        assertValues(w.value, [1, 2, 3])
        assertValues(counter.value, [0])
        _ = try f(NDArray([1.0, 2.0, 3.0]), NDArray([1.0, 2.0, 3.0]))
        assertValues(w.value, [2, 4, 6])
        assertValues(counter.value, [1])
    }

    func testUpdateWithWrongTypeIsRejectedWhenCompiling() throws {
        let w = Shared(try NDArray.zeros([3], .float32), name: "w")
        let v = Tensor.vector("v", .float64)
        assertThrows(.typeMismatch, containing: ["update", "'w'", "float64", "float32"]) {
            try function([v], [], updates: [w: v])
        }
        let m = Tensor.matrix("m", .float32)
        assertThrows(.typeMismatch, containing: ["'w'", "float32[?, ?]", "float32[3]"]) {
            try function([m], [], updates: [w: m])
        }
        let wrongSize = Tensor.vector("u", .float32, size: 4)
        assertThrows(.typeMismatch, containing: ["'w'", "float32[4]"]) {
            try function([wrongSize], [], updates: [w: wrongSize])
        }
    }

    func testUpdateWhoseRunTimeShapeDiffersThrowsAndChangesNothing() throws {
        let w = Shared(NDArray([1.0, 2.0]), name: "w")
        let v = Tensor.vector("v", .float64)
        let f = try function([v], [], updates: [w: v])
        assertThrows(.shapeMismatch, containing: ["'w'", "size 2 at axis 0"]) {
            try f(NDArray([1.0, 2.0, 3.0]))
        }
        assertValues(w.value, [1, 2])
    }

    func testGivensSubstituteVariables() throws {
        let data = Shared(NDArray([1.0, 2.0, 3.0, 4.0]), name: "data")
        let x = Tensor.vector("x", .float64)
        let y = Tensor.vector("y", .float64)
        let f = try function([y], [x * 10], givens: [x: y + data])
        assertValues(try f(NDArray([1.0, 1.0, 1.0, 1.0]))[0], [20, 30, 40, 50])
    }

    func testGivensKeyNotInGraphThrows() throws {
        let x = Tensor.vector("x", .float64)
        let unrelated = Tensor.vector("unrelated", .float64)
        assertThrows(.graph, containing: ["givens", "unrelated"]) {
            try function([x], [x * 2], givens: [unrelated: x])
        }
        let m = Tensor.matrix("m", .float64)
        assertThrows(.typeMismatch, containing: ["givens", "float64[?, ?]"]) {
            try function([m], [x * 2], givens: [x: m])
        }
    }

    func testInvalidInputsAreRejected() throws {
        let x = Tensor.vector("x", .float64)
        let missing = Tensor.vector("missing", .float64)
        assertThrows(.graph, containing: ["missing", "not given as an input"]) {
            try function([x], [x + missing])
        }
        assertThrows(.invalidArgument, containing: ["constant"]) {
            try function([Tensor.constant(NDArray([1.0]))], [x])
        }
        assertThrows(.invalidArgument, containing: ["shared"]) {
            try function([Shared(NDArray([1.0]))], [x])
        }
        assertThrows(.invalidArgument, containing: ["listed twice"]) {
            try function([x, x], [x])
        }
    }

    func testSetValueChecksTheType() throws {
        let w = Shared(try NDArray.zeros([2, 2], .float32), name: "w")
        assertThrows(.typeMismatch, containing: ["'w'", "float32", "float64"]) {
            try w.setValue(try NDArray.zeros([2, 2], .float64))
        }
        assertThrows(.typeMismatch, containing: ["'w'", "size 2"]) {
            try w.setValue(try NDArray.zeros([3, 2], .float32))
        }
        let flexible = try Shared(try NDArray.zeros([2, 2], .float32), name: "flex", shape: [nil, 2])
        try flexible.setValue(try NDArray.zeros([5, 2], .float32))
        XCTAssertEqual(flexible.value.shape, [5, 2])
    }

    func testEvalComputesOnce() throws {
        let x = Tensor.vector("x", .float64)
        assertValues(try (x * 3).eval([x: NDArray([1.0, 2.0])]), [3, 6])
        assertValues(try (Tensor(2.0) * 4).eval(), [8])
    }

    func testOneFunctionCalledFromManyThreads() throws {
        let x = Tensor.vector("x", .float64)
        let b = Shared(NDArray([1.0, 1.0, 1.0]), name: "b")
        let f = try function([x], [exp(x) * 2 + b])
        let failures = Failures()
        DispatchQueue.concurrentPerform(iterations: 64) { i in
            let v = Double(i) / 10
            do {
                let out = try f(NDArray([v, v, v]))[0]
                let expected = Foundation.exp(v) * 2 + 1
                if out.doubles.contains(where: { abs($0 - expected) > 1e-9 }) { failures.add("call \(i): \(out.doubles)") }
            } catch {
                failures.add("call \(i): \(error)")
            }
        }
        XCTAssertEqual(failures.all, [])
    }
}

import Foundation
import Synchronization

private final class Failures: Sendable {
    private let list = Mutex<[String]>([])
    func add(_ s: String) { list.withLock { $0.append(s) } }
    var all: [String] { list.withLock { $0 } }
}
