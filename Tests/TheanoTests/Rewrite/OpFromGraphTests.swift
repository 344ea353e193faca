import Theano
import XCTest

final class OpFromGraphTests: BackendTestCase {
    func makeAxpy(inline: Bool, gradient: OpFromGraph.GradientOverride? = nil) throws -> OpFromGraph {
        let a = Tensor.vector("a", .float64)
        let b = Tensor.vector("b", .float64)
        return try OpFromGraph(inputs: [a, b], outputs: [try a * 2 + b], name: "axpy", inline: inline, gradient: gradient)
    }

    func testRunsAsOneNodeWhenNotInlined() throws {
        let op = try makeAxpy(inline: false)
        let x = Tensor.vector("x", .float64)
        let y = try op(x, x)[0]
        let f = try function([x], [y])
        XCTAssertTrue(f.debugDescription().contains("axpy"))
        assertValues(try f(NDArray([1.0, 2.0]))[0], [3, 6])
        try checkInferShape(y, [x], [NDArray([1.0, 2.0, 3.0])])
    }

    func testIsInlinedSoTheWholeGraphOptimises() throws {
        let op = try makeAxpy(inline: true)
        let x = Tensor.vector("x", .float64)
        let y = try op(x, x)[0]
        let trace = RewriteTrace()
        let f = try function([x], [y], trace: trace)
        XCTAssertFalse(f.debugDescription().contains("axpy"), f.debugDescription())
        XCTAssertTrue(trace.appliedRewrites.contains("inline_op_from_graph"))
        assertValues(try f(NDArray([1.0, 2.0]))[0], [3, 6])
    }

    func testGradientThroughTheInnerGraph() throws {
        let op = try makeAxpy(inline: false)
        try verifyGrad({ try op($0[0], $0[1])[0] * $0[0] }, at: [NDArray([0.5, -1.0]), NDArray([2.0, 3.0])])
    }

    func testGradientOverride() throws {
        // Claim the gradient with respect to a is 10 times g (deliberately not the truth).
        let op = try makeAxpy(inline: false) { _, grads in
            guard let g = grads[0] else { return [nil, nil] }
            return [try g * 10, g]
        }
        let x = Tensor.vector("x", .float64)
        let z = Tensor.vector("z", .float64)
        let gs = try grad(sum(op(x, z)[0]), wrt: [x, z])
        let f = try function([x, z], gs)
        let out = try f(NDArray([1.0, 1.0]), NDArray([1.0, 1.0]))
        assertValues(out[0], [10, 10])
        assertValues(out[1], [1, 1])
    }

    func testWrongInputsThrow() throws {
        let op = try makeAxpy(inline: false)
        let m = Tensor.matrix("m", .float64)
        assertThrows(.typeMismatch, containing: ["axpy", "input 0", "float64[?]"]) { try op(m, m) }
        assertThrows(.invalidArgument, containing: ["axpy", "expected 2 inputs"]) { try op.applyAll([m]) }
        let x = Tensor.vector("x", .float64)
        assertThrows(.invalidArgument, containing: ["plain symbolic input"]) {
            try OpFromGraph(inputs: [x * 2], outputs: [x])
        }
    }
}
