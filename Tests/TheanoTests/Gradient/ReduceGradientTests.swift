import Theano
import XCTest

final class ReduceGradientTests: BackendTestCase {
    /// A reduction as the tests call it: the input, the axes (nil: all) and keepdims.
    private typealias Reduction = (Tensor, [Int]?, Bool) throws -> Tensor

    private let reductions: [(String, Reduction)] = [
        ("sum", { x, axes, keep in try axes.map { try sum(x, axes: $0, keepdims: keep) } ?? sum(x, keepdims: keep) }),
        ("prod", { x, axes, keep in try axes.map { try prod(x, axes: $0, keepdims: keep) } ?? prod(x, keepdims: keep) }),
        ("max", { x, axes, keep in try axes.map { try max(x, axes: $0, keepdims: keep) } ?? max(x, keepdims: keep) }),
        ("min", { x, axes, keep in try axes.map { try min(x, axes: $0, keepdims: keep) } ?? min(x, keepdims: keep) }),
        ("mean", { x, axes, keep in try axes.map { try mean(x, axes: $0, keepdims: keep) } ?? mean(x, keepdims: keep) }),
        ("var", { x, axes, keep in try axes.map { try `var`(x, axes: $0, keepdims: keep) } ?? `var`(x, keepdims: keep) }),
        ("var ddof 1", { x, axes, keep in try axes.map { try `var`(x, axes: $0, ddof: 1, keepdims: keep) } ?? `var`(x, ddof: 1, keepdims: keep) }),
        ("std", { x, axes, keep in try axes.map { try std(x, axes: $0, keepdims: keep) } ?? std(x, keepdims: keep) }),
        ("logsumexp", { x, axes, keep in try axes.map { try logsumexp(x, axes: $0, keepdims: keep) } ?? logsumexp(x, keepdims: keep) }),
    ]

    /// Every reduction over one axis, several, all, negative axes, with and without keepdims, at
    /// random points (distinct values, so max and min are away from ties).
    func testEveryReductionOverEveryAxisChoice() throws {
        var data = TestData(seed: 8)
        let cases: [([Int], [Int]?)] = [
            ([2, 3, 4], [1]), ([2, 3, 4], [-1]), ([2, 3, 4], [0, 2]), ([2, 3, 4], [-1, 0]),
            ([2, 3, 4], nil), ([2, 3, 4], []), ([5], [0]), ([3, 1], [1]), ([1, 3], [0, 1]),
        ]
        for (shape, axes) in cases {
            let point = try data.nonContiguous(shape, low: -2, high: 2)
            for keepdims in [false, true] {
                for (name, reduce) in reductions {
                    // Lanes of one element: the variance with ddof 1 divides by 0, and the
                    // standard deviation is sqrt(0), whose gradient is NaN (as in Theano).
                    let laneSize = (axes ?? Array(shape.indices)).map { shape[($0 + shape.count) % shape.count] }.reduce(1, *)
                    if laneSize < 2 && (name == "var ddof 1" || name == "std") { continue }
                    let context = "\(name) of \(shape) over \(axes.map { "\($0)" } ?? "all") keepdims \(keepdims)"
                    XCTAssertNoThrow(try verifyGrad({ try reduce($0[0], axes, keepdims) }, at: [point]), context)
                    try assertGradientsAgreeAcrossShapesAndLayouts(
                        { try reduce($0[0], axes, keepdims) }, shapes: [shape.map { _ in nil }], at: [point], context)
                }
            }
        }
    }

    func testSumAndMeanGradientValues() throws {
        let x = Tensor.matrix("x", .float64)
        let value = try NDArray([[1.0, 2, 3], [4, 5, 6]])
        let gs = try grad(sum(sum(x, axis: 0) * Tensor.constant(NDArray([1.0, 10, 100]))), wrt: x)
        assertValues(try gs.eval([x: value]), [1, 10, 100, 1, 10, 100], shape: [2, 3])
        let gm = try grad(mean(x), wrt: x)
        assertValues(try gm.eval([x: value]), Array(repeating: 1.0 / 6, count: 6), shape: [2, 3])
    }

