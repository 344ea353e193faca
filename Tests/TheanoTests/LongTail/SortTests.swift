import Theano
import XCTest

/// sort, argsort, topk and searchsorted against NumPy (stable order, NaN last).
final class SortTests: BackendTestCase {
    func testSortAndArgsortValues() throws {
        try checkUnary("x35", "sort_x35_last") { try sort($0) }
        try checkUnary("x35", "sort_x35_0") { try sort($0, axis: 0) }
        try checkUnary("x35", "sort_x35_none") { try sort($0, axis: nil) }
        try checkUnary("x35", "argsort_x35_last") { try argsort($0) }
        try checkUnary("x35", "argsort_x35_0") { try $0.argsort(axis: -2) }
        try checkUnary("x35", "argsort_x35_none") { try argsort($0, axis: nil) }
        try checkUnary("x35", "argsort_desc_x35_last") { try argsort($0, descending: true) }
        try checkUnary("x35", "sort_desc_x35_last") { try $0.sort(descending: true) }
    }

    func testSortDTypes() throws {
        // Integers sort exactly, beyond float64's precision; bool sorts false first.
        let big = Int64(1) << 60
        let ints = NDArray([big + 3, big + 1, -5, big + 2])
        let x = Tensor.vector("x", .int64)
        let s = try evaluate(try sort(x), [x], [ints])
        XCTAssertEqual(s.dtype, .int64)
        XCTAssertEqual(s.toArray(of: Int64.self), [-5, big + 1, big + 2, big + 3])
        let b = Tensor.vector("b", .bool)
        let order = try evaluate(try argsort(b), [b], [NDArray([true, false, true, false])])
        XCTAssertEqual(order.toArray(of: Int64.self), [1, 3, 0, 2])
        let f = Tensor.vector("f", .float32)
        let sf = try evaluate(try sort(f, descending: true), [f], [NDArray([Float(1), .nan, 3, -0.0])])
        XCTAssertEqual(sf.dtype, .float32)
        XCTAssertTrue(sf.toArray(of: Float.self)[0].isNaN)
        XCTAssertEqual(Array(sf.toArray(of: Float.self).dropFirst()), [3, 1, 0])
    }

    func testTopK() throws {
        let value = try LongTail.input("x35")
        let x = symbolic("x", like: value)
        let (v, i) = try topk(x, 2)
        XCTAssertEqual(v.staticShape, [nil, 2])
        XCTAssertEqual(i.dtype, .int64)
        let r = try function([x], [v, i]).call([value])
        try assertFixture(r[0], "topk2_val")
        try assertFixture(r[1], "topk2_idx")
        try checkInferShape(v, [x], [value])
        let m = try LongTail.input("m34")
        let y = symbolic("y", like: m, fixed: true)
        let (sv, si) = try y.topk(2, axis: 0, largest: false)
        XCTAssertEqual(sv.staticShape, [2, 4])
        let rs = try function([y], [sv, si]).call([m])
        try assertFixture(rs[0], "topk2_small0_val")
        try assertFixture(rs[1], "topk2_small0_idx")
        // k = 0 and k = n are fine; more than n is refused.
        XCTAssertEqual(try evaluate(topk(x, 0).values, [x], [value]).shape, [3, 0])
        XCTAssertEqual(try evaluate(topk(x, 5).values, [x], [value]).shape, [3, 5])
        assertThrows(.shapeMismatch, containing: ["ArgSort", "6 positions", "only 5"]) {
            try function([x], [topk(x, 6).values]).call([value])
        }
        assertThrows(.shapeMismatch, containing: ["ArgSort", "only 4", "y"]) { try topk(y, 5, axis: 1) }
        assertThrows(.invalidArgument, containing: ["ArgSort", "non-negative"]) { try topk(y, -1) }
    }

    func testTopKWithSymbolicCount() throws {
        let value = try LongTail.input("x35")
        let x = symbolic("x", like: value)
        let k = Tensor.scalar("k", .int32)
        let (v, i) = try topk(x, k)
        XCTAssertEqual(v.staticShape, [nil, nil])
        let r = try function([x, k], [v, i]).call([value, NDArray(scalar: Int32(2))])
        try assertFixture(r[0], "topk2_val")
        try assertFixture(r[1], "topk2_idx")
        try checkInferShape(v, [x, k], [value, NDArray(scalar: Int32(2))])
        try checkInferShape(i, [x, k], [try strided(value), NDArray(scalar: Int32(0))])
        assertThrows(.shapeMismatch, containing: ["ArgSort", "6 positions", "only 5"]) {
            try function([x, k], [v]).call([value, NDArray(scalar: Int32(6))])
        }
        assertThrows(.invalidArgument, containing: ["ArgSort", "non-negative", "-1"]) {
            try function([x, k], [v]).call([value, NDArray(scalar: Int32(-1))])
        }
        assertThrows(.typeMismatch, containing: ["ArgSort", "integer scalar"]) { try topk(x, Tensor.scalar("f")) }
        assertThrows(.invalidArgument, containing: ["ArgSort", "expected 1 input"]) { try ArgSort(axis: 0, count: 1).apply([x, k]) }
        let m = try LongTail.input("m34")
        let kc = try cast(sum(Tensor.constant(NDArray([Int64(1), 1]))), .int64)
        try verifyGrad({ try topk($0[0], kc, axis: 0, largest: false).values }, at: [m])
    }

