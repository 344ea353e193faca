import Foundation
import Theano
import XCTest

/// Long mixed expressions. The suite is built with
/// `-Xfrontend -warn-long-expression-type-checking=200` in CI (see `.ci/run`), so an operator
/// overload that makes the type checker slow shows up as a warning here.
final class TypeCheckerTests: XCTestCase {
    func testLongMixedExpressionsTypeCheckQuickly() throws {
        let a = Tensor.vector("a", .float64)
        let b = Tensor.vector("b", .float64)
        let lr = Tensor(0.1)
        let e1 = try a * 2 + b / 3 - 1 + sin(a) * 0.5 - exp(-a * a) * sin(b) + tanh(a * b) * 2.5 - b * b * 0.25 + a / 7
        let e2 = try a * lr + b * lr - lr * a * b + 1.5 * a - sqrt(b * b + 1) * 0.5 + log(a * a + 1) - 3 * b
        let e3 = try (a - 1) ** 2 + (b + 2) ** 3 - a ** 0.5 * 2 + abs(a - b) * 4 - maximum(a, b) + minimum(a, b) * 2
        XCTAssertEqual(e1.dtype, .float64)
        XCTAssertEqual(e2.dtype, .float64)
        XCTAssertEqual(e3.dtype, .float64)
    }

    /// Calls of compiled functions (`@dynamicCallable`, arguments `any FunctionArgument`) mixing
    /// arrays, literals, nested literals and names, with an expression in the inputs.
    func testFunctionCallsTypeCheckQuickly() throws {
        let x = Tensor.vector("x", .float64)
        let m = Tensor.matrix("m", .float64)
        let w = Tensor.scalar("w", .float64)
        let f = try function([x, m, In(w, value: 2)], [x * w + m.sum() * 0.5 - 1, exp(-x * x) * w + 3])
        let a = NDArray([1.0, 2.0]), b = try NDArray([[1.0, 2.0], [3.0, 4.0]])
        let r1 = try f(a, b)
        let r2 = try f([1, 2.5], [[1, 2], [3, 4.5]], w: 0.5)
        let r3 = try f(x: [0.5, -1, 2, 3.25], m: [[1, 2, 3], [4, 5, 6], [7, 8, 9]], w: 1.5)
        let r4 = try f(a, [[1, 2], [3, 4]], 2)
        let r5 = try f.call([a, b])
        let r6 = try f.call([[1.0, 2.0], b], named: [("w", 3)])
        XCTAssertEqual(r1.count + r2.count + r3.count + r4.count + r5.count + r6.count, 12)
    }
}
