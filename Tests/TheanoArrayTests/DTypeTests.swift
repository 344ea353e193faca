import TheanoArray
import XCTest

final class DTypeTests: XCTestCase {
    /// `np.result_type(a, b)` for every pair of our dtypes (NumPy 2.4), rows and columns in
    /// `DType.allCases` order: bool, uint8, int8, int16, int32, int64, float32, float64.
    /// None of these pairs involves float16, so the table matches NumPy exactly.
    static let numpyResultType: [DType: [DType]] = [
        .bool: [.bool, .uint8, .int8, .int16, .int32, .int64, .float32, .float64],
        .uint8: [.uint8, .uint8, .int16, .int16, .int32, .int64, .float32, .float64],
        .int8: [.int8, .int16, .int8, .int16, .int32, .int64, .float32, .float64],
        .int16: [.int16, .int16, .int16, .int16, .int32, .int64, .float32, .float64],
        .int32: [.int32, .int32, .int32, .int32, .int32, .int64, .float64, .float64],
        .int64: [.int64, .int64, .int64, .int64, .int64, .int64, .float64, .float64],
        .float32: [.float32, .float32, .float32, .float32, .float64, .float64, .float32, .float64],
        .float64: [.float64, .float64, .float64, .float64, .float64, .float64, .float64, .float64],
    ]

    func testPromotionMatchesNumPyForEveryPair() {
        for a in DType.allCases {
            for (j, b) in DType.allCases.enumerated() {
                XCTAssertEqual(DType.promote(a, b), DTypeTests.numpyResultType[a]?[j], "promote(\(a), \(b))")
                XCTAssertEqual(DType.promote(a, b), DType.promote(b, a), "promotion is symmetric for \(a), \(b)")
            }
        }
    }

    func testPromotionOfLists() {
        XCTAssertNil(DType.promote([]))
        XCTAssertEqual(DType.promote([.int8]), .int8)
        XCTAssertEqual(DType.promote([.bool, .uint8, .int8]), .int16)
        XCTAssertEqual(DType.promote([.int16, .float32, .int32]), .float64)
    }

    /// The dtype NumPy's `np.sin` gives for each input dtype is float16, float16, float16,
    /// float32, float64, float64, float32, float64. We have no float16, so those three cases
    /// (bool, uint8, int8) give float32 instead: a documented difference.
    func testFloatingPointResultMatchesNumPyWithFloat16AsFloat32() {
        let numpy: [DType] = [.float32, .float32, .float32, .float32, .float64, .float64, .float32, .float64]
        XCTAssertEqual(DType.allCases.map(\.floatingPointResult), numpy)
    }

    func testNamesAndSizes() {
        XCTAssertEqual(DType.allCases.map(\.name), ["bool", "uint8", "int8", "int16", "int32", "int64", "float32", "float64"])
        XCTAssertEqual(DType.allCases.map(\.byteSize), [1, 1, 1, 2, 4, 8, 4, 8])
        for d in DType.allCases { XCTAssertEqual(DType(name: d.name), d) }
        XCTAssertEqual(DType(name: "double"), .float64)
        XCTAssertEqual(DType(name: "float"), .float32)
        XCTAssertEqual(DType(name: "int"), .int64)
        XCTAssertNil(DType(name: "float16"))
        XCTAssertEqual(DType.float32.description, "float32")
    }
}
