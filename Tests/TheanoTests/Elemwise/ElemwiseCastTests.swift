import Theano
import XCTest

/// `cast`: every pair of dtypes, and the rules for values a target cannot hold.
final class ElemwiseCastTests: BackendTestCase {
    func testEveryPairOfDTypesMatchesTheCastingRules() throws {
        let fixtures = ElemwiseFixture.of(["cast"])
        let pairs = Set(fixtures.map { "\($0.inputs[0].dtype)->\($0.expected.dtype)" })
        XCTAssertEqual(pairs.count, DType.allCases.count * (DType.allCases.count - 1), "all ordered pairs")
        for fixture in fixtures { try fixture.check() }
    }

    func testFloatToIntegerTruncatesAndNeverTraps() throws {
        let x = Tensor.vector("x", .float64)
        let f = try function([x], [cast(x, .int32), x.astype(.uint8), cast(x, .int64), cast(x, .bool)])
        let r = try f(NDArray([2.9, -2.9, .nan, .infinity, -.infinity, 3e9, 1e300, -1]))
        // NaN gives 0; other values are truncated toward zero, clamped to the int64 range, and
        // wrapped to the target's width.
        XCTAssertEqual(r[0], NDArray([2, -2, 0, -1, 0, -1294967296, -1, -1] as [Int32]))
        XCTAssertEqual(r[1], NDArray([2, 254, 0, 255, 0, 0, 255, 255] as [UInt8]))
        XCTAssertEqual(r[2], NDArray([2, -2, 0, Int64.max, Int64.min, 3_000_000_000, Int64.max, -1] as [Int64]))
        XCTAssertEqual(r[3], NDArray([true, true, true, true, true, true, true, true]))
    }

    func testIntegerToNarrowerIntegerWraps() throws {
        let x = Tensor.vector("x", .int32)
        let r = try function([x], [cast(x, .int8), cast(x, .uint8), cast(x, .bool), cast(x, .float32)])(NDArray([300, -1, 0, 16_777_217] as [Int32]))
        XCTAssertEqual(r[0], NDArray([44, -1, 0, 1] as [Int8]))
        XCTAssertEqual(r[1], NDArray([44, 255, 0, 1] as [UInt8]))
        XCTAssertEqual(r[2], NDArray([true, true, false, true]))
        XCTAssertEqual(r[3], NDArray([300, -1, 0, 16_777_216] as [Float]))
    }

    func testCastToTheSameDTypeIsTheTensorItself() throws {
        let x = Tensor.vector("x", .float32)
        XCTAssertTrue(try cast(x, .float32) === x)
        XCTAssertTrue(try x.astype(.float32) === x)
        let y = try x.cast(.float64)
        XCTAssertEqual(y.dtype, .float64)
        XCTAssertEqual((y.variable.owner?.op as? Elemwise)?.scalar, .cast(.float64))
        XCTAssertEqual(y.staticShape, x.staticShape)
    }

    func testCastNodeCopiesEvenToTheSameDType() throws {
        // Elemwise(.cast) on its own dtype (built directly) returns a fresh array.
        let x = Tensor.vector("x", .int16)
        let y = try Elemwise(.cast(.int16)).apply([x])
        let value = NDArray([1, 2, 3] as [Int16])
        XCTAssertEqual(try function([x], [y])(value)[0], value)
    }
}
