import TheanoArray
import TheanoGraph

/// How ``pad(_:_:mode:constant:)`` fills the new elements (NumPy's `pad` modes).
public enum PadMode: String, Hashable, Sendable {
    /// A constant value.
    case constant
    /// The edge element repeated.
    case edge
    /// The mirror image without the edge element (`[1, 2, 3]` -> `3, 2 | 1, 2, 3 | 2, 1`).
    case reflect
    /// The mirror image with the edge element (`[1, 2, 3]` -> `2, 1 | 1, 2, 3 | 3, 2`).
    case symmetric
    /// The other end of the axis (periodic).
    case wrap
}

/// For an axis of size `n` (its int64 scalar input), the int64 vector of length
/// `before + n + after` giving, for each position of the padded axis, the position of the
/// original element it copies under `mode` (not ``PadMode/constant``, which copies nothing).
/// Padding wider than the axis repeats the pattern, as NumPy does. An empty axis cannot be
/// padded this way and throws at run time (as in NumPy).
///
/// ``pad(_:_:mode:constant:)`` gathers with these positions along each axis (``take``), so
/// the gradient of padding is the gradient of that gather: a sum over the copies.
public struct PadIndices: Op {
    public let mode: PadMode
    public let before: Int
    public let after: Int

    public init(mode: PadMode, before: Int, after: Int) {
        self.mode = mode
        self.before = before
        self.after = after
    }

    public var description: String { "PadIndices{\(mode.rawValue), \(before), \(after)}" }

    public func makeNode(_ inputs: [Variable]) throws -> Apply {
        guard inputs.count == 1 else { throw TheanoError.invalidArgument("\(self): expected 1 input (the axis size), got \(inputs.count)") }
        let n = inputs[0]
        guard n.type.rank == 0, n.type.dtype == .int64 else {
            throw TheanoError.typeMismatch("\(self): the axis size must be an int64 scalar, got \(describeVariable(n))")
        }
        guard mode != .constant else {
            throw TheanoError.invalidArgument("\(self): constant padding copies no elements; pad builds it without positions")
        }
        guard before >= 0, after >= 0 else {
            throw TheanoError.invalidArgument("\(self): pad widths must be non-negative, got (\(before), \(after))")
        }
        let size = shapeConstantValue(n).flatMap { try? checkedSum([$0, before, after], context: "\(self)") }
        return Apply(op: self, inputs: inputs, outputTypes: [TensorType(.int64, shape: [size])])
    }

    public func perform(_ node: Apply, _ inputs: [NDArray]) throws -> [NDArray] {
        let n = try inputs[0].item(Int.self)
        let total = try checkedSum([n, before, after], context: "\(self): the padded size")
        _ = try checkedAllocation([total], dtype: .int64, context: "\(self): the padded positions")
        if n == 0 && total > 0 {
            throw TheanoError.invalidArgument("\(self): cannot pad an empty axis in \(mode.rawValue) mode (there is no element to copy); use constant padding")
        }
        let positions = (0..<total).map { Int64(source(of: $0 - before, size: n)) }
        return [NDArray(positions)]
    }

    /// The original position copied at position `j` (which may lie outside `0..<n`).
    func source(of j: Int, size n: Int) -> Int {
        func modulo(_ a: Int, _ m: Int) -> Int { ((a % m) + m) % m }
        switch mode {
        case .constant, .edge:
            return Swift.min(Swift.max(j, 0), n - 1)
        case .wrap:
            return modulo(j, n)
        case .reflect:
            guard n > 1 else { return 0 }
            let s = modulo(j, 2 * (n - 1))
            return s < n ? s : 2 * (n - 1) - s
        case .symmetric:
            let s = modulo(j, 2 * n)
            return s < n ? s : 2 * n - 1 - s
        }
    }

    public func inferShape(_ node: Apply, _ inputShapes: [[Variable]]) throws -> [[Variable]] {
        [[try ShapeMath.add(node.inputs[0], shapeConstant(before + after))]]
    }
}
