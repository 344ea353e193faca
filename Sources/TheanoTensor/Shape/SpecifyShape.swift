import TheanoArray
import TheanoGraph

/// Asserts a value's run-time shape and gives its static type those sizes (PyTensor's
/// `specify_shape`): the op behind ``specifyShape(_:_:)``.
///
/// `shape` has one entry per axis: a size the value must have, or `nil` for an axis left
/// unchecked. The output is the input itself (a view) with a type that knows those sizes, so
/// later nodes see static sizes (`x.shape[1]` becomes a constant, elementwise ops broadcast by
/// static rules). `perform` throws a shape error when the value does not have them. The
/// rewrite `useless_specify_shape` removes a node whose input's type already knows every
/// size; `specify_shape_chain` merges two in a row.
public struct SpecifyShape: Op {
    /// The asserted size of each axis (`nil`: not checked).
    public let shape: [Int?]

    public init(_ shape: [Int?]) { self.shape = shape }

    public var description: String { "SpecifyShape{[\(shape.map { $0.map(String.init) ?? "?" }.joined(separator: ", "))]}" }

    public var viewMap: [Int: [Int]] { [0: [0]] }

    public func makeNode(_ inputs: [Variable]) throws -> Apply {
        guard inputs.count == 1 else { throw TheanoError.invalidArgument("\(self): expected 1 input, got \(inputs.count)") }
        let x = inputs[0]
        guard x.type.rank == shape.count else {
            throw TheanoError.shapeMismatch(
                "specifyShape: the shape \(describe(shape)) has \(shape.count) entr\(shape.count == 1 ? "y" : "ies") but \(describeVariable(x)) has rank \(x.type.rank)")
        }
        if let bad = shape.firstIndex(where: { ($0 ?? 0) < 0 }) {
            throw TheanoError.invalidArgument("specifyShape: the shape \(describe(shape)) has a negative size at axis \(bad)")
        }
        for (axis, (known, asserted)) in zip(x.type.shape, shape).enumerated() {
            if let known, let asserted, known != asserted {
                throw TheanoError.shapeMismatch(
                    "specifyShape: axis \(axis) of \(describeVariable(x)) has static size \(known), which contradicts the specified shape \(describe(shape))")
            }
        }
        let refined = zip(x.type.shape, shape).map { known, asserted in known ?? asserted }
        return Apply(op: self, inputs: inputs, outputTypes: [TensorType(x.type.dtype, shape: refined)])
    }

    public func perform(_ node: Apply, _ inputs: [NDArray]) throws -> [NDArray] {
        let x = inputs[0]
        for (axis, asserted) in shape.enumerated() {
            if let asserted, x.shape[axis] != asserted {
                throw TheanoError.shapeMismatch(
                    "specifyShape: \(describeVariable(node.inputs[0])) has shape \(formatShape(x.shape)), but the specified shape is \(describe(shape)) (axis \(axis) must have size \(asserted))")
            }
        }
        return [x]
    }

    public func inferShape(_ node: Apply, _ inputShapes: [[Variable]]) throws -> [[Variable]] {
        [withStaticSizes(inputShapes[0], of: node.outputTypes[0])]
    }

    private func describe(_ shape: [Int?]) -> String {
        "[\(shape.map { $0.map(String.init) ?? "nil" }.joined(separator: ", "))]"
    }
}
