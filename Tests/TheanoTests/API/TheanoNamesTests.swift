import Theano
import XCTest

/// Theano's names for common operations: `fill`, `switch`, softmax over all axes.
final class TheanoNamesTests: BackendTestCase {
    func testFillBroadcastsTheValueToTheModel() throws {
        let x = Tensor.matrix("x", .float32)
        let zeros = try fill(x, 0)
        XCTAssertEqual(zeros.dtype, .float32)
        let row = Tensor.vector("row", .float64)
        let rows = try x.fill(row)
        XCTAssertEqual(rows.dtype, .float64)
        let f = try function([x, row], [zeros, rows])
        let out = try f([[1, 2, 3], [4, 5, 6]], [7, 8, 9])
        assertValues(out[0], [0, 0, 0, 0, 0, 0], shape: [2, 3])
        assertValues(out[1], [7, 8, 9, 7, 8, 9], shape: [2, 3])
        // The value's extra leading axes and the model's size-1 axes broadcast too.
        let m = Tensor.matrix("m", .float64, shape: [1, 3])
        let v = Tensor.matrix("v", .float64, shape: [2, 1])
        let both = try fill(m, v)
        XCTAssertEqual(both.staticShape, [2, 3])
        assertValues(try function([m, v], [both])([[0, 0, 0]], [[1], [2]])[0], [1, 1, 1, 2, 2, 2])
        assertThrows(.shapeMismatch, containing: ["fill", "sizes 4 and 3"]) {
            try fill(Tensor.vector("a", size: 3), Tensor.vector("b", size: 4))
        }
        // Gradient: to the value, summed over the repeated rows.
        try verifyGrad({ try (fill($0[0], $0[1]) * $0[0]).sum() },
                       at: [NDArray([[1.0, 2.0], [3.0, 4.0]]), NDArray([0.5, -1.0])])
    }

    func testSwitchIsWhere() throws {
        let c = Tensor.vector("c", .bool)
        let a = Tensor.vector("a", .float64), b = Tensor.vector("b", .float64)
        let f = try function([c, a, b], [try `switch`(c, a, b), try `where`(c, a, b)])
        let out = try f([true, false, true], [1, 2, 3], [10, 20, 30])
        assertValues(out[0], [1, 20, 3])
        assertClose(out[0], out[1])
    }

    func testSoftmaxOverAllAxes() throws {
        let x = Tensor.matrix("x", .float64, shape: [2, nil])
        let s = try softmax(x, axis: nil)
        let l = try x.logSoftmax(axis: nil)
        XCTAssertEqual(s.type, x.type)
        XCTAssertEqual(l.type, x.type)
        let values: [[Double]] = [[1, 2, 3], [4, 5, 1000]]
        let out = try function([x], [s, l, s.sum()])(values)
        let flat = values.flatMap { $0 }
        let m = flat.max()!
        let total = flat.map { Foundation.exp($0 - m) }.reduce(0, +)
        assertValues(out[0], flat.map { Foundation.exp($0 - m) / total }, shape: [2, 3])
        assertValues(out[1], flat.map { $0 - m - Foundation.log(total) }, shape: [2, 3])
        assertValues(out[2], [1])
        // Per-axis softmax is unchanged; a scalar's softmax over all axes is 1.
        XCTAssertEqual(try softmax(x, axis: 1).variable.owner.map { "\($0.op)" }, "Softmax{axis=1}")
        let scalar = Tensor.scalar("s", .float32)
        assertValues(try function([scalar], [try softmax(scalar, axis: nil)])(3.5)[0], [1])
        // Integers convert to floating point first; the gradient is the usual one.
        XCTAssertEqual(try softmax(Tensor.vector("i", .int32), axis: nil).dtype, .float64)
        try verifyGrad({ try (softmax($0[0], axis: nil) * $0[1]).sum() },
                       at: [NDArray([[0.1, 0.5], [-0.3, 0.2]]), NDArray([[1.0, 2.0], [3.0, 4.0]])])
    }
}
