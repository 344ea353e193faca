import Theano
import XCTest

/// The new ops used directly: build-time errors name the op, the input and what was expected.
final class LongTailOpErrorTests: BackendTestCase {
    func testPadIndices() throws {
        let n = Tensor.scalar("n", .int64)
        let p = try PadIndices(mode: .reflect, before: 2, after: 3).apply([n])
        XCTAssertEqual(p.staticShape, [nil])
        // np.pad(np.arange(4), (2, 3), mode="reflect") -> [2, 1, 0, 1, 2, 3, 2, 1, 0]
        XCTAssertEqual(try evaluate(p, [n], [NDArray(scalar: Int64(4))]).toArray(of: Int64.self), [2, 1, 0, 1, 2, 3, 2, 1, 0])
        try checkInferShape(p, [n], [NDArray(scalar: Int64(4))])
        XCTAssertEqual(try PadIndices(mode: .wrap, before: 1, after: 1).apply([Tensor(shapeConstant(3))]).staticShape, [5])
        assertThrows(.invalidArgument, containing: ["PadIndices", "constant"]) { try PadIndices(mode: .constant, before: 1, after: 1).apply([n]) }
        assertThrows(.invalidArgument, containing: ["PadIndices", "non-negative", "(-1, 0)"]) { try PadIndices(mode: .edge, before: -1, after: 0).apply([n]) }
        assertThrows(.typeMismatch, containing: ["PadIndices", "int64 scalar", "f"]) { try PadIndices(mode: .edge, before: 1, after: 0).apply([Tensor.scalar("f")]) }
        assertThrows(.invalidArgument, containing: ["pad", "2 (before, after) widths", "got 3"]) {
            try pad(Tensor.matrix("m"), [(1, 1), (1, 1), (1, 1)])
        }
        assertThrows(.invalidArgument, containing: ["pad", "non-negative", "(0, -2)"]) { try pad(Tensor.matrix("m"), [(0, -2)]) }
    }

    func testRepeatIndices() throws {
        let c = Tensor.vector("c", .int32), n = Tensor.scalar("n", .int64)
        let r = try RepeatIndices().apply([c, n])
        XCTAssertEqual(try evaluate(r, [c, n], [NDArray([Int32(2), 0, 1]), NDArray(scalar: Int64(3))]).toArray(of: Int64.self), [0, 0, 2])
        assertThrows(.typeMismatch, containing: ["RepeatIndices", "integer vector", "f"]) { try RepeatIndices().apply([Tensor.vector("f"), n]) }
        assertThrows(.shapeMismatch, containing: ["RepeatIndices", "2 repetition counts", "size 3"]) {
            try RepeatIndices().apply([Tensor.vector("k", .int64, size: 2), Tensor(shapeConstant(3))])
        }
    }

    func testLinearRecurrence() throws {
        let a = Tensor.vector("a", .float64), b = Tensor.vector("b", .float64)
        let av = NDArray([9.0, 2, 3]), bv = NDArray([1.0, 1, 1])
        // y = [1, 2*1 + 1, 3*3 + 1] forward; [1 + 9*(1 + 2*1), 1 + 2*1, 1] reversed.
        assertValues(try evaluate(LinearRecurrence(axis: 0).apply([a, b]), [a, b], [av, bv]), [1, 3, 10])
        let backward = try LinearRecurrence(axis: 0, reverse: true).apply([a, b])
        assertValues(try evaluate(backward, [a, b], [av, bv]), [28, 3, 1])
        try checkInferShape(backward, [a, b], [av, bv])
        assertThrows(.shapeMismatch, containing: ["LinearRecurrence", "[3]", "[2]"]) {
            try function([a, b], [backward]).call([av, NDArray([1.0, 2])])
        }
        var data = TestData(seed: 5)
        let p = data.array([3, 4]), q = data.array([3, 4])
        for reverse in [false, true] {
            for axis in [0, 1] {
                try verifyGrad({ try LinearRecurrence(axis: axis, reverse: reverse).apply($0) }, at: [p, q])
            }
        }
    }

    func testHugeValueSizedResultsThrow() throws {
        // Sizes from values are checked against memory before anything is allocated.
        let x = Tensor.vector("x", .int64)
        assertThrows(.outOfMemory, containing: ["Bincount"]) {
            try function([x], [bincount(x)]).call([NDArray([Int64(1) << 58])])
        }
        let c = Tensor.vector("c", .int64), n = Tensor.scalar("n", .int64)
        assertThrows(.outOfMemory, containing: ["RepeatIndices"]) {
            try function([c, n], [RepeatIndices().apply([c, n])]).call([NDArray([Int64(1) << 58]), NDArray(scalar: Int64(1))])
        }
    }

    func testOtherOps() {
        let m = Tensor.matrix("m", .float64)
        assertThrows(.invalidArgument, containing: ["SearchSorted", "expected 2 inputs"]) { try SearchSorted().apply([m]) }
        assertThrows(.invalidArgument, containing: ["Bincount", "1 or 2 inputs"]) { try Bincount().apply([m, m, m]) }
        assertThrows(.typeMismatch, containing: ["LinearRecurrence", "floating-point", "i"]) {
            try LinearRecurrence(axis: 0).apply([Tensor.matrix("i", .int64), m])
        }
        assertThrows(.shapeMismatch, containing: ["LinearRecurrence", "ranks"]) { try LinearRecurrence(axis: 0).apply([m, Tensor.vector("v", .float64)]) }
        assertThrows(.shapeMismatch, containing: ["LinearRecurrence", "axis 1", "size 2", "3"]) {
            try LinearRecurrence(axis: 0).apply([Tensor.matrix("p", .float64, shape: [4, 2]), Tensor.matrix("q", .float64, shape: [4, 3])])
        }
        assertThrows(.invalidArgument, containing: ["Nonzero", "expected 1 input"]) { try Nonzero().apply([m, m]) }
        assertThrows(.invalidArgument, containing: ["Unique{counts}", "expected 1 input"]) { try Unique(returnCounts: true).apply([m, m]) }
        XCTAssertEqual(ArgSort(axis: 1, descending: true, count: 3).description, "ArgSort{axis=1, descending, count=3}")
        XCTAssertEqual(CumOp(.prod, axis: 0).description, "CumProd{axis=0}")
        XCTAssertEqual(ArgSort(axis: 0), ArgSort(axis: 0, descending: false, count: nil))
        XCTAssertNotEqual(CumOp(.sum, axis: 0), CumOp(.prod, axis: 0))
    }
}
