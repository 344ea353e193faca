import TheanoArray
import TheanoGraph

/// The first `steps` rows of a sequence, as a view, checked the way a loop checks its
/// sequences: `steps` must not be negative nor exceed the sequence's rows.
///
/// The scan rewrites that move work out of a loop apply it to the rows the loop would have
/// read, through this op, so a call that the loop would have refused (too few rows, a
/// negative number of steps) still fails with the loop's message.
public struct LoopRows: Op {
    /// Names the loop and the sequence in errors (`"Scan{rnn}: sequence 0"`).
    public let context: String

    public init(context: String) { self.context = context }

    /// The first `steps` rows of `sequence`, checked as the loop named in `context` would.
    static func rows(of sequence: Variable, steps: Variable, context: String) throws -> Tensor {
        Tensor(try LoopRows(context: context).makeNode([sequence, steps]).outputs[0])
    }

    public var description: String { "LoopRows" }

    public var viewMap: [Int: [Int]] { [0: [0]] }

    public func makeNode(_ inputs: [Variable]) throws -> Apply {
        guard inputs.count == 2 else { throw TheanoError.invalidArgument("\(self): expected 2 inputs (a sequence and a number of steps), got \(inputs.count)") }
        let (x, steps) = (inputs[0], inputs[1])
        guard x.type.rank >= 1 else {
            throw TheanoError.invalidArgument("\(context): a sequence needs an axis to iterate over, got \(describeVariable(x))")
        }
        guard steps.type.rank == 0, steps.type.dtype == .int64 else {
            throw TheanoError.typeMismatch("\(context): the number of steps must be an int64 scalar, got \(describeVariable(steps))")
        }
        let rows = steps.constantValue.flatMap { try? Int($0.item(Int64.self)) }
        return Apply(op: self, inputs: inputs, outputTypes: [TensorType(x.type.dtype, shape: [rows] + x.type.shape.dropFirst())])
    }

    public func perform(_ node: Apply, _ inputs: [NDArray]) throws -> [NDArray] {
        let x = inputs[0]
        let steps = Int(try inputs[1].item(Int64.self))
        guard steps >= 0 else {
            throw TheanoError.invalidArgument("\(context): the number of steps must not be negative, got \(steps)")
        }
        guard x.shape[0] >= steps else {
            throw TheanoError.shapeMismatch("\(context) has \(x.shape[0]) rows (shape \(formatShape(x.shape))) but the loop runs \(steps) steps")
        }
        return [x.shape[0] == steps ? x : try x.slice([.slice(start: 0, stop: steps, step: 1)])]
    }

    public func inferShape(_ node: Apply, _ inputShapes: [[Variable]]) throws -> [[Variable]] {
        [withStaticSizes([node.inputs[1]] + inputShapes[0].dropFirst(), of: node.outputTypes[0])]
    }

    /// The rows' gradient in the first `steps` rows, zeros after.
    public func pullback(_ node: Apply, _ outputGradients: [Variable?]) throws -> [Variable?] {
        guard let g = outputGradients[0] else { return [nil, nil] }
        let x = Tensor(node.inputs[0])
        let placed = try incSubtensor(zerosLike(x)[.symbolicSlice(nil, Tensor(node.inputs[1]))], Tensor(g))
        return [placed.variable, nil]
    }
}
