import Theano
import XCTest

/// Arithmetic of two arguments (+ - * / // % ** maximum minimum arctan2) against NumPy, and
/// the integer corner cases: division by zero, overflow, negative exponents.
final class ElemwiseArithmeticTests: BackendTestCase {
    static let ops: Set<String> = ["add", "sub", "mul", "trueDivide", "floorDivide", "mod", "pow", "maximum", "minimum", "arctan2", "logaddexp"]

    func testArithmeticMatchesNumPy() throws {
        let fixtures = ElemwiseFixture.of(Self.ops)
        XCTAssertEqual(Set(fixtures.map(\.op)), Self.ops)
        for fixture in fixtures { try fixture.check() }
    }

    func testMixedDTypesMatchNumPy() throws {
        let mixed = ElemwiseFixture.of(Self.ops.union(["lt", "eq", "ge", "logicalAnd"])).filter {
            $0.inputs.count == 2 && $0.inputs[0].dtype != $0.inputs[1].dtype
        }
        XCTAssertGreaterThanOrEqual(mixed.count, 20)
        for fixture in mixed { try fixture.check() }
    }

    func testFloorDivisionAndModFollowPython() throws {
        let a = Tensor.vector("a", .float64), b = Tensor.vector("b", .float64)
        let f = try function([a, b], [a.floorDivide(b), a % b])
        let r = try f(NDArray([7.0, -7.0, 7.0, -7.0, 5.5, 1.0]), NDArray([2.0, 2.0, -2.0, -2.0, 2.0, 0.0]))
        assertValues(r[0], [3, -4, -4, 3, 2, .infinity])
        assertValues(r[1], [1, 1, -1, -1, 1.5, .nan])
        let i = Tensor.vector("i", .int32), j = Tensor.vector("j", .int32)
        let g = try function([i, j], [i.floorDivide(j), i % j])
        let s = try g(NDArray([7, -7, 7, -7] as [Int32]), NDArray([2, 2, -2, -2] as [Int32]))
        XCTAssertEqual(s[0], NDArray([3, -4, -4, 3] as [Int32]))
        XCTAssertEqual(s[1], NDArray([1, 1, -1, -1] as [Int32]))
    }

    func testIntegerDivisionByZeroGivesZeroWithoutTrapping() throws {
        for dtype in [DType.int8, .int16, .int32, .int64, .uint8] {
            let a = Tensor.vector("a", dtype), b = Tensor.vector("b", dtype)
            let f = try function([a, b], [floorDivide(a, b), mod(a, b)])
            let zeros = NDArray(zeros: [3], dtype: dtype)
            let r = try f(NDArray([1.0, 0.0, 5.0]).astype(dtype), zeros)
            XCTAssertEqual(r[0], zeros, "\(dtype) // 0")
            XCTAssertEqual(r[1], zeros, "\(dtype) % 0")
        }
        // The one quotient that overflows wraps, as in NumPy.
        let a = Tensor.vector("a", .int32), b = Tensor.vector("b", .int32)
        let r = try function([a, b], [a.floorDivide(b), a % b])(NDArray([Int32.min]), NDArray([-1 as Int32]))
        XCTAssertEqual(r[0], NDArray([Int32.min]))
        XCTAssertEqual(r[1], NDArray([0 as Int32]))
    }

    func testIntegerOverflowWraps() throws {
        let a = Tensor.vector("a", .int8), b = Tensor.vector("b", .int8)
        let f = try function([a, b], [a + b, a - b, a * b, -a, abs(a), square(a)])
        let r = try f(NDArray([127, -128, 100] as [Int8]), NDArray([1, 1, 3] as [Int8]))
        XCTAssertEqual(r[0], NDArray([-128, -127, 103] as [Int8]))
        XCTAssertEqual(r[1], NDArray([126, 127, 97] as [Int8]))
        XCTAssertEqual(r[2], NDArray([127, -128, 44] as [Int8]))
        XCTAssertEqual(r[3], NDArray([-127, -128, -100] as [Int8]))
        XCTAssertEqual(r[4], NDArray([127, -128, 100] as [Int8]))
        XCTAssertEqual(r[5], NDArray([1, 0, 16] as [Int8]))
        let u = Tensor.vector("u", .uint8)
        let g = try function([u], [u - 1, u * 2, -u])
        let s = try g(NDArray([0, 200] as [UInt8]))
        XCTAssertEqual(s[0], NDArray([255, 199] as [UInt8]))
        XCTAssertEqual(s[1], NDArray([0, 144] as [UInt8]))
        XCTAssertEqual(s[2], NDArray([0, 56] as [UInt8]))
        let l = Tensor.vector("l", .int64)
        let h = try function([l], [l + 1, l ** 3])
        let t = try h(NDArray([Int64.max, 1 << 62] as [Int64]))
        XCTAssertEqual(t[0], NDArray([Int64.min, (1 << 62) + 1] as [Int64]))
        XCTAssertEqual(t[1], NDArray([Int64.max, 0] as [Int64]))
    }

    func testIntegerPowerWithNegativeExponentThrowsAtRunTime() throws {
        let a = Tensor.vector("a", .int32), b = Tensor.vector("b", .int32)
        let f = try function([a, b], [a ** b])
        XCTAssertEqual(try f(NDArray([2, 3] as [Int32]), NDArray([3, 0] as [Int32]))[0], NDArray([8, 1] as [Int32]))
        assertThrows(.invalidArgument, containing: ["pow", "negative", "-1"]) {
            try f(NDArray([2, 3] as [Int32]), NDArray([3, -1] as [Int32]))
        }
        // A literal exponent builds fine and fails when run.
        let g = try function([a], [a ** -2])
        assertThrows(.invalidArgument, containing: ["pow", "-2"]) { try g(NDArray([2] as [Int32])) }
        // Floats take any exponent.
        let x = Tensor.vector("x", .float64)
        assertValues(try function([x], [x ** -1])(NDArray([2.0, 0.0]))[0], [0.5, .infinity])
    }

    func testTrueDivisionOfIntegersIsFloat64() throws {
        for dtype in [DType.bool, .uint8, .int8, .int16, .int32, .int64] {
            let a = Tensor.vector("a", dtype), b = Tensor.vector("b", dtype)
            XCTAssertEqual((try a / b).dtype, .float64, "\(dtype) / \(dtype)")
        }
        let i = Tensor.vector("i", .int32)
        let q = try i / 2
        XCTAssertEqual(q.dtype, .float64)
        // Unoptimised, so the graph runs as written (the opt-in div_self would rewrite i / i to 1).
        let r = try function([i], [q, i / i], mode: .unoptimized)(NDArray([1, -3, 0] as [Int32]))
        assertValues(r[0], [0.5, -1.5, 0])
        assertValues(r[1], [1, 1, .nan])
        let x = Tensor.vector("x", .float32)
        XCTAssertEqual((try x / 2).dtype, .float32)
        XCTAssertEqual((try x / i).dtype, .float64)
    }

    func testPowOfIntegersStaysInteger() throws {
        let i = Tensor.vector("i", .int16)
        XCTAssertEqual((try i ** 2).dtype, .int16)
        XCTAssertEqual((try i ** 0.5).dtype, .float64)
        XCTAssertEqual(try function([i], [i ** 2])(NDArray([3, -4, 200] as [Int16]))[0], NDArray([9, 16, -25536] as [Int16]))
    }
}
