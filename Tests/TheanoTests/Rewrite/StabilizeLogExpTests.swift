import Theano
import XCTest

/// The logarithm and exponential rules: each rule's graph after the pass, where it declines,
/// equal values against `.unoptimized` at moderate points, the NaN kept outside a domain, and
/// `verifyGrad` (the extremes are in StabilizeExtremesTests).
final class StabilizeLogExpTests: BackendTestCase {
    var data = TestData(seed: 34)
    let x = Tensor.vector("x", .float64)
    let y = Tensor.vector("y", .float64)

    var moderate: NDArray { data.array([6], low: -3, high: 3) }
    var negative: NDArray { data.array([6], low: -3, high: -0.1) }

    func testSoftplusAndLog1mexpFromLog1p() throws {
        try checkRule("log1p_plusminus_exp", [x], try log(1 + exp(x)), expected: "softplus(x)", values: [moderate])
        try checkRule("log1p_plusminus_exp", [x], try log1p(exp(x)), expected: "softplus(x)", values: [moderate])
        try checkRule("log1p_plusminus_exp", [x], try log(1 - exp(x)), expected: "log1mexp(x)", values: [negative])
        try checkRule("log1p_plusminus_exp", [x], try log1p(-exp(x)), expected: "log1mexp(x)", values: [negative])
        try checkRule("logmexpm1_to_log1mexp", [x], try log(-expm1(x)), expected: "log1mexp(x)", values: [negative])
        try checkRule("logmexpm1_to_log1mexp", [x], try log(-(exp(x) - 1)), expected: "log1mexp(x)", values: [negative])
        // log(1 + 2 exp(x)) is neither.
        try checkRuleDeclines("log1p_plusminus_exp", [x], try log(1 + 2 * exp(x)), values: [moderate])
    }

    func testLogOfSumsAndDifferencesOfExponentials() throws {
        try checkRule("log_add_exp", [x, y], try log(exp(x) + exp(y)), expected: "logaddexp(x, y)", values: [moderate, moderate])
        try checkRule("log_add_exp", [x, y], try log(exp(x) + exp(y) + exp(x * y)), expected: "logaddexp(logaddexp(x, y), mul(x, y))",
                      values: [moderate, moderate])
        try checkRule("logdiffexp", [x, y], try log(exp(x) - exp(y)),
                      expected: "where(eq(y, -inf), x, add(x, log1mexp(sub(y, x))))",
                      values: [data.array([6], low: 1, high: 3), data.array([6], low: -3, high: 0.9)])
        // Infinities (PyTensor's test_local_log_add_exp): all -inf gives -inf, any +inf gives +inf.
        let f = try function([x, y], [try log(exp(x) + exp(y)), try log(exp(x) - exp(y))])
        let r = try f(NDArray([-Double.infinity, .infinity, .infinity, 5]), NDArray([-Double.infinity, .infinity, -.infinity, -.infinity]))
        assertValues(r[0], [-.infinity, .infinity, .infinity, 5])
        assertValues(r[1], [-.infinity, .nan, .infinity, 5])
        // A constant term is not an exponential.
        try checkRuleDeclines("log_add_exp", [x, y], try log(exp(x) + exp(y) + 1), values: [moderate, moderate])
    }

    func testInversesDefinedEverywhere() throws {
        try checkRule("exp_log", [x], try log(exp(x)), expected: "x", values: [moderate])
        try checkRule("exp_log", [x], try log1p(expm1(x)), expected: "x", values: [moderate])
        try checkRule("exp_log", [x], try exp(softplus(x)), expected: "add(1.0, exp(x))", values: [moderate])
        try checkRule("exp_log", [x], try expm1(softplus(x)), expected: "exp(x)", values: [moderate])
        // Integers: exp casts them first, so log(exp(i)) is the cast.
        let i = Tensor.vector("i", .int32)
        try checkRule("exp_log", [i], try log(exp(i)), expected: "cast{float64}(i)", values: [NDArray([1, -2, 3] as [Int32])])
    }

