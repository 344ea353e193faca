import TheanoArray
import TheanoGraph

/// Reorders axes, inserts broadcastable axes and drops size-1 axes, as a view.
///
/// `order[i]` is the input axis that becomes output axis `i`, or ``DimShuffle/newAxis`` for a
/// new axis of size 1. Input axes missing from `order` are dropped; only axes of static size 1
/// can be dropped. `DimShuffle(inputRank: 2, order: [1, 0])` is a matrix transpose;
/// `DimShuffle(inputRank: 1, order: [newAxis, 0])` turns a vector into a row.
public struct DimShuffle: Op {
    /// Marks a new axis of size 1 in `order`.
    public static let newAxis = -1

    public let inputRank: Int
    public let order: [Int]

    public init(inputRank: Int, order: [Int]) {
        self.inputRank = inputRank
        self.order = order
    }

    public var description: String {
        "DimShuffle{" + order.map { $0 == DimShuffle.newAxis ? "x" : String($0) }.joined(separator: ",") + "}"
    }

    /// Whether this only transposes (no new or dropped axes).
    public var isTranspose: Bool { order.count == inputRank && !order.contains(DimShuffle.newAxis) }

    public var viewMap: [Int: [Int]] { [0: [0]] }

    public func makeNode(_ inputs: [Variable]) throws -> Apply {
        guard inputs.count == 1 else { throw TheanoError.invalidArgument("\(self): expected 1 input, got \(inputs.count)") }
        let x = inputs[0]
        guard x.type.rank == inputRank else {
            throw TheanoError.shapeMismatch("\(self): expected an input of rank \(inputRank), got \(describeVariable(x))")
        }
        let used = order.filter { $0 != DimShuffle.newAxis }
        guard used.allSatisfy({ $0 >= 0 && $0 < inputRank }), Set(used).count == used.count else {
            throw TheanoError.invalidArgument("\(self): the order \(order) must name each axis of a rank-\(inputRank) input at most once")
        }
        for axis in 0..<inputRank where !used.contains(axis) && x.type.shape[axis] != 1 {
            throw TheanoError.shapeMismatch(
                "\(self): cannot drop axis \(axis) of \(describeVariable(x)): only axes of static size 1 can be dropped")
        }
        let shape = order.map { $0 == DimShuffle.newAxis ? 1 : x.type.shape[$0] }
        return Apply(op: self, inputs: inputs, outputTypes: [TensorType(x.type.dtype, shape: shape)])
    }

    public func perform(_ node: Apply, _ inputs: [NDArray]) throws -> [NDArray] {
        let x = inputs[0]
        let shape = order.map { $0 == DimShuffle.newAxis ? 1 : x.shape[$0] }
        let strides = order.map { $0 == DimShuffle.newAxis ? 0 : x.strides[$0] }
        return [NDArray(storage: x.storage, dtype: x.dtype, shape: shape, strides: strides, offset: x.offset)]
    }

    public func inferShape(_ node: Apply, _ inputShapes: [[Variable]]) throws -> [[Variable]] {
        [order.map { $0 == DimShuffle.newAxis ? shapeConstant(1) : inputShapes[0][$0] }]
    }
}
