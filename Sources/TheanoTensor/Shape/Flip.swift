import TheanoArray
import TheanoGraph

/// Reverses the order of elements along the given axes (NumPy's `flip`), as a view.
public struct Flip: Op {
    /// The axes to reverse (non-negative, each once).
    public let axes: [Int]

    public init(axes: [Int]) { self.axes = axes }

    public var description: String { "Flip{\(axes)}" }

    public var viewMap: [Int: [Int]] { [0: [0]] }

    public func makeNode(_ inputs: [Variable]) throws -> Apply {
        guard inputs.count == 1 else { throw TheanoError.invalidArgument("\(self): expected 1 input, got \(inputs.count)") }
        let x = inputs[0]
        for axis in axes where axis < 0 || axis >= x.type.rank {
            throw TheanoError.outOfRange("\(self): axis \(axis) is out of range for \(describeVariable(x)) of rank \(x.type.rank)")
        }
        guard Set(axes).count == axes.count else {
            throw TheanoError.invalidArgument("\(self): axes \(axes) repeat an axis of \(describeVariable(x))")
        }
        return Apply(op: self, inputs: inputs, outputTypes: [x.type])
    }

    public func perform(_ node: Apply, _ inputs: [NDArray]) throws -> [NDArray] {
        [try axes.reduce(inputs[0]) { try $0.flipped(axis: $1) }]
    }

    public func inferShape(_ node: Apply, _ inputShapes: [[Variable]]) throws -> [[Variable]] {
        [withStaticSizes(inputShapes[0], of: node.outputTypes[0])]
    }
}
