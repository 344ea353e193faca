import Theano
import XCTest

/// The gradients of `sum(f(inputs) * projection)` at `points`, where the inputs are float64
/// tensors of the given static shapes (`nil` sizes are unknown until run time) and the
/// projection is a fixed random array of the output's shape. With the same `seed`, the result
/// can be compared with a run using other static shapes or other layouts of the same values.
func projectedGradients(
    _ f: ([Tensor]) throws -> Tensor, shapes: [[Int?]], at points: [NDArray], seed: UInt64 = 7
) throws -> [NDArray] {
    let inputs = shapes.enumerated().map { i, shape in Tensor.variable("x\(i)", .float64, shape: shape) }
    let output = try f(inputs)
    let outValue = try function(inputs, [output]).call(points)[0]
    var rng = RandomGenerator(seed: seed)
    let projection = Tensor.constant(try NDArray.randomUniform(outValue.shape, low: 0.5, high: 1.5, using: &rng, .float64))
    let cost = try sum(output * projection)
    let grads = try grad(cost, wrt: inputs)
    for (g, x) in zip(grads, inputs) {
        XCTAssertEqual(g.rank, x.rank, "gradient rank")
    }
    let values = try function(inputs, grads).call(points)
    for (v, p) in zip(values, points) {
        XCTAssertEqual(v.shape, p.shape, "the gradient must have its input's shape")
    }
    return values
}

/// Checks that the gradients of `f` agree whether the inputs' shapes are static (as
/// `verifyGrad` builds them) or unknown (`nil` everywhere except where `shapes` says), and
/// whether the points are contiguous or non-contiguous views of the same values.
func assertGradientsAgreeAcrossShapesAndLayouts(
    _ f: ([Tensor]) throws -> Tensor, shapes: [[Int?]], at points: [NDArray],
    _ message: @autoclosure () -> String = "", file: StaticString = #filePath, line: UInt = #line
) throws {
    let exact = try projectedGradients(f, shapes: points.map { $0.shape.map(Optional.some) }, at: points)
    let dynamic = try projectedGradients(f, shapes: shapes, at: points)
    let strided = try projectedGradients(f, shapes: shapes, at: points.map(stridedCopy))
    for i in exact.indices {
        assertClose(dynamic[i], exact[i], rtol: 1e-10, atol: 1e-12, "input \(i), dynamic shapes. \(message())", file: file, line: line)
        assertClose(strided[i], exact[i], rtol: 1e-10, atol: 1e-12, "input \(i), strided values. \(message())", file: file, line: line)
    }
}

/// The same values as `a` in a non-contiguous layout (every other element of a larger array
/// along the last axis; a scalar stays as it is).
func stridedCopy(_ a: NDArray) throws -> NDArray {
    guard let last = a.shape.last else { return a }
    let pair = try a.expandingDims(a.rank)
    let doubled = try NDArray.concatenate([pair, pair], axis: a.rank).copy()
        .reshaped(Array(a.shape.dropLast()) + [2 * last])
    var index = Array(repeating: ArrayIndex.all, count: a.rank)
    index[a.rank - 1] = .slice(start: nil, stop: nil, step: 2)
    let view = try doubled.slice(index)
    XCTAssertTrue(last <= 1 || !view.isContiguous)
    return view
}
