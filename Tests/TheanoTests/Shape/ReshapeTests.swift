import Theano
import XCTest

final class ReshapeTests: BackendTestCase {
    let range6 = NDArray((0..<6).map(Double.init))

    func testStaticShapeWithInferredSize() throws {
        let x = Tensor.vector("x", .float64, size: 6)
        let y = try reshape(x, [2, -1])
        XCTAssertEqual(y.staticShape, [2, 3])
        assertValues(try evaluate(y, [x], [range6]), [0, 1, 2, 3, 4, 5], shape: [2, 3])
        try checkInferShape(y, [x], [range6])
        XCTAssertEqual(try x.reshape([3, 2]).staticShape, [3, 2])
        XCTAssertEqual(try reshape(x, [6, 1, 1]).staticShape, [6, 1, 1])
    }

    func testUnknownInputShapeResolvesAtRunTime() throws {
        let x = Tensor.matrix("x", .float64)
        let y = try reshape(x, [-1, 2])
        XCTAssertEqual(y.staticShape, [nil, 2])
        let a = try NDArray((0..<12).map(Double.init), shape: [3, 4])
        let r = try evaluate(y, [x], [a])
        assertValues(r, (0..<12).map(Double.init), shape: [6, 2])
        try checkInferShape(y, [x], [a])
        try checkInferShape(y, [x], [try NDArray.zeros([0, 5], .float64)])
    }

    func testToScalarAndFromScalar() throws {
        let x = Tensor.variable("x", .float64, shape: [1, 1])
        let s = try reshape(x, [])
        XCTAssertEqual(s.staticShape, [])
        XCTAssertEqual(try evaluate(s, [x], [try NDArray.full([1, 1], 7, .float64)]).shape, [])
        let v = try reshape(s, [1, -1, 1])
        XCTAssertEqual(v.staticShape, [1, 1, 1])
    }

    func testSymbolicSizes() throws {
        let x = Tensor.matrix("x", .float64)
        let swapped = try reshape(x, [x.shape(1), x.shape(0)])
        XCTAssertEqual(swapped.staticShape, [nil, nil])
        let a = try NDArray((0..<6).map(Double.init), shape: [2, 3])
        let r = try evaluate(swapped, [x], [a])
        assertValues(r, [0, 1, 2, 3, 4, 5], shape: [3, 2])
        try checkInferShape(swapped, [x], [a])

        let merged = try x.reshape([x.shape(0), -1, 1])
        XCTAssertEqual(merged.staticShape, [nil, nil, 1])
        assertValues(try evaluate(merged, [x], [a]), [0, 1, 2, 3, 4, 5], shape: [2, 3, 1])
        try checkInferShape(merged, [x], [a])

        let n = Tensor.scalar("n", .int32)
        let withN = try reshape(x, [n, 3])
        XCTAssertEqual(withN.staticShape, [nil, 3])
        let f = try function([x, n], [withN])
        assertValues(try f(a, NDArray(scalar: Int32(2)))[0], [0, 1, 2, 3, 4, 5], shape: [2, 3])
        // A symbolic size that is -1 at run time is inferred too.
        try checkInferShape(withN, [x, n], [a, NDArray(scalar: Int32(-1))])
    }

    func testShapeVector() throws {
        let x = Tensor.matrix("x", .float64)
        let s = Tensor.vector("s", .int32, size: 2)
        let y = try reshape(x, s)
        XCTAssertEqual(y.staticShape, [nil, nil])
        let a = try NDArray((0..<12).map(Double.init), shape: [3, 4])
        for target: [Int32] in [[2, 6], [-1, 3], [12, -1], [1, 12]] {
            let r = try evaluate(y, [x, s], [a, NDArray(target)])
            XCTAssertEqual(r.count, 12)
            try checkInferShape(y, [x, s], [a, NDArray(target)])
        }
        // A constant vector gives a static shape.
        let c = try x.reshape(Tensor.constant(NDArray([4, 3] as [Int32])))
        XCTAssertEqual(c.staticShape, [4, 3])
        XCTAssertEqual(try x.reshape(x.shape).staticShape, [nil, nil])
    }

    func testViewWhenContiguousCopyOtherwise() throws {
        XCTAssertEqual(Reshape(ndim: 2).viewMap, [0: [0]])
        let x = Tensor.matrix("x", .float64)
        let y = try reshape(x, [-1])
        let f = try function([x], [y])
        let a = try NDArray((0..<6).map(Double.init), shape: [2, 3])
        let r = try f(a)[0]
        XCTAssertTrue(r.sharesStorage(with: a))
        let t = try a.transposed()
        let rt = try f(t)[0]
        XCTAssertFalse(rt.sharesStorage(with: a))
        assertValues(rt, [0, 3, 1, 4, 2, 5], shape: [6])
    }

    func testRandomShapesAndNonContiguousInputs() throws {
        var data = TestData(seed: 7)
        let cases: [([Int], [Int])] = [
            ([0, 3], [3, 0]), ([0, 3], [-1, 3]), ([1, 1], [1]), ([1, 1], []), ([2, 3, 4], [4, -1]),
            ([4, 6], [24]), ([4, 6], [2, 2, 2, 3]), ([5, 1], [1, 5]), ([3, 4], [-1]),
        ]
        for (from, to) in cases {
            let x = Tensor.variable("x", .float64, shape: from.map { _ in nil })
            let y = try reshape(x, to)
            for a in try contiguousAndStrided(from, &data) {
                let r = try evaluate(y, [x], [a])
                let outShape = r.shape
                let expected = try gather(a, shape: outShape) { unravel(ravel($0, outShape), from) }
                assertClose(r, expected, "reshape \(from) -> \(to)")
                try checkInferShape(y, [x], [a])
            }
        }
    }

