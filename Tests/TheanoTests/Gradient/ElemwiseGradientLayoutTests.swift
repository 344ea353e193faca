import Theano
import XCTest

/// Elementwise gradients on non-contiguous values and on graphs whose sizes are known only at
/// run time.
final class ElemwiseGradientLayoutTests: BackendTestCase {
    /// `value`'s elements in three non-contiguous layouts: every other element of a wider
    /// array, Fortran order, and reversed (negative strides).
    func layouts(_ value: NDArray) throws -> [(String, NDArray)] {
        guard value.rank > 0 else { return [] }
        let interleaved = try NDArray.concatenate([value.expandingDims(-1), NDArray(zeros: value.shape + [1], dtype: value.dtype)], axis: -1)
        var idx = Array(repeating: ArrayIndex.all, count: value.rank)
        idx[value.rank - 1] = .slice(start: nil, stop: nil, step: 2)
        let strided = try interleaved.reshaped(Array(value.shape.dropLast()) + [value.shape[value.rank - 1] * 2]).slice(idx)
        let fortran = value.T.copy().T
        let reversed = try value.flipped(axis: 0).copy().flipped(axis: 0)
        return [("strided", strided), ("fortran", fortran), ("reversed", reversed)]
    }

    /// Symbolic inputs for `shapes`: static size 1 where the size is 1 (it broadcasts),
    /// unknown elsewhere.
    func symbolicInputs(_ shapes: [[Int]]) -> [Tensor] {
        shapes.enumerated().map { i, s in Tensor.variable("x\(i)", .float64, shape: s.map { $0 == 1 ? 1 : nil }) }
    }

    func checkLayouts(_ c: GradientCase, shapes: [[Int]], file: StaticString = #filePath, line: UInt = #line) throws {
        let inputs = symbolicInputs(shapes)
        let gs = try grad(sum(c.apply(inputs) * Tensor.constant(NDArray([1.0, -0.5, 2.0]))), wrt: inputs)
        let f = try function(inputs, gs)
        let points = try smoothPoints(c, shapes: shapes)
        let expected = try f.call(points)
        for (k, point) in points.enumerated() where point.count > 1 {
            // Layouts of vectors and size-1 axes may still be contiguous; at least one is not.
            let views = try layouts(point).filter { !$0.1.isContiguous }
            XCTAssertFalse(views.isEmpty, "no non-contiguous layout of \(point.shape)", file: file, line: line)
            for (layout, view) in views {
                var args = points
                args[k] = view
                let actual = try f.call(args)
                for (a, e) in zip(actual, expected) {
                    assertClose(a, e, rtol: pathTolerance(e.dtype).rtol, atol: pathTolerance(e.dtype).atol, "\(c.name), input \(k) \(layout)", file: file, line: line)
                }
            }
        }
    }

    func testUnaryGradientsOnNonContiguousValues() throws {
        for c in GradientCase.unary { try checkLayouts(c, shapes: [[2, 3]]) }
    }

    func testBinaryGradientsOnNonContiguousValues() throws {
        for c in GradientCase.binary {
            try checkLayouts(c, shapes: [[2, 3], [2, 3]])
            try checkLayouts(c, shapes: [[2, 3], [1, 3]])
            try checkLayouts(c, shapes: [[3, 1], [3]])
        }
        try checkLayouts(GradientCase.clipCase, shapes: [[2, 3], [3], [2, 1]])
        let cond = Tensor.constant(NDArray([true, false, true]))
        try checkLayouts(GradientCase("where", [-3...3, -3...3]) { try `where`(cond, $0[0], $0[1]) }, shapes: [[2, 3], [2, 1]])
    }

    func testVerifyGradAtNonContiguousPoints() throws {
        // verifyGrad copies its points; this checks that passing views is accepted.
        var data = TestData(seed: 3)
        try verifyGrad({ try exp($0[0]) * $0[1] }, at: [try data.nonContiguous([2, 3]), try data.nonContiguous([1, 3])])
    }

    func testBroadcastDecidedByStaticShapesIsUndoneWithRuntimeSizes() throws {
        // Sizes unknown until run time; b and s broadcast because of their rank and static 1s.
        let a = Tensor.matrix("a", .float64)
        let b = Tensor.vector("b", .float64)
        let c = Tensor.variable("c", .float64, shape: [nil, 1])
        let s = Tensor.scalar("s", .float64)
        let cost = try sum((a * b + c) * s)
        let gs = try grad(cost, wrt: [a, b, c, s])
        for (g, v) in zip(gs, [a, b, c, s]) {
            XCTAssertTrue(v.type.isCompatible(with: g.type), "\(g.type) for \(v.type)")
            XCTAssertEqual(g.rank, v.rank)
        }
        XCTAssertEqual(gs[2].staticShape[1], 1)
        let f = try function([a, b, c, s], gs)
        let av = try NDArray([1.0, 2, 3, 4, 5, 6], shape: [2, 3])
        let out = try f.call([av, NDArray([1.0, 10, 100]), try NDArray([0.0, 0.0], shape: [2, 1]), NDArray(scalar: 2.0)])
        assertValues(out[0], [2, 20, 200, 2, 20, 200], shape: [2, 3])
        assertValues(out[1], [10, 14, 18], shape: [3])
        assertValues(out[2], [6, 6], shape: [2, 1])
        assertValues(out[3], [321 + 4 * 1 + 5 * 10 + 6 * 100], shape: [])
        // The same function with runtime size 1 where nothing was declared broadcastable.
        let one = try f.call([try NDArray([1.0, 2, 3], shape: [1, 3]), NDArray([1.0, 1, 1]), try NDArray([0.0], shape: [1, 1]), NDArray(scalar: 1.0)])
        XCTAssertEqual(one.map(\.shape), [[1, 3], [3], [1, 1], []])
        assertValues(one[1], [1, 2, 3])
    }

    func testSizeZeroInputsGetEmptyGradients() throws {
        let a = Tensor.matrix("a", .float64)
        let b = Tensor.variable("b", .float64, shape: [1, nil])
        let gs = try grad(sum(exp(a) * b + maximum(a, b)), wrt: [a, b])
        let out = try function([a, b], gs).call([NDArray(zeros: [0, 3], dtype: .float64), try NDArray.ones([1, 3], .float64)])
        XCTAssertEqual(out[0].shape, [0, 3])
        XCTAssertEqual(out[1].shape, [1, 3])
        assertValues(out[1], [0, 0, 0])
    }
}
