import Foundation
import Theano
import TheanoNN
import XCTest

/// The examples of docs/API.md, kept compiling and correct.
final class APIDocExampleTests: BackendTestCase {
    func testSwiftValues() throws {
        let x = Tensor.matrix("x")
        let s = Tensor.scalar("s")
        let f = try function([x, s], [x * s])
        let out = try f([[1, 2], [3, 4]], 0.5)
        let same = try f(NDArray([[1, 2], [3, 4]] as [[Float]]), NDArray(scalar: Float(0.5)))
        assertClose(out[0], same[0])
        XCTAssertEqual(out[0].dtype, .float32)
        let i = Tensor.vector("i", .int32)
        let g = try function([i], [i * 2], allowInputDowncast: true)
        assertValues(try g([1.9, -2.9])[0], [2, -4])
    }

    func testDefaultsAndNames() throws {
        let x = Tensor.vector("x", .float64)
        let w = Tensor.scalar("w", .float64)
        let b = Tensor.scalar("b", .float64)
        let f = try function([x, In(w, value: 3), In(b, value: 0.5, name: "bias")], [x * w + b])
        assertValues(try f([1, 2])[0], [3.5, 6.5])
        assertValues(try f([1, 2], 2)[0], [2.5, 4.5])
        assertValues(try f([1, 2], bias: 1)[0], [4, 7])
        assertValues(try f(x: [1, 2], w: 0, bias: 1)[0], [1, 1])
    }

    func testCopy() throws {
        let w = Shared(NDArray([1.0, 2.0]), name: "w")
        let x = Tensor.vector("x", .float64)
        let loss = try (w * x).sum()
        let gw = try grad(loss, wrt: w)
        let step = try function([x], [loss], updates: [w: w - 0.5 * gw])
        let w2 = Shared(w.value, name: "w2")
        let step2 = try step.copy(swap: [w: w2])
        let evaluate = try step.copy(deleteUpdates: true)
        _ = try step2([1, 1])
        assertValues(w2.value, [0.5, 1.5])
        assertValues(w.value, [1, 2])
        assertValues(try evaluate([1, 1])[0], [3])
        assertValues(w.value, [1, 2])
    }

    func testRandomOptimizersInitializers() throws {
        let batch = try NDArray.randomUniform([8, 4], seed: 3)
        let streams = RandomStreams(seed: 0)
        let x = Tensor.matrix("x")
        let w = Shared(try Initializer.glorotUniform([4, 2], seed: 1), name: "w")
        let h = try dropout(x, rate: 0.5, streams: streams)
        let loss = try square(h.matmul(w)).mean()
        let lr = Shared(NDArray(scalar: Float(0.1)), name: "lr")
        let updates = try Adam(learningRate: lr).updates(loss: loss, parameters: [w])
        let step = try function([x], [loss], updates: updates)
        let before = w.value
        _ = try step(batch)
        XCTAssertNotEqual(w.value, before)
        try lr.setValue(NDArray(scalar: Float(0.01)))
        _ = try step(batch)
        let noise = try streams.normal([2, 2])
        let same = try function([], [noise], noDefaultUpdates: true)
        XCTAssertEqual(try same()[0], try same()[0])
    }

    func testGraph() throws {
        let x = Tensor.vector("x", .float64)
        let f = try function([x], [exp(x * 1 + 0).sum()], mode: .fastRun)
        XCTAssertEqual(f.graph.count("mul"), 0)
        XCTAssertEqual(f.graph.count("CompositeReduce"), 1)
        XCTAssertEqual(f.graph.opCounts, ["CompositeReduce": 1])
        XCTAssertTrue(f.graph.description.hasPrefix("%0 = CompositeReduce{"), f.graph.description)
    }

    func testShapesAndNames() throws {
        let x = Tensor.matrix("x")
        let y = try specifyShape(x, [nil, 3])
        let z = try fill(x, 0)
        let c = try `switch`(x .> 0, x, z)
        let p = try softmax(x, axis: nil)
        XCTAssertEqual(y.staticShape, [nil, 3])
        let out = try function([x], [y, c, p])([[1, -2, 3]])
        assertValues(out[1], [1, 0, 3])
        assertValues(try function([x], [p.sum()])([[1, -2, 3]])[0], [1], rtol: 1e-6)
    }

    func testJacobians() throws {
        let x = Tensor.vector("x", .float64)
        let j = try jacobian(softmax(x), wrt: x)
        let h = try hessian((x * x * x).sum(), wrt: x)
        XCTAssertEqual(j.staticShape, [nil, nil])
        assertValues(try function([x], [h])([1, 2])[0], [6, 0, 0, 12])
    }
}
