import Theano
import XCTest

/// Specialisations: each rule's graph before and after, and equal values.
final class SpecializeTests: BackendTestCase {
    var data = TestData(seed: 14)
    let x = Tensor.matrix("x", .float64)

    func testPowersBecomeDedicatedOps() throws {
        let xv = data.array([2, 3], low: 0.5, high: 2)
        try checkRule("pow_to_square", [x], try x ** 2, expected: "square(x)", values: [xv])
        try checkRule("pow_to_sqrt", [x], try x ** 0.5, expected: "sqrt(x)", values: [xv])
        try checkRule("pow_to_reciprocal", [x], try x ** -1, expected: "reciprocal(x)", values: [xv])
    }

    func testSmallIntegerPowersBecomeProducts() throws {
        let xv = data.array([2, 3], low: -2, high: 2)
        try checkRule("pow_to_mul", [x], try x ** 3, expected: "mul(square(x), x)", values: [xv])
        try checkRule("pow_to_mul", [x], try x ** 4, expected: "square(square(x))", values: [xv])
        try checkRule("pow_to_mul", [x], try x ** 7, expected: "mul(square(mul(square(x), x)), x)", values: [xv])
        try checkRule("pow_to_mul", [x], try x ** -2, expected: "reciprocal(square(x))", values: [xv])
        // Integers wrap exactly as pow does.
        let i = Tensor.vector("i", .int32)
        try checkRule("pow_to_mul", [i], try i ** 5, expected: "mul(square(square(i)), i)",
                      values: [NDArray([3, -7, 100000, Int32.max] as [Int32])])
    }

    func testOtherPowersStay() throws {
        try checkRuleDeclines("pow_to_mul", [x], try x ** 2.5, values: [data.array([2, 2], low: 0.5, high: 2)])
        try checkRuleDeclines("pow_to_mul", [x], try x ** 17, values: [data.array([2, 2], low: 0.5, high: 1.1)])
        let i = Tensor.vector("i", .int32)
        try checkRuleDeclines("pow_to_reciprocal", [i], try i ** -1)
    }

    func testPowerBroadcastsLikeTheExponent() throws {
        let v = Tensor.vector("v", .float64, size: 3)
        let two = Tensor.constant(try NDArray.full([2, 3], 2, .float64))
        try checkRule("pow_to_square", [v], try v ** two, expected: "Alloc(square(DimShuffle{x,0}(v)), 2, 3)", values: [data.array([3])])
    }

    func testProductOfAVariableWithItselfIsASquare() throws {
        try checkRule("mul_self_to_square", [x], try exp(x) * exp(x), expected: "square(exp(x))", values: [data.array([2, 3])])
        // Bools: x * x is x and x; there is no bool square, so the rule declines.
        let b = Tensor.vector("b", .bool)
        try checkRuleDeclines("mul_self_to_square", [b], try b * b, values: [NDArray([true, false])])
    }

    func testMulByMinusOne() throws {
        let xv = data.array([2, 3])
        try checkRule("mul_by_neg_one", [x], try x * -1, expected: "neg(x)", values: [xv])
        try checkRule("mul_by_neg_one", [x], try -1 * x, expected: "neg(x)", values: [xv])
    }

    func testSumOfAFillIsAProduct() throws {
        let f = Tensor.matrix("f", .float32)
        try checkRule("sum_of_alloc", [f], try sum(fullLike(f, 2)), expected: "mul(2.0, cast{float32}(mul(Shape[0](f), Shape[1](f))))",
                      values: [data.array([3, 4], .float32)])
        // Over the axis where the value broadcasts, keeping the other.
        let v = Tensor.vector("v", .float64)
        try checkRule("sum_of_alloc", [x, v], try sum(alloc(v, shape: [x.shape(0), v.shape(0)]), axis: 0),
                      expected: "mul(v, DimShuffle{x}(cast{float64}(Shape[0](x))))", values: [data.array([4, 3]), data.array([3])])
        // Integer fills sum in int64.
        let i = Tensor.scalar("i", .int32)
        try checkRule("sum_of_alloc", [x, i], try sum(alloc(i, shape: x.shapeList()), axis: 1, keepdims: true),
                      expected: "Alloc(mul(cast{int64}(DimShuffle{x,x}(i)), DimShuffle{x,x}(Shape[1](x))), Shape[0](x), 1)",
                      values: [data.array([4, 3]), NDArray(scalar: Int32(7))])
    }

