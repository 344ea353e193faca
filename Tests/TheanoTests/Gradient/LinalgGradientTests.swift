import Theano
import XCTest

final class LinalgGradientTests: BackendTestCase {
    /// The static shapes a graph would be built with when only the broadcast (size-1) axes are
    /// declared: every other size unknown.
    private func dynamicShape(_ shape: [Int]) -> [Int?] {
        shape.map { $0 == 1 ? 1 : nil }
    }

    /// Every rank combination 1...4 on each side, with batch axes that broadcast (static size 1)
    /// on one side or the other.
    func testMatMulEveryRankCombination() throws {
        var data = TestData(seed: 1)
        let (m, k, n) = (2, 3, 2)
        // Batch shapes (right-aligned): the first pair broadcasts input 1, the second input 0.
        let batchPairs: [([Int], [Int])] = [([3, 2], [3, 1]), ([1, 2], [3, 2])]
        for rankA in 1...4 {
            for rankB in 1...4 {
                for (batchA, batchB) in batchPairs {
                    let shapeA = rankA == 1 ? [k] : Array(batchA.suffix(rankA - 2)) + [m, k]
                    let shapeB = rankB == 1 ? [k] : Array(batchB.suffix(rankB - 2)) + [k, n]
                    let points = [try data.nonContiguous(shapeA), data.array(shapeB)]
                    let context = "\(shapeA) @ \(shapeB)"
                    XCTAssertNoThrow(try verifyGrad({ try matmul($0[0], $0[1]) }, at: points), context)
                    try assertGradientsAgreeAcrossShapesAndLayouts(
                        { try matmul($0[0], $0[1]) }, shapes: [dynamicShape(shapeA), dynamicShape(shapeB)], at: points, context)
                }
            }
        }
    }

    func testMatMulGradientValues() throws {
        // d(u · v)/du = v and d(u · v)/dv = u.
        let u = Tensor.vector("u", .float64), v = Tensor.vector("v", .float64)
        let gs = try grad(matmul(u, v), wrt: [u, v])
        let out = try function([u, v], gs)(NDArray([1.0, 2, 3]), NDArray([4.0, 5, 6]))
        assertValues(out[0], [4, 5, 6])
        assertValues(out[1], [1, 2, 3])
        // d sum(A B)/dA = ones Bᵀ: each row holds B's row sums; d/dB = Aᵀ ones: A's column sums.
        let a = Tensor.matrix("a", .float64), b = Tensor.matrix("b", .float64)
        let gm = try grad(sum(matmul(a, b)), wrt: [a, b])
        let av = try NDArray([[1.0, 2], [3, 4], [5, 6]]), bv = try NDArray([[1.0, 0, 2], [-1, 3, 1]])
        let outM = try function([a, b], gm)(av, bv)
        assertValues(outM[0], [3, 3, 3, 3, 3, 3], shape: [3, 2])
        assertValues(outM[1], [9, 9, 9, 12, 12, 12], shape: [2, 3])
        // A stack of matrices times one matrix: the matrix's gradient sums over the stack.
        let s = Tensor.variable("s", .float64, shape: [nil, 1, 2])
        let w = Tensor.matrix("w", .float64)
        let gw = try grad(sum(matmul(s, w)), wrt: w)
        let sv = try NDArray([1.0, 2, 3, 4, 5, 6], shape: [3, 1, 2])
        assertValues(try function([s, w], [gw])(sv, try NDArray.ones([2, 2], .float64))[0], [9, 9, 12, 12], shape: [2, 2])
    }

    func testMatMulKeepsDTypesAndPromotes() throws {
        let a = Tensor.matrix("a", .float32), b = Tensor.matrix("b", .float64)
        let gs = try grad(sum(matmul(a, b)), wrt: [a, b])
        XCTAssertEqual(gs[0].dtype, .float32)
        XCTAssertEqual(gs[1].dtype, .float64)
        let c = Tensor.matrix("c", .float32, shape: [2, 3]), d = Tensor.vector("d", .float32, size: 3)
        let gc = try grad(sum(matmul(c, d)), wrt: [c, d])
        XCTAssertEqual(gc[0].dtype, .float32)
        XCTAssertEqual(gc[0].staticShape, [2, 3])
        XCTAssertEqual(gc[1].staticShape, [3])
    }

    func testMatMulSizeZeroAxes() throws {
        let a = Tensor.matrix("a", .float64), b = Tensor.matrix("b", .float64)
        let gs = try grad(sum(matmul(a, b)), wrt: [a, b])
        let f = try function([a, b], gs)
        // A summed axis of size 0: the gradients are empty arrays of the inputs' shapes.
        let out = try f(try NDArray.zeros([2, 0], .float64), try NDArray.zeros([0, 3], .float64))
        XCTAssertEqual(out[0].shape, [2, 0])
        XCTAssertEqual(out[1].shape, [0, 3])
        // Output axis of size 0: gradients are zeros of the inputs' shapes.
        let out2 = try f(try NDArray.zeros([0, 4], .float64), try NDArray.ones([4, 3], .float64))
        XCTAssertEqual(out2[0].shape, [0, 4])
        assertValues(out2[1], Array(repeating: 0, count: 12), shape: [4, 3])
    }

