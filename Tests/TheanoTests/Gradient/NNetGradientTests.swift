import Theano
import XCTest

final class NNetGradientTests: BackendTestCase {
    func testSoftmaxAndLogSoftmaxOverEveryAxis() throws {
        var data = TestData(seed: 5)
        let cases: [([Int], Int)] = [([4], 0), ([3, 4], 0), ([3, 4], 1), ([3, 4], -1), ([2, 3, 2], 1), ([2, 3, 2], -3), ([1, 4], 0), ([3, 1], 1)]
        for (shape, axis) in cases {
            let point = try data.nonContiguous(shape)
            let context = "\(shape) axis \(axis)"
            XCTAssertNoThrow(try verifyGrad({ try softmax($0[0], axis: axis) }, at: [point]), context)
            XCTAssertNoThrow(try verifyGrad({ try logSoftmax($0[0], axis: axis) }, at: [point]), context)
            try assertGradientsAgreeAcrossShapesAndLayouts(
                { try softmax($0[0], axis: axis) }, shapes: [shape.map { _ in nil }], at: [point], context)
            try assertGradientsAgreeAcrossShapesAndLayouts(
                { try logSoftmax($0[0], axis: axis) }, shapes: [shape.map { _ in nil }], at: [point], context)
        }
    }

    func testLogSoftmaxGradientIsFiniteForLargeInputs() throws {
        // z = logSoftmax([1000, 0]) = [0, -1000]; d sum(w z)/dx = w - softmax(x) sum(w).
        let x = Tensor.vector("x", .float64)
        let gx = try grad(sum(logSoftmax(x) * Tensor.constant(NDArray([1.0, 2.0]))), wrt: x)
        assertValues(try gx.eval([x: NDArray([1000.0, 0])]), [-2, 2])
        // The softmax at [1000, 1000] is [0.5, 0.5]; d sum(w z)/dx = z (w - sum(w z)).
        let gs = try grad(sum(softmax(x) * Tensor.constant(NDArray([1.0, 3.0]))), wrt: x)
        assertValues(try gs.eval([x: NDArray([1000.0, 1000])]), [-0.5, 0.5])
        // Large inputs in float32 as well.
        let y = Tensor.matrix("y", .float32)
        let gy = try grad(sum(logSoftmax(y, axis: 0)), wrt: y)
        XCTAssertEqual(gy.dtype, .float32)
        assertValues(try gy.eval([y: try NDArray([[1000.0, -1000], [0, 0]]).astype(.float32)]), [-1, 1, 1, -1], atol: 1e-6)
    }

    func testSoftmaxGradientValues() throws {
        // The rows of the softmax sum to 1, so the gradient of their sum is 0.
        let x = Tensor.matrix("x", .float64)
        let g = try grad(sum(softmax(x)), wrt: x)
        let out = try g.eval([x: try NDArray([[1.0, 2, 3], [-1, 0, 5]])])
        assertValues(out, Array(repeating: 0, count: 6), shape: [2, 3], atol: 1e-12)
    }

    func testReluDifferentiatesAwayFromZero() throws {
        let point = try NDArray([[-1.5, 0.3, 2.0], [0.7, -0.2, -3.0]])
        try verifyGrad({ try relu($0[0]) }, at: [point])
        let x = Tensor.vector("x", .float64)
        assertValues(try grad(sum(relu(x)), wrt: x).eval([x: NDArray([-1.0, 2.0, 0.0])]), [0, 1, 0.5])
    }

    /// `mean(-logSoftmax(relu(x W1 + b1) W2 + b2)[i, y_i])`, with the label entries picked by a
    /// one-hot product.
    private func mlpLoss(_ x: Tensor, _ labels: [Int], classes: Int, _ w1: Tensor, _ b1: Tensor, _ w2: Tensor, _ b2: Tensor) throws -> Tensor {
        let hidden = try relu(matmul(x, w1) + b1)
        let logits = try matmul(hidden, w2) + b2
        let y = Tensor.constant(NDArray(labels.map { Int64($0) }))
        let oneHot = try cast(expandDims(y, axis: 1) .== arange(classes), .float64)
        return try mean(-sum(logSoftmax(logits) * oneHot, axis: 1))
    }

    func testMLPLoss() throws {
        var data = TestData(seed: 6)
        let (n, d, h, k) = (4, 3, 5, 3)
        let labels = [0, 2, 1, 2]
        let x = Tensor.constant(data.array([n, d]))
        let params = [data.array([d, h], low: -1, high: 1), data.array([h], low: -1, high: 1),
                      data.array([h, k], low: -1, high: 1), data.array([k], low: -1, high: 1)]
        try verifyGrad({ p in try self.mlpLoss(x, labels, classes: k, p[0], p[1], p[2], p[3]) }, at: params)

        // The same through shared variables and a compiled training step: the loss decreases.
        let w1 = Shared(params[0], name: "W1"), b1 = Shared(params[1], name: "b1")
        let w2 = Shared(params[2], name: "W2"), b2 = Shared(params[3], name: "b2")
        let loss = try mlpLoss(x, labels, classes: k, w1, b1, w2, b2)
        let gs = try grad(loss, wrt: [w1, b1, w2, b2])
        let rate = Tensor(0.5)
        var updates: [Shared: Tensor] = [:]
        for (p, g) in zip([w1, b1, w2, b2], gs) { updates[p] = try p - rate * g }
        let step = try function([], [loss], updates: updates)
        let first = try step()[0].item(Double.self)
        var last = first
        for _ in 0..<20 { last = try step()[0].item(Double.self) }
        XCTAssertLessThan(last, first)
    }
}
