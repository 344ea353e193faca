import TheanoArray
import TheanoTensor

/// Chooses the loop for one step of a scalar program: a typed loop for the common ops (see
/// `ElementFunctions.swift`), else the reference's closure for the op and dtype.
///
/// `identity`, casts to the same dtype and the rounding functions of integers return their
/// operand and `clip` is two steps: `BlockProgram` handles them before asking here.
enum StepKernels {
    /// The loop of `op` on operands of dtypes `types` (`scalar`: which are single values), or
    /// nil when neither a typed loop nor the reference's closure applies.
    static func kernel(_ op: ScalarOp, _ types: [DType], scalar: [Bool]) -> StepKernel? {
        switch op {
        case .cast(let target):
            return cast(from: types[0], to: target)
        case .where:
            return select(types[1], scalar: scalar)
        case .isnan, .isinf:
            switch types[0] {
            case .float32: return op == .isnan ? StepLoops.unary(FloatIsNaN<Float>.self) : StepLoops.unary(FloatIsInf<Float>.self)
            case .float64: return op == .isnan ? StepLoops.unary(FloatIsNaN<Double>.self) : StepLoops.unary(FloatIsInf<Double>.self)
            case .bool, .uint8, .int8, .int16, .int32, .int64: return StepLoops.fill(false)
            }
        case .not:
            return StepLoops.unary(BoolNot.self)
        case .eq, .neq, .lt, .le, .gt, .ge:
            return compare(op, types[0], scalar: scalar)
        case .identity, .clip:
            return nil  // handled by the program
        case .exp, .exp2, .expm1, .log, .log2, .log10, .log1p, .sqrt, .reciprocal,
             .sin, .cos, .tan, .arcsin, .arccos, .arctan, .sinh, .cosh, .tanh, .arcsinh, .arccosh, .arctanh,
             .erf, .erfc, .gamma, .lgamma, .digamma, .sigmoid, .softplus, .log1mexp,
             .neg, .abs, .sign, .square, .floor, .ceil, .round, .trunc,
             .add, .sub, .mul, .floorDiv, .mod, .pow, .maximum, .minimum, .trueDiv, .arctan2, .logaddexp,
             .and, .or, .xor:
            break
        }
        let t = types[0]
        if op.arity == 1 {
            switch t {
            case .float32: return floatUnary(op, Float.self) ?? op.floatUnary(Float.self).map(StepLoops.unary)
            case .float64: return floatUnary(op, Double.self) ?? op.floatUnary(Double.self).map(StepLoops.unary)
            case .int8: return integerUnary(op, Int8.self)
            case .int16: return integerUnary(op, Int16.self)
            case .int32: return integerUnary(op, Int32.self)
            case .int64: return integerUnary(op, Int64.self)
            case .uint8: return integerUnary(op, UInt8.self)
            case .bool: return nil  // abs of bools is the identity (handled by the program)
            }
        }
        switch t {
        case .float32: return floatBinary(op, Float.self, scalar: scalar) ?? op.floatBinary(Float.self).map { StepLoops.binary($0, scalar: scalar) }
        case .float64: return floatBinary(op, Double.self, scalar: scalar) ?? op.floatBinary(Double.self).map { StepLoops.binary($0, scalar: scalar) }
        case .int8: return integerBinary(op, Int8.self, scalar: scalar)
        case .int16: return integerBinary(op, Int16.self, scalar: scalar)
        case .int32: return integerBinary(op, Int32.self, scalar: scalar)
        case .int64: return integerBinary(op, Int64.self, scalar: scalar)
        case .uint8: return integerBinary(op, UInt8.self, scalar: scalar)
        case .bool:
            switch op {
            case .and, .mul, .minimum: return StepLoops.binary(BoolAnd.self, scalar: scalar)
            case .or, .add, .maximum: return StepLoops.binary(BoolOr.self, scalar: scalar)
            case .xor: return StepLoops.binary(BoolXor.self, scalar: scalar)
            default: return op.logicBinary.map { StepLoops.binary($0, scalar: scalar) }
            }
        }
    }

    /// Whether `op` on `dtype` returns its operand unchanged (no loop needed).
    static func isIdentity(_ op: ScalarOp, _ types: [DType]) -> Bool {
        switch op {
        case .identity: return true
        case .cast(let target): return target == types[0]
        case .floor, .ceil, .round, .trunc: return !types[0].isFloatingPoint
        case .abs: return types[0] == .bool || types[0] == .uint8
        default: return false
        }
    }

