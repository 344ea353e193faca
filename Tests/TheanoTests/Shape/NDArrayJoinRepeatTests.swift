import Theano
import XCTest

/// The NDArray kernels behind the shape ops, called directly.
final class NDArrayJoinRepeatTests: BackendTestCase {
    func testConcatenatePromotesAndChecks() throws {
        let i = NDArray([1, 2] as [Int32])
        let f = NDArray([0.5] as [Float])
        let c = try NDArray.concatenate([i, f], axis: 0)
        XCTAssertEqual(c.dtype, .float64)
        assertValues(c, [1, 2, 0.5])
        XCTAssertEqual(try NDArray.concatenate([try NDArray.zeros([0, 2]), try NDArray.ones([1, 2])], axis: -2).shape, [1, 2])
        assertThrows(.invalidArgument, containing: ["concatenate", "at least one"]) { try NDArray.concatenate([], axis: 0) }
        assertThrows(.shapeMismatch, containing: ["concatenate", "zero-dimensional"]) { try NDArray.concatenate([NDArray(scalar: 1.0)], axis: 0) }
        assertThrows(.shapeMismatch, containing: ["concatenate", "same rank", "[2]", "[1, 2]"]) {
            try NDArray.concatenate([try NDArray.zeros([2]), try NDArray.zeros([1, 2])], axis: 0)
        }
        assertThrows(.outOfRange, containing: ["concatenate", "axis 1", "rank 1"]) { try NDArray.concatenate([try NDArray.zeros([2])], axis: 1) }
    }

    func testSplitViewsAndErrors() throws {
        let a = try NDArray((0..<6).map(Double.init), shape: [3, 2])
        let parts = try a.split(sizes: [2, 0, 1], axis: 0)
        XCTAssertEqual(parts.map(\.shape), [[2, 2], [0, 2], [1, 2]])
        XCTAssertTrue(parts.allSatisfy { $0.sharesStorage(with: a) })
        assertValues(parts[2], [4, 5], shape: [1, 2])
        assertThrows(.shapeMismatch, containing: ["split", "add up to 2", "[3, 2]"]) { try a.split(sizes: [1, 1], axis: 0) }
        assertThrows(.invalidArgument, containing: ["split", "-1"]) { try a.split(sizes: [-1, 4], axis: 0) }
        assertThrows(.shapeMismatch, containing: ["split", "Int.max"]) { try a.split(sizes: [Int.max, Int.max], axis: 0) }
    }

    func testRolled() throws {
        let a = try NDArray((0..<6).map(Double.init), shape: [2, 3])
        // np.roll(np.arange(6).reshape(2, 3), -4)
        assertValues(try a.rolled(-4), [4, 5, 0, 1, 2, 3], shape: [2, 3])
        assertValues(try NDArray(scalar: 3.0).rolled(5), [3], shape: [])
        XCTAssertEqual(try NDArray.zeros([2, 0]).rolled(3, axis: 1).shape, [2, 0])
        assertValues(try a.rolled(Int.min, axis: 1), try a.rolled(Int.min % 3, axis: 1).doubles, shape: [2, 3])
    }

    func testTiledAndRepeated() throws {
        let a = try NDArray((0..<6).map(Double.init), shape: [2, 3])
        // np.tile(a, (2, 1, 1)).shape, np.tile(a, 2).ravel()
        XCTAssertEqual(try a.tiled([2, 1, 1]).shape, [2, 2, 3])
        assertValues(try a.tiled([2]), [0, 1, 2, 0, 1, 2, 3, 4, 5, 3, 4, 5], shape: [2, 6])
        assertValues(try NDArray(scalar: 7.0).tiled([]), [7], shape: [])
        assertThrows(.invalidArgument, containing: ["tile", "-2"]) { try a.tiled([-2]) }
        assertThrows(.invalidArgument, containing: ["tile", "too large"]) { try a.tiled([Int.max, 2]) }
        assertThrows(.invalidArgument, containing: ["repeat", "-1"]) { try a.repeated(-1) }
        assertThrows(.invalidArgument, containing: ["repeat", "too large"]) { try a.repeated(Int.max, axis: 0) }
        assertThrows(.outOfRange, containing: ["repeat", "axis 2"]) { try a.repeated(2, axis: 2) }
        let b = NDArray([true, false])
        XCTAssertEqual(try b.repeated(2).toArray(of: Bool.self), [true, true, false, false])
        XCTAssertEqual(try b.tiled([2]).toArray(of: Bool.self), [true, false, true, false])
    }

    func testCheckedProduct() throws {
        XCTAssertEqual(try checkedProduct([2, 3, 4], context: "t"), 24)
        XCTAssertEqual(try checkedProduct([Int.max, Int.max, 0], context: "t"), 0)
        XCTAssertEqual(try checkedProduct([], context: "t"), 1)
        assertThrows(.invalidArgument, containing: ["t", "too large"]) { try checkedProduct([Int.max, 2], context: "t") }
    }
}