    func testInversesWithADomainKeepTheirNaN() throws {
        // Values inside and outside each domain: the rewritten graph gives NaN where the
        // original does (PyTensor's TestExpLog with nan switches).
        let cases: [(String, (Tensor) throws -> Tensor, String, [Double])] = [
            ("exp(log(x))", { try exp(log($0)) }, "where(ge(x, 0.0), x, nan)", [0, 0.5, 3, -1, -0.5]),
            ("expm1(log(x))", { try expm1(log($0)) }, "where(ge(x, 0.0), sub(x, 1.0), nan)", [0, 0.5, 3, -1, -0.5]),
            ("exp(log1p(x))", { try exp(log1p($0)) }, "where(ge(x, -1.0), add(x, 1.0), nan)", [-1, -0.5, 3, -2, -1.5]),
            ("expm1(log1p(x))", { try expm1(log1p($0)) }, "where(ge(x, -1.0), x, nan)", [-1, -0.5, 3, -2, -1.5]),
            ("exp(log1mexp(x))", { try exp(log1mexp($0)) }, "where(le(x, 0.0), sub(1.0, exp(x)), nan)", [0, -0.5, -3, 1, 0.5]),
            ("expm1(log1mexp(x))", { try expm1(log1mexp($0)) }, "where(le(x, 0.0), neg(exp(x)), nan)", [0, -0.5, -3, 1, 0.5]),
            ("softplus(log(x))", { try softplus(log($0)) }, "where(ge(x, 0.0), log1p(x), nan)", [0, 0.5, 3, -1, -0.5]),
            ("log1mexp(log(x))", { try log1mexp(log($0)) }, "where(ge(x, 0.0), log1p(neg(x)), nan)", [0, 0.5, 1, -1, 2]),
            ("log1mexp(log1mexp(x))", { try log1mexp(log1mexp($0)) }, "where(le(x, 0.0), x, nan)", [-0.5, -3, -0.01, 1, 0.5]),
        ]
        for (name, f, expected, points) in cases {
            let out = try checkRule("exp_log_nan_switch", [x], try f(x), expected: expected, values: [NDArray(points)])
            let nan = try function([x], [try f(x)]).call([NDArray(points)])[0].doubles
            XCTAssertTrue(nan[3].isNaN && nan[4].isNaN && !nan[0].isNaN, "\(name): \(nan), \(out.ops)")
        }
        // Nested pairs need one switch at most (PyTensor's test_exp_log_nested).
        let nested = try optimize([x], [try exp(log(exp(log(exp(x)))))])
        XCTAssertEqual(nested.ops.filter { $0 == "where" }.count, 0, "\(nested.ops)")
        let once = try optimize([x], [try exp(log(exp(log(x))))])
        XCTAssertEqual(once.ops.filter { $0 == "where" }.count, 1, "\(once.ops)")
    }

    func testSquareRootsAndSquares() throws {
        try checkRule("sqrt_sqr", [x], try sqrt(square(x)), expected: "abs(x)", values: [moderate])
        try checkRule("sqrt_sqr", [x], try sqrt(x * x), expected: "abs(x)", values: [moderate])
        try checkRule("sqrt_sqr", [x], try sqrt(x ** 2), expected: "abs(x)", values: [moderate])
        try checkRule("sqrt_sqr", [x], try square(sqrt(x)), expected: "where(ge(x, 0.0), x, nan)", values: [NDArray([0, 2, -1, 0.25])])
        try checkRule("sqrt_sqr", [x], try sqrt(x) ** 2, expected: "where(ge(x, 0.0), x, nan)", values: [NDArray([0, 2, -1, 0.25])])
        try checkRule("log_sqrt", [x], try log(sqrt(x)), expected: "mul(0.5, log(x))", values: [data.array([6], low: 0.1, high: 3)])
        try checkRule("exp_from_expm1", [x], try expm1(x) + 1, expected: "exp(x)", values: [moderate])
        // float64 at -40: expm1(x) + 1 rounds to 0; exp(x) is 4.2e-18.
        let r = try function([x], [try expm1(x) + 1]).call([NDArray([-40.0])])[0].doubles[0]
        XCTAssertEqual(r, 4.248354255291589e-18, accuracy: 1e-30)
    }

    func testGradientsAtModeratePoints() throws {
        let forms: [(String, ClosedRange<Double>, ([Tensor]) throws -> Tensor)] = [
            ("log(1 + exp(x))", -3...3, { try log(1 + exp($0[0])) }),
            ("log(1 - exp(x))", -3...(-0.1), { try log(1 - exp($0[0])) }),
            ("log1p(-exp(x))", -3...(-0.1), { try log1p(-exp($0[0])) }),
            ("log(-expm1(x))", -3...(-0.1), { try log(-expm1($0[0])) }),
            ("log(exp(x) + exp(y))", -3...3, { try log(exp($0[0]) + exp($0[1])) }),
            ("log(exp(x) + exp(y) + exp(x * y))", -2...2, { try log(exp($0[0]) + exp($0[1]) + exp($0[0] * $0[1])) }),
            ("log(exp(x + 4) - exp(y))", -1...1, { try log(exp($0[0] + 4) - exp($0[1])) }),
            ("log1p(expm1(x))", -3...3, { try log1p(expm1($0[0])) }),
            ("sqrt(square(x))", 0.5...3, { try sqrt(square($0[0])) }),
            ("exp(log(x))", 0.5...3, { try exp(log($0[0])) }),
            ("square(sqrt(x))", 0.5...3, { try square(sqrt($0[0])) }),
            ("log(sqrt(x))", 0.5...3, { try log(sqrt($0[0])) }),
            ("exp(softplus(x))", -3...3, { try exp(softplus($0[0])) }),
            ("logaddexp(x, y)", -3...3, { try logaddexp($0[0], $0[1]) }),
            ("log1mexp(x)", -3...(-0.1), { try log1mexp($0[0]) }),
        ]
        for (name, range, f) in forms {
            assertStabilizedGradient(name, f, at: [data.array([5], low: range.lowerBound, high: range.upperBound),
                                                   data.array([5], low: range.lowerBound, high: range.upperBound)])
        }
        // logaddexp splits the gradient evenly between equal arguments.
        let g = try function([x, y], try grad(sum(logaddexp(x, y)), wrt: [x, y])).call([NDArray([2.0, -7]), NDArray([2.0, -7])])
        assertValues(g[0], [0.5, 0.5])
        assertValues(g[1], [0.5, 0.5])
    }
}
