import Theano
import XCTest

/// `x.shape`, `x.shape(i)`, `x.size` and `x.shapeList()`.
final class ShapeOfTests: BackendTestCase {
    func testShapeAndSizeEvaluate() throws {
        let x = Tensor.variable("x", .float32, shape: [nil, 3, nil])
        let a = try NDArray.zeros([2, 3, 5])
        XCTAssertEqual(try evaluate(x.shape, [x], [a]).toArray(of: Int.self), [2, 3, 5])
        XCTAssertEqual(try evaluate(x.shape(0), [x], [a]).item(Int.self), 2)
        XCTAssertEqual(try evaluate(x.shape(-1), [x], [a]).item(Int.self), 5)
        XCTAssertEqual(try evaluate(x.size, [x], [a]).item(Int.self), 30)
        XCTAssertEqual(try evaluate(x.size, [x], [try NDArray.zeros([0, 3, 4])]).item(Int.self), 0)
        XCTAssertEqual(try evaluate(x.shape, [x], [a]).dtype, .int64)
    }

    func testStaticSizesAreConstants() throws {
        let x = Tensor.variable("x", .float32, shape: [nil, 3])
        XCTAssertEqual(try x.shape(1).constantValue?.item(Int.self), 3)
        XCTAssertNil(try x.shape(0).constantValue)
        let y = Tensor.matrix("y", shape: [4, 2])
        XCTAssertEqual(try y.size.constantValue?.item(Int.self), 8)
        XCTAssertEqual(try y.shapeList().map { try $0.constantValue?.item(Int.self) }, [4, 2])
        let s = Tensor.scalar("s")
        XCTAssertEqual(try evaluate(s.shape, [s], [NDArray(scalar: Float(1))]).shape, [0])
        XCTAssertEqual(try s.size.constantValue?.item(Int.self), 1)
    }

    func testShapeOfNonContiguousInput() throws {
        var data = TestData()
        let x = Tensor.matrix("x", .float64)
        let a = try data.nonContiguous([3, 4])
        XCTAssertEqual(try evaluate(x.shape, [x], [a]).toArray(of: Int.self), [3, 4])
    }

    func testShapeAxisOutOfRange() {
        let x = Tensor.matrix("x")
        assertThrows(.outOfRange, containing: ["shape(2)", "axis 2", "rank 2"]) { try x.shape(2) }
        assertThrows(.outOfRange, containing: ["axis -3"]) { try x.shape(-3) }
    }

    func testShapeEntryAndMakeVector() throws {
        let x = Tensor.tensor3("x", .float64)
        let second = try ShapeEntry(1).apply([x.shape])
        XCTAssertEqual(try evaluate(second, [x], [try NDArray.zeros([2, 7, 1], .float64)]).item(Int.self), 7)
        let v = try MakeVector(.int64).apply([x.shape(2), Tensor(Variable(constant: NDArray(scalar: Int64(4))))])
        XCTAssertEqual(v.staticShape, [2])
        XCTAssertEqual(try evaluate(v, [x], [try NDArray.zeros([2, 7, 1], .float64)]).toArray(of: Int.self), [1, 4])
        assertThrows(.outOfRange, containing: ["ShapeEntry[3]", "int64[3]"]) { try ShapeEntry(3).apply([x.shape]) }
        assertThrows(.typeMismatch, containing: ["ShapeEntry[0]", "int64 vector", "f"]) { try ShapeEntry(0).apply([Tensor.vector("f")]) }
        let s = Tensor.vector("s", .int64)
        let f = try function([s], [try ShapeEntry(2).apply([s])])
        assertThrows(.outOfRange, containing: ["ShapeEntry[2]", "[2]"]) { try f(NDArray([1, 2] as [Int64])) }
    }
}
