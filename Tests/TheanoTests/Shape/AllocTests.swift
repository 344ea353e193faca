import Theano
import XCTest

/// alloc, broadcastTo, zeros, ones, full and the ...Like forms.
final class AllocTests: BackendTestCase {
    func testAllocScalarToStaticShape() throws {
        let v = Tensor.scalar("v", .float64)
        let y = try alloc(v, shape: [2, 3])
        XCTAssertEqual(y.staticShape, [2, 3])
        XCTAssertEqual(y.dtype, .float64)
        assertValues(try evaluate(y, [v], [NDArray(scalar: 1.5)]), Array(repeating: 1.5, count: 6), shape: [2, 3])
        try checkInferShape(y, [v], [NDArray(scalar: 1.5)])
    }

    func testAllocBroadcastsAVectorToSymbolicShape() throws {
        let row = Tensor.vector("row", .float64, size: 3)
        let x = Tensor.matrix("x", .float64)
        let y = try row.alloc(shape: [x.shape(0), 3])
        XCTAssertEqual(y.staticShape, [nil, 3])
        let f = try function([row, x], [y])
        let r = try f(NDArray([1.0, 2, 3]), try NDArray.zeros([2, 7], .float64))[0]
        assertValues(r, [1, 2, 3, 1, 2, 3], shape: [2, 3])
        XCTAssertTrue(r.isContiguous)
        try checkInferShape(y, [row, x], [NDArray([1.0, 2, 3]), try NDArray.zeros([0, 1], .float64)])
        // An axis of the value with a static size fixes the output size even when the target is symbolic.
        let n = Tensor.scalar("n", .int32)
        XCTAssertEqual(try alloc(row, shape: [n, n]).staticShape, [nil, 3])
        let col = Tensor.variable("col", .float64, shape: [nil, 1])
        let z = try alloc(col, shape: [n, 4])
        XCTAssertEqual(z.staticShape, [nil, 4])
        let g = try function([col, n], [z])
        assertValues(try g(try NDArray([5.0, 6], shape: [2, 1]), NDArray(scalar: Int32(2)))[0], [5, 5, 5, 5, 6, 6, 6, 6], shape: [2, 4])
        try checkInferShape(z, [col, n], [try NDArray([5.0, 6], shape: [2, 1]), NDArray(scalar: Int32(2))])
    }

    func testBroadcastToIsAView() throws {
        let x = Tensor.variable("x", .float64, shape: [1, nil])
        let y = try broadcastTo(x, [4, 3])
        XCTAssertEqual(y.staticShape, [4, 3])
        XCTAssertEqual(BroadcastTo().viewMap, [0: [0]])
        let a = try NDArray([1.0, 2, 3], shape: [1, 3])
        let r = try function([x], [y])(a)[0]
        XCTAssertTrue(r.sharesStorage(with: a))
        assertValues(r, [1, 2, 3, 1, 2, 3, 1, 2, 3, 1, 2, 3], shape: [4, 3])
        try checkInferShape(y, [x], [a])
        let m = Tensor.matrix("m", .float64)
        let like = try x.broadcastTo([m.shape(0), m.shape(1)])
        XCTAssertEqual(like.staticShape, [nil, nil])
        try checkInferShape(like, [x, m], [a, try NDArray.zeros([5, 3], .float64)])
        let lead = try broadcastTo(Tensor.vector("v", .float64, size: 2), [3, 1, 2])
        XCTAssertEqual(lead.staticShape, [3, 1, 2])
    }

    func testRandomShapesNonContiguous() throws {
        var data = TestData(seed: 41)
        let x = Tensor.variable("x", .float64, shape: [1, nil])
        let n = Tensor.scalar("n", .int64)
        for (rows, cols) in [(0, 3), (1, 1), (3, 0), (2, 4)] {
            for a in try contiguousAndStrided([1, cols], &data) {
                let count = NDArray(scalar: Int64(rows))
                for y in [try alloc(x, shape: [n, x.shape(1)]), try broadcastTo(x, [n, x.shape(1)])] {
                    let r = try evaluate(y, [x, n], [a, count])
                    assertClose(r, try gather(a, shape: [rows, cols]) { [0, $0[1]] })
                    try checkInferShape(y, [x, n], [a, count])
                }
            }
        }
    }

    func testZerosOnesFull() throws {
        let z = try zeros([2, 3])
        XCTAssertEqual(z.dtype, .float32)
        XCTAssertEqual(z.staticShape, [2, 3])
        assertValues(try evaluate(z, [], []), Array(repeating: 0, count: 6), shape: [2, 3])
        let o = try ones([3], .int8)
        XCTAssertEqual(try evaluate(o, [], []).toArray(of: Int8.self), [1, 1, 1])
        XCTAssertEqual(try evaluate(try ones([2], .bool), [], []).toArray(of: Bool.self), [true, true])
        // np.full((2,), 1.5).dtype is float64, np.full((2,), 2).dtype int64.
        XCTAssertEqual(try full([2], 1.5).dtype, .float64)
        XCTAssertEqual(try full([2], 2).dtype, .int64)
        let f = try full([2, 2], 7.9, .int32)
        XCTAssertEqual(try evaluate(f, [], []).toArray(of: Int32.self), [7, 7, 7, 7])
        XCTAssertEqual(try zeros([]).staticShape, [])
        XCTAssertEqual(try evaluate(try zeros([0, 4], .float64), [], []).shape, [0, 4])
    }

