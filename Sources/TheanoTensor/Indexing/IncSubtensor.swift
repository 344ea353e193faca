import TheanoArray
import TheanoGraph

/// `x` with the elements selected by an index set to `y` (``Mode/set``) or incremented by `y`
/// (``Mode/increment``): Theano's `set_subtensor`/`inc_subtensor`, for basic and advanced
/// indices alike.
///
/// Functional: the output is a new tensor and `x` is never changed, except in the variant the
/// in-place rewrite makes (``inPlace``), which writes into `x`'s buffer when nothing else
/// reads `x` afterwards (a gradient's `zeros` with one row set, for instance). `y` must have `x`'s dtype
/// (the user-facing functions cast it) and broadcasts to the selection's shape (an axis
/// broadcasts only where `y`'s static size is 1). Repeated integer indices add every value
/// when incrementing (NumPy's `np.add.at`) and keep the last one when setting.
/// Inputs: `x`, `y`, then the index inputs in entry order (as for ``Subtensor`` and
/// ``AdvancedSubtensor``).
public struct IncSubtensor: Op {
    /// Whether the selected elements are replaced or incremented.
    public enum Mode: Hashable, Sendable {
        case set
        case increment
    }

    public let entries: [IndexEntry]
    public let mode: Mode
    /// Whether the result is written into `x`'s buffer (input 0 is destroyed).
    public let inPlace: Bool

    public init(_ entries: [IndexEntry], mode: Mode, inPlace: Bool = false) {
        self.entries = entries
        self.mode = mode
        self.inPlace = inPlace
    }

    var name: String { mode == .set ? "SetSubtensor" : "IncSubtensor" }

    public var description: String { "\(name){\(describeEntries(entries))\(inPlace ? ",inplace" : "")}" }

    public var destroyMap: [Int: [Int]] { inPlace ? [0: [0]] : [:] }

    func analysis(_ inputs: [Variable]) throws -> IndexAnalysis {
        try IndexAnalysis(entries: entries, x: inputs[0], indexInputs: Array(inputs.dropFirst(2)), opName: name)
    }

    public func makeNode(_ inputs: [Variable]) throws -> Apply {
        guard inputs.count >= 2 else {
            throw TheanoError.invalidArgument("\(name): expected the tensor, the value and the index inputs, got \(inputs.count) inputs")
        }
        let (x, y) = (inputs[0], inputs[1])
        let a = try analysis(inputs)
        guard y.type.dtype == x.type.dtype else {
            throw TheanoError.typeMismatch("\(name): the value must have the dtype of \(describeVariable(x)), got \(describeVariable(y)); cast it first")
        }
        let target = a.shape
        let lead = target.count - y.type.rank
        guard lead >= 0 else {
            throw TheanoError.shapeMismatch(
                "\(name): the value \(describeVariable(y)) has more axes than the indexed selection of \(describeVariable(x)), whose static shape is \(TensorType(x.type.dtype, shape: target))")
        }
        for (i, s) in y.type.shape.enumerated() where s != 1 {
            if let s, let t = target[lead + i], s != t {
                throw TheanoError.shapeMismatch(
                    "\(name): the value \(describeVariable(y)) cannot be broadcast to the selection's static shape \(TensorType(x.type.dtype, shape: target)): axis \(i) has size \(s), expected \(t) or 1")
            }
        }
        return Apply(op: self, inputs: inputs, outputTypes: [x.type])
    }

    public func perform(_ node: Apply, _ inputs: [NDArray]) throws -> [NDArray] {
        let a = try analysis(node.inputs)
        let indexValues = Array(inputs.dropFirst(2))
        try a.checkBroadcast(indexValues, opName: name)
        let writesInPlace = inPlace && inputs[0].isWritableInPlace
        var out = writesInPlace ? inputs[0] : inputs[0].copy()
        let selection = try IndexSelection(
            shape: out.shape, strides: out.strides, offset: out.offset, indices: try a.resolve(indexValues), context: name)
        let y = inputs[1]
        let yType = node.inputs[1].type
        let lead = selection.shape.count - y.rank
        for axis in 0..<y.rank where yType.shape[axis] != 1 && y.shape[axis] != selection.shape[lead + axis] {
            throw TheanoError.shapeMismatch(
                "\(name): the value of shape \(formatShape(y.shape)) does not fit the selection of shape \(formatShape(selection.shape)) (axis \(axis): \(y.shape[axis]) vs \(selection.shape[lead + axis]); only axes of static size 1 broadcast)")
        }
        if writesInPlace {
            try out.scatterIntoStorage(selection, values: y, accumulate: mode == .increment, context: name)
        } else {
            try out.scatter(selection, values: y, accumulate: mode == .increment, context: name)
        }
        return [out]
    }

    public func inferShape(_ node: Apply, _ inputShapes: [[Variable]]) throws -> [[Variable]] {
        [inputShapes[0]]
    }
}
