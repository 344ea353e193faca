import Theano
import XCTest

/// The C-order position of `index` in `shape`.
func ravel(_ index: [Int], _ shape: [Int]) -> Int {
    zip(index, shape).reduce(0) { $0 * $1.1 + $1.0 }
}

/// The index at C-order position `flat` of `shape`.
func unravel(_ flat: Int, _ shape: [Int]) -> [Int] {
    var rest = flat
    var index = Array(repeating: 0, count: shape.count)
    for d in stride(from: shape.count - 1, through: 0, by: -1) {
        index[d] = rest % shape[d]
        rest /= shape[d]
    }
    return index
}

/// An independent reference built element by element: element `index` of the result is
/// `source[map(index)]`, read with `NDArray.element` (no views, no kernels).
func gather(_ source: NDArray, shape: [Int], _ map: ([Int]) -> [Int]) throws -> NDArray {
    let values = try allIndices(shape).map { try source.element(map($0), as: Double.self) }
    return try NDArray(values, shape: shape).astype(source.dtype)
}

/// Test arrays of `shape`: a contiguous one and a non-contiguous view with other values.
func contiguousAndStrided(_ shape: [Int], _ data: inout TestData, _ dtype: DType = .float64) throws -> [NDArray] {
    [data.array(shape, dtype), try data.nonContiguous(shape, dtype)]
}
