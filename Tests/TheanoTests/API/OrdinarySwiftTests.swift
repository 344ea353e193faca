import Theano
import XCTest

/// Importing the library must not change how ordinary Swift code type-checks: it adds no
/// initialiser, operator or literal conformance to the standard types. Each expression below
/// is one that an added initialiser (such as `init(double:)` on the numeric types) once made
/// ambiguous (and `Tensor`'s `==`, being literal-expressible, made `1 == 1.0` inside an
/// autoclosure ambiguous until it was disfavoured); the file compiling is the test, the
/// assertions check the meaning is Swift's. (`XCTAssertTrue(1 < 1.5)` is ambiguous with
/// Foundation alone: `NSNumber` against `Decimal`.)
final class OrdinarySwiftTests: XCTestCase {
    func testUnappliedInitialisersOfNumericTypes() {
        XCTAssertEqual([1, 2].map(Int64.init), [1, 2] as [Int64])
        XCTAssertEqual([1.0].map(Float.init), [1] as [Float])
        XCTAssertEqual([1, 2].map(Double.init), [1, 2] as [Double])
        XCTAssertEqual([Int32(3)].map(Int.init), [3])
        XCTAssertEqual([1.5, 2.5].map(Int.init), [1, 2])
        XCTAssertEqual([Float(1.5)].map(Double.init), [1.5])
        XCTAssertEqual([UInt8(7)].map(Int16.init), [7] as [Int16])
        XCTAssertEqual(["true", "no"].map(Bool.init), [true, nil])
        XCTAssertEqual(["3", "x"].map { Int($0) }, [3, nil])
        XCTAssertEqual(["2.5"].compactMap(Double.init), [2.5])
    }

    func testConversionsAndLiterals() {
        XCTAssertEqual(Int(3.5), 3)
        XCTAssertEqual(Int64(-2.9), -2)
        XCTAssertEqual(Float(2), 2)
        XCTAssertEqual(Double(Float(0.5)), 0.5)
        XCTAssertNil(Int8(exactly: 300))
        XCTAssertEqual(Int8(truncatingIfNeeded: 300), 44)
        XCTAssertEqual(UInt8(clamping: -5), 0)
        let x = 3
        let y = 2.5
        XCTAssertEqual(Double(x) * y, 7.5)
        XCTAssertEqual([1, 2, 3].reduce(0, +), 6)
        XCTAssertEqual([1.0, 2.0].reduce(0, +) / 2, 1.5)
        XCTAssertEqual(Array(repeating: 0, count: 2), [0, 0])
        XCTAssertEqual([[1, 2], [3]].map(\.count), [2, 1])
        XCTAssertEqual((1...3).map { $0 * 2 }, [2, 4, 6])
        XCTAssertEqual(Set([1, 1, 2]).count, 2)
        XCTAssertEqual([3, 1, 2].sorted(by: <), [1, 2, 3])
        XCTAssertEqual(max(1, 2.5), 2.5)
        XCTAssertEqual(abs(-3), 3)
        XCTAssertTrue(1 == 1.0)
        XCTAssertTrue(1.0 == 1.0)
        XCTAssertTrue(1 != 1.5)
        XCTAssertEqual(1 + 1.0, 2)
        let same: Bool = 1 == 1.0
        XCTAssertTrue(same)
        XCTAssertEqual(String(describing: Int16(5)), "5")
    }
}