    func testIntegerAndBoolDTypesKept() throws {
        let x = Tensor.vector("x", .int16)
        let b = Tensor.vector("b", .bool)
        XCTAssertEqual(try reshape(x, [2, -1]).dtype, .int16)
        let r = try evaluate(try reshape(b, [2, 1]), [b], [NDArray([true, false])])
        XCTAssertEqual(r.dtype, .bool)
        XCTAssertEqual(r.toArray(of: Bool.self), [true, false])
    }

    func testBuildTimeErrors() {
        let x = Tensor.matrix("x", shape: [2, 3])
        assertThrows(.shapeMismatch, containing: ["Reshape", "[2, 3]", "[4, 2]", "x"]) { try reshape(x, [4, 2]) }
        assertThrows(.shapeMismatch, containing: ["Reshape", "[2, 3]", "[4, -1]"]) { try reshape(x, [4, -1]) }
        assertThrows(.invalidArgument, containing: ["Reshape", "-1", "[-1, -1]"]) { try reshape(x, [-1, -1]) }
        assertThrows(.invalidArgument, containing: ["Reshape", "invalid size -3"]) { try reshape(x, [-3, -2]) }
        let n = Tensor.scalar("n", .int64)
        assertThrows(.shapeMismatch, containing: ["Reshape", "x", "[?, 4]"]) { try reshape(x, [n, 4]) }
        let partial = Tensor.matrix("p", shape: [nil, 3])
        assertThrows(.shapeMismatch, containing: ["Reshape", "p", "[?, 3]", "[4]"]) { try reshape(partial, [4]) }
        assertThrows(.typeMismatch, containing: ["reshape", "shape entry 1", "float32"]) {
            try reshape(x, [n, Tensor.scalar("f")])
        }
        assertThrows(.invalidArgument, containing: ["reshape", "shape entry 0", "-2"]) { try reshape(x, [-2, n]) }
        assertThrows(.typeMismatch, containing: ["reshape", "static length", "v"]) { try reshape(x, Tensor.vector("v", .int64)) }
        assertThrows(.typeMismatch, containing: ["reshape", "integer vector", "w"]) { try reshape(x, Tensor.vector("w", .float32, size: 2)) }
    }

    func testRunTimeErrors() throws {
        let x = Tensor.matrix("x", .float64)
        let f = try function([x], [try reshape(x, [5, -1])])
        assertThrows(.shapeMismatch, containing: ["reshape", "[2, 3]", "[5, -1]"]) { try f(try NDArray.zeros([2, 3], .float64)) }
        let g = try function([x], [try reshape(x, [4, 2])])
        assertThrows(.shapeMismatch, containing: ["reshape", "[2, 3]", "[4, 2]"]) { try g(try NDArray.zeros([2, 3], .float64)) }
        let s = Tensor.vector("s", .int64, size: 2)
        let h = try function([x, s], [try reshape(x, s)])
        assertThrows(.invalidArgument, containing: ["reshape", "-1"]) {
            try h(try NDArray.zeros([2, 3], .float64), NDArray([-1, -1] as [Int64]))
        }
    }

    // MARK: flatten

    func testFlatten() throws {
        let x = Tensor.variable("x", .float64, shape: [nil, 3, 4])
        let v = try flatten(x)
        XCTAssertEqual(v.staticShape, [nil])
        let m = try x.flatten(ndim: 2)
        XCTAssertEqual(m.staticShape, [nil, 12])
        XCTAssertEqual(try flatten(x, ndim: 3).staticShape, [nil, 3, 4])
        var data = TestData(seed: 3)
        for rows in [0, 1, 2] {
            for a in try contiguousAndStrided([rows, 3, 4], &data) {
                let r = try evaluate(m, [x], [a])
                XCTAssertEqual(r.shape, [rows, 12])
                assertClose(r, try gather(a, shape: [rows, 12]) { [$0[0], $0[1] / 4, $0[1] % 4] })
                try checkInferShape(m, [x], [a])
                try checkInferShape(v, [x], [a])
            }
        }
        let fixed = Tensor.variable("f", .float32, shape: [2, 3, 4])
        XCTAssertEqual(try flatten(fixed).staticShape, [24])
        let s = Tensor.scalar("s", .float64)
        let one = try flatten(s)
        XCTAssertEqual(one.staticShape, [1])
        assertValues(try evaluate(one, [s], [NDArray(scalar: 2.5)]), [2.5], shape: [1])
    }

    func testFlattenErrors() {
        let x = Tensor.tensor3("x")
        assertThrows(.outOfRange, containing: ["flatten", "ndim 0", "rank 3"]) { try flatten(x, ndim: 0) }
        assertThrows(.outOfRange, containing: ["flatten", "ndim 4", "x"]) { try x.flatten(ndim: 4) }
    }
}
