import TheanoArray
import TheanoGraph

/// Repeats its input `reps[i]` times along each axis `i` (NumPy's `tile`, with `reps` as long
/// as the input's rank; ``tile(_:reps:)`` pads either side as NumPy does). A new array.
public struct Tile: Op {
    public let reps: [Int]

    public init(reps: [Int]) { self.reps = reps }

    public var description: String { "Tile{\(reps)}" }

    public func makeNode(_ inputs: [Variable]) throws -> Apply {
        guard inputs.count == 1 else { throw TheanoError.invalidArgument("\(self): expected 1 input, got \(inputs.count)") }
        let x = inputs[0]
        guard reps.count == x.type.rank else {
            throw TheanoError.invalidArgument("\(self): expected \(x.type.rank) repetition counts for \(describeVariable(x)), got \(reps.count)")
        }
        if let bad = reps.first(where: { $0 < 0 }) {
            throw TheanoError.invalidArgument("\(self): repetition counts must be non-negative, got \(bad) for \(describeVariable(x))")
        }
        let shape = try zip(x.type.shape, reps).map { size, r -> Int? in
            if r == 0 { return 0 }
            return try size.map { try checkedProduct([$0, r], context: "\(self)") }
        }
        _ = try checkedShapeSize(known: shape, context: "\(self): the result")
        return Apply(op: self, inputs: inputs, outputTypes: [TensorType(x.type.dtype, shape: shape)])
    }

    public func perform(_ node: Apply, _ inputs: [NDArray]) throws -> [NDArray] {
        [try inputs[0].tiled(reps)]
    }

    public func inferShape(_ node: Apply, _ inputShapes: [[Variable]]) throws -> [[Variable]] {
        let dims = try zip(inputShapes[0], reps).map { try ShapeMath.mul($0, shapeConstant($1)) }
        return [withStaticSizes(dims, of: node.outputTypes[0])]
    }
}