    func testDotDifferentiatesInEveryForm() throws {
        var data = TestData(seed: 2)
        let cases: [([Int], [Int])] = [
            ([3], [3]), ([2, 3], [3]), ([3], [3, 2]), ([2, 3], [3, 4]),
            ([2, 2, 3], [3]), ([2, 2, 3], [3, 2]), ([2, 3], [2, 3, 2]), ([], [2, 3]),
        ]
        for (sa, sb) in cases {
            try verifyGrad({ try dot($0[0], $0[1]) }, at: [data.array(sa), try data.nonContiguous(sb)])
        }
    }

    func testTensorDotAxisPairings() throws {
        var data = TestData(seed: 3)
        let cases: [([Int], [Int], [Int], [Int])] = [
            ([2, 3], [3, 4], [1], [0]),
            ([3, 2], [4, 3], [0], [1]),
            ([2, 3, 4], [4, 3, 2], [1, 2], [1, 0]),
            ([2, 3, 4], [4, 2], [0, 2], [1, 0]),
            ([2, 3, 4], [3, 5], [1], [0]),
            ([2, 3], [4], [], []),
            ([2, 3, 2], [2, 3, 2], [0, 1, 2], [0, 1, 2]),
            ([2, 3, 2], [2, 2, 3], [2, 0, 1], [0, 1, 2]),
            ([2, 3, 4], [5, 4, 2], [2, 0], [1, 2]),
            ([1, 3], [3, 1], [1], [0]),
        ]
        for (sa, sb, axesA, axesB) in cases {
            let points = [try data.nonContiguous(sa), data.array(sb)]
            let context = "\(sa) · \(sb) over \(axesA), \(axesB)"
            XCTAssertNoThrow(try verifyGrad({ try tensordot($0[0], $0[1], axes: (axesA, axesB)) }, at: points), context)
            try assertGradientsAgreeAcrossShapesAndLayouts(
                { try tensordot($0[0], $0[1], axes: (axesA, axesB)) },
                shapes: [sa.map { _ in nil }, sb.map { _ in nil }], at: points, context)
        }
        // The integer form and negative axes.
        try verifyGrad({ try tensordot($0[0], $0[1], axes: 2) }, at: [data.array([2, 3, 4]), data.array([3, 4, 2])])
        try verifyGrad({ try tensordot($0[0], $0[1], axes: ([-1], [-2])) }, at: [data.array([2, 3]), data.array([3, 2])])
    }

    func testTensorDotGradientValues() throws {
        // z[i, j] = sum_k a[k, i] b[j, k]; d sum(z)/da[k, i] = sum_j b[j, k].
        let a = Tensor.matrix("a", .float64), b = Tensor.matrix("b", .float64)
        let ga = try grad(sum(tensordot(a, b, axes: ([0], [1]))), wrt: a)
        let bv = try NDArray([[1.0, 2], [3, 4], [5, 6]])      // [j=3, k=2]
        let out = try function([a, b], [ga])(try NDArray.ones([2, 4], .float64), bv)[0]
        assertValues(out, [9, 9, 9, 9, 12, 12, 12, 12], shape: [2, 4])
    }

    func testOuter() throws {
        var data = TestData(seed: 4)
        let cases: [([Int], [Int])] = [([3], [2]), ([2, 3], [2, 2]), ([2, 1, 2], [3]), ([], [2]), ([1], [1, 1])]
        for (sa, sb) in cases {
            let points = [data.array(sa), try data.nonContiguous(sb)]
            let context = "outer \(sa) \(sb)"
            XCTAssertNoThrow(try verifyGrad({ try outer($0[0], $0[1]) }, at: points), context)
            try assertGradientsAgreeAcrossShapesAndLayouts(
                { try outer($0[0], $0[1]) }, shapes: [sa.map { _ in nil }, sb.map { _ in nil }], at: points, context)
        }
        // d sum(outer(a, b))/da = sum(b) everywhere, in a's shape.
        let a = Tensor.matrix("a", .float64), b = Tensor.vector("b", .float64)
        let ga = try grad(sum(outer(a, b)), wrt: a)
        let out = try function([a, b], [ga])(try NDArray.ones([2, 2], .float64), NDArray([1.0, 2, 4]))[0]
        assertValues(out, [7, 7, 7, 7], shape: [2, 2])
    }
}
