import TheanoArray
import TheanoGraph

/// Reduces its input over some axes: sum, product, maximum, minimum, all or any
/// (``ReduceKind``).
///
/// `axes` are non-negative and distinct (the user-facing functions such as
/// ``sum(_:axis:keepdims:)`` normalise negative axes); reduced axes are dropped, or kept with
/// static size 1 when `keepdims` is true. An empty `axes` reduces nothing (the result is the
/// input in the result dtype). Dtypes follow NumPy (see ``ReduceKind/outputDType(for:)``): sum
/// and prod of bool and integers give int64, floats keep their dtype; max and min keep the
/// dtype and propagate NaN; all and any give bool.
///
/// At run time, max and min over an axis of size 0 throw (they have no identity); sum gives 0,
/// prod 1, all true and any false.
public struct Reduce: Op {
    public let kind: ReduceKind
    /// The reduced axes, sorted.
    public let axes: [Int]
    public let keepdims: Bool

    public init(_ kind: ReduceKind, axes: [Int], keepdims: Bool = false) {
        self.kind = kind
        self.axes = axes.sorted()
        self.keepdims = keepdims
    }

    public var description: String {
        "\(kind){axes=\(axes)" + (keepdims ? ", keepdims}" : "}")
    }

    public func makeNode(_ inputs: [Variable]) throws -> Apply {
        guard inputs.count == 1 else {
            throw TheanoError.invalidArgument("\(self): expected 1 input, got \(inputs.count)")
        }
        let x = inputs[0]
        try checkReducedAxes(axes, of: x, op: description)
        let dtype = kind.outputDType(for: x.type.dtype)
        return Apply(op: self, inputs: inputs, outputTypes: [TensorType(dtype, shape: reducedStaticShape(x.type.shape, axes, keepdims))])
    }

    public func perform(_ node: Apply, _ inputs: [NDArray]) throws -> [NDArray] {
        let x = inputs[0]
        if !kind.hasIdentity, let empty = axes.first(where: { x.shape[$0] == 0 }) {
            throw TheanoError.invalidArgument(
                "\(kind): axis \(empty) of \(describeVariable(node.inputs[0])) has size 0 at run time (value of shape \(formatShape(x.shape))); \(kind) of an empty set has no value (NumPy raises ValueError)")
        }
        return [try x.reduce(kind, axes: axes, keepdims: keepdims)]
    }

    public func inferShape(_ node: Apply, _ inputShapes: [[Variable]]) throws -> [[Variable]] {
        [reducedSymbolicShape(inputShapes[0], axes, keepdims)]
    }
}

/// Checks that op-level axes are in `0..<rank` and distinct, naming the op and the input.
func checkReducedAxes(_ axes: [Int], of x: Variable, op: String) throws {
    let rank = x.type.rank
    if let bad = axes.first(where: { $0 < 0 || $0 >= rank }) {
        throw TheanoError.outOfRange(
            "\(op): axis \(bad) is out of range for \(describeVariable(x)) of rank \(rank) (the op takes axes in 0..<\(rank); the user-facing functions accept negative axes)")
    }
    if Set(axes).count != axes.count {
        throw TheanoError.invalidArgument("\(op): axes \(axes) name an axis of \(describeVariable(x)) more than once")
    }
}

/// The static shape after reducing `axes` (sorted, distinct): dropped, or 1 with `keepdims`.
func reducedStaticShape(_ shape: [Int?], _ axes: [Int], _ keepdims: Bool) -> [Int?] {
    shape.indices.compactMap { a -> Int?? in
        axes.contains(a) ? (keepdims ? .some(1) : nil) : .some(shape[a])
    }
}

/// The symbolic shape after reducing `axes`: the same rule over int64 scalar variables.
func reducedSymbolicShape(_ shape: [Variable], _ axes: [Int], _ keepdims: Bool) -> [Variable] {
    shape.indices.compactMap { a in
        axes.contains(a) ? (keepdims ? shapeConstant(1) : nil) : shape[a]
    }
}
