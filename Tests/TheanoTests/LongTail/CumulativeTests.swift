import Theano
import XCTest

/// cumsum, cumprod and diff against NumPy, with gradients (cumprod's at zeros included).
final class CumulativeTests: BackendTestCase {
    func testValues() throws {
        try checkUnary("m34", "cumsum_m34_0") { try cumsum($0, axis: 0) }
        try checkUnary("m34", "cumsum_m34_1") { try $0.cumsum(axis: -1) }
        try checkUnary("m34", "cumsum_m34_none") { try cumsum($0) }
        try checkUnary("i7", "cumsum_i7") { try cumsum($0) }
        try checkUnary("zeros24", "cumprod_zeros24_1") { try cumprod($0, axis: 1) }
        try checkUnary("b234", "cumprod_b234_1") { try $0.cumprod(axis: 1) }
        try checkUnary("m34", "diff_m34_last") { try diff($0) }
        try checkUnary("m34", "diff2_m34_0") { try $0.diff(n: 2, axis: 0) }
        try checkUnary("b234", "diff3_b234_2") { try diff($0, n: 3, axis: 2) }
    }

    func testDTypes() throws {
        let b = Tensor.vector("b", .bool)
        let c = try cumsum(b)
        XCTAssertEqual(c.dtype, .int64)
        XCTAssertEqual(try evaluate(c, [b], [NDArray([true, false, true])]).toArray(of: Int64.self), [1, 1, 2])
        let f = Tensor.vector("f", .float32)
        XCTAssertEqual(try cumprod(f).dtype, .float32)
        let i = Tensor.vector("i", .int32)
        let p = try cumprod(i)
        XCTAssertEqual(p.dtype, .int64)
        XCTAssertEqual(try evaluate(p, [i], [NDArray([Int32(2), -3, 4])]).toArray(of: Int64.self), [2, -6, -24])
        // np.diff of bool is "not equal".
        let d = try diff(b)
        XCTAssertEqual(d.dtype, .bool)
        XCTAssertEqual(try evaluate(d, [b], [NDArray([true, false, false, true])]).toArray(of: Bool.self), [true, false, true])
    }

    func testShapes() throws {
        let x = Tensor.matrix("x", .float64, shape: [3, 4])
        XCTAssertEqual(try diff(x, n: 2).staticShape, [3, 2])
        XCTAssertEqual(try diff(x, n: 5).staticShape, [3, 0])
        XCTAssertEqual(try diff(x, n: 0).staticShape, [3, 4])
        XCTAssertEqual(try cumsum(x).staticShape, [12])
        let y = Tensor.matrix("y", .float64)
        for shape in [[0, 4], [2, 0], [1, 1]] {
            let value = try NDArray.ones(shape, .float64)
            for out in [try cumsum(y, axis: 1), try cumprod(y, axis: 0), try diff(y, axis: 0)] {
                let r = try evaluate(out, [y], [value])
                try checkInferShape(out, [y], [value])
                XCTAssertEqual(r.shape[1], shape[1])
            }
        }
    }

    func testGradients() throws {
        let m = try LongTail.input("m34")
        try verifyGrad({ try cumsum($0[0], axis: 0) }, at: [m])
        try verifyGrad({ try cumsum($0[0]) }, at: [m])
        try verifyGrad({ try cumprod($0[0], axis: 1) }, at: [m])
        try verifyGrad({ try diff($0[0], n: 2, axis: 1) }, at: [m])
        // Zeros (one and several per lane): the gradient divides by nothing.
        let z = try LongTail.input("zeros24")
        try verifyGrad({ try cumprod($0[0], axis: 1) }, at: [z])
        try verifyGrad({ try cumprod($0[0], axis: 0) }, at: [z])
        let x = Tensor.vector("x", .float64)
        let g = try grad(sum(cumprod(x)), wrt: [x])[0]
        // d/dx of x0 + x0 x1 + x0 x1 x2 at (2, 0, 5): (1 + 0 + 0, 2 + 10, 0).
        assertValues(try evaluate(g, [x], [NDArray([2.0, 0, 5])]), [1, 12, 0])
        // Second derivatives: the gradient is differentiable again, zeros included.
        try verifyGrad({ v in try grad(sum(cumprod(v[0], axis: 1) * v[0]), wrt: [v[0]])[0] }, at: [z])
        try verifyGrad({ v in try grad(sum(cumprod(v[0], axis: 0)), wrt: [v[0]])[0] }, at: [m])
        let h = try hessian(sum(cumprod(x)), wrt: x)
        // d2/dxi dxj of x0 + x0 x1 + x0 x1 x2 at (2, 0, 5): [[0, 1 + x2, x1], [., 0, x0], [., ., 0]].
        assertValues(try evaluate(h, [x], [NDArray([2.0, 0, 5])]), [0, 6, 0, 6, 0, 2, 0, 2, 0], shape: [3, 3])
    }

    func testErrors() {
        let m = Tensor.matrix("m")
        assertThrows(.outOfRange, containing: ["cumsum", "axis 2", "m"]) { try cumsum(m, axis: 2) }
        assertThrows(.invalidArgument, containing: ["diff", "non-negative", "-1"]) { try diff(m, n: -1) }
        assertThrows(.outOfRange, containing: ["diff", "rank 0"]) { try diff(Tensor.scalar("s")) }
        assertThrows(.outOfRange, containing: ["CumSum", "axis 4"]) { try CumOp(.sum, axis: 4).apply([m]) }
    }
}
