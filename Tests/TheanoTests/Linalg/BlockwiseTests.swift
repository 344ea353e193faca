import Theano
import XCTest

/// `Blockwise`: any op applied over leading batch axes. Values against a loop over the
/// blocks, broadcasting of batch axes, shapes, gradients (first and second order) and errors.
final class BlockwiseTests: BackendTestCase {
    var data = TestData(seed: 2)

    func testOuterProductsOfRows() throws {
        let x = Tensor.matrix("x", .float64, shape: [3, nil]), y = Tensor.matrix("y", .float64)
        let z = try blockwise(Outer(), coreRanks: [1, 1], [x, y])[0]
        XCTAssertEqual(z.staticShape, [3, nil, nil])
        XCTAssertEqual(z.dtype, .float64)
        let xv = data.array([3, 4]), yv = data.array([3, 2])
        let result = try evaluate(z, [x, y], [xv, yv])
        XCTAssertEqual(result.shape, [3, 4, 2])
        let u = Tensor.vector("u", .float64), v = Tensor.vector("v", .float64)
        let single = try function([u, v], [outer(u, v)])
        for i in 0..<3 {
            let expected = try single.call([try xv.slice([.index(i)]).copy(), try yv.slice([.index(i)]).copy()])[0]
            assertClose(try result.slice([.index(i)]).copy(), expected, rtol: 0, atol: 0)
        }
        try checkInferShape(z, [x, y], [xv, yv])
    }

    func testBatchAxesBroadcast() throws {
        // [2, 1, 4] and [5, 2]: batch [2, 1] with [5] -> [2, 5].
        let x = Tensor.variable("x", .float64, shape: [nil, 1, nil]), y = Tensor.matrix("y", .float64)
        let z = try blockwise(Outer(), coreRanks: [1, 1], [x, y])[0]
        let xv = data.array([2, 1, 4]), yv = data.array([5, 2])
        let result = try evaluate(z, [x, y], [xv, yv])
        XCTAssertEqual(result.shape, [2, 5, 4, 2])
        let u = Tensor.vector("u", .float64), v = Tensor.vector("v", .float64)
        let single = try function([u, v], [outer(u, v)])
        for i in 0..<2 {
            for j in 0..<5 {
                let expected = try single.call([try xv.slice([.index(i), .index(0)]).copy(), try yv.slice([.index(j)]).copy()])[0]
                assertClose(try result.slice([.index(i), .index(j)]).copy(), expected, rtol: 0, atol: 0)
            }
        }
        try checkInferShape(z, [x, y], [xv, yv])
        // Empty batches give empty results with the core shape.
        XCTAssertEqual(try evaluate(z, [x, y], [data.array([0, 1, 4]), yv]).shape, [0, 5, 4, 2])
    }

    func testMatMulCoreMatchesBatchedMatmul() throws {
        let a = Tensor.variable("a", .float64, shape: [nil, nil, nil]), b = Tensor.variable("b", .float64, shape: [1, nil, nil])
        let z = try blockwise(MatMul(), coreRanks: [2, 2], [a, b])[0]
        let av = data.array([3, 2, 4]), bv = data.array([1, 4, 5])
        assertClose(try evaluate(z, [a, b], [av, bv]), try evaluate(try matmul(a, b), [a, b], [av, bv]), rtol: 1e-12, atol: 1e-12)
    }

    func testGradients() throws {
        let f: ([Tensor]) throws -> Tensor = { x in try blockwise(Outer(), coreRanks: [1, 1], [x[0], x[1]])[0] }
        try verifyGrad(f, at: [data.array([2, 1, 3]), data.array([4, 2])])
        try verifyGrad({ x in try blockwise(TensorDot(axesA: [1], axesB: [0]), coreRanks: [2, 1], [x[0], x[1]])[0] },
                       at: [data.array([3, 2, 4]), data.array([3, 4])])
        // Second order: the gradient's own Blockwise (of the core gradient graph) differentiates.
        try verifyGrad({ x in
            let z = try blockwise(Outer(), coreRanks: [1, 1], [x[0], x[1]])[0]
            return try grad(sum(z * z), wrt: x[0])
        }, at: [data.array([2, 3]), data.array([2, 2])])
        // Compiled on this backend, the gradient equals the reference evaluation.
        let x = Tensor.matrix("x", .float64), y = Tensor.matrix("y", .float64)
        let z = try blockwise(Outer(), coreRanks: [1, 1], [x, y])[0]
        let g = try grad(sum(z * z), wrt: x)
        let values = [data.array([3, 2]), data.array([3, 4])]
        assertClose(try function([x, y], [g]).call(values)[0],
                    try evaluateGraph(inputs: [x.variable, y.variable], outputs: [g.variable], values: values)[0], rtol: 1e-12, atol: 1e-12)
    }

    func testErrors() throws {
        assertThrows(.invalidArgument, containing: ["Blockwise{Outer}", "input 1", "rank 0", "core has 1"]) {
            try blockwise(Outer(), coreRanks: [1, 1], [Tensor.matrix("x"), Tensor.scalar("s")])
        }
        assertThrows(.shapeMismatch, containing: ["Blockwise{Outer}", "batch", "3", "4"]) {
            try blockwise(Outer(), coreRanks: [1, 1], [Tensor.matrix("x", shape: [3, 2]), Tensor.matrix("y", shape: [4, 2])])
        }
        // The core op's own checks still apply (Outer wants one dtype).
        assertThrows(.typeMismatch, containing: ["outer", "dtype"]) {
            try blockwise(Outer(), coreRanks: [1, 1], [Tensor.matrix("x", .float32), Tensor.matrix("y", .float64)])
        }
        assertThrows(.invalidArgument, containing: ["expected 2 inputs"]) {
            try blockwise(Outer(), coreRanks: [1, 1], [Tensor.matrix("x")])
        }
        XCTAssertEqual(Blockwise(Outer(), coreRanks: [1, 1]), Blockwise(Outer(), coreRanks: [1, 1]))
        XCTAssertNotEqual(Blockwise(Outer(), coreRanks: [1, 1]), Blockwise(Outer(), coreRanks: [1, 2]))
    }
}
