import Theano
import XCTest

final class MatMulTests: BackendTestCase {
    func testHandCheckedValues() throws {
        let x = Tensor.matrix("x", .float64), y = Tensor.matrix("y", .float64)
        let a = try NDArray([[1.0, 2], [3, 4]]), b = try NDArray([[5.0, 6], [7, 8]])
        assertValues(try evaluate(try matmul(x, y), [x, y], [a, b]), [19, 22, 43, 50], shape: [2, 2])
        assertValues(try evaluate(try x.matmul(y), [x, y], [a, b]), [19, 22, 43, 50], shape: [2, 2])
        let u = Tensor.vector("u", .float64), v = Tensor.vector("v", .float64)
        let uv = try matmul(u, v)
        XCTAssertEqual(uv.staticShape, [])
        assertValues(try evaluate(uv, [u, v], [NDArray([1.0, 2, 3]), NDArray([4.0, 5, 6])]), [32], shape: [])
        // Matrix-vector and vector-matrix.
        assertValues(try evaluate(try matmul(x, u), [x, u], [a, NDArray([1.0, -1])]), [-1, -1], shape: [2])
        assertValues(try evaluate(try matmul(u, x), [u, x], [NDArray([1.0, -1]), a]), [-2, -2], shape: [2])
    }

    /// Every combination of ranks 1...4, with batch axes that broadcast both ways and that
    /// don't, against the definition of NumPy's matmul; shapes inferred and static.
    func testEveryRankCombinationAgainstDefinition() throws {
        var data = TestData(seed: 10)
        let (m, k, n) = (3, 4, 2)
        for rankA in 1...4 {
            for rankB in 1...4 {
                for (batchA, batchB) in [([2, 1], [1, 3]), ([2, 3], [2, 3])] {
                    let shapeA = rankA == 1 ? [k] : Array(batchA.suffix(rankA - 2)) + [m, k]
                    let shapeB = rankB == 1 ? [k] : Array(batchB.suffix(rankB - 2)) + [k, n]
                    for dtype in [DType.float64, .int32] {
                        let a = data.array(shapeA, dtype), b = data.array(shapeB, dtype)
                        let expected = try naiveMatmul(a, b)
                        for exact in [false, true] {
                            let x = symbolicInput("x", a, exact: exact), y = symbolicInput("y", b, exact: exact)
                            let z = try matmul(x, y)
                            let context = "\(dtype) \(shapeA) x \(shapeB) exact: \(exact)"
                            assertClose(try evaluate(z, [x, y], [a, b]), expected, context)
                            try checkInferShape(z, [x, y], [a, b])
                            if exact { XCTAssertEqual(z.type.staticShape, expected.shape, context) }
                        }
                    }
                }
            }
        }
    }

    func testNonContiguousInputs() throws {
        var data = TestData(seed: 11)
        for dtype in [DType.float32, .float64, .int16] {
            let a = try data.array([2, 5, 3], dtype).transposed([0, 2, 1])      // [2, 3, 5]
            let b = try data.nonContiguous([5, 4], dtype)
            let x = symbolicInput("x", a), y = symbolicInput("y", b)
            assertClose(try evaluate(try matmul(x, y), [x, y], [a, b]), try naiveMatmul(a, b), rtol: 1e-5, atol: 1e-5)
            let c = try data.array([4, 3], dtype).flipped(axis: 1)             // negative strides
            let w = symbolicInput("w", c)
            assertClose(try evaluate(try matmul(y, w), [y, w], [b, c]), try naiveMatmul(b, c), rtol: 1e-5, atol: 1e-5)
        }
    }

    func testSizeZeroAndSizeOne() throws {
        let x = Tensor.matrix("x", .float64), y = Tensor.matrix("y", .float64)
        let z = try matmul(x, y)
        XCTAssertEqual(try evaluate(z, [x, y], [try NDArray.zeros([2, 0], .float64), try NDArray.zeros([0, 3], .float64)]),
                       try NDArray.zeros([2, 3], .float64))
        XCTAssertEqual(try evaluate(z, [x, y], [try NDArray.zeros([0, 4], .float64), try NDArray.zeros([4, 3], .float64)]).shape, [0, 3])
        try checkInferShape(z, [x, y], [try NDArray.zeros([0, 4], .float64), try NDArray.zeros([4, 3], .float64)])
        assertValues(try evaluate(z, [x, y], [try NDArray.full([1, 1], 3, .float64), try NDArray.full([1, 1], 4, .float64)]), [12], shape: [1, 1])
        let batch = Tensor.variable("b", .float64, shape: [nil, nil, nil])
        try checkInferShape(try matmul(batch, y), [batch, y], [try NDArray.zeros([0, 2, 3], .float64), try NDArray.zeros([3, 5], .float64)])
    }

