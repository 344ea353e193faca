import Theano
import XCTest

/// The arithmetic canonicalisations: each rule's graph before and after, its name in the
/// trace, and equal values with and without optimisation.
final class CanonicalizeArithmeticTests: BackendTestCase {
    var data = TestData(seed: 11)
    let x = Tensor.matrix("x", .float64)
    let y = Tensor.matrix("y", .float64)

    func testMulByOneEitherSide() throws {
        let xv = data.array([2, 3])
        try checkRule("mul_by_one", [x], try exp(x * 1), expected: "exp(x)", values: [xv])
        try checkRule("mul_by_one", [x], try exp(1 * x), expected: "exp(x)", values: [xv])
    }

    func testMulByOneBroadcastsWhenTheConstantIsLarger() throws {
        // v * ones([2, 3]) has shape [2, 3]: the result must not shrink to v's [3].
        let v = Tensor.vector("v", .float64, size: 3)
        let ones = Tensor.constant(try NDArray.full([2, 3], 1, .float64))
        let out = try checkRule("mul_by_one", [v], try exp(v * ones), expected: "Alloc(exp(DimShuffle{x,0}(v)), 2, 3)",
                                values: [data.array([3])])
        XCTAssertEqual(out.graph.outputs[0].type.shape, [2, 3])
    }

    func testAddZeroSubZeroAndZeroSub() throws {
        let xv = data.array([2, 3])
        try checkRule("add_zero", [x], try exp(x + 0), expected: "exp(x)", values: [xv])
        try checkRule("add_zero", [x], try exp(0 + x), expected: "exp(x)", values: [xv])
        try checkRule("sub_zero", [x], try exp(x - 0), expected: "exp(x)", values: [xv])
        try checkRule("zero_sub", [x], try exp(0 - x), expected: "exp(neg(x))", values: [xv])
    }

    func testDivByOneAndPowOne() throws {
        let xv = data.array([2, 3])
        try checkRule("div_by_one", [x], try exp(x / 1), expected: "exp(x)", values: [xv])
        try checkRule("pow_one", [x], try exp(x ** 1), expected: "exp(x)", values: [xv])
    }

    func testPowZeroGivesOnesOfTheShape() throws {
        let out = try checkRule("pow_zero", [x], try x ** 0, expected: "Alloc(1.0, Shape[0](x), Shape[1](x))",
                                values: [data.array([2, 3])])
        XCTAssertEqual(out.ops.filter { $0 == "pow" }, [])
        let f = try function([x], [x ** 0])
        assertValues(try f(NDArray([Double.nan, 0, .infinity], shape: [1, 3]))[0], [1, 1, 1])
    }

    func testDoubleNegation() throws {
        let i = Tensor.vector("i", .int8)
        try checkRule("double_neg", [x], try exp(-(-x)), expected: "exp(x)", values: [data.array([2, 3])])
        // Exact for integers, -128 included.
        try checkRule("double_neg", [i], try -(-i) * 2, expected: "mul(i, 2)", values: [NDArray([-128, -1, 0, 127] as [Int8])])
    }

    func testConstantsInSumsAreCollected() throws {
        let xv = data.array([2, 3])
        try checkRule("add_constants", [x], try (x + 1) + 2, expected: "add(x, 3.0)", values: [xv])
        try checkRule("add_constants", [x], try 2 + (1 + x), expected: "add(x, 3.0)", values: [xv])
        try checkRule("add_constants", [x], try 5 - (x - 2), expected: "sub(7.0, x)", values: [xv])
        try checkRule("add_constants", [x], try (x - 1) - 2, expected: "add(x, -3.0)", values: [xv])
        try checkRule("add_constants", [x], try (1 - x) + 2, expected: "sub(3.0, x)", values: [xv])
        // Three levels fold to one node.
        let out = try checkRule("add_constants", [x], try ((x + 1) + 2) + 3, expected: "add(x, 6.0)", values: [xv])
        XCTAssertEqual(out.trace.counts["add_constants"], 2)
    }