    func testSymbolicShapes() throws {
        let x = Tensor.tensor3("x", .float64)
        let z = try zeros(x.shapeList(), .int32)
        XCTAssertEqual(z.dtype, .int32)
        XCTAssertEqual(z.staticShape, [nil, nil, nil])
        let a = try NDArray.zeros([2, 0, 3], .float64)
        XCTAssertEqual(try evaluate(z, [x], [a]).shape, [2, 0, 3])
        try checkInferShape(z, [x], [a])
        let v = Tensor.scalar("v", .float32)
        let filled = try full([x.shape(2), 2], v)
        XCTAssertEqual(filled.dtype, .float32)
        XCTAssertEqual(filled.staticShape, [nil, 2])
        let r = try evaluate(filled, [x, v], [a, NDArray(scalar: Float(4))])
        assertValues(r, [4, 4, 4, 4, 4, 4], shape: [3, 2])
        let o = try ones([x.shape(0), 5], .float64)
        XCTAssertEqual(o.staticShape, [nil, 5])
        try checkInferShape(o, [x], [try NDArray.zeros([4, 1, 1], .float64)])
    }

    func testLikeForms() throws {
        var data = TestData(seed: 42)
        let x = Tensor.matrix("x", .float32, shape: [nil, 3])
        let a = try data.nonContiguous([2, 3], .float32)
        let z = try zerosLike(x)
        XCTAssertEqual(z.dtype, .float32)
        XCTAssertEqual(z.staticShape, [nil, 3])
        assertValues(try evaluate(z, [x], [a]), Array(repeating: 0, count: 6), shape: [2, 3])
        let o = try x.onesLike(.int64)
        XCTAssertEqual(try evaluate(o, [x], [a]).toArray(of: Int64.self), Array(repeating: 1, count: 6))
        // np.full_like(a, 2.5) keeps a's dtype.
        let f = try x.fullLike(2.5)
        XCTAssertEqual(f.dtype, .float32)
        assertValues(try evaluate(f, [x], [a]), Array(repeating: 2.5, count: 6), shape: [2, 3])
        try checkInferShape(f, [x], [a])
        let i = try fullLike(x, 2.5, .int16)
        XCTAssertEqual(try evaluate(i, [x], [a]).toArray(of: Int16.self), Array(repeating: 2, count: 6))
        XCTAssertEqual(try zerosLike(Tensor.scalar("s", .bool)).staticShape, [])
    }

    func testBuildTimeErrors() {
        let x = Tensor.matrix("x", shape: [2, 3])
        assertThrows(.shapeMismatch, containing: ["Alloc", "x", "rank 2", "1 axes"]) { try alloc(x, shape: [3]) }
        assertThrows(.shapeMismatch, containing: ["BroadcastTo", "x", "[2, 4]", "size 3", "expected 1 or 4"]) { try broadcastTo(x, [2, 4]) }
        assertThrows(.invalidArgument, containing: ["alloc", "negative", "[2, -1]"]) { try alloc(x, shape: [2, -1]) }
        assertThrows(.invalidArgument, containing: ["zeros", "shape entry 0", "-2"]) { try zeros([-2, x.shape(0)]) }
        assertThrows(.typeMismatch, containing: ["zeros", "shape entry 1", "f", "float32"]) { try zeros([3, Tensor.scalar("f")]) }
        assertThrows(.typeMismatch, containing: ["ones", "shape entry 0", "v"]) { try ones([Tensor.vector("v", .int64)]) }
        assertThrows(.typeMismatch, containing: ["Alloc", "size 0", "int64 scalar"]) { try Alloc().apply([x, Tensor.scalar("b", .bool)]) }
    }

    func testRunTimeErrors() throws {
        let x = Tensor.matrix("x", .float64)
        let n = Tensor.scalar("n", .int64)
        let f = try function([x, n], [try broadcastTo(x, [n, 3])])
        // Axis 0 has unknown static size, so a size-1 value does not broadcast along it.
        assertThrows(.shapeMismatch, containing: ["BroadcastTo", "[1, 3]", "[4, 3]", "static size 1"]) {
            try f(try NDArray.zeros([1, 3], .float64), NDArray(scalar: Int64(4)))
        }
        assertThrows(.shapeMismatch, containing: ["BroadcastTo", "[2, 2]", "axis 1"]) {
            try f(try NDArray.zeros([2, 2], .float64), NDArray(scalar: Int64(2)))
        }
        assertThrows(.invalidArgument, containing: ["BroadcastTo", "negative", "-1"]) {
            try f(try NDArray.zeros([2, 3], .float64), NDArray(scalar: Int64(-1)))
        }
        let g = try function([n], [try zeros([n, n])])
        assertThrows(.invalidArgument, containing: ["Alloc", "negative"]) { try g(NDArray(scalar: Int64(-3))) }
        XCTAssertEqual(try g(NDArray(scalar: Int64(2)))[0].shape, [2, 2])
    }
}
