import Theano
import XCTest

/// The inputs of the NumPy fixtures: v = arange(10), m = arange(20).reshape(4, 5),
/// x = arange(24).reshape(2, 3, 4), all float64.
enum FixtureInput {
    case v, m, x

    var value: NDArray {
        get throws {
            switch self {
            case .v: return try NDArray.arange(0, 10, step: 1, .float64)
            case .m: return try NDArray.arange(0, 20, step: 1, .float64).reshaped([4, 5])
            case .x: return try NDArray.arange(0, 24, step: 1, .float64).reshaped([2, 3, 4])
            }
        }
    }

    var name: String {
        switch self {
        case .v: return "v"
        case .m: return "m"
        case .x: return "x"
        }
    }
}

/// The same values as `a` in a non-contiguous view (every other element of a wider array).
func nonContiguousCopy(_ a: NDArray) throws -> NDArray {
    guard let last = a.shape.last else { return a }
    var big = try NDArray.zeros(Array(a.shape.dropLast()) + [last * 2], a.dtype)
    _ = big.isUniquelyReferenced()
    let view = try big.slice(Array(repeating: ArrayIndex.all, count: a.rank - 1) + [.slice(start: nil, stop: nil, step: 2)])
    try NDArray.assign(a, into: view)
    return view
}

/// A constant int64 index array.
func indexArray(_ values: [Int], shape: [Int]? = nil) throws -> Tensor {
    Tensor.constant(try NDArray(values.map { Int64($0) }, shape: shape ?? [values.count]))
}

/// A constant bool mask.
func maskArray(_ values: [Bool], shape: [Int]? = nil) throws -> Tensor {
    Tensor.constant(try NDArray(values, shape: shape ?? [values.count]))
}

/// A constant float64 array.
func floatArray(_ values: [Double], shape: [Int]? = nil) throws -> Tensor {
    Tensor.constant(try NDArray(values, shape: shape ?? [values.count]))
}

/// Checks `build` against NumPy's result for `key` (see IndexingFixtures.swift) four ways: on
/// an input of unknown shape (values and `checkInferShape`), on an input of static shape
/// (values and static shape), and on a non-contiguous input.
func expectFixture(
    _ key: String, on input: FixtureInput,
    file: StaticString = #filePath, line: UInt = #line,
    _ build: (Tensor) throws -> Tensor
) throws {
    guard let expected = IndexingFixtures.cases[key] else {
        XCTFail("no fixture named \(key)", file: file, line: line)
        return
    }
    let value = try input.value
    let dynamic = Tensor.variable(input.name, .float64, shape: Array(repeating: nil, count: value.rank))
    let out = try build(dynamic)
    assertValues(try evaluate(out, [dynamic], [value]), expected.values, shape: expected.shape, file: file, line: line)
    try checkInferShape(out, [dynamic], [value], file: file, line: line)
    assertValues(try evaluate(out, [dynamic], [try nonContiguousCopy(value)]), expected.values, shape: expected.shape, file: file, line: line)

    let typed = Tensor.variable(input.name, .float64, shape: value.shape.map { Optional($0) })
    let staticOut = try build(typed)
    XCTAssertEqual(staticOut.rank, expected.shape.count, "rank of \(key)", file: file, line: line)
    for (axis, size) in staticOut.staticShape.enumerated() where axis < expected.shape.count {
        if let size { XCTAssertEqual(size, expected.shape[axis], "static size of axis \(axis) of \(key)", file: file, line: line) }
    }
    assertValues(try evaluate(staticOut, [typed], [value]), expected.values, shape: expected.shape, file: file, line: line)
}