    func testDTypePromotion() throws {
        let cases: [(DType, DType, DType)] = [
            (.int32, .float32, .float64), (.int8, .uint8, .int16), (.bool, .bool, .bool),
            (.float32, .float32, .float32), (.int64, .bool, .int64), (.int16, .float32, .float32),
            (.float32, .float64, .float64), (.uint8, .uint8, .uint8),
        ]
        for (da, db, expected) in cases {
            let x = Tensor.matrix("x", da), y = Tensor.matrix("y", db)
            XCTAssertEqual(try matmul(x, y).dtype, expected, "\(da) x \(db)")
            XCTAssertEqual(try dot(x, y).dtype, expected, "\(da) x \(db)")
            XCTAssertEqual(try outer(x, y).dtype, expected, "\(da) x \(db)")
        }
        let x = Tensor.matrix("x", .int32), y = Tensor.matrix("y", .float32)
        let a = try NDArray([[1, 2]] as [[Int32]]), b = try NDArray([[0.5], [0.25]] as [[Float]])
        let z = try evaluate(try matmul(x, y), [x, y], [a, b])
        XCTAssertEqual(z.dtype, .float64)
        assertValues(z, [1], shape: [1, 1])
        // Booleans: or of ands (NumPy: [[T, F], [F, F]] @ [[T, T], [T, F]]).
        let p = Tensor.matrix("p", .bool), q = Tensor.matrix("q", .bool)
        XCTAssertEqual(try evaluate(try matmul(p, q), [p, q], [try NDArray([[true, false], [false, false]]), try NDArray([[true, true], [true, false]])]),
                       try NDArray([[true, true], [false, false]]))
        // Integers wrap in their dtype (NumPy gives 44 for int8).
        let i = Tensor.matrix("i", .int8), j = Tensor.matrix("j", .int8)
        XCTAssertEqual(try evaluate(try matmul(i, j), [i, j], [try NDArray([[100, 100]] as [[Int8]]), try NDArray([[2], [1]] as [[Int8]])]),
                       try NDArray([[44]] as [[Int8]]))
    }

    func testStaticOutputShapes() throws {
        func shape(_ a: [Int?], _ b: [Int?]) throws -> [Int?] {
            try matmul(Tensor.variable("a", shape: a), Tensor.variable("b", shape: b)).staticShape
        }
        XCTAssertEqual(try shape([nil, 3], [3, 4]), [nil, 4])
        XCTAssertEqual(try shape([5, 1, 2, 3], [4, 3, 2]), [5, 4, 2, 2])
        XCTAssertEqual(try shape([nil, 2, 3], [1, 3, 2]), [nil, 2, 2])
        XCTAssertEqual(try shape([nil, 2, 3], [7, 3, 2]), [7, 2, 2])
        XCTAssertEqual(try shape([1, 2, 3], [1, 3, 2]), [1, 2, 2])
        XCTAssertEqual(try shape([3], [nil, 3, 5]), [nil, 5])
        XCTAssertEqual(try shape([2, 3], [3]), [2])
        XCTAssertEqual(try shape([nil], [nil]), [])
    }

    func testStaticShapeErrors() {
        let x = Tensor.matrix("x", shape: [2, 3]), y = Tensor.matrix("y", shape: [4, 5])
        assertThrows(.shapeMismatch, containing: ["matmul", "x", "y", "[2, 3]", "[4, 5]", "axis 1", "axis 0", "size 3", "size 4"]) {
            try matmul(x, y)
        }
        assertThrows(.shapeMismatch, containing: ["matmul", "x", "[2, 3]", "axis 1", "axis 0"]) { try x.matmul(y) }
        let u = Tensor.vector("u", size: 3), v = Tensor.vector("v", size: 4)
        assertThrows(.shapeMismatch, containing: ["matmul", "u", "v", "axis 0", "size 3", "size 4"]) { try matmul(u, v) }
        let s = Tensor.variable("s", shape: [2, 3, 4]), t = Tensor.variable("t", shape: [5, 4, 6])
        assertThrows(.shapeMismatch, containing: ["matmul", "batch", "s", "t", "2", "5"]) { try matmul(s, t) }
        assertThrows(.invalidArgument, containing: ["matmul", "scalar", "c"]) { try matmul(Tensor.scalar("c"), x) }
        // The op itself insists on one dtype (the functions promote).
        assertThrows(.typeMismatch, containing: ["matmul", "dtype", "x", "float64"]) {
            try MatMul()(x, Tensor.matrix("w", .float64, shape: [3, 2]))
        }
    }

    func testRunTimeShapeErrors() throws {
        let x = Tensor.matrix("x"), y = Tensor.matrix("y")
        let f = try function([x, y], [try matmul(x, y)])
        assertThrows(.shapeMismatch, containing: ["matmul", "run time", "x", "y", "[2, 3]", "[4, 5]"]) {
            try f(try NDArray.zeros([2, 3]), try NDArray.zeros([4, 5]))
        }
        // An unknown batch size never broadcasts, even when it is 1 at run time.
        let s = Tensor.variable("s", shape: [nil, 2, 3]), t = Tensor.variable("t", shape: [nil, 3, 2])
        let g = try function([s, t], [try matmul(s, t)])
        assertThrows(.shapeMismatch, containing: ["matmul", "run time", "[1, 2, 3]", "[4, 3, 2]", "broadcastable"]) {
            try g(try NDArray.zeros([1, 2, 3]), try NDArray.zeros([4, 3, 2]))
        }
        XCTAssertEqual(try g(try NDArray.zeros([4, 2, 3]), try NDArray.zeros([4, 3, 2]))[0].shape, [4, 2, 2])
    }
}