    func testSearchSorted() throws {
        let a = try LongTail.input("sorted"), v = try LongTail.input("probe")
        let s = symbolic("s", like: a), p = symbolic("p", like: v)
        for side in [SearchSorted.Side.left, .right] {
            let y = try searchsorted(s, p, side: side)
            XCTAssertEqual(y.dtype, .int64)
            try assertFixture(try evaluate(y, [s, p], [a, v]), "searchsorted_\(side.rawValue)")
            try assertFixture(try evaluate(y, [s, p], [try strided(a), try strided(v)]), "searchsorted_\(side.rawValue)")
            try checkInferShape(y, [s, p], [a, v])
        }
        // Integers against integers compare exactly; an empty sequence gives 0.
        let si = Tensor.vector("si", .int64), vi = Tensor.vector("vi", .int64)
        let r = try evaluate(try searchsorted(si, vi, side: .right), [si, vi], [NDArray([Int64(1), 3, 3, 7]), NDArray([Int64(3), 0, 9])])
        XCTAssertEqual(r.toArray(of: Int64.self), [3, 0, 4])
        let e = try evaluate(try si.searchsorted(vi), [si, vi], [NDArray([Int64]()), NDArray([Int64(3)])])
        XCTAssertEqual(e.toArray(of: Int64.self), [0])
        assertThrows(.invalidArgument, containing: ["SearchSorted", "vector", "rank 2"]) { try searchsorted(Tensor.matrix("m"), p) }
    }

    func testSizeZeroAndOne() throws {
        let x = Tensor.matrix("x", .float64)
        let y = try sort(x, axis: 1)
        for shape in [[0, 3], [3, 0], [1, 1]] {
            let value = try NDArray.zeros(shape, .float64)
            XCTAssertEqual(try evaluate(y, [x], [value]).shape, shape)
            try checkInferShape(y, [x], [value])
        }
    }

    func testGradients() throws {
        // Distinct values: sorting is not differentiable where two values tie.
        var data = TestData(seed: 15)
        let m = data.array([3, 4])
        try verifyGrad({ try sort($0[0], axis: 1) }, at: [m])
        try verifyGrad({ try sort($0[0], axis: nil, descending: true) }, at: [m])
        try verifyGrad({ try topk($0[0], 2, axis: 0).values }, at: [m])
        // Integer outputs carry no gradient.
        let x = Tensor.vector("x", .float64)
        let g = try grad(sum(cast(argsort(x), .float64) * x), wrt: [x])[0]
        let gv = try evaluate(g, [x], [NDArray([3.0, 1, 2])])
        assertValues(gv, [1, 2, 0])
    }

    func testNewOpsRunTheirReferenceOnTheCPU() throws {
        // No CPU kernel: the backend runs `perform` (reported, not an error).
        let x = Tensor.matrix("x", .float64)
        let f = try function([x], [sort(x), cumsum(x, axis: 0)], mode: .fastRun)
        let kinds = f.kernelReport.entries.filter { $0.op == "ArgSort" || $0.op == "CumSum" }
        XCTAssertEqual(kinds.count, 2, "\(f.kernelReport.entries.map(\.op))")
        XCTAssertTrue(kinds.allSatisfy { $0.kind != .kernel }, f.kernelReport.description)
        let r = try f.call([try LongTail.input("m34")])
        try assertFixture(r[1], "cumsum_m34_0")
    }

    func testErrors() {
        let s = Tensor.scalar("s")
        assertThrows(.outOfRange, containing: ["sort", "rank 0", "axis: nil"]) { try sort(s) }
        assertThrows(.outOfRange, containing: ["argsort", "axis 2"]) { try argsort(Tensor.matrix("m"), axis: 2) }
        assertThrows(.outOfRange, containing: ["ArgSort", "axis 3", "rank 2"]) { try ArgSort(axis: 3).apply([Tensor.matrix("m")]) }
    }
}
