import TheanoArray
import TheanoGraph

/// For each element of `values`, the int64 position in the sorted vector `sorted` where it
/// would be inserted to keep the order (NumPy's `searchsorted`): the first such position for
/// ``Side/left`` (`sorted[i-1] < v <= sorted[i]`), the last for ``Side/right``
/// (`sorted[i-1] <= v < sorted[i]`). The output has `values`' shape.
///
/// `sorted` must be ascending in NumPy's order (NaN last); that is not checked, and an unsorted
/// vector gives meaningless positions, as in NumPy. Integers compare exactly when both inputs
/// are integer (or bool); otherwise both compare as float64. Integer-valued: no gradient.
public struct SearchSorted: Op {
    /// Which of several equal positions to return.
    public enum Side: String, Hashable, Sendable {
        case left, right
    }

    public let side: Side

    public init(side: Side = .left) {
        self.side = side
    }

    public var description: String { "SearchSorted{side=\(side.rawValue)}" }

    public func makeNode(_ inputs: [Variable]) throws -> Apply {
        guard inputs.count == 2 else { throw TheanoError.invalidArgument("\(self): expected 2 inputs (sorted, values), got \(inputs.count)") }
        let sorted = inputs[0], values = inputs[1]
        guard sorted.type.rank == 1 else {
            throw TheanoError.invalidArgument("\(self): the sorted sequence must be a vector (rank 1), got \(describeVariable(sorted)) of rank \(sorted.type.rank)")
        }
        return Apply(op: self, inputs: inputs, outputTypes: [TensorType(.int64, shape: values.type.shape)])
    }

    public func perform(_ node: Apply, _ inputs: [NDArray]) throws -> [NDArray] {
        let sorted = inputs[0], values = inputs[1]
        let positions: [Int64]
        if sorted.dtype.isFloatingPoint || values.dtype.isFloatingPoint {
            let a = sorted.toArray(of: Double.self)
            positions = values.toArray(of: Double.self).map { Int64(insertionPoint(of: $0, in: a, before: floatBefore)) }
        } else {
            let a = sorted.toArray(of: Int64.self)
            positions = values.toArray(of: Int64.self).map { Int64(insertionPoint(of: $0, in: a, before: <)) }
        }
        return [try NDArray(positions, shape: values.shape)]
    }

    /// Binary search: the number of elements of `a` before `v` (left), or not after it (right).
    private func insertionPoint<T>(of v: T, in a: [T], before: (T, T) -> Bool) -> Int {
        var low = 0, high = a.count
        while low < high {
            let mid = low + (high - low) / 2
            // Go right while a[mid] < v (left side) or a[mid] <= v (right side).
            let goRight = side == .left ? before(a[mid], v) : !before(v, a[mid])
            if goRight { low = mid + 1 } else { high = mid }
        }
        return low
    }

    public func inferShape(_ node: Apply, _ inputShapes: [[Variable]]) throws -> [[Variable]] {
        [inputShapes[1]]
    }
}