    // MARK: By dtype family

    private static func floatUnary<T: KernelFloat>(_ op: ScalarOp, _: T.Type) -> StepKernel? {
        switch op {
        case .neg: return StepLoops.unary(FloatNeg<T>.self)
        case .abs: return StepLoops.unary(FloatAbs<T>.self)
        case .square: return StepLoops.unary(FloatSquare<T>.self)
        case .sqrt: return StepLoops.unary(FloatSqrt<T>.self)
        case .reciprocal: return StepLoops.unary(FloatReciprocal<T>.self)
        case .sign: return StepLoops.unary(FloatSign<T>.self)
        case .floor: return StepLoops.unary(FloatFloor<T>.self)
        case .ceil: return StepLoops.unary(FloatCeil<T>.self)
        case .round: return StepLoops.unary(FloatRound<T>.self)
        case .trunc: return StepLoops.unary(FloatTrunc<T>.self)
        case .exp: return StepLoops.unary(FloatExp<T>.self)
        case .expm1: return StepLoops.unary(FloatExpm1<T>.self)
        case .log: return StepLoops.unary(FloatLog<T>.self)
        case .log1p: return StepLoops.unary(FloatLog1p<T>.self)
        case .sin: return StepLoops.unary(FloatSin<T>.self)
        case .cos: return StepLoops.unary(FloatCos<T>.self)
        case .tanh: return StepLoops.unary(FloatTanh<T>.self)
        case .sigmoid: return StepLoops.unary(FloatSigmoid<T>.self)
        case .softplus: return StepLoops.unary(FloatSoftplus<T>.self)
        default: return nil  // the reference's closure
        }
    }

    private static func floatBinary<T: KernelFloat>(_ op: ScalarOp, _: T.Type, scalar: [Bool]) -> StepKernel? {
        switch op {
        case .add: return StepLoops.binary(FloatAdd<T>.self, scalar: scalar)
        case .sub: return StepLoops.binary(FloatSub<T>.self, scalar: scalar)
        case .mul: return StepLoops.binary(FloatMul<T>.self, scalar: scalar)
        case .trueDiv: return StepLoops.binary(FloatDiv<T>.self, scalar: scalar)
        case .maximum: return StepLoops.binary(FloatMaximum<T>.self, scalar: scalar)
        case .minimum: return StepLoops.binary(FloatMinimum<T>.self, scalar: scalar)
        default: return nil  // the reference's closure
        }
    }

    private static func integerUnary<T: KernelInteger>(_ op: ScalarOp, _: T.Type) -> StepKernel? {
        switch op {
        case .neg: return StepLoops.unary(IntNeg<T>.self)
        case .abs: return StepLoops.unary(IntAbs<T>.self)
        case .square: return StepLoops.unary(IntSquare<T>.self)
        case .sign: return StepLoops.unary(IntSign<T>.self)
        default: return op.integerUnary(T.self).map(StepLoops.unary)
        }
    }

    private static func integerBinary<T: KernelInteger>(_ op: ScalarOp, _: T.Type, scalar: [Bool]) -> StepKernel? {
        switch op {
        case .add: return StepLoops.binary(IntAdd<T>.self, scalar: scalar)
        case .sub: return StepLoops.binary(IntSub<T>.self, scalar: scalar)
        case .mul: return StepLoops.binary(IntMul<T>.self, scalar: scalar)
        case .maximum: return StepLoops.binary(IntMaximum<T>.self, scalar: scalar)
        case .minimum: return StepLoops.binary(IntMinimum<T>.self, scalar: scalar)
        default: return op.integerBinary(T.self).map { StepLoops.binary($0, scalar: scalar) }
        }
    }

