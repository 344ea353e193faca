import Theano
import XCTest

final class OuterTests: BackendTestCase {
    func testValuesFlattenLikeNumPy() throws {
        // np.outer([[1, 2], [3, 4]], [1, -1, 2])
        let x = Tensor.matrix("x", .int64), y = Tensor.vector("y", .int64)
        let z = try outer(x, y)
        let a = try NDArray([1, 2, 3, 4] as [Int64], shape: [2, 2]), b = NDArray([1, -1, 2] as [Int64])
        XCTAssertEqual(try evaluate(z, [x, y], [a, b]),
                       try NDArray([1, -1, 2, 2, -2, 4, 3, -3, 6, 4, -4, 8] as [Int64], shape: [4, 3]))
        XCTAssertEqual(try evaluate(try x.outer(y), [x, y], [a, b]).shape, [4, 3])
        try checkInferShape(z, [x, y], [a, b])
        // A scalar counts as one element: np.outer(3, [1, 2]) == [[3, 6]].
        let s = Tensor.scalar("s", .int64)
        XCTAssertEqual(try evaluate(try outer(s, y), [s, y], [NDArray(scalar: Int64(3)), NDArray([1, 2] as [Int64])]),
                       try NDArray([[3, 6]] as [[Int64]]))
    }

    func testRandomShapesViewsAndDTypes() throws {
        var data = TestData(seed: 40)
        for dtype in [DType.float32, .float64, .int8, .bool] {
            for (sa, sb) in [([3], [4]), ([2, 3], [1]), ([0], [3]), ([2, 2], [2, 0]), ([1], [1])] {
                let a = try data.nonContiguous(sa, dtype), b = data.array(sb, dtype)
                let x = symbolicInput("x", a), y = symbolicInput("y", b)
                let z = try outer(x, y)
                let flatA = try a.copy().reshaped([a.count]), flatB = try b.copy().reshaped([b.count])
                let expected = try naiveContraction(flatA, flatB, shape: [a.count, b.count], dtype: dtype) { i in [([i[0]], [i[1]])] }
                assertClose(try evaluate(z, [x, y], [a, b]), expected, rtol: 1e-6, "\(dtype) \(sa) x \(sb)")
                try checkInferShape(z, [x, y], [a, b])
            }
        }
    }

    func testStaticShapesAndPromotion() throws {
        XCTAssertEqual(try outer(Tensor.variable("a", shape: [2, 3]), Tensor.vector("b", size: 5)).staticShape, [6, 5])
        XCTAssertEqual(try outer(Tensor.variable("a", shape: [nil, 3]), Tensor.vector("b", size: 5)).staticShape, [nil, 5])
        XCTAssertEqual(try outer(Tensor.vector("a", .int32), Tensor.vector("b", .float32)).dtype, .float64)
        XCTAssertEqual(try outer(Tensor.vector("a", .bool), Tensor.vector("b", .bool)).dtype, .bool)
        assertThrows(.typeMismatch, containing: ["outer", "dtype", "a", "b"]) {
            try Outer()(Tensor.vector("a", .int32), Tensor.vector("b", .float32))
        }
    }
}
