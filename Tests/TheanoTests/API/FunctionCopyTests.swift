import Theano
import XCTest

/// `Function.copy(swap:deleteUpdates:)`.
final class FunctionCopyTests: BackendTestCase {
    func testSwapTrainsAnotherSharedVariableWithoutRecompiling() throws {
        let w = Shared(NDArray([1.0, -2.0]), name: "w")
        let x = Tensor.vector("x", .float64)
        let loss = try (w * x).sum()
        let gw = try grad(loss, wrt: w)
        let step = try function([x], [loss], updates: [w: w - 0.5 * gw])
        let w2 = Shared(NDArray([10.0, 20.0]), name: "w2")
        let step2 = try step.copy(swap: [w: w2])
        let out = try step2([2, 2])
        assertValues(out[0], [60])
        assertValues(w2.value, [9, 19])
        assertValues(w.value, [1, -2])  // untouched
        _ = try step([2, 2])
        assertValues(w.value, [0, -3])
        assertValues(w2.value, [9, 19])
        // The copy shares the optimised graph; its printed graph names the new variable.
        XCTAssertEqual(step2.graph.nodes.count, step.graph.nodes.count)
        XCTAssertEqual(step2.graph.nodes.map(\.name), step.graph.nodes.map(\.name))
        XCTAssertTrue(step2.graph.description.contains("w2"), step2.graph.description)
        XCTAssertTrue(step2.debugDescription().contains("w2"), step2.debugDescription())
        // A copy of the copy.
        let w3 = Shared(NDArray([0.0, 0.0]), name: "w3")
        let step3 = try step2.copy(swap: [w2: w3])
        _ = try step3([1, 1])
        assertValues(w3.value, [-0.5, -0.5])
        assertValues(w2.value, [9, 19])
    }

    func testDeleteUpdates() throws {
        let count = Shared(NDArray(scalar: 0.0), name: "count")
        let x = Tensor.scalar("x", .float64)
        let f = try function([x], [count + x], updates: [count: count + 1])
        let peek = try f.copy(deleteUpdates: true)
        assertValues(try peek(5)[0], [5])
        XCTAssertEqual(try count.value.item(Double.self), 0)
        _ = try f(5)
        XCTAssertEqual(try count.value.item(Double.self), 1)
        assertValues(try peek(5)[0], [6])
        XCTAssertEqual(try count.value.item(Double.self), 1)
        // Both at once.
        let other = Shared(NDArray(scalar: 100.0), name: "other")
        let g = try f.copy(swap: [count: other], deleteUpdates: true)
        assertValues(try g(1)[0], [101])
        XCTAssertEqual(try other.value.item(Double.self), 100)
    }

    func testSwappedInPlaceUpdates() throws {
        // The update may run in place in the shared buffer; the copy must write into its own.
        let a = Shared(NDArray([1.0, 2.0, 3.0]), name: "a")
        let f = try function([], [], updates: [a: a * 2 + 1])
        let b = Shared(NDArray([0.0, 0.0, 0.0]), name: "b")
        let g = try f.copy(swap: [a: b])
        _ = try g()
        _ = try g()
        assertValues(b.value, [3, 3, 3])
        assertValues(a.value, [1, 2, 3])
        _ = try f()
        assertValues(a.value, [3, 5, 7])
    }

    func testSwapInsideAnInnerGraphRecompiles() throws {
        let s = Shared(NDArray([2.0]), name: "s")
        let a = Tensor.vector("a", .float64)
        let scaled = try OpFromGraph(inputs: [a], outputs: [a * s], name: "scaled", inline: false)
        let x = Tensor.vector("x", .float64)
        let f = try function([x], [try scaled(x)[0]])
        let s2 = Shared(NDArray([5.0]), name: "s2")
        let g = try f.copy(swap: [s: s2])
        assertValues(try g([1, 2])[0], [5, 10])
        assertValues(try f([1, 2])[0], [2, 4])
    }

    func testSwapErrors() throws {
        let w = Shared(NDArray([1.0, 2.0]), name: "w")
        let v = Shared(NDArray([1.0, 2.0]), name: "v")
        let x = Tensor.vector("x", .float64)
        let f = try function([x], [x * w], updates: [w: w + 1, v: v + 1])
        assertThrows(.invalidArgument, containing: ["'q'", "not a shared variable this function reads or updates"]) {
            try f.copy(swap: [Shared(NDArray([1.0]), name: "q"): Shared(NDArray([1.0]))])
        }
        assertThrows(.typeMismatch, containing: ["'w3'", "float64[3]", "'w'", "same type"]) {
            try f.copy(swap: [w: Shared(NDArray([1.0, 2.0, 3.0]), name: "w3")])
        }
        assertThrows(.typeMismatch, containing: ["float32"]) {
            try f.copy(swap: [w: Shared(NDArray([1, 2] as [Float]), name: "w32")])
        }
        assertThrows(.invalidArgument, containing: ["updated twice"]) { try f.copy(swap: [w: v]) }
        // Deleting the updates makes the same swap fine.
        let g = try f.copy(swap: [w: v], deleteUpdates: true)
        assertValues(try g([1, 1])[0], [1, 2])
    }
}