    private static func compare(_ op: ScalarOp, _ dtype: DType, scalar: [Bool]) -> StepKernel? {
        func typed<T: Comparable>(_: T.Type) -> StepKernel? {
            switch op {
            case .eq: return StepLoops.binary(Equal<T>.self, scalar: scalar)
            case .neq: return StepLoops.binary(NotEqual<T>.self, scalar: scalar)
            case .lt: return StepLoops.binary(Less<T>.self, scalar: scalar)
            case .le: return StepLoops.binary(LessEqual<T>.self, scalar: scalar)
            case .gt: return StepLoops.binary(Greater<T>.self, scalar: scalar)
            case .ge: return StepLoops.binary(GreaterEqual<T>.self, scalar: scalar)
            default: return nil
            }
        }
        switch dtype {
        case .float32: return typed(Float.self)
        case .float64: return typed(Double.self)
        case .int8: return typed(Int8.self)
        case .int16: return typed(Int16.self)
        case .int32: return typed(Int32.self)
        case .int64: return typed(Int64.self)
        case .uint8, .bool: return typed(UInt8.self)  // bools are the bytes 0 and 1
        }
    }

    private static func select(_ dtype: DType, scalar: [Bool]) -> StepKernel {
        switch dtype.byteSize {
        case 1: return StepLoops.select(UInt8.self, scalar: scalar)
        case 2: return StepLoops.select(UInt16.self, scalar: scalar)
        case 4: return StepLoops.select(UInt32.self, scalar: scalar)
        default: return StepLoops.select(UInt64.self, scalar: scalar)
        }
    }

    // MARK: Casts

    private static func cast(from source: DType, to target: DType) -> StepKernel {
        switch source {
        case .bool: return castFromBool(to: target)
        case .uint8: return castFromInteger(UInt8.self, to: target)
        case .int8: return castFromInteger(Int8.self, to: target)
        case .int16: return castFromInteger(Int16.self, to: target)
        case .int32: return castFromInteger(Int32.self, to: target)
        case .int64: return castFromInteger(Int64.self, to: target)
        case .float32: return castFromFloat(Float.self, to: target)
        case .float64: return castFromFloat(Double.self, to: target)
        }
    }

    private static func castFromFloat<S: KernelFloat>(_: S.Type, to target: DType) -> StepKernel {
        switch target {
        case .bool: return StepLoops.unary(FloatToBool<S>.self)
        case .uint8: return StepLoops.unary(FloatToInt<S, UInt8>.self)
        case .int8: return StepLoops.unary(FloatToInt<S, Int8>.self)
        case .int16: return StepLoops.unary(FloatToInt<S, Int16>.self)
        case .int32: return StepLoops.unary(FloatToInt<S, Int32>.self)
        case .int64: return StepLoops.unary(FloatToInt<S, Int64>.self)
        case .float32: return StepLoops.unary(FloatToFloat<S, Float>.self)
        case .float64: return StepLoops.unary(FloatToFloat<S, Double>.self)
        }
    }

    private static func castFromInteger<S: KernelInteger>(_: S.Type, to target: DType) -> StepKernel {
        switch target {
        case .bool: return StepLoops.unary(IntToBool<S>.self)
        case .uint8: return StepLoops.unary(IntToInt<S, UInt8>.self)
        case .int8: return StepLoops.unary(IntToInt<S, Int8>.self)
        case .int16: return StepLoops.unary(IntToInt<S, Int16>.self)
        case .int32: return StepLoops.unary(IntToInt<S, Int32>.self)
        case .int64: return StepLoops.unary(IntToInt<S, Int64>.self)
        case .float32: return StepLoops.unary(IntToFloat<S, Float>.self)
        case .float64: return StepLoops.unary(IntToFloat<S, Double>.self)
        }
    }

    private static func castFromBool(to target: DType) -> StepKernel {
        switch target {
        case .bool: return StepLoops.unary(BoolToBool.self)
        case .uint8: return StepLoops.unary(BoolToNumber<UInt8>.self)
        case .int8: return StepLoops.unary(BoolToNumber<Int8>.self)
        case .int16: return StepLoops.unary(BoolToNumber<Int16>.self)
        case .int32: return StepLoops.unary(BoolToNumber<Int32>.self)
        case .int64: return StepLoops.unary(BoolToNumber<Int64>.self)
        case .float32: return StepLoops.unary(BoolToNumber<Float>.self)
        case .float64: return StepLoops.unary(BoolToNumber<Double>.self)
        }
    }
}

/// bool to bool: never reached (a cast to the same dtype is the identity), kept so the cast
/// table is total.
private enum BoolToBool: UnaryFunction { static func apply(_ a: Bool) -> Bool { a } }
