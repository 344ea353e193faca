import Theano
import XCTest

/// Sizes 0 and 1 for the functions whose other tests use ordinary sizes.
final class LongTailEdgeSizeTests: BackendTestCase {
    func testTakeAlongAxisAndTopK() throws {
        let x = Tensor.matrix("x", .float64), i = Tensor.matrix("i", .int64)
        let y = try takeAlongAxis(x, i, axis: 1)
        for (xs, isz) in [([2, 3], [2, 0]), ([0, 3], [0, 2]), ([1, 1], [1, 1])] {
            let xv = try NDArray.ones(xs, .float64)
            let iv = try NDArray.zeros(isz, .int64)
            XCTAssertEqual(try evaluate(y, [x, i], [xv, iv]).shape, isz)
            try checkInferShape(y, [x, i], [xv, iv])
        }
        let (v, k) = try topk(x, 1)
        let one = try NDArray([5.0], shape: [1, 1])
        XCTAssertEqual(try function([x], [v, k]).call([one]).map(\.shape), [[1, 1], [1, 1]])
        XCTAssertEqual(try evaluate(v, [x], [try NDArray.ones([0, 4], .float64)]).shape, [0, 1])
    }

    func testMeshgridIsCloseNonzero() throws {
        let a = Tensor.vector("a", .float64), b = Tensor.vector("b", .float64)
        let grid = try meshgrid([a, b])
        let r = try function([a, b], grid).call([NDArray([Double]()), NDArray([1.0])])
        XCTAssertEqual(r.map(\.shape), [[1, 0], [1, 0]])
        try checkInferShape(grid[1], [a, b], [NDArray([Double]()), NDArray([1.0])])
        let close = try isclose(a, b)
        XCTAssertEqual(try evaluate(close, [a, b], [NDArray([Double]()), NDArray([Double]())]).shape, [0])
        XCTAssertEqual(try evaluate(allclose(a, b), [a, b], [NDArray([Double]()), NDArray([Double]())]).item(Bool.self), true)
        // A static size 1 broadcasts (an unknown size never does: the library's rule).
        let c = Tensor.vector("c", .float64, size: 1)
        let against = try isclose(c, b)
        XCTAssertEqual(try evaluate(against, [c, b], [NDArray([1.0]), NDArray([1.0, 2.0])]).toArray(of: Bool.self), [true, false])
        let m = Tensor.matrix("m", .float64)
        let nz = try nonzero(m)
        for shape in [[0, 3], [1, 1]] {
            let value = try NDArray.ones(shape, .float64)
            let out = try function([m], nz).call([value])
            XCTAssertEqual(out.map(\.count), [value.count, value.count])
            try checkInferShape(nz[0], [m], [value])
        }
    }

    func testCumulativeAndPadOnSizeOne() throws {
        let s = Tensor.vector("s", .float64)
        let one = NDArray([2.5])
        assertValues(try evaluate(cumprod(s), [s], [one]), [2.5])
        assertValues(try evaluate(cumsum(s), [s], [NDArray([Double]())]), [])
        for mode in [PadMode.edge, .symmetric, .wrap, .constant] {
            let p = try pad(s, [(2, 1)], mode: mode)
            let expected: [Double] = mode == .constant ? [0, 0, 2.5, 0] : [2.5, 2.5, 2.5, 2.5]
            assertValues(try evaluate(p, [s], [one]), expected)
            try checkInferShape(p, [s], [one])
        }
        try verifyGrad({ try cumprod($0[0]) }, at: [one])
        try verifyGrad({ try pad($0[0], [(2, 2)], mode: .symmetric) }, at: [one])
    }
}
