import Theano
import XCTest

/// transpose, `.T`, dimshuffle, squeeze and expandDims (all built on DimShuffle).
final class TransposeTests: BackendTestCase {
    func testTransposeValues() throws {
        let x = Tensor.tensor3("x", .float64)
        let a = try NDArray((0..<24).map(Double.init), shape: [2, 3, 4])
        let y = try transpose(x, axes: [1, 2, 0])
        // np.transpose(np.arange(24).reshape(2, 3, 4), (1, 2, 0)).ravel()
        assertValues(try evaluate(y, [x], [a]), [0, 12, 1, 13, 2, 14, 3, 15, 4, 16, 5, 17, 6, 18, 7, 19, 8, 20, 9, 21, 10, 22, 11, 23], shape: [3, 4, 2])
        try checkInferShape(y, [x], [a])
        // Negative axes name the same permutation.
        assertClose(try evaluate(try x.transpose(axes: [-2, -1, 0]), [x], [a]), try evaluate(y, [x], [a]))
        let reversed = try evaluate(try x.T, [x], [a])
        XCTAssertEqual(reversed.shape, [4, 3, 2])
        assertClose(reversed, try gather(a, shape: [4, 3, 2]) { $0.reversed() })
    }

    func testTransposeStaticShapesAndIdentity() throws {
        let m = Tensor.matrix("m", shape: [2, nil])
        XCTAssertEqual(try m.T.staticShape, [nil, 2])
        XCTAssertEqual(try m.transposed().staticShape, [nil, 2])
        XCTAssertTrue(try transpose(m, axes: [0, 1]) == m)
        let v = Tensor.vector("v")
        XCTAssertTrue(try v.T == v)
    }

    func testTransposeRandomShapesNonContiguous() throws {
        var data = TestData(seed: 11)
        let m = Tensor.matrix("m", .float64)
        for shape in [[0, 3], [1, 1], [3, 1], [2, 5]] {
            for a in try contiguousAndStrided(shape, &data) {
                let y = try m.T
                let r = try evaluate(y, [m], [a])
                assertClose(r, try gather(a, shape: [shape[1], shape[0]]) { [$0[1], $0[0]] })
                try checkInferShape(y, [m], [a])
            }
        }
    }

    func testTransposeErrors() {
        let x = Tensor.matrix("x")
        assertThrows(.invalidArgument, containing: ["transpose", "[0, 0]", "permutation", "x"]) { try transpose(x, axes: [0, 0]) }
        assertThrows(.invalidArgument, containing: ["transpose", "[0]", "2 axes"]) { try transpose(x, axes: [0]) }
        assertThrows(.outOfRange, containing: ["transpose", "axis 5", "rank 2"]) { try x.transpose(axes: [5, 0]) }
    }

    func testDimshuffle() throws {
        let v = Tensor.vector("v", .float64)
        let row = try dimshuffle(v, [DimShuffle.newAxis, 0])
        XCTAssertEqual(row.staticShape, [1, nil])
        let col = try v.dimshuffle(0, -1)
        XCTAssertEqual(col.staticShape, [nil, 1])
        let a = NDArray([1.0, 2, 3])
        XCTAssertEqual(try evaluate(col, [v], [a]).shape, [3, 1])
        try checkInferShape(row, [v], [a])
        let x = Tensor.variable("x", .float64, shape: [1, nil, 1])
        let dropped = try x.dimshuffle([1])
        XCTAssertEqual(dropped.staticShape, [nil])
        let b = try NDArray([4.0, 5], shape: [1, 2, 1])
        assertValues(try evaluate(dropped, [x], [b]), [4, 5], shape: [2])
        let moved = try dimshuffle(x, [2, -1, 1, 0])
        XCTAssertEqual(moved.staticShape, [1, 1, nil, 1])
        try checkInferShape(moved, [x], [b])
    }

    func testDimshuffleErrors() {
        let x = Tensor.matrix("x", shape: [nil, 3])
        assertThrows(.shapeMismatch, containing: ["dimshuffle", "drops axis 0", "x", "static size 1"]) { try dimshuffle(x, [1]) }
        assertThrows(.outOfRange, containing: ["dimshuffle", "axis 2", "rank 2"]) { try dimshuffle(x, [0, 2]) }
        assertThrows(.outOfRange, containing: ["dimshuffle", "axis -2"]) { try dimshuffle(x, [-2, 0, 1]) }
        assertThrows(.invalidArgument, containing: ["dimshuffle", "more than once"]) { try x.dimshuffle(0, 0, 1) }
    }

    func testSqueeze() throws {
        let x = Tensor.variable("x", .float64, shape: [1, nil, 1])
        XCTAssertEqual(try squeeze(x).staticShape, [nil])
        XCTAssertEqual(try x.squeeze(axes: [-1]).staticShape, [1, nil])
        XCTAssertEqual(try squeeze(x, axes: [0, 2]).staticShape, [nil])
        var data = TestData(seed: 5)
        for n in [0, 1, 4] {
            for a in try contiguousAndStrided([1, n, 1], &data) {
                let y = try squeeze(x, axes: [2])
                let r = try evaluate(y, [x], [a])
                assertClose(r, try gather(a, shape: [1, n]) { $0 + [0] })
                try checkInferShape(y, [x], [a])
            }
        }
        let m = Tensor.matrix("m")
        XCTAssertTrue(try squeeze(m) == m)
    }

    func testSqueezeErrors() {
        let x = Tensor.variable("x", shape: [1, nil, 3])
        assertThrows(.shapeMismatch, containing: ["squeeze", "axis 1", "x", "unknown until run time"]) { try squeeze(x, axes: [1]) }
        assertThrows(.shapeMismatch, containing: ["squeeze", "axis -1", "size 3"]) { try squeeze(x, axes: [-1]) }
        assertThrows(.outOfRange, containing: ["squeeze", "axis 3", "rank 3"]) { try squeeze(x, axes: [3]) }
        assertThrows(.invalidArgument, containing: ["squeeze", "repeat"]) { try squeeze(x, axes: [0, -3]) }
    }

    func testExpandDims() throws {
        let x = Tensor.matrix("x", .float64, shape: [2, nil])
        XCTAssertEqual(try expandDims(x, axis: 0).staticShape, [1, 2, nil])
        XCTAssertEqual(try expandDims(x, axis: 1).staticShape, [2, 1, nil])
        XCTAssertEqual(try x.expandDims(axis: -1).staticShape, [2, nil, 1])
        XCTAssertEqual(try expandDims(x, axis: -3).staticShape, [1, 2, nil])
        var data = TestData(seed: 9)
        for a in try contiguousAndStrided([2, 3], &data) {
            let y = try expandDims(x, axis: 1)
            let r = try evaluate(y, [x], [a])
            assertClose(r, try gather(a, shape: [2, 1, 3]) { [$0[0], $0[2]] })
            try checkInferShape(y, [x], [a])
        }
        let s = Tensor.scalar("s")
        XCTAssertEqual(try expandDims(s, axis: 0).staticShape, [1])
    }

    func testExpandDimsErrors() {
        let v = Tensor.vector("v")
        assertThrows(.outOfRange, containing: ["expandDims", "axis 2", "rank 2", "v"]) { try expandDims(v, axis: 2) }
        assertThrows(.outOfRange, containing: ["expandDims", "axis -3"]) { try v.expandDims(axis: -3) }
    }
}
