import Foundation
import Theano
import XCTest

/// Accuracy and stability: float32 sums, exact integer sums, stable logsumexp and variance.
final class ReduceNumericsTests: BackendTestCase {
    /// A float32 sum accumulates in more than float32 precision: 100000 times 0.1 loses about
    /// 1.5 in a naive float32 loop, nothing here.
    func testFloat32SumIsAccurate() throws {
        let x = Tensor.vector("x", .float32)
        let value = try NDArray.full([100_000], 0.1, .float32)
        let expected = Double(Float(0.1)) * 100_000
        let total = try sum(x).eval([x: value])
        XCTAssertEqual(total.dtype, .float32)
        XCTAssertEqual(try total.item(Double.self), expected, accuracy: expected * 1e-7)
        XCTAssertEqual(try mean(x).eval([x: value]).item(Double.self), Double(Float(0.1)), accuracy: 1e-8)
    }

    /// Integer sums are exact in int64, beyond float64's 2^53.
    func testIntegerSumsAreExact() throws {
        let x = Tensor.vector("x", .int64)
        let big = Int64(1) << 53
        let total = try sum(x).eval([x: NDArray([big, 1, 1] as [Int64])])
        XCTAssertEqual(try total.item(Int64.self), big + 2)
        XCTAssertEqual(try x.max().eval([x: NDArray([big + 1, big + 3, big + 2] as [Int64])]).item(Int64.self), big + 3)
        // int32 sums do not overflow: they accumulate in int64.
        let y = Tensor.vector("y", .int32)
        let y64 = try sum(y).eval([y: NDArray([Int32.max, Int32.max] as [Int32])])
        XCTAssertEqual(try y64.item(Int64.self), 2 * Int64(Int32.max))
    }

    func testLogsumexpIsStable() throws {
        for dtype in [DType.float32, .float64] {
            let x = Tensor.vector("x", dtype)
            func lse(_ values: [Double]) throws -> Double {
                try logsumexp(x).eval([x: NDArray(values).astype(dtype)]).item(Double.self)
            }
            let tolerance = dtype == .float32 ? 1e-4 : 1e-12
            XCTAssertEqual(try lse([1000, 1000]), 1000 + Foundation.log(2), accuracy: tolerance)
            XCTAssertEqual(try lse([-1000, -1000]), -1000 + Foundation.log(2), accuracy: tolerance)
            XCTAssertEqual(try lse([0, -Double.infinity]), 0, accuracy: tolerance)
            XCTAssertEqual(try lse([-.infinity, -.infinity]), -.infinity)
            XCTAssertEqual(try lse([.infinity, 1]), .infinity)
            XCTAssertTrue(try lse([.nan, 1]).isNaN)
            XCTAssertEqual(try logsumexp(x).eval([x: NDArray([1000, 1000] as [Double]).astype(dtype)]).dtype, dtype)
        }
    }

    /// The two-pass variance does not cancel catastrophically on a large offset.
    func testVarianceIsStable() throws {
        let x = Tensor.vector("x", .float64)
        let value = NDArray([1e9 + 1, 1e9 + 2, 1e9 + 3] as [Double])
        XCTAssertEqual(try `var`(x).eval([x: value]).item(Double.self), 2.0 / 3.0, accuracy: 1e-12)
        XCTAssertEqual(try x.std(ddof: 1).eval([x: value]).item(Double.self), 1, accuracy: 1e-12)
        // ddof at or above the count divides by 0, as NumPy does.
        XCTAssertTrue(try x.var(ddof: 3).eval([x: value]).item(Double.self).isInfinite)
        XCTAssertTrue(try x.var(ddof: 5).eval([x: NDArray([2, 2] as [Double])]).item(Double.self).isNaN)
    }

    /// mean of integers converts before summing (as NumPy does), so it does not wrap.
    func testIntegerMeanDoesNotWrap() throws {
        let x = Tensor.vector("x", .int64)
        let big = Int64(1) << 62
        let m = try mean(x).eval([x: NDArray([big, big, big] as [Int64])])
        XCTAssertEqual(m.dtype, .float64)
        XCTAssertEqual(try m.item(Double.self), Double(big))
    }

    /// NaN propagates through max and min; argmax and argmin return the first NaN.
    func testNaN() throws {
        let x = Tensor.vector("x", .float32)
        let value = NDArray([1, .nan, 5, .nan] as [Float])
        XCTAssertTrue(try max(x).eval([x: value]).item(Double.self).isNaN)
        XCTAssertTrue(try min(x).eval([x: value]).item(Double.self).isNaN)
        XCTAssertEqual(try argmax(x).eval([x: value]).item(Int.self), 1)
        XCTAssertEqual(try argmin(x).eval([x: value]).item(Int.self), 1)
        XCTAssertEqual(try all(x).eval([x: NDArray([.nan, 1] as [Float])]).item(Bool.self), true)
    }

    /// Reductions of a shared variable and of a constant work like those of inputs.
    func testSharedAndConstantInputs() throws {
        let w = Shared(try NDArray([1, 2, 3, 4] as [Double], shape: [2, 2]), name: "w")
        assertValues(try w.sum(axis: 0).eval(), [4, 6])
        assertValues(try mean(constant(NDArray([1, 2] as [Int32]))).eval(), [1.5], shape: [])
    }
}
