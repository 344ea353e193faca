import Foundation
import TheanoArray
import XCTest

final class DescriptionTests: XCTestCase {
    /// Every array in `Fixtures/reprs.npz` prints exactly as NumPy's `repr` did
    /// (`Fixtures/reprs.json`, written by `make_fixtures.py`).
    func testMatchesNumPyReprForStoredCases() throws {
        let expected = try numpyReprs()
        let arrays = try NDArray.loadNPZ(from: fixtureURL("reprs.npz"))
        XCTAssertEqual(arrays.count, expected.keys.filter { !$0.hasPrefix("built_") }.count)
        for (name, array) in arrays.sorted(by: { $0.key < $1.key }) {
            XCTAssertEqual(array.description, expected[name], "\(name)")
        }
    }

    /// Large arrays are summarised with "..." and get a shape= note, as in NumPy 2.
    func testMatchesNumPyReprForSummarisedArrays() throws {
        let expected = try numpyReprs()
        let built: [String: NDArray] = [
            "built_i8_summary": try NDArray.arange(2000),
            "built_f8_summary_2d": try NDArray.arange(0, 3000, step: 1, .float64).reshaped([30, 100]),
            "built_i4_summary_3d": try NDArray.arange(2000, .int32).reshaped([2, 10, 100]),
            "built_b_summary": NDArray((0..<1500).map { $0 % 3 == 0 }),
            "built_i8_negative_summary": try NDArray((0..<1200).map { -$0 }, shape: [40, 30]),
            "built_u1_summary": NDArray((0..<1001).map { UInt8($0 % 256) }),
            "built_f4_summary": try NDArray.linspace(0, 1, count: 1001, .float32),
        ]
        XCTAssertEqual(Set(built.keys), Set(expected.keys.filter { $0.hasPrefix("built_") }))
        for (name, array) in built {
            XCTAssertEqual(array.description, expected[name], "\(name)")
        }
    }

    func testSnapshots() throws {
        let m = try NDArray([1, 2, 3, 4] as [Float], shape: [2, 2])
        XCTAssertEqual(m.description, "array([[1., 2.],\n       [3., 4.]], dtype=float32)")
        XCTAssertEqual(NDArray([1, 2, 3] as [Int]).description, "array([1, 2, 3])")
        XCTAssertEqual(NDArray([true, false]).description, "array([ True, False])")
        XCTAssertEqual(NDArray(scalar: 3.5).description, "array(3.5)")
        XCTAssertEqual(try NDArray.zeros([0, 3]).description, "array([], shape=(0, 3), dtype=float32)")
        XCTAssertEqual(NDArray([1, 2] as [Int32]).debugDescription, "array([1, 2], dtype=int32)")
        XCTAssertEqual(NDArray([0.1, 0.25, 100] as [Double]).description, "array([  0.1 ,   0.25, 100.  ])")
        XCTAssertEqual(NDArray([Double.nan, 1]).description, "array([nan,  1.])")
        XCTAssertEqual(NDArray([-Double.infinity, 1e-7]).description, "array([  -inf, 1.e-07])")
        XCTAssertEqual(NDArray([1.0 / 3, 2e-5] as [Float]).description, "array([3.3333334e-01, 1.9999999e-05], dtype=float32)")
        XCTAssertEqual(NDArray([123456789.0, -1]).description, "array([ 1.23456789e+08, -1.00000000e+00])")
        XCTAssertEqual(NDArray([1e300, 1e-300]).description, "array([1.e+300, 1.e-300])")
        XCTAssertEqual(NDArray(scalar: Int8(-5)).description, "array(-5, dtype=int8)")
        XCTAssertEqual(NDArray([Int64.min]).description, "array([-9223372036854775808])")
    }

    /// Views print their own elements: strides, offsets and broadcasting are honoured.
    func testViewsPrintTheirElements() throws {
        let m = try NDArray([1, 2, 3, 4] as [Float], shape: [2, 2])
        XCTAssertEqual(try m.transposed().description, "array([[1., 3.],\n       [2., 4.]], dtype=float32)")
        let a = try NDArray.arange(12).reshaped([3, 4])
        XCTAssertEqual(try a.slice([.slice(start: nil, stop: nil, step: -2), .index(1)]).description, "array([9, 1])")
        XCTAssertEqual(try NDArray(scalar: true).broadcast(to: [2]).description, "array([ True,  True])")
        let big = try NDArray.arange(2000).reshaped([2, 1000]).transposed()
        XCTAssertEqual(big.description, """
            array([[   0, 1000],
                   [   1, 1001],
                   [   2, 1002],
                   ...,
                   [ 997, 1997],
                   [ 998, 1998],
                   [ 999, 1999]], shape=(1000, 2))
            """)
    }

    func testInterpolationUsesTheDescription() {
        XCTAssertEqual("\(NDArray([1.5] as [Double]))", "array([1.5])")
    }

    private func numpyReprs() throws -> [String: String] {
        try JSONDecoder().decode([String: String].self, from: Data(contentsOf: fixtureURL("reprs.json")))
    }
}
