import TheanoArray
import TheanoGraph

/// Splits its input along `axis` into consecutive pieces, one output each, as views (NumPy's
/// `split`).
public struct Split: Op {
    /// How the axis is cut.
    public enum Sections: Hashable, Sendable, CustomStringConvertible {
        /// Pieces of these sizes, which must add up to the size of the axis.
        case sizes([Int])
        /// This many pieces of equal size; the size of the axis must be a multiple.
        case equalParts(Int)

        public var description: String {
            switch self {
            case .sizes(let s): return "sizes=\(s)"
            case .equalParts(let n): return "parts=\(n)"
            }
        }
    }

    /// The axis to split (non-negative).
    public let axis: Int
    public let sections: Sections

    public init(axis: Int, sections: Sections) {
        self.axis = axis
        self.sections = sections
    }

    public var description: String { "Split{axis=\(axis), \(sections)}" }

    /// The number of outputs.
    public var count: Int {
        switch sections {
        case .sizes(let s): return s.count
        case .equalParts(let n): return n
        }
    }

    public var viewMap: [Int: [Int]] {
        Dictionary(uniqueKeysWithValues: (0..<count).map { ($0, [0]) })
    }

    public func makeNode(_ inputs: [Variable]) throws -> Apply {
        guard inputs.count == 1 else { throw TheanoError.invalidArgument("\(self): expected 1 input, got \(inputs.count)") }
        let x = inputs[0]
        guard axis >= 0, axis < x.type.rank else {
            throw TheanoError.outOfRange("\(self): axis \(axis) is out of range for \(describeVariable(x)) of rank \(x.type.rank)")
        }
        let n = x.type.shape[axis]
        let pieceSizes: [Int?]
        switch sections {
        case .sizes(let sizes):
            guard !sizes.isEmpty, sizes.allSatisfy({ $0 >= 0 }) else {
                throw TheanoError.invalidArgument("\(self): sizes must be a non-empty list of non-negative sizes, got \(sizes)")
            }
            if let n, try checkedSum(sizes) != n {
                throw TheanoError.shapeMismatch(
                    "\(self): sizes \(sizes) add up to \(try checkedSum(sizes)) but axis \(axis) of \(describeVariable(x)) has size \(n)")
            }
            pieceSizes = sizes
        case .equalParts(let parts):
            guard parts >= 1 else {
                throw TheanoError.invalidArgument("\(self): the number of parts must be at least 1, got \(parts)")
            }
            if let n, n % parts != 0 {
                throw TheanoError.shapeMismatch(
                    "\(self): axis \(axis) of \(describeVariable(x)) has size \(n), which does not split into \(parts) equal parts")
            }
            pieceSizes = Array(repeating: n.map { $0 / parts }, count: parts)
        }
        let types = pieceSizes.map { size in
            var shape = x.type.shape
            shape[axis] = size
            return TensorType(x.type.dtype, shape: shape)
        }
        return Apply(op: self, inputs: inputs, outputTypes: types)
    }

    public func perform(_ node: Apply, _ inputs: [NDArray]) throws -> [NDArray] {
        let x = inputs[0]
        let n = x.shape[axis]
        switch sections {
        case .sizes(let sizes):
            do {
                return try x.split(sizes: sizes, axis: axis)
            } catch let error as TheanoError {
                throw TheanoError(error.kind, "\(self): \(error.message) (in \(expressionText(node.inputs[0])))")
            }
        case .equalParts(let parts):
            guard n % parts == 0 else {
                throw TheanoError.shapeMismatch(
                    "\(self): axis \(axis) of an array of shape \(formatShape(x.shape)) has size \(n), which does not split into \(parts) equal parts")
            }
            return try x.split(sizes: Array(repeating: n / parts, count: parts), axis: axis)
        }
    }

    public func inferShape(_ node: Apply, _ inputShapes: [[Variable]]) throws -> [[Variable]] {
        try node.outputTypes.map { type in
            try type.shape.enumerated().map { d, size in
                if let size { return shapeConstant(size) }
                if d == axis, case .equalParts(let parts) = sections {
                    return try ShapeMath.floorDiv(inputShapes[0][d], shapeConstant(parts))
                }
                return inputShapes[0][d]
            }
        }
    }

    private func checkedSum(_ sizes: [Int]) throws -> Int {
        var total = 0
        for n in sizes {
            let (s, overflow) = total.addingReportingOverflow(n)
            if overflow { throw TheanoError.invalidArgument("\(self): the sizes \(sizes) add up to more than Int.max") }
            total = s
        }
        return total
    }
}
