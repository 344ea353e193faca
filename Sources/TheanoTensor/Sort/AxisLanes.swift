import TheanoArray
import TheanoGraph

// Helpers for ops that work along one axis (sorting, cumulative ops, unique): the input's
// values as "lanes", the 1-d sequences along the axis, stored one after another in C order
// with the axis moved last; and the way back from such lanes to an array with the axis in
// place.

/// The layout of an array's lanes along `axis`.
struct AxisLanes {
    /// The array's shape.
    let shape: [Int]
    /// The axis the lanes run along (non-negative).
    let axis: Int

    /// The size of the axis: the length of every lane.
    var length: Int { shape[axis] }
    /// How many lanes there are (the product of the other sizes).
    var count: Int { shapeSize(Array(movedShape.dropLast())) }
    /// The axis order that moves `axis` last.
    var moveLast: [Int] { (0..<shape.count).filter { $0 != axis } + [axis] }
    /// The shape with `axis` moved last.
    var movedShape: [Int] { moveLast.map { shape[$0] } }
    /// The axis order that puts a moved-last axis back in place.
    var moveBack: [Int] {
        var order = Array(repeating: 0, count: shape.count)
        for (position, original) in moveLast.enumerated() { order[original] = position }
        return order
    }

    /// The values of `x` (of this layout) lane after lane, as elements of type `T`.
    func values<T: NDArrayElement>(of x: NDArray, as type: T.Type) throws -> [T] {
        try x.transposed(moveLast).toArray(of: T.self)
    }

    /// A C-contiguous array of `T`'s dtype whose lanes are `values` (lane after lane,
    /// `newLength` elements each), with the lane axis put back at `axis`.
    func array<T: NDArrayElement>(_ values: [T], newLength: Int? = nil) throws -> NDArray {
        var moved = movedShape
        moved[moved.count - 1] = newLength ?? length
        let lanes = try NDArray(values, shape: moved)
        return try lanes.transposed(moveBack).copy()
    }
}

/// A strict, total order on the elements of one array, for sorting: floating-point values
/// compare as numbers with NaN after everything (NumPy's order), equal values by position, so
/// sorting with it is stable. Integers and bool compare exactly as 64-bit integers.
enum SortKeys {
    case floats([Double])
    case integers([Int64])

    /// The keys of `x`'s elements in C order.
    init(_ x: NDArray) {
        if x.dtype.isFloatingPoint {
            self = .floats(x.toArray(of: Double.self))
        } else {
            self = .integers(x.toArray(of: Int64.self))
        }
    }

    /// Whether the value at `i` comes strictly before the value at `j` (ignoring positions).
    func before(_ i: Int, _ j: Int) -> Bool {
        switch self {
        case .floats(let k): return floatBefore(k[i], k[j])
        case .integers(let k): return k[i] < k[j]
        }
    }

    /// Positions `start..<start+length` ordered by value, ascending or descending, ties kept
    /// in position order (stable either way). Returned relative to `start`.
    func order(start: Int, length: Int, descending: Bool) -> [Int] {
        var positions = Array(start..<(start + length))
        positions.sort { i, j in
            if descending {
                if before(j, i) { return true }
                if before(i, j) { return false }
            } else {
                if before(i, j) { return true }
                if before(j, i) { return false }
            }
            return i < j
        }
        return positions.map { $0 - start }
    }
}

/// NumPy's sort order of two floats: numbers by value (-0 equals 0), NaN after every number.
func floatBefore(_ a: Double, _ b: Double) -> Bool {
    if a.isNaN { return false }
    if b.isNaN { return true }
    return a < b
}

/// The input and non-negative axis of an op that works along one axis, NumPy style: `x`
/// flattened (axis 0) when `axis` is nil, else `x` with `axis` normalised (negative counts
/// from the end). `function` names the caller in errors.
func inputAlongAxis(_ x: Tensor, axis: Int?, function: String) throws -> (Tensor, Int) {
    guard let axis else { return (try flatten(x), 0) }
    return (x, try normalizeAxis(axis, rank: x.rank, context: "\(function) of \(describeVariable(x.variable))"))
}
