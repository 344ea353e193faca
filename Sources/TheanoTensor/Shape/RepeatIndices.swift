import TheanoArray
import TheanoGraph

/// For a vector of repetition counts and the size `n` of the axis they apply to (an int64
/// scalar), the int64 positions `[0] * counts[0] + [1] * counts[1] + ...`: the source of each
/// element of NumPy's `repeat(x, counts, axis)`. The counts must number `n` and be
/// non-negative (checked at run time). The length, their sum, is unknown statically.
///
/// ``repeat(_:repeats:axis:)-(Tensor,Tensor,Int?)`` gathers with these positions (``take``), so
/// the gradient sums the copies of each element.
public struct RepeatIndices: Op {
    public init() {}

    public var description: String { "RepeatIndices" }

    public func makeNode(_ inputs: [Variable]) throws -> Apply {
        guard inputs.count == 2 else { throw TheanoError.invalidArgument("\(self): expected 2 inputs (counts, axis size), got \(inputs.count)") }
        let counts = inputs[0], n = inputs[1]
        guard counts.type.rank == 1, counts.type.dtype.isInteger else {
            throw TheanoError.typeMismatch("\(self): the repetition counts must be an integer vector, got \(describeVariable(counts))")
        }
        guard n.type.rank == 0, n.type.dtype == .int64 else {
            throw TheanoError.typeMismatch("\(self): the axis size must be an int64 scalar, got \(describeVariable(n))")
        }
        if let c = counts.type.shape[0], let size = shapeConstantValue(n), c != size, c != 1 {
            throw TheanoError.shapeMismatch("\(self): \(c) repetition counts in \(describeVariable(counts)) for an axis of size \(size)")
        }
        return Apply(op: self, inputs: inputs, outputTypes: [TensorType(.int64, shape: [nil])])
    }

    public func perform(_ node: Apply, _ inputs: [NDArray]) throws -> [NDArray] {
        var counts = inputs[0].toArray(of: Int64.self)
        let n = try inputs[1].item(Int.self)
        if counts.count == 1 && n != 1 { counts = Array(repeating: counts[0], count: n) }
        guard counts.count == n else {
            throw TheanoError.shapeMismatch(
                "\(self): \(describeVariable(node.inputs[0])) holds \(counts.count) repetition counts at run time for an axis of size \(n) (NumPy: counts must broadcast to the axis)")
        }
        if let negative = counts.first(where: { $0 < 0 }) {
            throw TheanoError.invalidArgument("\(self): repetition counts must be non-negative, got \(negative) in \(describeVariable(node.inputs[0]))")
        }
        let total = try checkedSum(counts.map { Int($0) }, context: "\(self): the repeated size")
        _ = try checkedAllocation([total], dtype: .int64, context: "\(self): the repeated positions")
        var positions: [Int64] = []
        positions.reserveCapacity(total)
        for (i, c) in counts.enumerated() {
            positions.append(contentsOf: repeatElement(Int64(i), count: Int(c)))
        }
        return [NDArray(positions)]
    }

    public func inferShape(_ node: Apply, _ inputShapes: [[Variable]]) throws -> [[Variable]] {
        [[try ShapeIndex(0).makeNode([node.outputs[0]]).output]]
    }
}
