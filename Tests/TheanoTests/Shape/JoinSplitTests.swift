import Theano
import XCTest

/// concatenate, stack and split.
final class JoinSplitTests: BackendTestCase {
    func testConcatenateValuesAndStaticShapes() throws {
        let x = Tensor.matrix("x", .float64, shape: [2, 3])
        let y = Tensor.matrix("y", .float64, shape: [nil, 3])
        let z = try concatenate([x, y], axis: 0)
        XCTAssertEqual(z.staticShape, [nil, 3])
        let a = try NDArray([[0.0, 1, 2], [3, 4, 5]])
        let b = try NDArray([[6.0, 7, 8]])
        assertValues(try evaluate(z, [x, y], [a, b]), (0..<9).map(Double.init), shape: [3, 3])
        try checkInferShape(z, [x, y], [a, b])
        let w = try concatenate([x, x], axis: -1)
        XCTAssertEqual(w.staticShape, [2, 6])
        assertValues(try evaluate(w, [x], [a]), [0, 1, 2, 0, 1, 2, 3, 4, 5, 3, 4, 5], shape: [2, 6])
        XCTAssertEqual(try x.concatenate([x, x]).staticShape, [6, 3])
        XCTAssertEqual(try concatenate([x]).staticShape, [2, 3])
    }

    func testConcatenatePromotesDTypes() throws {
        // np.concatenate of int32 and float32 gives float64; of int8 and uint8, int16.
        let i = Tensor.vector("i", .int32)
        let f = Tensor.vector("f", .float32)
        let z = try concatenate([i, f])
        XCTAssertEqual(z.dtype, .float64)
        let r = try evaluate(z, [i, f], [NDArray([1, 2] as [Int32]), NDArray([0.5] as [Float])])
        assertValues(r, [1, 2, 0.5])
        XCTAssertEqual(r.dtype, .float64)
        XCTAssertEqual(try concatenate([Tensor.vector("a", .int8), Tensor.vector("b", .uint8)]).dtype, .int16)
        XCTAssertEqual(try concatenate([Tensor.vector("c", .bool), Tensor.vector("d", .bool)]).dtype, .bool)
    }

    func testConcatenateRandomShapesNonContiguous() throws {
        var data = TestData(seed: 21)
        let x = Tensor.tensor3("x", .float64)
        let y = Tensor.tensor3("y", .float64)
        for axis in [0, 1, -1] {
            for (n, m) in [(0, 2), (1, 1), (3, 0), (2, 4)] {
                var sx = [2, 3, 1], sy = [2, 3, 1]
                let a = axis < 0 ? axis + 3 : axis
                sx[a] = n
                sy[a] = m
                let z = try concatenate([x, y], axis: axis)
                let xa = try data.nonContiguous(sx), ya = data.array(sy)
                let r = try evaluate(z, [x, y], [xa, ya])
                var out = sx
                out[a] = n + m
                XCTAssertEqual(r.shape, out)
                // Element by element: the first n entries come from x, the rest from y.
                for index in allIndices(out) {
                    var j = index
                    let v: Double
                    if index[a] < n { v = try xa.element(index) } else { j[a] -= n; v = try ya.element(j) }
                    XCTAssertEqual(try r.element(index, as: Double.self), v)
                }
                try checkInferShape(z, [x, y], [xa, ya])
            }
        }
    }

    func testConcatenateBuildTimeErrors() {
        let x = Tensor.matrix("x", shape: [2, 3])
        let y = Tensor.matrix("y", shape: [2, 4])
        assertThrows(.invalidArgument, containing: ["concatenate", "at least one"]) { try concatenate([]) }
        assertThrows(.shapeMismatch, containing: ["concatenate", "zero-dimensional", "s"]) { try concatenate([Tensor.scalar("s")]) }
        assertThrows(.shapeMismatch, containing: ["concatenate", "same rank", "x", "v"]) { try concatenate([x, Tensor.vector("v")]) }
        assertThrows(.outOfRange, containing: ["concatenate", "axis 2", "rank 2"]) { try concatenate([x, y], axis: 2) }
        assertThrows(.shapeMismatch, containing: ["Join", "x", "y", "axis 1", "3 vs 4"]) { try concatenate([x, y], axis: 0) }
    }

    func testConcatenateRunTimeErrors() throws {
        let x = Tensor.matrix("x", .float64)
        let y = Tensor.matrix("y", .float64)
        let f = try function([x, y], [try concatenate([x, y], axis: 0)])
        assertThrows(.shapeMismatch, containing: ["Join", "[2, 3]", "[2, 4]", "axis 1"]) {
            try f(try NDArray.zeros([2, 3], .float64), try NDArray.zeros([2, 4], .float64))
        }
    }

