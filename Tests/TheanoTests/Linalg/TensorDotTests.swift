import Theano
import XCTest

final class TensorDotTests: BackendTestCase {
    func testHandCheckedValues() throws {
        // np.tensordot(np.arange(24.).reshape(2, 3, 4), np.arange(12.).reshape(4, 3), axes=([1, 2], [1, 0]))
        let x = Tensor.tensor3("x", .float64), y = Tensor.matrix("y", .float64)
        let a = try NDArray((0..<24).map(Double.init), shape: [2, 3, 4])
        let b = try NDArray((0..<12).map(Double.init), shape: [4, 3])
        assertValues(try evaluate(try tensordot(x, y, axes: ([1, 2], [1, 0])), [x, y], [a, b]), [440, 1232], shape: [2])
        assertValues(try evaluate(try x.tensordot(y, axes: ([-2, -1], [-1, -2])), [x, y], [a, b]), [440, 1232], shape: [2])
    }

    func testIntegerAxes() throws {
        var data = TestData(seed: 30)
        let a = data.array([2, 3, 4]), b = data.array([3, 4, 5])
        let x = symbolicInput("x", a), y = symbolicInput("y", b)
        let cases: [(Int, [Int], [Int], [Int]?)] = [
            (2, [1, 2], [0, 1], [2, 5]), (0, [], [], [2, 3, 4, 3, 4, 5]),
        ]
        for (n, axesA, axesB, shape) in cases {
            let z = try tensordot(x, y, axes: n)
            let expected = try naiveTensordot(a, b, axesA, axesB)
            XCTAssertEqual(expected.shape, shape)
            assertClose(try evaluate(z, [x, y], [a, b]), expected, "axes: \(n)")
            try checkInferShape(z, [x, y], [a, b])
        }
        // axes: 1 on matrices is the matrix product.
        let m = data.array([3, 4]), w = data.array([4, 2])
        let p = symbolicInput("p", m), q = symbolicInput("q", w)
        assertClose(try evaluate(try p.tensordot(q, axes: 1), [p, q], [m, w]), try naiveMatmul(m, w))
    }

    func testAxisPairsOnViewsAndDTypes() throws {
        var data = TestData(seed: 31)
        let pairs: [([Int], [Int])] = [([0, 2], [1, 0]), ([2], [0]), ([0], [1]), ([], []), ([2, 0], [0, 1]), ([0, 1, 2], [1, 2, 0])]
        for dtype in [DType.float32, .float64, .int32, .bool] {
            let a = try data.array([3, 4, 5], dtype).transposed([2, 0, 1])    // [5, 3, 4]
            let b = try data.nonContiguous([4, 5, 3], dtype)
            let x = symbolicInput("x", a), y = symbolicInput("y", b)
            for (axesA, axesB) in pairs {
                let z = try tensordot(x, y, axes: (axesA, axesB))
                XCTAssertEqual(z.dtype, dtype)
                assertClose(try evaluate(z, [x, y], [a, b]), try naiveTensordot(a, b, axesA, axesB), rtol: 1e-5, atol: 1e-5,
                            "\(dtype) axes \(axesA), \(axesB)")
                try checkInferShape(z, [x, y], [a, b])
            }
        }
        // Promotion: int16 with float32 gives float32; int32 with float32 gives float64.
        XCTAssertEqual(try tensordot(Tensor.matrix("a", .int16), Tensor.matrix("b", .float32), axes: 1).dtype, .float32)
        XCTAssertEqual(try tensordot(Tensor.matrix("a", .int32), Tensor.matrix("b", .float32), axes: 1).dtype, .float64)
    }

    func testSizeZeroAndStaticShapes() throws {
        let a = try NDArray.zeros([2, 0, 3]), b = try NDArray.zeros([0, 3, 4])
        let x = symbolicInput("x", a), y = symbolicInput("y", b)
        let z = try tensordot(x, y, axes: ([1, 2], [0, 1]))
        XCTAssertEqual(try evaluate(z, [x, y], [a, b]), try NDArray.zeros([2, 4]))
        try checkInferShape(z, [x, y], [a, b])
        let s = try tensordot(Tensor.variable("s", shape: [nil, 3, 7]), Tensor.variable("t", shape: [7, nil, 2]), axes: ([2], [0]))
        XCTAssertEqual(s.staticShape, [nil, 3, nil, 2])
    }

    func testErrors() throws {
        let x = Tensor.variable("x", shape: [2, 3, 4]), y = Tensor.variable("y", shape: [4, 5])
        assertThrows(.outOfRange, containing: ["tensordot", "3", "x", "y"]) { try tensordot(x, y, axes: 3) }
        assertThrows(.outOfRange, containing: ["tensordot", "-1"]) { try tensordot(x, y, axes: -1) }
        assertThrows(.shapeMismatch, containing: ["tensordot", "x", "y", "[2, 3, 4]", "[4, 5]", "axis 1", "axis 0", "size 3", "size 4"]) {
            try tensordot(x, y, axes: ([1], [0]))
        }
        assertThrows(.shapeMismatch, containing: ["tensordot", "axis 1", "axis 0"]) { try tensordot(x, y, axes: 2) }
        assertThrows(.outOfRange, containing: ["tensordot", "input 1", "y", "axis 2"]) { try tensordot(x, y, axes: ([2], [2])) }
        assertThrows(.invalidArgument, containing: ["tensordot", "same length", "x", "y"]) { try tensordot(x, y, axes: ([2], [])) }
        assertThrows(.invalidArgument, containing: ["tensordot", "repeat", "x"]) { try tensordot(x, y, axes: ([2, -1], [0, 1])) }
        assertThrows(.typeMismatch, containing: ["tensordot", "dtype", "float64"]) {
            try TensorDot(axesA: [2], axesB: [0]).apply([x, Tensor.matrix("w", .float64)])
        }
        let p = Tensor.matrix("p"), q = Tensor.matrix("q")
        let f = try function([p, q], [try tensordot(p, q, axes: 1)])
        assertThrows(.shapeMismatch, containing: ["tensordot", "run time", "p", "q", "[2, 3]", "[4, 5]"]) {
            try f(try NDArray.zeros([2, 3]), try NDArray.zeros([4, 5]))
        }
    }
}
