import TheanoArray
import XCTest

final class ConversionTests: XCTestCase {
    func testSwiftArraysGiveTheirDType() throws {
        XCTAssertEqual(NDArray([1, 2, 3] as [Int]).dtype, .int64)
        XCTAssertEqual(NDArray([1, 2] as [Float]).dtype, .float32)
        XCTAssertEqual(NDArray([1, 2] as [Double]).dtype, .float64)
        XCTAssertEqual(NDArray([true]).dtype, .bool)
        XCTAssertEqual(NDArray([1] as [UInt8]).dtype, .uint8)
        XCTAssertEqual(NDArray([1] as [Int8]).dtype, .int8)
        XCTAssertEqual(NDArray([1] as [Int16]).dtype, .int16)
        XCTAssertEqual(NDArray([1] as [Int32]).dtype, .int32)
        XCTAssertEqual(NDArray([1] as [Int64]).dtype, .int64)
        XCTAssertEqual(NDArray([Int.min, -1, Int.max]).toArray(of: Int.self), [Int.min, -1, Int.max])
    }

    func testShapedAndNestedInitialisers() throws {
        let a = try NDArray([1, 2, 3, 4, 5, 6] as [Double], shape: [2, 3])
        XCTAssertEqual(a.shape, [2, 3])
        XCTAssertEqual(try a.element([1, -1], as: Double.self), 6)
        let rows = try NDArray([[1, 2], [3, 4]] as [[Int32]])
        XCTAssertEqual(rows.shape, [2, 2])
        XCTAssertEqual(rows.toArray(of: Int32.self), [1, 2, 3, 4])
        XCTAssertEqual(try NDArray([] as [[Float]]).shape, [0, 0])
        let s = NDArray(scalar: 2.5)
        XCTAssertEqual(s.shape, [])
        XCTAssertEqual(try s.item(Double.self), 2.5)
        assertThrows(.shapeMismatch, containing: ["5 values", "[2, 3]", "6"]) { try NDArray([1, 2, 3, 4, 5] as [Float], shape: [2, 3]) }
        assertThrows(.invalidArgument, containing: ["negative", "[-1, 3]"]) { try NDArray([] as [Float], shape: [-1, 3]) }
        assertThrows(.shapeMismatch, containing: ["row 1", "1 values", "row 0 has 2"]) { try NDArray([[1, 2], [3]] as [[Int]]) }
    }

    func testCastingRules() {
        // Floats truncate toward zero; NaN gives 0; out-of-range values saturate to the Int64
        // range and then wrap (so 1e20 -> Int64.max -> -1 as int32).
        let f = NDArray([2.9, -2.9, .nan, 1e20, -1e20, 0.5] as [Double])
        XCTAssertEqual(f.toArray(of: Int64.self), [2, -2, 0, .max, .min, 0])
        XCTAssertEqual(f.toArray(of: Int32.self), [2, -2, 0, -1, 0, 0])
        XCTAssertEqual(f.toArray(of: Bool.self), [true, true, true, true, true, true])
        XCTAssertEqual(NDArray([0.0, -0.0]).toArray(of: Bool.self), [false, false])
        // Integers wrap as two's complement: np.array([300, -129, 70000]).astype(np.int8)
        XCTAssertEqual(NDArray([300, -129, 70000] as [Int]).toArray(of: Int8.self), [44, 127, 112])
        XCTAssertEqual(NDArray([-1, 256] as [Int]).toArray(of: UInt8.self), [255, 0])
        XCTAssertEqual(NDArray([true, false]).toArray(of: Float.self), [1, 0])
        XCTAssertEqual(NDArray([255] as [UInt8]).toArray(of: Int8.self), [-1])
        XCTAssertEqual(NDArray([Int64.max]).toArray(of: Double.self), [9.223372036854775807e18])
        XCTAssertEqual(NDArray([1e40]).toArray(of: Float.self), [.infinity])
    }

    func testAstypeFollowsTheSameRules() {
        let f = NDArray([1.7, -1.7, .nan] as [Float])
        let i = f.astype(.int16)
        XCTAssertEqual(i.dtype, .int16)
        XCTAssertEqual(i.toArray(of: Int16.self), [1, -1, 0])
        XCTAssertEqual(f.astype(.bool).toArray(of: Bool.self), [true, true, true])
        XCTAssertTrue(f.astype(.float32).sharesStorage(with: f), "same dtype returns self")
        XCTAssertEqual(NDArray([3, -1] as [Int8]).astype(.uint8).toArray(of: UInt8.self), [3, 255])
    }

    func testItemAndElement() throws {
        XCTAssertEqual(try NDArray([7] as [Int16]).item(Int.self), 7)
        XCTAssertEqual(try NDArray.ones([1, 1, 1]).item(Double.self), 1)
        assertThrows(.shapeMismatch, containing: ["item()", "[2]", "2 elements"]) { try NDArray([1, 2] as [Int]).item(Int.self) }
        let a = try NDArray.arange(6).reshaped([2, 3])
        XCTAssertEqual(try a.element([-1, -2], as: Int.self), 4)
        XCTAssertEqual(try a.element([1, 0], as: Double.self), 3)
        assertThrows(.outOfRange, containing: ["index 3", "axis 1", "size 3"]) { try a.element([0, 3], as: Int.self) }
        assertThrows(.invalidArgument, containing: ["1 entries", "rank 2"]) { try a.element([0], as: Int.self) }
    }

    func testToArrayWalksAnyLayout() throws {
        let a = try NDArray.arange(6, .int32).reshaped([2, 3])
        XCTAssertEqual(try a.transposed().toArray(of: Int32.self), [0, 3, 1, 4, 2, 5])
        XCTAssertEqual(try a.flipped(axis: 0).toArray(of: Int.self), [3, 4, 5, 0, 1, 2])
        XCTAssertEqual(try NDArray(scalar: Int32(4)).broadcast(to: [2, 2]).toArray(of: Int.self), [4, 4, 4, 4])
        try NDArray.arange(4, .float64).transposed().withUnsafeBufferPointer(of: Double.self) { XCTAssertEqual(Array($0), [0, 1, 2, 3]) }
        assertThrows(.typeMismatch, containing: ["float64", "Int32"]) {
            try NDArray.zeros([1], .float64).withUnsafeBufferPointer(of: Int32.self) { _ in () }
        }
    }

    func testEqualityIgnoresLayoutButNotDType() throws {
        let a = try NDArray.arange(6).reshaped([2, 3])
        XCTAssertEqual(try a.transposed().copy(), try a.transposed())
        XCTAssertNotEqual(a, a.astype(.int32))
        XCTAssertNotEqual(a, try a.reshaped([3, 2]))
        XCTAssertNotEqual(NDArray([Double.nan]), NDArray([Double.nan]))
    }
}
