import TheanoArray
import TheanoGraph

/// The shape of its input as an int64 vector (`x.shape`).
public struct Shape: Op {
    public init() {}
    public var description: String { "Shape" }

    public func makeNode(_ inputs: [Variable]) throws -> Apply {
        guard inputs.count == 1 else { throw TheanoError.invalidArgument("Shape: expected 1 input, got \(inputs.count)") }
        return Apply(op: self, inputs: inputs, outputTypes: [TensorType(.int64, shape: [inputs[0].type.rank])])
    }

    public func perform(_ node: Apply, _ inputs: [NDArray]) throws -> [NDArray] {
        [NDArray(inputs[0].shape.map { Int64($0) })]
    }

    public func inferShape(_ node: Apply, _ inputShapes: [[Variable]]) throws -> [[Variable]] {
        [[shapeConstant(node.inputs[0].type.rank)]]
    }
}

/// The size of one axis of its input as an int64 scalar (`x.shape[axis]`).
public struct ShapeIndex: Op {
    public let axis: Int
    public init(_ axis: Int) { self.axis = axis }
    public var description: String { "Shape[\(axis)]" }

    public func makeNode(_ inputs: [Variable]) throws -> Apply {
        guard inputs.count == 1 else { throw TheanoError.invalidArgument("\(self): expected 1 input, got \(inputs.count)") }
        let x = inputs[0]
        guard axis >= 0, axis < x.type.rank else {
            throw TheanoError.outOfRange("shape[\(axis)]: axis \(axis) is out of range for \(describeVariable(x)) of rank \(x.type.rank)")
        }
        return Apply(op: self, inputs: inputs, outputTypes: [TensorType(.int64, shape: [])])
    }

    public func perform(_ node: Apply, _ inputs: [NDArray]) throws -> [NDArray] {
        [NDArray(scalar: Int64(inputs[0].shape[axis]))]
    }

    public func inferShape(_ node: Apply, _ inputShapes: [[Variable]]) throws -> [[Variable]] { [[]] }
}

/// Stacks scalars of one dtype into a vector; shape computations use it to build shapes from
/// symbolic sizes.
public struct MakeVector: Op {
    public let dtype: DType
    public init(_ dtype: DType = .int64) { self.dtype = dtype }
    public var description: String { "MakeVector{\(dtype)}" }

    public func makeNode(_ inputs: [Variable]) throws -> Apply {
        for (i, v) in inputs.enumerated() where v.type.rank != 0 || v.type.dtype != dtype {
            throw TheanoError.typeMismatch("MakeVector: input \(i) must be a \(dtype) scalar, got \(describeVariable(v))")
        }
        return Apply(op: self, inputs: inputs, outputTypes: [TensorType(dtype, shape: [inputs.count])])
    }

    public func perform(_ node: Apply, _ inputs: [NDArray]) throws -> [NDArray] {
        var out = NDArray(allocating: [inputs.count], dtype: dtype)
        for (i, v) in inputs.enumerated() {
            try NDArray.assign(v, into: out.slice([.index(i)]))
        }
        _ = out.isUniquelyReferenced()
        return [out]
    }

    public func inferShape(_ node: Apply, _ inputShapes: [[Variable]]) throws -> [[Variable]] {
        [[shapeConstant(node.inputs.count)]]
    }
}

extension Tensor {
    /// The symbolic shape: an int64 vector with one entry per axis. Static sizes are folded by
    /// the optimiser, so `x.shape[0]` for a known size costs nothing at run time.
    public var shape: Tensor {
        // Shape's makeNode cannot fail for one input.
        Tensor((try? Shape().makeNode([variable]))?.output ?? shapeConstant(0))
    }

    /// The size of `axis` (negative counts from the end) as an int64 scalar.
    public func shape(_ axis: Int) throws -> Tensor {
        let a = try normalizeAxis(axis, rank: rank, context: "shape(\(axis)) of \(describeVariable(variable))")
        if let n = staticShape[a] { return Tensor(shapeConstant(n)) }
        return try ShapeIndex(a).apply([self])
    }

    /// The number of elements as an int64 scalar.
    public var size: Tensor {
        get throws {
            if let n = try checkedShapeSize(known: type.shape, context: "size of \(describeVariable(variable))") {
                return Tensor(shapeConstant(n))
            }
            var total = Tensor(shapeConstant(1))
            for axis in 0..<rank { total = try total * shape(axis) }
            return total
        }
    }

    /// The symbolic sizes of every axis, one int64 scalar each (constants where static).
    public func shapeList() throws -> [Tensor] {
        try (0..<rank).map { try shape($0) }
    }
}