    func testConstantsInSumsKeepIntegerWrapping() throws {
        let i = Tensor.vector("i", .uint8)
        try checkRule("add_constants", [i], try (i - 200) - 100, expected: "add(i, 212)",
                      values: [NDArray([0, 1, 255] as [UInt8])])
    }

    func testConstantsInSumsBroadcast() throws {
        // The folded constant has the shape of both constants broadcast together.
        let v = Tensor.vector("v", .float64)
        let column = Tensor.constant(try NDArray([1.0, 2.0], shape: [2, 1]))
        let out = try checkRule("add_constants", [v], try (v + column) + 10, expected: "add(DimShuffle{x,0}(v), Constant{float64[2, 1]})",
                                values: [data.array([3])])
        XCTAssertEqual(out.graph.outputs[0].owner?.inputs[1].constantValue, try NDArray([11.0, 12.0], shape: [2, 1]))
    }

    func testConstantsInProductsAreCollected() throws {
        let xv = data.array([2, 3], low: 0.5, high: 2)
        try checkRule("mul_constants", [x], try 2 * (3 * x), expected: "mul(x, 6.0)", values: [xv])
        try checkRule("mul_constants", [x], try (x / 2) * 4, expected: "mul(x, 2.0)", values: [xv])
        try checkRule("mul_constants", [x], try 6 / (3 / x), expected: "mul(x, 2.0)", values: [xv])
        try checkRule("mul_constants", [x], try (x / 2) / 4, expected: "mul(x, 0.125)", values: [xv])
        try checkRule("mul_constants", [x], try 2 / (x * 4), expected: "true_div(0.5, x)", values: [xv])
        // x / 3 * 3 folds to x * 1, then x.
        try checkRule("mul_constants", [x], try exp(x / 3 * 3), expected: "exp(x)", values: [xv])
    }

    func testConstantsMoveOutwardsAndMeet() throws {
        let xv = data.array([2, 3]), yv = data.array([2, 3])
        let sum = try checkRule("hoist_add_constant", [x, y], try (x + 1) + (y + 2), expected: "add(add(y, x), 3.0)", values: [xv, yv])
        XCTAssertEqual(sum.ops.filter { $0 == "add" }.count, 2)
        try checkRule("hoist_mul_constant", [x, y], try (x * 2) * y, expected: "mul(mul(x, y), 2.0)", values: [xv, yv])
    }

    func testHoistingDeclinesWhenTheInnerNodeIsShared() throws {
        let inner = try x + 1
        try checkRuleDeclines("hoist_add_constant", [x, y], try (inner + y) * inner, values: [data.array([2, 2]), data.array([2, 2])])
    }

    func testCancelledFactors() throws {
        let xv = data.array([2, 3], low: 0.5, high: 2), yv = data.array([2, 3])
        try checkRule("cancel_factors", [x, y], try exp(x * y / x), expected: "exp(y)", values: [xv, yv])
        try checkRule("cancel_factors", [x, y], try exp(y * x / x), expected: "exp(y)", values: [xv, yv])
        try checkRule("cancel_factors", [x, y], try exp(x * (y / x)), expected: "exp(y)", values: [xv, yv])
        try checkRule("cancel_factors", [x, y], try exp((y / x) * x), expected: "exp(y)", values: [xv, yv])
    }

    func testCancelledFactorsKeepTheBroadcastShape() throws {
        // (x * v) / x has x's shape, not v's.
        let v = Tensor.vector("v", .float64)
        let out = try checkRule("cancel_factors", [x, v], try x * v / x,
                                expected: "Alloc(DimShuffle{x,0}(v), Shape[0](x), Shape[1](x))",
                                values: [data.array([2, 3], low: 0.5, high: 2), data.array([3])])
        XCTAssertEqual(out.graph.outputs[0].type, try (x * v / x).type)
    }

    func testIntegerArithmeticIsNotCancelled() throws {
        // Floor division of integers is not true division: (i * j) // i stays.
        let i = Tensor.vector("i", .int32), j = Tensor.vector("j", .int32)
        try checkRuleDeclines("cancel_factors", [i, j], try floorDivide(i * j, i),
                              values: [NDArray([1, 2, 3] as [Int32]), NDArray([4, 5, 6] as [Int32])])
    }
}
