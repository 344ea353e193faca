import TheanoArray
import TheanoGraph

/// A new array of a given shape filled by broadcasting a value (Theano's `Alloc`): the
/// inputs are the value, then one int64 scalar per output axis.
///
/// The value may have fewer axes than the output (leading axes are added). Its axes of static
/// size 1 broadcast; every other axis must equal the output size (static sizes are checked when
/// the node is built, the others when it runs).
public struct Alloc: Op {
    public init() {}
    public var description: String { "Alloc" }

    public func makeNode(_ inputs: [Variable]) throws -> Apply {
        let shape = try broadcastNodeShape(inputs, opName: description)
        return Apply(op: self, inputs: inputs, outputTypes: [TensorType(inputs[0].type.dtype, shape: shape)])
    }

    public func perform(_ node: Apply, _ inputs: [NDArray]) throws -> [NDArray] {
        [try broadcastValue(node, inputs, opName: description).copy(context: description)]
    }

    public func inferShape(_ node: Apply, _ inputShapes: [[Variable]]) throws -> [[Variable]] {
        [broadcastInferredShape(node)]
    }
}

/// A read-only view of a value broadcast to a given shape (NumPy's `broadcast_to`): the inputs
/// are the value, then one int64 scalar per output axis. The broadcasting rules are those of
/// ``Alloc``.
public struct BroadcastTo: Op {
    public init() {}
    public var description: String { "BroadcastTo" }

    public var viewMap: [Int: [Int]] { [0: [0]] }

    public func makeNode(_ inputs: [Variable]) throws -> Apply {
        let shape = try broadcastNodeShape(inputs, opName: description)
        return Apply(op: self, inputs: inputs, outputTypes: [TensorType(inputs[0].type.dtype, shape: shape)])
    }

    public func perform(_ node: Apply, _ inputs: [NDArray]) throws -> [NDArray] {
        [try broadcastValue(node, inputs, opName: description)]
    }

    public func inferShape(_ node: Apply, _ inputShapes: [[Variable]]) throws -> [[Variable]] {
        [broadcastInferredShape(node)]
    }
}

/// Checks the inputs of ``Alloc`` or ``BroadcastTo`` and returns the static output shape.
func broadcastNodeShape(_ inputs: [Variable], opName: String) throws -> [Int?] {
    guard let value = inputs.first else {
        throw TheanoError.invalidArgument("\(opName): expected a value and one size per output axis, got no inputs")
    }
    let dims = inputs.dropFirst()
    for (i, d) in dims.enumerated() where d.type.rank != 0 || d.type.dtype != .int64 {
        throw TheanoError.typeMismatch("\(opName): size \(i) must be an int64 scalar, got \(describeVariable(d))")
    }
    let rank = dims.count
    guard value.type.rank <= rank else {
        throw TheanoError.shapeMismatch(
            "\(opName): cannot broadcast \(describeVariable(value)) of rank \(value.type.rank) to a shape of \(rank) axes")
    }
    let lead = rank - value.type.rank
    let targets = dims.map(shapeConstantValue)
    let shape: [Int?] = try targets.enumerated().map { axis, target in
        if let target, target < 0 {
            throw TheanoError.invalidArgument("\(opName): size \(target) at axis \(axis) is negative (target shape \(Reshape.format(targets)))")
        }
        let valueSize = axis >= lead ? value.type.shape[axis - lead] : 1
        if let target, let valueSize, valueSize != 1, valueSize != target {
            throw TheanoError.shapeMismatch(
                "\(opName): cannot broadcast \(describeVariable(value)) to shape \(Reshape.format(targets)): axis \(axis - lead) of the value has size \(valueSize), expected 1 or \(target)")
        }
        if let target { return target }
        return valueSize == 1 ? nil : valueSize
    }
    _ = try checkedShapeSize(known: shape, context: "\(opName): the target shape")
    return shape
}

/// The value of ``Alloc`` or ``BroadcastTo`` broadcast (as a view) to the requested shape.
package func broadcastValue(_ node: Apply, _ inputs: [NDArray], opName: String) throws -> NDArray {
    let value = inputs[0]
    let target = try inputs.dropFirst().map { try $0.item(Int.self) }
    if let bad = target.firstIndex(where: { $0 < 0 }) {
        throw TheanoError.invalidArgument("\(opName): size \(target[bad]) at axis \(bad) is negative (target shape \(formatShape(target)))")
    }
    _ = try checkedShapeSize(target, context: opName)
    let lead = target.count - value.rank
    let valueType = node.inputs[0].type
    for axis in 0..<value.rank where valueType.shape[axis] != 1 && value.shape[axis] != target[lead + axis] {
        throw TheanoError.shapeMismatch(
            "\(opName): cannot broadcast a value of shape \(formatShape(value.shape)) to \(formatShape(target)): axis \(axis) has size \(value.shape[axis]), expected \(target[lead + axis]) (only axes of static size 1 broadcast; the value's type is \(valueType))")
    }
    return try value.broadcast(to: target)
}

/// The output sizes of ``Alloc`` or ``BroadcastTo``: its size inputs (constants where static).
func broadcastInferredShape(_ node: Apply) -> [Variable] {
    node.outputTypes[0].shape.enumerated().map { axis, size in
        size.map(shapeConstant) ?? node.inputs[axis + 1]
    }
}
