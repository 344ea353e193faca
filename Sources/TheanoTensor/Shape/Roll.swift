import TheanoArray
import TheanoGraph

/// Shifts the elements of its input by `shift` positions along `axis`, wrapping around
/// (NumPy's `roll`); with no axis, the input is rolled as if flattened and keeps its shape.
/// A new array.
public struct Roll: Op {
    public let shift: Int
    /// The axis (non-negative), or nil for the flattened input.
    public let axis: Int?

    public init(shift: Int, axis: Int?) {
        self.shift = shift
        self.axis = axis
    }

    public var description: String { "Roll{\(shift), axis=\(axis.map(String.init) ?? "None")}" }

    public func makeNode(_ inputs: [Variable]) throws -> Apply {
        guard inputs.count == 1 else { throw TheanoError.invalidArgument("\(self): expected 1 input, got \(inputs.count)") }
        let x = inputs[0]
        if let axis, axis < 0 || axis >= x.type.rank {
            throw TheanoError.outOfRange("\(self): axis \(axis) is out of range for \(describeVariable(x)) of rank \(x.type.rank)")
        }
        return Apply(op: self, inputs: inputs, outputTypes: [x.type])
    }

    public func perform(_ node: Apply, _ inputs: [NDArray]) throws -> [NDArray] {
        [try inputs[0].rolled(shift, axis: axis)]
    }

    public func inferShape(_ node: Apply, _ inputShapes: [[Variable]]) throws -> [[Variable]] {
        [withStaticSizes(inputShapes[0], of: node.outputTypes[0])]
    }
}
