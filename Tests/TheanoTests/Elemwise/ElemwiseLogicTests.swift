import Theano
import XCTest

/// Comparisons, logic, classification and selection (`where`, `clip`).
final class ElemwiseLogicTests: BackendTestCase {
    static let ops: Set<String> = [
        "eq", "neq", "lt", "le", "gt", "ge", "logicalAnd", "logicalOr", "logicalXor", "logicalNot",
        "isnan", "isinf", "where", "clip",
    ]

    func testComparisonsLogicAndSelectionMatchNumPy() throws {
        let fixtures = ElemwiseFixture.of(Self.ops)
        XCTAssertEqual(Set(fixtures.map(\.op)), Self.ops)
        for fixture in fixtures { try fixture.check() }
    }

    /// The scalar op of the node that computes `t`.
    private func scalarOp(_ t: Tensor) -> ScalarOp? { (t.variable.owner?.op as? Elemwise)?.scalar }

    func testComparisonOfFloat32WithLiteralStaysFloat32() throws {
        let x = Tensor.vector("x", .float32)
        let y = try x .> 0
        XCTAssertEqual(y.dtype, .bool)
        XCTAssertEqual(scalarOp(y), .gt)
        XCTAssertEqual(y.variable.owner?.inputs.map(\.type.dtype), [.float32, .float32])
        XCTAssertTrue(y.variable.owner?.inputs[0] === x.variable, "x is compared as is, not cast")
        let r = try function([x], [y, x .== 0.5, x .<= 1, x .>= 1, x .!= 1, x .< 1])(NDArray([-1, 0, 0.5, 1, .nan] as [Float]))
        XCTAssertEqual(r[0], NDArray([false, false, true, true, false]))
        XCTAssertEqual(r[1], NDArray([false, false, true, false, false]))
        XCTAssertEqual(r[2], NDArray([true, true, true, true, false]))
        XCTAssertEqual(r[3], NDArray([false, false, false, true, false]))
        XCTAssertEqual(r[4], NDArray([true, true, true, false, true]))
        XCTAssertEqual(r[5], NDArray([true, true, true, false, false]))
    }

    func testComparisonWithOutOfRangeIntegerLiteralIsExact() throws {
        let u = Tensor.vector("u", .uint8), i = Tensor.vector("i", .int8)
        let f = try function([u, i], [u .> -1, i .== 1000, i .< 1000, u .>= 256, i .> -129])
        let r = try f(NDArray([0, 255] as [UInt8]), NDArray([-128, 127] as [Int8]))
        XCTAssertEqual(r[0], NDArray([true, true]))
        XCTAssertEqual(r[1], NDArray([false, false]))
        XCTAssertEqual(r[2], NDArray([true, true]))
        XCTAssertEqual(r[3], NDArray([false, false]))
        XCTAssertEqual(r[4], NDArray([true, true]))
        // In range, the comparison stays in the operand's dtype.
        XCTAssertEqual((try i .> 3).variable.owner?.inputs.map(\.type.dtype), [.int8, .int8])
    }

    func testLogicConvertsOperandsToBool() throws {
        let x = Tensor.vector("x", .float64), n = Tensor.vector("n", .int32)
        let f = try function([x, n], [x .& n, x .| n, x .^ n, .!x, logicalAnd(x, 1), logicalOr(n, 0)])
        let r = try f(NDArray([0, -0.0, 2, .nan]), NDArray([0, 5, 0, -1] as [Int32]))
        XCTAssertEqual(r[0], NDArray([false, false, false, true]))
        XCTAssertEqual(r[1], NDArray([false, true, true, true]))
        XCTAssertEqual(r[2], NDArray([false, true, true, false]))
        XCTAssertEqual(r[3], NDArray([true, true, false, false]))
        XCTAssertEqual(r[4], NDArray([false, false, true, true]))
        XCTAssertEqual(r[5], NDArray([false, true, false, true]))
        for t in try [x .& n, .!x, x .| 2.5] { XCTAssertEqual(t.dtype, .bool) }
    }

    func testIsnanAndIsinfOfIntegersAreFalse() throws {
        let n = Tensor.vector("n", .int16), b = Tensor.vector("b", .bool)
        let r = try function([n, b], [isnan(n), n.isinf(), b.isnan()])(NDArray([0, 1] as [Int16]), NDArray([true, false]))
        for a in r { XCTAssertEqual(a, NDArray([false, false])) }
    }

    func testWhereConvertsANonBoolConditionToBool() throws {
        let c = Tensor.vector("c", .float32), a = Tensor.vector("a", .float32)
        let y = try `where`(c, a, 0)
        XCTAssertEqual(y.dtype, .float32)
        let condition = try XCTUnwrap(y.variable.owner?.inputs[0])
        XCTAssertEqual(condition.type.dtype, .bool)
        XCTAssertEqual((condition.owner?.op as? Elemwise)?.scalar, .cast(.bool))
        let r = try function([c, a], [y, c.select(a, -1)])(NDArray([0, 2, .nan, -0.0] as [Float]), NDArray([1, 2, 3, 4] as [Float]))
        XCTAssertEqual(r[0], NDArray([0, 2, 3, 0] as [Float]))
        XCTAssertEqual(r[1], NDArray([-1, 2, 3, -1] as [Float]))
        // An integer condition, scalar branches, and branches promoted together.
        let n = Tensor.vector("n", .int64), i = Tensor.vector("i", .int8)
        let z = try `where`(n, i, 2.5)
        XCTAssertEqual(z.dtype, .float64)
        let s = try function([n, i], [z, `where`(n .> 0, 1, 0)])(NDArray([0, 3, -1] as [Int64]), NDArray([7, 8, 9] as [Int8]))
        assertValues(s[0], [2.5, 8, 9])
        XCTAssertEqual(s[1], NDArray([0, 1, 0] as [Int64]))
    }

    func testClipWithLiteralBounds() throws {
        let x = Tensor.vector("x", .float32)
        let y = try clip(x, 0, 1)
        XCTAssertEqual(y.dtype, .float32)
        XCTAssertEqual(y.variable.owner?.inputs.map(\.type.dtype), [.float32, .float32, .float32])
        let r = try function([x], [y, x.clip(-0.5, 0.25)])(NDArray([-2, 0.5, 3, .nan] as [Float]))
        assertValues(r[0], [0, 0.5, 1, .nan])
        assertValues(r[1], [-0.5, 0.25, 0.25, .nan])
        // Integer tensors: integer bounds keep the dtype, even beyond its range; float bounds promote.
        let i = Tensor.vector("i", .int8)
        let wide = try clip(i, -1000, 1000)
        XCTAssertEqual(wide.dtype, .int8)
        let half = try clip(i, 0.5, 2.5)
        XCTAssertEqual(half.dtype, .float64)
        let s = try function([i], [wide, clip(i, -1, 200), half])(NDArray([-128, 0, 127] as [Int8]))
        XCTAssertEqual(s[0], NDArray([-128, 0, 127] as [Int8]))
        XCTAssertEqual(s[1], NDArray([-1, 0, 127] as [Int8]))
        assertValues(s[2], [0.5, 0.5, 2.5])
        // Bounds as tensors, broadcast.
        let lo = Tensor.scalar("lo", .float32), hi = Tensor.vector("hi", .float32)
        let t = try function([x, lo, hi], [clip(x, lo, hi)])(NDArray([-2, 0.5, 3] as [Float]), NDArray(scalar: Float(0)), NDArray([1, 0.25, 5] as [Float]))
        assertValues(t[0], [0, 0.25, 3])
    }
}
