import TheanoArray
import TheanoGraph

/// Applies a ``ScalarOp`` to every element of its inputs, broadcasting axes of static size 1.
///
/// Inputs must have the same rank (the user-facing functions insert ``DimShuffle`` to line up
/// ranks, NumPy style) and the dtypes the scalar op accepts (they insert casts). Which axes
/// broadcast is fixed by the static types; at run time, every other axis must have the same
/// size in all inputs.
public struct Elemwise: Op {
    public let scalar: ScalarOp

    public init(_ scalar: ScalarOp) { self.scalar = scalar }

    public var description: String { scalar.description }

    public func makeNode(_ inputs: [Variable]) throws -> Apply {
        guard inputs.count == scalar.arity else {
            throw TheanoError.invalidArgument("\(scalar): expected \(scalar.arity) inputs, got \(inputs.count)")
        }
        let rank = inputs[0].type.rank
        if let bad = inputs.firstIndex(where: { $0.type.rank != rank }) {
            throw TheanoError.shapeMismatch(
                "\(scalar): all inputs must have the same rank; input 0 is \(describeVariable(inputs[0])) and input \(bad) is \(describeVariable(inputs[bad]))")
        }
        let dtype: DType
        switch scalar.outputDType(inputs.map(\.type.dtype)) {
        case .success(let t): dtype = t
        case .failure(let problem):
            throw TheanoError.typeMismatch(
                "\(scalar): \(problem); inputs: " + inputs.enumerated().map { "input \($0.offset) \(describeVariable($0.element))" }.joined(separator: ", "))
        }
        let shape = try Elemwise.broadcastStaticShape(inputs, opName: scalar.description)
        return Apply(op: self, inputs: inputs, outputTypes: [TensorType(dtype, shape: shape)])
    }

    /// The static output shape of inputs of equal rank: a known size other than 1 wins, all-1
    /// stays 1, otherwise unknown. Two different known sizes (neither 1) are an error.
    static func broadcastStaticShape(_ inputs: [Variable], opName: String) throws -> [Int?] {
        let rank = inputs.first?.type.rank ?? 0
        var shape: [Int?] = []
        for axis in 0..<rank {
            var size: Int? = 1
            var from = 0
            for (i, v) in inputs.enumerated() {
                let s = v.type.shape[axis]
                if s == 1 { continue }
                if let s {
                    if let known = size, known != 1, known != s {
                        throw TheanoError.shapeMismatch(
                            "\(opName): shapes \(formatStaticShape(inputs[from].type.shape)) and \(formatStaticShape(v.type.shape)) cannot be broadcast together: input \(from) \(describeVariable(inputs[from])) has size \(known) at axis \(axis), input \(i) \(describeVariable(v)) has size \(s) (sizes must be equal, or 1 to broadcast)")
                    }
                    if size == nil || size == 1 { from = i }
                    size = s
                } else if size == 1 {
                    size = nil
                    from = i
                }
            }
            shape.append(size)
        }
        return shape
    }

    /// The run-time output shape: axes that broadcast statically are skipped, every other
    /// input must have the same size on an axis.
    package static func runtimeShape(_ node: Apply, _ inputs: [NDArray], opName: String) throws -> [Int] {
        let rank = node.outputTypes[0].rank
        var shape = Array(repeating: 1, count: rank)
        for axis in 0..<rank {
            var owner: Int? = nil
            for (i, value) in inputs.enumerated() {
                if node.inputs[i].type.shape[axis] == 1 { continue }
                let n = value.shape[axis]
                if let o = owner {
                    if n != shape[axis] {
                        throw TheanoError.shapeMismatch(
                            "\(opName): input \(o) has shape \(formatShape(inputs[o].shape)) and input \(i) has shape \(formatShape(value.shape)); they differ at axis \(axis) (\(shape[axis]) vs \(n)), and that axis is not declared broadcastable (static size 1) in \(expressionText(node.output))")
                    }
                } else {
                    owner = i
                    shape[axis] = n
                }
            }
        }
        // Inputs may be broadcast views standing for more elements than memory holds.
        for type in node.outputTypes { _ = try checkedAllocation(shape, dtype: type.dtype, context: opName) }
        return shape
    }

    public func perform(_ node: Apply, _ inputs: [NDArray]) throws -> [NDArray] {
        let shape = try Elemwise.runtimeShape(node, inputs, opName: scalar.description)
        let views = try inputs.map { try $0.broadcast(to: shape) }
        return [try evaluateScalarOp(scalar, views)]
    }

    public func inferShape(_ node: Apply, _ inputShapes: [[Variable]]) throws -> [[Variable]] {
        [Elemwise.broadcastSymbolicShape(node, inputShapes)]
    }

    /// The symbolic output shape of a broadcasting elementwise node: a constant where the
    /// static size is known, else the size of the first input that does not broadcast there.
    static func broadcastSymbolicShape(_ node: Apply, _ inputShapes: [[Variable]]) -> [Variable] {
        node.outputTypes[0].shape.enumerated().map { axis, size in
            if let size { return shapeConstant(size) }
            let i = node.inputs.firstIndex { $0.type.shape[axis] != 1 } ?? 0
            return inputShapes[i][axis]
        }
    }
}

/// An int64 scalar constant, as shape graphs use.
public func shapeConstant(_ n: Int) -> Variable {
    Variable(constant: NDArray(scalar: Int64(n)))
}
