import Foundation
import Theano
import XCTest

final class SoftmaxTests: BackendTestCase {
    /// Softmax along `axis` from its definition, in Double (inputs must be small enough).
    func naiveSoftmax(_ x: NDArray, axis: Int, log: Bool) throws -> NDArray {
        var values: [Double] = []
        for index in allIndices(x.shape) {
            var sum = 0.0
            for j in 0..<x.shape[axis] {
                var other = index
                other[axis] = j
                sum += Foundation.exp(try x.element(other, as: Double.self))
            }
            let v = try x.element(index, as: Double.self)
            values.append(log ? v - Foundation.log(sum) : Foundation.exp(v) / sum)
        }
        return try NDArray(values, shape: x.shape).astype(x.dtype)
    }

    func testValuesAgainstNumPy() throws {
        let x = Tensor.vector("x", .float64)
        let a = NDArray([1.0, 2, 3])
        // e = np.exp(x - x.max()); e / e.sum(), and its log
        assertValues(try evaluate(try softmax(x), [x], [a]), [0.09003057, 0.24472847, 0.66524096])
        assertValues(try evaluate(try logSoftmax(x), [x], [a]), [-2.40760596, -1.40760596, -0.40760596])
        assertValues(try evaluate(try x.softmax(axis: 0), [x], [a]), [0.09003057, 0.24472847, 0.66524096])
        assertValues(try evaluate(try x.logSoftmax(axis: 0), [x], [a]), [-2.40760596, -1.40760596, -0.40760596])
    }

    func testStability() throws {
        for dtype in [DType.float32, .float64] {
            let x = Tensor.vector("x", dtype)
            let big = NDArray([1000.0, 1000]).astype(dtype)
            assertValues(try evaluate(try softmax(x), [x], [big]), [0.5, 0.5])
            assertValues(try evaluate(try logSoftmax(x), [x], [NDArray([1000.0, 0]).astype(dtype)]), [0, -1000])
            assertValues(try evaluate(try logSoftmax(x), [x], [NDArray([-1000.0, 0]).astype(dtype)]), [-1000, 0])
            // exp(100) overflows float32 without the shift; NumPy gives [1, 3.8e-44].
            assertValues(try evaluate(try softmax(x), [x], [NDArray([100.0, 0]).astype(dtype)]), [1, 0])
        }
    }

    func testInfiniteAndNaNLanes() throws {
        let inf = Double.infinity
        for dtype in [DType.float32, .float64] {
            let x = Tensor.matrix("x", dtype)
            let f = try function([x], [try softmax(x), try logSoftmax(x)])
            // Rows: some -inf (NumPy: [0, 0.26894142, 0.73105858]); all -inf (uniform); +inf
            // entries share the mass; NaN poisons its row only.
            let a = try NDArray([-inf, 0, 1, -inf, -inf, -inf, inf, 0, inf, .nan, 1, 2], shape: [4, 3]).astype(dtype)
            let r = try f(a)
            let third = 1.0 / 3, log3 = -Foundation.log(3.0), log2 = -Foundation.log(2.0)
            assertValues(r[0], [0, 0.26894142, 0.73105858, third, third, third, 0.5, 0, 0.5, .nan, .nan, .nan])
            assertValues(r[1], [-inf, -1.31326169, -0.31326169, log3, log3, log3, log2, -inf, log2, .nan, .nan, .nan])
        }
    }

    func testAxesViewsAndShapes() throws {
        var data = TestData(seed: 50)
        let shapes: [[Int]] = [[4], [3, 5], [2, 3, 4], [1, 3], [3, 1], [0, 3], [2, 0], [2, 1, 3]]
        for dtype in [DType.float32, .float64] {
            for shape in shapes {
                for axis in -shape.count..<shape.count {
                    for value in [data.array(shape, dtype), try data.nonContiguous(shape, dtype)] {
                        let x = symbolicInput("x", value)
                        let a = axis < 0 ? axis + shape.count : axis
                        for log in [false, true] {
                            let y = log ? try logSoftmax(x, axis: axis) : try softmax(x, axis: axis)
                            XCTAssertEqual(y.type, x.type)
                            let context = "\(dtype) \(shape) axis \(axis) log \(log)"
                            assertClose(try evaluate(y, [x], [value]), try naiveSoftmax(value, axis: a, log: log),
                                        rtol: 1e-5, atol: 1e-6, context)
                            try checkInferShape(y, [x], [value])
                        }
                    }
                }
            }
        }
    }

    func testTransposedInputAndLanesSumToOne() throws {
        var data = TestData(seed: 51)
        let value = try data.array([6, 4], .float64, low: -20, high: 20).transposed()   // [4, 6]
        let x = Tensor.matrix("x", .float64)
        let y = try evaluate(try softmax(x, axis: 1), [x], [value])
        for row in 0..<4 {
            let sum = try (0..<6).map { try y.element([row, $0], as: Double.self) }.reduce(0, +)
            XCTAssertEqual(sum, 1, accuracy: 1e-12)
        }
        let l = try evaluate(try logSoftmax(x, axis: 0), [x], [value])
        assertClose(l, try naiveSoftmax(value, axis: 0, log: true), rtol: 1e-9, atol: 1e-9)
    }

    func testIntegerInputsConvertToFloat() throws {
        let cases: [(DType, DType)] = [(.int32, .float64), (.int64, .float64), (.int8, .float32), (.uint8, .float32), (.bool, .float32), (.float32, .float32)]
        for (input, output) in cases {
            let x = Tensor.vector("x", input)
            XCTAssertEqual(try softmax(x).dtype, output, "\(input)")
            XCTAssertEqual(try logSoftmax(x).dtype, output, "\(input)")
        }
        let x = Tensor.vector("x", .int32)
        assertValues(try evaluate(try softmax(x), [x], [NDArray([1, 2, 3] as [Int32])]), [0.09003057, 0.24472847, 0.66524096])
    }

    func testEqualAxesMakeEqualOps() throws {
        let x = Tensor.matrix("x")
        let a = try softmax(x, axis: -1), b = try softmax(x, axis: 1)
        XCTAssertTrue(try XCTUnwrap(a.variable.owner).op.isEqual(to: try XCTUnwrap(b.variable.owner).op))
    }

    func testErrors() throws {
        let x = Tensor.matrix("x")
        assertThrows(.outOfRange, containing: ["softmax", "x", "axis 2", "rank 2"]) { try softmax(x, axis: 2) }
        assertThrows(.outOfRange, containing: ["logSoftmax", "x", "axis -3"]) { try x.logSoftmax(axis: -3) }
        assertThrows(.outOfRange, containing: ["softmax", "s", "rank 0"]) { try softmax(Tensor.scalar("s")) }
        assertThrows(.typeMismatch, containing: ["softmax", "i", "int32"]) { try Softmax(axis: 0)(Tensor.vector("i", .int32)) }
        assertThrows(.typeMismatch, containing: ["logSoftmax", "i", "int32"]) { try LogSoftmax(axis: 0)(Tensor.vector("i", .int32)) }
        assertThrows(.outOfRange, containing: ["softmax", "x", "axis 5"]) { try Softmax(axis: 5)(x) }
        assertThrows(.typeMismatch, containing: ["softmax", "int64"]) { try NDArray([1, 2] as [Int64]).softmax(axis: 0) }
        assertThrows(.outOfRange, containing: ["logSoftmax", "axis 1"]) { try NDArray([1.0, 2]).logSoftmax(axis: 1) }
    }
}
