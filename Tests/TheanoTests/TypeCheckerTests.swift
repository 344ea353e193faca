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
}
