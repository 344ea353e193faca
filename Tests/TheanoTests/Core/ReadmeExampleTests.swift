import Theano
import XCTest

/// The README's examples, kept compiling and correct.
final class ReadmeExampleTests: BackendTestCase {
    func testFirstExample() throws {
        let x = Tensor.vector("x")
        let y = Tensor.vector("y")
        let z = try exp(-x * x) * sin(y) + tanh(x * y)
        let f = try function([x, y], [z])
        let out = try f(NDArray([1, 2, 3] as [Float]), NDArray([0.5, 0.25, 0.125] as [Float]))
        assertValues(out[0], [0.638488, 0.46664852, 0.35837275])
    }

    func testTrainingExample() throws {
        let w = Shared(try NDArray.zeros([64, 10]), name: "w")
        let b = Shared(try NDArray.zeros([10]), name: "b")
        let x = Tensor.matrix("x", .float32, shape: [nil, 64])
        let y = Tensor.vector("y", .int64)
        let p = try logSoftmax(x.matmul(w) + b, axis: 1)
        let loss = try -p[arange(y.shape(0)), y].mean()
        let g = try grad(loss, wrt: [w, b])
        let step = try function([x, y], [loss], updates: [w: w - 0.5 * g[0], b: b - 0.5 * g[1]])
        let xs = try NDArray.randomUniform([8, 64], seed: 1)
        let ys = NDArray([0, 1, 2, 3, 4, 5, 6, 7] as [Int64])
        let first = try step(xs, ys)[0].item(Double.self)
        XCTAssertEqual(first, Foundation.log(10), accuracy: 1e-5)
        let second = try step(xs, ys)[0].item(Double.self)
        XCTAssertLessThan(second, first)
    }
}

import Foundation
