import Theano
import XCTest

final class ReluTests: BackendTestCase {
    func testValuesAndDTypes() throws {
        for dtype in [DType.float32, .float64, .int8, .int32] {
            let x = Tensor.vector("x", dtype)
            let y = try relu(x)
            XCTAssertEqual(y.dtype, dtype)
            assertValues(try evaluate(y, [x], [NDArray([-2.0, -0.0, 0, 3]).astype(dtype)]), [0, 0, 0, 3])
            assertValues(try evaluate(try x.relu(), [x], [NDArray([-1.0, 1]).astype(dtype)]), [0, 1])
        }
        let x = Tensor.vector("x", .float64)
        assertValues(try evaluate(try relu(x), [x], [NDArray([Double.nan, -Double.infinity, Double.infinity])]), [Double.nan, 0, Double.infinity])
    }

    func testShapesAndViews() throws {
        var data = TestData(seed: 60)
        for shape in [[0], [1], [3, 4], [2, 0, 3]] {
            let value = try data.nonContiguous(shape)
            let x = symbolicInput("x", value)
            let y = try relu(x)
            assertClose(try evaluate(y, [x], [value]), value.map { Swift.max($0, 0) })
            try checkInferShape(y, [x], [value])
        }
    }
}
