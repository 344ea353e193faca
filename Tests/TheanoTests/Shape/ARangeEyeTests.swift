import Theano
import XCTest

/// arange and eye.
final class ARangeEyeTests: BackendTestCase {
    func testStaticARange() throws {
        // np.arange(0, 1, 0.3), np.arange(5, 0, -2), np.arange(0.5, 3), np.arange(2, 2)
        let a = try arange(0, 1, 0.3)
        XCTAssertEqual(a.dtype, .float64)
        XCTAssertEqual(a.staticShape, [4])
        assertValues(try evaluate(a, [], []), [0.0, 0.3, 0.6, 0.8999999999999999], rtol: 1e-12, atol: 1e-15)
        let b = try arange(5, 0, -2)
        XCTAssertEqual(b.dtype, .int64)
        XCTAssertEqual(try evaluate(b, [], []).toArray(of: Int.self), [5, 3, 1])
        assertValues(try evaluate(try arange(0.5, 3), [], []), [0.5, 1.5, 2.5])
        XCTAssertEqual(try arange(2, 2).staticShape, [0])
        XCTAssertEqual(try evaluate(try arange(2, 2), [], []).shape, [0])
        XCTAssertEqual(try evaluate(try arange(4), [], []).toArray(of: Int.self), [0, 1, 2, 3])
        // np.arange(0, 1, 0.3, dtype=np.float32)
        let f = try arange(0, 1, 0.3, dtype: .float32)
        XCTAssertEqual(f.dtype, .float32)
        assertValues(try evaluate(f, [], []), [0.0, 0.30000001192092896, 0.6000000238418579, 0.9000000357627869], rtol: 1e-7)
        let n = 3
        XCTAssertEqual(try evaluate(try arange(n, dtype: .int32), [], []).toArray(of: Int32.self), [0, 1, 2])
        XCTAssertEqual(try evaluate(try arange(1, 10, n), [], []).toArray(of: Int.self), [1, 4, 7])
    }

    func testSymbolicARange() throws {
        let n = Tensor.scalar("n", .int64)
        let r = try arange(n)
        XCTAssertEqual(r.dtype, .int64)
        XCTAssertEqual(r.staticShape, [nil])
        for value in [0, 1, 5, -2] {
            let out = try evaluate(r, [n], [NDArray(scalar: Int64(value))])
            XCTAssertEqual(out.toArray(of: Int.self), Array(0..<Swift.max(value, 0)))
            try checkInferShape(r, [n], [NDArray(scalar: Int64(value))])
        }
        let start = Tensor.scalar("start", .float32)
        let step = Tensor.scalar("step", .float32)
        let s = try arange(start, 2, step)
        XCTAssertEqual(s.dtype, .float32)
        let args: [(Float, Float)] = [(0, 0.5), (3, -0.75), (2, 1), (-1, 0.7)]
        for (a, d) in args {
            let values = [NDArray(scalar: a), NDArray(scalar: d)]
            let out = try evaluate(s, [start, step], values)
            let count = Swift.max(0, Int(((2 - Double(a)) / Double(d)).rounded(.up)))
            assertValues(out, (0..<count).map { Double(a) + Double($0) * Double(d) }, rtol: 1e-6)
            try checkInferShape(s, [start, step], values)
        }
        let i = Tensor.scalar("i", .int32)
        XCTAssertEqual(try arange(i, 10).dtype, .int32)
        XCTAssertEqual(try arange(i, 10.5).dtype, .float64)
    }

    func testARangeErrors() throws {
        assertThrows(.invalidArgument, containing: ["ARange", "step", "non-zero"]) { try arange(0, 5, 0) }
        assertThrows(.typeMismatch, containing: ["arange", "stop", "v"]) { try arange(0, Tensor.vector("v")) }
        assertThrows(.typeMismatch, containing: ["arange", "start", "b", "bool"]) { try arange(Tensor.scalar("b", .bool), 5) }
        let step = Tensor.scalar("step", .int64)
        let f = try function([step], [try arange(0, 5, step)])
        assertThrows(.invalidArgument, containing: ["ARange", "step 0"]) { try f(NDArray(scalar: Int64(0))) }
        XCTAssertEqual(try f(NDArray(scalar: Int64(2)))[0].toArray(of: Int.self), [0, 2, 4])
        let x = Tensor.scalar("x", .float64)
        let g = try function([x], [try arange(0, x)])
        assertThrows(.invalidArgument, containing: ["ARange", "finite"]) { try g(NDArray(scalar: Double.infinity)) }
        assertThrows(.invalidArgument, containing: ["ARange", "too many"]) { try g(NDArray(scalar: 1e300)) }
    }

    func testEye() throws {
        // np.eye(3, 4, k=1).ravel(), np.eye(3, k=-1).ravel(), np.eye(2, 3, k=-5)
        let e = try eye(3, 4, k: 1)
        XCTAssertEqual(e.staticShape, [3, 4])
        XCTAssertEqual(e.dtype, .float32)
        assertValues(try evaluate(e, [], []), [0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1], shape: [3, 4])
        assertValues(try evaluate(try eye(3, k: -1, dtype: .float64), [], []), [0, 0, 0, 1, 0, 0, 0, 1, 0], shape: [3, 3])
        assertValues(try evaluate(try eye(2, 3, k: -5), [], []), [0, 0, 0, 0, 0, 0], shape: [2, 3])
        XCTAssertEqual(try evaluate(try eye(2, dtype: .int32), [], []).toArray(of: Int32.self), [1, 0, 0, 1])
        XCTAssertEqual(try evaluate(try eye(0, 3), [], []).shape, [0, 3])
        XCTAssertEqual(try evaluate(try eye(2, 2, k: Int.min), [], []).toArray(of: Float.self), [0, 0, 0, 0])
    }

    func testSymbolicEye() throws {
        let n = Tensor.scalar("n", .int64)
        let k = Tensor.scalar("k", .int32)
        let e = try eye(n, 3, k: k, dtype: .float64)
        XCTAssertEqual(e.staticShape, [nil, 3])
        for (rows, diagonal) in [(0, 0), (1, 0), (4, 1), (2, -1), (3, 9)] {
            let values = [NDArray(scalar: Int64(rows)), NDArray(scalar: Int32(diagonal))]
            let out = try evaluate(e, [n, k], values)
            var expected = Array(repeating: 0.0, count: rows * 3)
            for i in 0..<rows where i + diagonal >= 0 && i + diagonal < 3 { expected[i * 3 + i + diagonal] = 1 }
            assertValues(out, expected, shape: [rows, 3])
            try checkInferShape(e, [n, k], values)
        }
        let square = try eye(n)
        XCTAssertEqual(try evaluate(square, [n], [NDArray(scalar: Int64(2))]).shape, [2, 2])
    }

    func testEyeErrors() throws {
        assertThrows(.invalidArgument, containing: ["eye", "shape entry 0", "-1"]) { try eye(-1) }
        assertThrows(.typeMismatch, containing: ["eye", "shape entry 1", "f"]) { try eye(2, Tensor.scalar("f")) }
        assertThrows(.typeMismatch, containing: ["eye", "k", "v"]) { try eye(2, k: Tensor.vector("v", .int64)) }
        let n = Tensor.scalar("n", .int64)
        let f = try function([n], [try eye(n)])
        assertThrows(.invalidArgument, containing: ["Eye", "non-negative", "-2"]) { try f(NDArray(scalar: Int64(-2))) }
    }
}
