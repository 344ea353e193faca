import Theano
import XCTest

/// Runs ``verifyGrad`` and turns a mismatch (or any error) into a test failure at the caller.
func assertGradient(
    _ f: ([Tensor]) throws -> Tensor, at points: [NDArray],
    _ message: @autoclosure () -> String = "", file: StaticString = #filePath, line: UInt = #line
) {
    do {
        try verifyGrad(f, at: points)
    } catch {
        XCTFail("\(error) \(message())", file: file, line: line)
    }
}

/// `x` with every static size forgotten: each axis is sliced from a start computed at run
/// time (zero, derived from `x` through an integer cast, so it carries no gradient). Lets
/// `verifyGrad`, whose inputs have exact static shapes, check gradients built from symbolic
/// sizes.
func forgettingSizes(_ x: Tensor) throws -> Tensor {
    guard x.rank > 0 else { return x }
    let zero = try cast(sum(x) * 0, .int64)
    return try x.indexed((0..<x.rank).map { _ in TensorIndex.symbolicSlice(zero, nil) })
}

/// The gradients of `cost(inputs)` with respect to float64 inputs holding `points`, computed
/// with static input shapes, or with every size unknown when `staticShapes` is false.
func gradients(
    _ cost: ([Tensor]) throws -> Tensor, at points: [NDArray], staticShapes: Bool = true
) throws -> [NDArray] {
    let inputs = points.enumerated().map { i, p in
        Tensor.variable("x\(i)", .float64, shape: staticShapes ? p.shape.map { $0 } : p.shape.map { _ in nil })
    }
    let gs = try grad(cost(inputs), wrt: inputs)
    return try function(inputs, gs).call(points.map { $0.astype(.float64) })
}
