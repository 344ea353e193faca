import RealModule
import TheanoArray

/// Evaluates a scalar op over inputs that already share one shape (broadcast views are fine).
/// This is the reference elementwise kernel.
func evaluateScalarOp(_ op: ScalarOp, _ inputs: [NDArray]) throws -> NDArray {
    switch op {
    case .cast(let target):
        return inputs[0].dtype == target ? freshCopy(inputs[0]) : inputs[0].astype(target)
    case .identity:
        return freshCopy(inputs[0])
    case .where:
        func select<T: NDArrayElement>(_: T.Type) -> NDArray {
            mapElements(inputs[0], inputs[1], inputs[2], Bool.self, T.self, T.self, T.self) { $0 ? $1 : $2 }
        }
        return select(inputs[1].dtype.elementType)
    case .clip:
        return try evaluateScalarOp(.minimum, [try evaluateScalarOp(.maximum, [inputs[0], inputs[1]]), inputs[2]])
    case .isnan, .isinf:
        let isNaN = op == .isnan
        switch inputs[0].dtype {
        case .float32: return mapElements(inputs[0], Float.self, Bool.self) { isNaN ? $0.isNaN : $0.isInfinite }
        case .float64: return mapElements(inputs[0], Double.self, Bool.self) { isNaN ? $0.isNaN : $0.isInfinite }
        case .bool, .uint8, .int8, .int16, .int32, .int64: return NDArray(zeros: inputs[0].shape, dtype: .bool)
        }
    case .not:
        return mapElements(inputs[0], Bool.self, Bool.self) { !$0 }
    case .exp, .exp2, .expm1, .log, .log2, .log10, .log1p, .sqrt, .reciprocal,
         .sin, .cos, .tan, .arcsin, .arccos, .arctan, .sinh, .cosh, .tanh, .arcsinh, .arccosh, .arctanh,
         .erf, .erfc, .gamma, .lgamma, .digamma, .sigmoid, .softplus, .log1mexp,
         .neg, .abs, .sign, .square, .floor, .ceil, .round, .trunc,
         .add, .sub, .mul, .floorDiv, .mod, .pow, .maximum, .minimum, .trueDiv, .arctan2, .logaddexp,
         .eq, .neq, .lt, .le, .gt, .ge, .and, .or, .xor:
        // Ops of inputs that share one dtype: by arity and dtype below.
        break
    }
    let dtype = inputs[0].dtype
    if op.arity == 1 {
        switch dtype {
        case .float32: return try unary(op, inputs[0], Float.self)
        case .float64: return try unary(op, inputs[0], Double.self)
        case .int8: return try integerUnary(op, inputs[0], Int8.self)
        case .int16: return try integerUnary(op, inputs[0], Int16.self)
        case .int32: return try integerUnary(op, inputs[0], Int32.self)
        case .int64: return try integerUnary(op, inputs[0], Int64.self)
        case .uint8: return try integerUnary(op, inputs[0], UInt8.self)
        case .bool:
            guard op == .abs else { throw unsupported(op, dtype) }
            return freshCopy(inputs[0])
        }
    }
    let (a, b) = (inputs[0], inputs[1])
    if op.kind == .comparison {
        switch dtype {
        case .float32: return try compare(op, a, b, Float.self)
        case .float64: return try compare(op, a, b, Double.self)
        case .int8: return try compare(op, a, b, Int8.self)
        case .int16: return try compare(op, a, b, Int16.self)
        case .int32: return try compare(op, a, b, Int32.self)
        case .int64: return try compare(op, a, b, Int64.self)
        case .uint8: return try compare(op, a, b, UInt8.self)
        case .bool: return try compare(op, a.astype(.uint8), b.astype(.uint8), UInt8.self)
        }
    }
    switch dtype {
    case .float32: return try binary(op, a, b, Float.self)
    case .float64: return try binary(op, a, b, Double.self)
    case .int8: return try integerBinary(op, a, b, Int8.self)
    case .int16: return try integerBinary(op, a, b, Int16.self)
    case .int32: return try integerBinary(op, a, b, Int32.self)
    case .int64: return try integerBinary(op, a, b, Int64.self)
    case .uint8: return try integerBinary(op, a, b, UInt8.self)
    case .bool:
        guard let f = op.logicBinary else { throw unsupported(op, dtype) }
        return mapElements(a, b, Bool.self, Bool.self, Bool.self, f)
    }
}

/// A new C-contiguous array with the values of `x` (outputs never alias inputs).
private func freshCopy(_ x: NDArray) -> NDArray {
    func copy<T: NDArrayElement>(_: T.Type) -> NDArray { mapElements(x, T.self, T.self) { $0 } }
    return copy(x.dtype.elementType)
}

private func unsupported(_ op: ScalarOp, _ dtype: DType) -> TheanoError {
    TheanoError.typeMismatch("\(op) is not defined for dtype \(dtype)")
}

private func unary<T: Real & BinaryFloatingPoint & NDArrayElement>(_ op: ScalarOp, _ x: NDArray, _: T.Type) throws -> NDArray {
    guard let f = op.floatUnary(T.self) else { throw unsupported(op, x.dtype) }
    return mapElements(x, T.self, T.self, f)
}

private func integerUnary<T: FixedWidthInteger & NDArrayElement>(_ op: ScalarOp, _ x: NDArray, _: T.Type) throws -> NDArray {
    guard let f = op.integerUnary(T.self) else { throw unsupported(op, x.dtype) }
    return mapElements(x, T.self, T.self, f)
}

private func binary<T: Real & BinaryFloatingPoint & NDArrayElement>(_ op: ScalarOp, _ a: NDArray, _ b: NDArray, _: T.Type) throws -> NDArray {
    guard let f = op.floatBinary(T.self) else { throw unsupported(op, a.dtype) }
    return mapElements(a, b, T.self, T.self, T.self, f)
}

private func integerBinary<T: FixedWidthInteger & NDArrayElement>(_ op: ScalarOp, _ a: NDArray, _ b: NDArray, _: T.Type) throws -> NDArray {
    guard let f = op.integerBinary(T.self) else { throw unsupported(op, a.dtype) }
    return try mapElements(a, b, T.self, T.self, T.self, f)
}

private func compare<T: Comparable & NDArrayElement>(_ op: ScalarOp, _ a: NDArray, _ b: NDArray, _: T.Type) throws -> NDArray {
    guard let f = op.comparison(T.self) else { throw unsupported(op, a.dtype) }
    return mapElements(a, b, T.self, T.self, Bool.self, f)
}
