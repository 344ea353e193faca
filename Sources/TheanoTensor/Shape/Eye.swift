import TheanoArray
import TheanoGraph

/// A matrix of `dtype` with ones on diagonal `k` (0: main, positive: above, negative: below)
/// and zeros elsewhere (NumPy's `eye`). The inputs are three int64 scalars: rows, columns, k.
public struct Eye: Op {
    public let dtype: DType

    public init(_ dtype: DType) { self.dtype = dtype }

    public var description: String { "Eye{\(dtype)}" }

    public func makeNode(_ inputs: [Variable]) throws -> Apply {
        guard inputs.count == 3 else {
            throw TheanoError.invalidArgument("\(self): expected 3 inputs (rows, columns, k), got \(inputs.count)")
        }
        for (name, v) in zip(["rows", "columns", "k"], inputs) where v.type.rank != 0 || v.type.dtype != .int64 {
            throw TheanoError.typeMismatch("\(self): \(name) must be an int64 scalar, got \(describeVariable(v))")
        }
        let sizes = inputs.prefix(2).map(shapeConstantValue)
        if let bad = sizes.compactMap({ $0 }).first(where: { $0 < 0 }) {
            throw TheanoError.invalidArgument("\(self): sizes must be non-negative, got \(bad)")
        }
        return Apply(op: self, inputs: inputs, outputTypes: [TensorType(dtype, shape: sizes)])
    }

    public func perform(_ node: Apply, _ inputs: [NDArray]) throws -> [NDArray] {
        let (rows, columns, k) = (try inputs[0].item(Int.self), try inputs[1].item(Int.self), try inputs[2].item(Int.self))
        guard rows >= 0, columns >= 0 else {
            throw TheanoError.invalidArgument("\(self): sizes must be non-negative, got \(rows) x \(columns)")
        }
        _ = try checkedProduct([rows, columns], context: description)
        let out = NDArray(zeros: [rows, columns], dtype: dtype)
        func fill<T: NDArrayElement>(_: T.Type) {
            let p = out.storagePointer(as: T.self)
            // Row i holds its one at column i + k, for the rows where that column exists.
            guard k > -rows, k < columns else { return }
            for i in Swift.max(0, -k)..<Swift.min(rows, columns - k) { p[i * columns + i + k] = T.element(fromInt64: 1) }
        }
        fill(dtype.elementType)
        return [out]
    }

    public func inferShape(_ node: Apply, _ inputShapes: [[Variable]]) throws -> [[Variable]] {
        [node.outputTypes[0].shape.enumerated().map { axis, size in size.map(shapeConstant) ?? node.inputs[axis] }]
    }
}
