import TheanoArray
import TheanoGraph

/// The int64 index of the largest (``ArgReduceKind/argmax``) or smallest
/// (``ArgReduceKind/argmin``) value along one axis, or into the flattened input (C order) when
/// `axis` is nil.
///
/// Ties go to the first occurrence; NaN counts as the extreme value, so the first NaN wins (as
/// in NumPy). `axis` is non-negative (``argmax(_:axis:keepdims:)`` normalises negative axes).
/// With `keepdims` the reduced axis (every axis, for a nil `axis`) stays with static size 1. At
/// run time an empty axis (or an empty input, for a nil `axis`) throws.
public struct ArgReduce: Op {
    public let kind: ArgReduceKind
    /// The reduced axis, or nil for the flattened input.
    public let axis: Int?
    public let keepdims: Bool

    public init(_ kind: ArgReduceKind, axis: Int?, keepdims: Bool = false) {
        self.kind = kind
        self.axis = axis
        self.keepdims = keepdims
    }

    public var description: String {
        "\(kind){axis=\(axis.map(String.init) ?? "nil")" + (keepdims ? ", keepdims}" : "}")
    }

    /// The reduced axes for an input of rank `rank`.
    func reducedAxes(rank: Int) -> [Int] {
        axis.map { [$0] } ?? Array(0..<rank)
    }

    public func makeNode(_ inputs: [Variable]) throws -> Apply {
        guard inputs.count == 1 else {
            throw TheanoError.invalidArgument("\(self): expected 1 input, got \(inputs.count)")
        }
        let x = inputs[0]
        let axes = reducedAxes(rank: x.type.rank)
        try checkReducedAxes(axes, of: x, op: description)
        return Apply(op: self, inputs: inputs, outputTypes: [TensorType(.int64, shape: reducedStaticShape(x.type.shape, axes, keepdims))])
    }

    public func perform(_ node: Apply, _ inputs: [NDArray]) throws -> [NDArray] {
        let x = inputs[0]
        if let empty = reducedAxes(rank: x.rank).first(where: { x.shape[$0] == 0 }) {
            throw TheanoError.invalidArgument(
                "\(kind): axis \(empty) of \(describeVariable(node.inputs[0])) has size 0 at run time (value of shape \(formatShape(x.shape))); \(kind) of an empty sequence has no value (NumPy raises ValueError)")
        }
        return [try x.argReduce(kind, axis: axis, keepdims: keepdims)]
    }

    public func inferShape(_ node: Apply, _ inputShapes: [[Variable]]) throws -> [[Variable]] {
        [reducedSymbolicShape(inputShapes[0], reducedAxes(rank: node.inputs[0].type.rank), keepdims)]
    }
}