    func testStack() throws {
        let x = Tensor.matrix("x", .float64)
        let a = try NDArray([[0.0, 1, 2], [3, 4, 5]])
        let ten = try NDArray([[10.0, 11, 12], [13, 14, 15]])
        let y = Tensor.matrix("y", .float64)
        let s = try stack([x, y], axis: 1)
        XCTAssertEqual(s.staticShape, [nil, 2, nil])
        // np.stack([a, a + 10], axis=1).ravel()
        assertValues(try evaluate(s, [x, y], [a, ten]), [0, 1, 2, 10, 11, 12, 3, 4, 5, 13, 14, 15], shape: [2, 2, 3])
        try checkInferShape(s, [x, y], [a, ten])
        let last = try x.stack([y, x], axis: -1)
        XCTAssertEqual(try evaluate(last, [x, y], [a, ten]).shape, [2, 3, 3])
        let scalars = try stack([Tensor.scalar("p", .int32), Tensor.scalar("q", .float32)])
        XCTAssertEqual(scalars.staticShape, [2])
        XCTAssertEqual(scalars.dtype, .float64)
        var data = TestData(seed: 2)
        for shape in [[0, 2], [1, 1]] {
            let b = try data.nonContiguous(shape), c = data.array(shape)
            let r = try evaluate(try stack([x, y], axis: 0), [x, y], [b, c])
            XCTAssertEqual(r.shape, [2] + shape)
            for index in allIndices([2] + shape) {
                let source = index[0] == 0 ? b : c
                XCTAssertEqual(try r.element(index, as: Double.self), try source.element(Array(index.dropFirst()), as: Double.self))
            }
        }
    }

    func testStackErrors() throws {
        let x = Tensor.matrix("x", shape: [2, 3])
        let y = Tensor.matrix("y", shape: [2, 4])
        assertThrows(.shapeMismatch, containing: ["stack", "same shape", "x", "y"]) { try stack([x, y]) }
        assertThrows(.shapeMismatch, containing: ["stack", "same shape"]) { try stack([x, Tensor.vector("v")]) }
        assertThrows(.outOfRange, containing: ["stack", "axis 3", "rank 3"]) { try stack([x, x], axis: 3) }
        assertThrows(.invalidArgument, containing: ["stack"]) { try stack([]) }
        let u = Tensor.matrix("u", .float64), w = Tensor.matrix("w", .float64)
        let f = try function([u, w], [try stack([u, w])])
        assertThrows(.shapeMismatch, containing: ["[1, 2, 3]", "[1, 3, 3]"]) {
            try f(try NDArray.zeros([2, 3], .float64), try NDArray.zeros([3, 3], .float64))
        }
    }

    func testSplitBySizes() throws {
        let x = Tensor.matrix("x", .float64, shape: [3, nil])
        let parts = try split(x, sizes: [1, 2, 1], axis: 1)
        XCTAssertEqual(parts.map(\.staticShape), [[3, 1], [3, 2], [3, 1]])
        let a = try NDArray((0..<12).map(Double.init), shape: [3, 4])
        let f = try function([x], parts)
        let r = try f(a)
        // np.split(np.arange(12).reshape(3, 4), [1, 3], axis=1)
        assertValues(r[0], [0, 4, 8], shape: [3, 1])
        assertValues(r[1], [1, 2, 5, 6, 9, 10], shape: [3, 2])
        assertValues(r[2], [3, 7, 11], shape: [3, 1])
        XCTAssertTrue(r.allSatisfy { $0.sharesStorage(with: a) })
        for p in parts { try checkInferShape(p, [x], [a]) }
        let rows = try x.split(sizes: [0, 3], axis: -2)
        XCTAssertEqual(rows.map(\.staticShape), [[0, nil], [3, nil]])
    }

    func testSplitIntoEqualParts() throws {
        let x = Tensor.matrix("x", .float64)
        let parts = try x.split(parts: 2, axis: 0)
        XCTAssertEqual(parts.count, 2)
        XCTAssertEqual(parts[0].staticShape, [nil, nil])
        var data = TestData(seed: 4)
        for rows in [0, 2, 6] {
            for a in try contiguousAndStrided([rows, 3], &data) {
                let r = try function([x], parts)(a)
                let half = rows / 2
                assertClose(r[0], try gather(a, shape: [half, 3]) { $0 })
                assertClose(r[1], try gather(a, shape: [half, 3]) { [$0[0] + half, $0[1]] })
                for p in parts { try checkInferShape(p, [x], [a]) }
            }
        }
        let fixed = Tensor.matrix("f", shape: [2, 6])
        XCTAssertEqual(try split(fixed, parts: 3, axis: 1).map(\.staticShape), [[2, 2], [2, 2], [2, 2]])
    }

    func testSplitErrors() throws {
        let x = Tensor.matrix("x", shape: [2, 4])
        assertThrows(.shapeMismatch, containing: ["Split", "add up to 3", "x", "size 4"]) { try split(x, sizes: [1, 2], axis: 1) }
        assertThrows(.shapeMismatch, containing: ["Split", "size 4", "3 equal parts"]) { try split(x, parts: 3, axis: 1) }
        assertThrows(.invalidArgument, containing: ["Split", "non-negative", "[-1, 5]"]) { try split(x, sizes: [-1, 5], axis: 1) }
        assertThrows(.invalidArgument, containing: ["Split", "at least 1"]) { try split(x, parts: 0) }
        assertThrows(.outOfRange, containing: ["split", "axis 2", "rank 2"]) { try split(x, parts: 2, axis: 2) }
        let y = Tensor.matrix("y", .float64)
        let f = try function([y], try split(y, sizes: [1, 2], axis: 1))
        assertThrows(.shapeMismatch, containing: ["Split", "add up to 3", "[2, 4]", "size 4"]) { try f(try NDArray.zeros([2, 4], .float64)) }
        let g = try function([y], try split(y, parts: 3, axis: 1))
        assertThrows(.shapeMismatch, containing: ["Split", "[2, 4]", "3 equal parts"]) { try g(try NDArray.zeros([2, 4], .float64)) }
    }
}
