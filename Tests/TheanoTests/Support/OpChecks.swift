import Theano
import XCTest

/// Compiles `output` as a function of `inputs`, runs it on `values`, and returns the result.
func evaluate(_ output: Tensor, _ inputs: [Tensor], _ values: [NDArray]) throws -> NDArray {
    try function(inputs, [output]).call(values)[0]
}

/// Checks an op's shape inference against reality: builds the symbolic output shape of the
/// node computing `output` from `inferShape` (given the inputs' run-time shapes as symbolic
/// sizes), compiles it beside the output, and asserts that both agree on `values`.
func checkInferShape(
    _ output: Tensor, _ inputs: [Tensor], _ values: [NDArray],
    file: StaticString = #filePath, line: UInt = #line
) throws {
    guard let node = output.variable.owner else {
        XCTFail("output has no node", file: file, line: line)
        return
    }
    let inputShapes: [[Variable]] = try node.inputs.map { input in
        try (0..<input.type.rank).map { axis in try ShapeIndex(axis).makeNode([input]).output }
    }
    let inferred = try node.op.inferShape(node, inputShapes)
    let outShape = inferred[output.variable.index].map(Tensor.init)
    let f = try function(inputs, [output] + outShape)
    let results = try f.call(values)
    let actual = results[0].shape
    let symbolic = try results.dropFirst().map { try $0.item(Int.self) }
    XCTAssertEqual(symbolic, actual, "inferShape of \(node.op) disagrees with the computed shape", file: file, line: line)
    // The static shape must agree with reality wherever it is known.
    for (axis, s) in output.staticShape.enumerated() {
        if let s { XCTAssertEqual(s, actual[axis], "static size of axis \(axis) is wrong for \(node.op)", file: file, line: line) }
    }
}

/// Random test data with a fixed seed.
struct TestData {
    var rng: RandomGenerator

    init(seed: UInt64 = 42) { rng = RandomGenerator(seed: seed) }

    /// Normal values of the given shape and dtype (integers: small random integers).
    mutating func array(_ shape: [Int], _ dtype: DType = .float64, low: Double = -3, high: Double = 3) -> NDArray {
        // Test shapes are valid, so creation cannot fail.
        let uniform = (try? NDArray.randomUniform(shape, low: low, high: high, using: &rng, .float64)) ?? NDArray(zeros: shape, dtype: .float64)
        if dtype.isFloatingPoint { return uniform.astype(dtype) }
        if dtype == .bool { return uniform.map { $0 > (low + high) / 2 ? 1 : 0 }.astype(.bool) }
        return uniform.map { $0.rounded(.down) }.astype(dtype)
    }

    /// The same values as `array`, but as a non-contiguous view (a transposed copy transposed
    /// back, or a strided slice of a larger array).
    mutating func nonContiguous(_ shape: [Int], _ dtype: DType = .float64, low: Double = -3, high: Double = 3) throws -> NDArray {
        guard let last = shape.last else { return array(shape, dtype, low: low, high: high) }
        var big = shape
        big[big.count - 1] = last * 2
        let base = array(big, dtype, low: low, high: high)
        var idx = Array(repeating: ArrayIndex.all, count: shape.count)
        idx[shape.count - 1] = .slice(start: nil, stop: nil, step: 2)
        let view = try base.slice(idx)
        return view
    }
}

extension NDArray {
    /// Elementwise Double map (test convenience), returning float64.
    func map(_ f: (Double) -> Double) -> NDArray {
        (try? NDArray(doubles.map(f), shape: shape)) ?? self
    }
}
