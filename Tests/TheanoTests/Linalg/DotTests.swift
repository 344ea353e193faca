import Theano
import XCTest

final class DotTests: BackendTestCase {
    func testHandCheckedValues() throws {
        let u = Tensor.vector("u", .float64), v = Tensor.vector("v", .float64)
        assertValues(try evaluate(try dot(u, v), [u, v], [NDArray([1.0, 2, 3]), NDArray([4.0, 5, 6])]), [32], shape: [])
        assertValues(try evaluate(try u.dot(v), [u, v], [NDArray([1.0, 2, 3]), NDArray([4.0, 5, 6])]), [32], shape: [])
        // np.dot(np.arange(6.).reshape(2, 3), np.arange(12.).reshape(3, 4) - 5)
        let x = Tensor.matrix("x", .float64), y = Tensor.matrix("y", .float64)
        let a = try NDArray((0..<6).map(Double.init), shape: [2, 3])
        let b = try NDArray((0..<12).map { Double($0) - 5 }, shape: [3, 4])
        assertValues(try evaluate(try dot(x, y), [x, y], [a, b]), [5, 8, 11, 14, -4, 8, 20, 32], shape: [2, 4])
        // A scalar multiplies: np.dot(2, [1, 2, 3]) == [2, 4, 6].
        assertValues(try evaluate(try dot(2, u), [u], [NDArray([1.0, 2, 3])]), [2, 4, 6], shape: [3])
    }

    /// Every combination of ranks 0...3 against the definition of NumPy's dot (a scalar
    /// operand multiplies), with shapes inferred and static.
    func testEveryRankCombinationAgainstDefinition() throws {
        var data = TestData(seed: 20)
        let k = 3
        func shape(first: Bool, rank: Int) -> [Int] {
            if rank == 0 { return [] }
            if first { return Array([2, 4].suffix(rank - 1)) + [k] }
            return rank == 1 ? [k] : Array([5].suffix(rank - 2)) + [k, 2]
        }
        for rankA in 0...3 {
            for rankB in 0...3 {
                for dtype in [DType.float64, .int64] {
                    let a = data.array(shape(first: true, rank: rankA), dtype)
                    let b = data.array(shape(first: false, rank: rankB), dtype)
                    let expected: NDArray
                    if rankA == 0 || rankB == 0 {
                        let s = try (rankA == 0 ? a : b).item(Double.self)
                        expected = (rankA == 0 ? b : a).map { $0 * s }.astype(dtype)
                    } else {
                        expected = try naiveDot(a, b)
                    }
                    for exact in [false, true] {
                        let x = symbolicInput("x", a, exact: exact), y = symbolicInput("y", b, exact: exact)
                        let z = try dot(x, y)
                        let context = "\(dtype) \(a.shape) · \(b.shape) exact: \(exact)"
                        assertClose(try evaluate(z, [x, y], [a, b]), expected, context)
                        try checkInferShape(z, [x, y], [a, b])
                        if exact { XCTAssertEqual(z.type.staticShape, expected.shape, context) }
                    }
                }
            }
        }
    }

    func testHigherRankOnViewsAndSizeZero() throws {
        var data = TestData(seed: 21)
        let a = try data.array([4, 3, 2], .float32).transposed([2, 1, 0])       // [2, 3, 4]
        let b = try data.nonContiguous([5, 4, 3], .float32)
        let x = symbolicInput("x", a), y = symbolicInput("y", b)
        assertClose(try evaluate(try dot(x, y), [x, y], [a, b]), try naiveDot(a, b), rtol: 1e-5, atol: 1e-5)
        let e = try NDArray.zeros([2, 0], .float32), f = try NDArray.zeros([3, 0, 4], .float32)
        let p = symbolicInput("p", e), q = symbolicInput("q", f)
        XCTAssertEqual(try evaluate(try dot(p, q), [p, q], [e, f]), try NDArray.zeros([2, 3, 4], .float32))
        try checkInferShape(try dot(p, q), [p, q], [e, f])
    }

    func testErrors() throws {
        let x = Tensor.variable("x", shape: [2, 3, 4]), y = Tensor.variable("y", shape: [5, 6, 7])
        assertThrows(.shapeMismatch, containing: ["dot", "x", "y", "[2, 3, 4]", "[5, 6, 7]", "axis 2", "axis 1", "size 4", "size 6"]) {
            try dot(x, y)
        }
        let u = Tensor.vector("u", size: 3), v = Tensor.vector("v", size: 2)
        assertThrows(.shapeMismatch, containing: ["dot", "u", "v", "axis 0"]) { try u.dot(v) }
        let p = Tensor.tensor3("p"), q = Tensor.matrix("q")
        let f = try function([p, q], [try dot(p, q)])
        assertThrows(.shapeMismatch, containing: ["run time", "p", "q", "[2, 3, 4]", "[5, 6]"]) {
            try f(try NDArray.zeros([2, 3, 4]), try NDArray.zeros([5, 6]))
        }
    }
}