    /// prod with one zero in a lane: the zero gets the product of the others, the rest 0; with
    /// two zeros every gradient in the lane is 0. Exact, with no division by zero.
    func testProdWithZeros() throws {
        let x = Tensor.matrix("x", .float64)
        let value = try NDArray([[2.0, 0, 3], [0, 0, 4], [1, 2, 3], [-1, 5, 0.5]])
        let g = try grad(sum(prod(x, axis: 1)), wrt: x)
        assertValues(try g.eval([x: value]), [0, 6, 0, 0, 0, 0, 6, 3, 2, 2.5, -0.5, -5], shape: [4, 3], rtol: 0, atol: 0)
        let gAll = try grad(prod(x), wrt: x)
        assertValues(try gAll.eval([x: try NDArray([[2.0, 0], [3, 4]])]), [0, 24, 0, 0], shape: [2, 2], rtol: 0, atol: 0)
        assertValues(try gAll.eval([x: try NDArray([[2.0, 0], [0, 4]])]), [0, 0, 0, 0], shape: [2, 2], rtol: 0, atol: 0)
        // prod is linear in each element, so central differences are exact at zeros too.
        try verifyGrad({ try prod($0[0], axis: 1) }, at: [value])
        try verifyGrad({ try prod($0[0], axis: 0, keepdims: true) }, at: [value])
        try verifyGrad({ try prod($0[0]) }, at: [try NDArray([[2.0, 0], [3, 4]])])
        try verifyGrad({ try prod($0[0]) }, at: [try NDArray([[2.0, 0], [0, 4]])])
    }

    /// max and min send the gradient to the elements equal to the result; ties share it equally.
    func testMaxAndMinSplitTiesEqually() throws {
        let x = Tensor.matrix("x", .float64)
        let value = try NDArray([[1.0, 3, 3], [2, 2, 2], [5, 0, 1]])
        let third = 1.0 / 3
        let gMax = try grad(sum(max(x, axis: 1)), wrt: x)
        assertValues(try gMax.eval([x: value]), [0, 0.5, 0.5, third, third, third, 1, 0, 0], shape: [3, 3])
        let gMin = try grad(sum(min(x, axis: 1, keepdims: true)), wrt: x)
        assertValues(try gMin.eval([x: value]), [1, 0, 0, third, third, third, 0, 1, 0], shape: [3, 3])
        let gMaxAll = try grad(max(x), wrt: x)
        assertValues(try gMaxAll.eval([x: try NDArray([[3.0, 1], [3, 3]])]), [third, 0, third, third], shape: [2, 2])
        let gMinCols = try grad(sum(min(x, axis: -2)), wrt: x)
        assertValues(try gMinCols.eval([x: value]), [1, 0, 0, 0, 0, 0, 0, 1, 1], shape: [3, 3])
    }

    func testLogsumexpOfLargeInputs() throws {
        let v = Tensor.vector("v", .float64)
        let g = try grad(logsumexp(v), wrt: v)
        assertValues(try g.eval([v: NDArray([1000.0, 1000])]), [0.5, 0.5], rtol: 0, atol: 1e-15)
        assertValues(try g.eval([v: NDArray([1000.0, 0])]), [1, 0], atol: 1e-15)
        assertValues(try g.eval([v: NDArray([-1000.0, -1000, -1000, -1000])]), [0.25, 0.25, 0.25, 0.25], atol: 1e-15)
        let x = Tensor.matrix("x", .float64)
        let gx = try grad(sum(logsumexp(x, axis: -1, keepdims: true)), wrt: x)
        assertValues(try gx.eval([x: try NDArray([[1000.0, 1000], [0, -1000]])]), [0.5, 0.5, 1, 0], atol: 1e-15)
        // Large inputs in float32 stay finite too.
        let y = Tensor.vector("y", .float32)
        assertValues(try grad(logsumexp(y), wrt: y).eval([y: NDArray([Float(80), 80, 80, 80])]), [0.25, 0.25, 0.25, 0.25])
    }

    func testReductionsKeepFloat32() throws {
        let x = Tensor.matrix("x", .float32)
        for (name, reduce) in reductions {
            let g = try grad(sum(reduce(x, [0], false)), wrt: x)
            XCTAssertEqual(g.dtype, .float32, name)
        }
    }

    func testEmptyAxis() throws {
        // The sum over an axis of size 0 is 0 whatever x is: its gradient is an empty array.
        let x = Tensor.matrix("x", .float64)
        let g = try grad(sum(sum(x, axis: 0)), wrt: x)
        XCTAssertEqual(try g.eval([x: try NDArray.zeros([0, 3], .float64)]).shape, [0, 3])
        let gp = try grad(sum(prod(x, axis: 1)), wrt: x)
        XCTAssertEqual(try gp.eval([x: try NDArray.zeros([2, 0], .float64)]).shape, [2, 0])
    }
}
