import TheanoArray
import TheanoGraph

/// The int64 positions that sort its input along `axis` (NumPy's `argsort(kind="stable")`):
/// ascending, or descending when `descending` is set; equal values keep their order either
/// way (stable). Floating-point NaN sorts after every number (NumPy's order), so it comes
/// last ascending and first descending. With `count`, only the first `count` positions of
/// each sorted lane are kept (the positions of the `count` smallest, or largest, values);
/// the axis then has size `count`, and a lane shorter than `count` throws at run time. The
/// count can also be symbolic: a second input, an integer scalar (then `count` is nil and the
/// axis size is unknown statically unless that input is a constant).
///
/// Integer-valued: it has no gradient (the gradient of ``sort(_:axis:descending:)`` flows
/// through ``takeAlongAxis(_:_:axis:)``).
public struct ArgSort: Op {
    /// The axis (non-negative).
    public let axis: Int
    public let descending: Bool
    /// How many positions to keep per lane (nil: all).
    public let count: Int?

    public init(axis: Int, descending: Bool = false, count: Int? = nil) {
        self.axis = axis
        self.descending = descending
        self.count = count
    }

    public var description: String {
        var text = "ArgSort{axis=\(axis)"
        if descending { text += ", descending" }
        if let count { text += ", count=\(count)" }
        return text + "}"
    }

    public func makeNode(_ inputs: [Variable]) throws -> Apply {
        guard inputs.count == 1 || (inputs.count == 2 && count == nil) else {
            throw TheanoError.invalidArgument("\(self): expected 1 input (or 2 with a symbolic count and no static one), got \(inputs.count)")
        }
        let x = inputs[0]
        guard axis >= 0, axis < x.type.rank else {
            throw TheanoError.outOfRange("\(self): axis \(axis) is out of range for \(describeVariable(x)) of rank \(x.type.rank)")
        }
        var shape = x.type.shape
        if let count {
            guard count >= 0 else {
                throw TheanoError.invalidArgument("\(self): count must be non-negative, got \(count) for \(describeVariable(x))")
            }
            if let n = shape[axis], n < count {
                throw TheanoError.shapeMismatch(
                    "\(self): asks for \(count) positions along axis \(axis), but \(describeVariable(x)) has only \(n) there")
            }
            shape[axis] = count
        }
        if inputs.count == 2 {
            let k = inputs[1]
            guard k.type.rank == 0, k.type.dtype.isInteger else {
                throw TheanoError.typeMismatch("\(self): the count must be an integer scalar, got \(describeVariable(k))")
            }
            shape[axis] = shapeConstantValue(k).flatMap { $0 >= 0 ? $0 : nil }
        }
        return Apply(op: self, inputs: inputs, outputTypes: [TensorType(.int64, shape: shape)])
    }

    public func perform(_ node: Apply, _ inputs: [NDArray]) throws -> [NDArray] {
        let x = inputs[0]
        let lanes = AxisLanes(shape: x.shape, axis: axis)
        let kept = inputs.count == 2 ? try inputs[1].item(Int.self) : count ?? lanes.length
        guard kept >= 0 else {
            throw TheanoError.invalidArgument("\(self): count must be non-negative, got \(kept) at run time for \(describeVariable(node.inputs[0]))")
        }
        guard kept <= lanes.length else {
            throw TheanoError.shapeMismatch(
                "\(self): asks for \(kept) positions along axis \(axis), but \(describeVariable(node.inputs[0])) has only \(lanes.length) there at run time (value of shape \(formatShape(x.shape)))")
        }
        let keys = SortKeys(try x.transposed(lanes.moveLast))
        var out: [Int64] = []
        out.reserveCapacity(lanes.count * kept)
        for lane in 0..<lanes.count {
            let order = keys.order(start: lane * lanes.length, length: lanes.length, descending: descending)
            out.append(contentsOf: order.prefix(kept).map { Int64($0) })
        }
        return [try lanes.array(out, newLength: kept)]
    }

    public func inferShape(_ node: Apply, _ inputShapes: [[Variable]]) throws -> [[Variable]] {
        var sizes = inputShapes[0]
        if let count { sizes[axis] = shapeConstant(count) }
        if node.inputs.count == 2 {
            let k = node.inputs[1]
            sizes[axis] = k.type.dtype == .int64 ? k : try cast(Tensor(k), .int64).variable
        }
        return [sizes]
    }
}
