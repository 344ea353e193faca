import Theano
import XCTest

/// Functions of one argument: the float functions (exp, log, trig, hyperbolic, erf, gamma,
/// sigmoid, softplus) and the numeric ones (neg, abs, sign, square, rounding), against NumPy.
final class ElemwiseMathTests: BackendTestCase {
    static let floatFunctions: Set<String> = [
        "exp", "exp2", "expm1", "log", "log2", "log10", "log1p", "sqrt", "reciprocal",
        "sin", "cos", "tan", "arcsin", "arccos", "arctan", "sinh", "cosh", "tanh",
        "arcsinh", "arccosh", "arctanh", "erf", "erfc", "gamma", "lgamma", "sigmoid", "softplus", "log1mexp",
    ]
    static let numericFunctions: Set<String> = ["neg", "abs", "sign", "square", "floor", "ceil", "round", "trunc"]

    func testListsHoldEveryScalarOpOfOneArgument() {
        // digamma is checked against SciPy in DigammaTests.
        let unary = ScalarOp.allCases.filter { $0.arity == 1 }
        XCTAssertEqual(Self.floatFunctions.union(["digamma"]), Set(unary.filter { $0.kind == .floatFunction }.map(\.name)))
        XCTAssertEqual(Self.numericFunctions, Set(unary.filter { $0.kind == .numeric }.map(\.name)))
    }

    func testFloatFunctionsMatchNumPy() throws {
        let fixtures = ElemwiseFixture.of(Self.floatFunctions)
        XCTAssertGreaterThan(fixtures.count, 28 * 4 - 1)
        XCTAssertEqual(Set(fixtures.map(\.op)), Self.floatFunctions, "every float function has fixtures")
        for fixture in fixtures { try fixture.check() }
    }

    func testNumericFunctionsMatchNumPy() throws {
        let fixtures = ElemwiseFixture.of(Self.numericFunctions)
        XCTAssertEqual(Set(fixtures.map(\.op)), Self.numericFunctions)
        for fixture in fixtures { try fixture.check() }
    }
}