    func testSumOfABroadcastIsAProduct() throws {
        let s = Tensor.scalar("s", .float64)
        try checkRule("sum_of_alloc", [x, s], try sum(broadcastTo(s, x.shapeList())),
                      expected: "mul(s, cast{float64}(mul(Shape[0](x), Shape[1](x))))", values: [data.array([3, 4]), NDArray(scalar: 1.5)])
    }

    func testSumOfAFillOverARealAxisStays() throws {
        let v = Tensor.vector("v", .float64)
        try checkRuleDeclines("sum_of_alloc", [x, v], try sum(alloc(v, shape: [x.shape(0), v.shape(0)]), axis: 1),
                              values: [data.array([4, 3]), data.array([3])])
    }

    func testIndexingMovesBelowElementwiseOps() throws {
        let i = Tensor.scalar("i", .int64)
        try checkRule("subtensor_of_elemwise", [x], try exp(x)[1], expected: "exp(Subtensor{1}(x))", values: [data.array([3, 4])])
        try checkRule("subtensor_of_elemwise", [x, i], try tanh(x * 2)[i, 1..<3], expected: "tanh(mul(Subtensor{?, 1:3}(x, i), 2.0))",
                      values: [data.array([3, 4]), NDArray(scalar: Int64(-1))])
    }

    func testIndexingBroadcastOperands() throws {
        // x + v: v broadcasts along rows, so a row index takes v whole.
        let v = Tensor.vector("v", .float64)
        let i = Tensor.scalar("i", .int64)
        try checkRule("subtensor_of_elemwise", [x, v, i], try (x + v)[i], expected: "add(Subtensor{?}(x, i), Subtensor{0}(DimShuffle{x,0}(v)))",
                      values: [data.array([3, 4]), data.array([4]), NDArray(scalar: Int64(2))])
        // A column slice applies to both; a column index too.
        try checkRule("subtensor_of_elemwise", [x, v], try (x + v)[.all, 1..<3],
                      expected: "add(Subtensor{:, 1:3}(x), Subtensor{:, 1:3}(DimShuffle{x,0}(v)))",
                      values: [data.array([3, 4]), data.array([4])])
        // A column: [n, 1] operand.
        let c = Tensor.matrix("c", .float64, shape: [nil, 1])
        try checkRule("subtensor_of_elemwise", [x, c], try (x * c)[.all, 2], expected: "mul(Subtensor{:, 2}(x), Subtensor{:, 0}(c))",
                      values: [data.array([3, 4]), data.array([3, 1])])
    }

    func testIndexingStaysAboveSharedNodes() throws {
        let e = try exp(x)
        try checkRuleDeclines("subtensor_of_elemwise", [x], try e[0] + sum(e), values: [data.array([3, 4])])
    }

    func testRowOfAProduct() throws {
        let a = Tensor.matrix("a", .float64), b = Tensor.matrix("b", .float64)
        let i = Tensor.scalar("i", .int64)
        try checkRule("subtensor_of_matmul", [a, b, i], try matmul(a, b)[i], expected: "MatMul(Subtensor{?}(a, i), b)",
                      values: [data.array([3, 4]), data.array([4, 5]), NDArray(scalar: Int64(1))])
        try checkRule("subtensor_of_matmul", [a, b], try matmul(a, b)[1..<3, .all], expected: "MatMul(Subtensor{1:3}(a), b)",
                      values: [data.array([3, 4]), data.array([4, 5])])
        let v = Tensor.vector("v", .float64)
        try checkRule("subtensor_of_matmul", [a, v], try matmul(a, v)[2], expected: "MatMul(Subtensor{2}(a), v)",
                      values: [data.array([3, 4]), data.array([4])])
    }

    func testColumnsOfAProductStay() throws {
        let a = Tensor.matrix("a", .float64), b = Tensor.matrix("b", .float64)
        try checkRuleDeclines("subtensor_of_matmul", [a, b], try matmul(a, b)[.all, 1], values: [data.array([3, 4]), data.array([4, 5])])
    }
}
