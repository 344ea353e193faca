import TheanoArray
import TheanoGraph

/// Basic indexing, `x[1, 2:5, ::-1, newAxis]`: integers, slices (any step) and new axes, with
/// NumPy's meaning. The result is a view of `x`.
///
/// Inputs: `x`, then one integer scalar per ``IndexBound/symbolic`` bound in `entries`, in
/// order (so `x[i]` with a symbolic `i` is `Subtensor([.scalar(.symbolic)])` on `[x, i]`).
/// Axes after the last entry are taken whole. Integer indices out of range throw, at build
/// time when the index and the axis size are static, else at run time.
public struct Subtensor: Op {
    public let entries: [IndexEntry]

    public init(_ entries: [IndexEntry]) {
        self.entries = entries
    }

    public var description: String { "Subtensor{\(describeEntries(entries))}" }

    public var viewMap: [Int: [Int]] { [0: [0]] }

    func analysis(_ inputs: [Variable]) throws -> IndexAnalysis {
        try IndexAnalysis(entries: entries, x: inputs[0], indexInputs: Array(inputs.dropFirst()), opName: "Subtensor")
    }

    public func makeNode(_ inputs: [Variable]) throws -> Apply {
        guard let x = inputs.first else { throw TheanoError.invalidArgument("Subtensor: expected the indexed tensor and its index inputs, got no inputs") }
        guard !entries.contains(where: \.isArray) else {
            throw TheanoError.invalidArgument("Subtensor: takes integers, slices and new axes only; index arrays and masks need AdvancedSubtensor (got [\(describeEntries(entries))])")
        }
        let a = try analysis(inputs)
        return Apply(op: self, inputs: inputs, outputTypes: [TensorType(x.type.dtype, shape: a.shape)])
    }

    public func perform(_ node: Apply, _ inputs: [NDArray]) throws -> [NDArray] {
        let index = try analysis(node.inputs).resolve(Array(inputs.dropFirst()))
        return [try inputs[0].indexed(index, context: "Subtensor")]
    }

    public func inferShape(_ node: Apply, _ inputShapes: [[Variable]]) throws -> [[Variable]] {
        [try analysis(node.inputs).symbolicShape(
            xShape: inputShapes[0], indexInputs: Array(node.inputs.dropFirst()), indexShapes: Array(inputShapes.dropFirst()))]
    }
}

/// Advanced indexing: integer arrays and boolean masks, mixed with integers, slices and new
/// axes, with NumPy's rules (a gather; the result is a new array).
///
/// Index arrays (and integers beside them) broadcast together; their broadcast axes replace
/// the indexed axes where all array entries are adjacent, and come first otherwise. A mask of
/// rank k covers k axes and selects its true positions; its size is known only at run time.
/// Broadcasting follows the static rule: an axis broadcasts only where an index's static size
/// is 1. Inputs: `x`, then the index inputs (symbolic bounds, arrays, masks) in entry order.
///
/// Shape inference: an axis made by a mask has the size ``MaskCount`` of the mask (a count of
/// its true elements, computed from the mask alone, not from this op's output); other axes
/// come from the index arrays' shapes and ``SliceLength``.
public struct AdvancedSubtensor: Op {
    public let entries: [IndexEntry]

    public init(_ entries: [IndexEntry]) {
        self.entries = entries
    }

    public var description: String { "AdvancedSubtensor{\(describeEntries(entries))}" }

    func analysis(_ inputs: [Variable]) throws -> IndexAnalysis {
        try IndexAnalysis(entries: entries, x: inputs[0], indexInputs: Array(inputs.dropFirst()), opName: "AdvancedSubtensor")
    }

    public func makeNode(_ inputs: [Variable]) throws -> Apply {
        guard let x = inputs.first else { throw TheanoError.invalidArgument("AdvancedSubtensor: expected the indexed tensor and its index inputs, got no inputs") }
        guard entries.contains(where: \.isArray) else {
            throw TheanoError.invalidArgument("AdvancedSubtensor: needs at least one index array or mask (got [\(describeEntries(entries))]); use Subtensor for basic indices")
        }
        let a = try analysis(inputs)
        return Apply(op: self, inputs: inputs, outputTypes: [TensorType(x.type.dtype, shape: a.shape)])
    }

    public func perform(_ node: Apply, _ inputs: [NDArray]) throws -> [NDArray] {
        [try inputs[0].indexed(try runtimeIndex(node, Array(inputs.dropFirst())), context: "AdvancedSubtensor")]
    }

    /// The NumPy index this node applies, from its index inputs' values (checked as `perform`
    /// checks them), for kernels that resolve it against their own array's layout.
    package func runtimeIndex(_ node: Apply, _ indexValues: [NDArray]) throws -> [FancyIndex] {
        let a = try analysis(node.inputs)
        try a.checkBroadcast(indexValues, opName: "AdvancedSubtensor")
        return try a.resolve(indexValues)
    }

    public func inferShape(_ node: Apply, _ inputShapes: [[Variable]]) throws -> [[Variable]] {
        [try analysis(node.inputs).symbolicShape(
            xShape: inputShapes[0], indexInputs: Array(node.inputs.dropFirst()), indexShapes: Array(inputShapes.dropFirst()))]
    }
}

/// NumPy's `take` on the flattened input (`take(x, indices)` with no axis): the elements of
/// `x` in C order at `indices`, in the shape of `indices`. Negative indices count from the
/// end. (With an axis, `take` builds an ``AdvancedSubtensor``.)
public struct TakeFlat: Op {
    public init() {}
    public var description: String { "TakeFlat" }

    public func makeNode(_ inputs: [Variable]) throws -> Apply {
        guard inputs.count == 2 else { throw TheanoError.invalidArgument("TakeFlat: expected 2 inputs (x, indices), got \(inputs.count)") }
        let (x, indices) = (inputs[0], inputs[1])
        guard indices.type.dtype.isInteger else {
            throw TheanoError.typeMismatch("take: indices must have an integer dtype, got \(describeVariable(indices))")
        }
        return Apply(op: self, inputs: inputs, outputTypes: [TensorType(x.type.dtype, shape: indices.type.shape)])
    }

    public func perform(_ node: Apply, _ inputs: [NDArray]) throws -> [NDArray] {
        [try inputs[0].take(inputs[1], axis: nil, context: "take")]
    }

    public func inferShape(_ node: Apply, _ inputShapes: [[Variable]]) throws -> [[Variable]] {
        [inputShapes[1]]
    }
}
