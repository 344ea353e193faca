import Foundation
import TheanoArray

/// The element functions that have typed loops, written exactly as the reference computes them
/// (`ScalarOp+Reference.swift`): the same expressions, the same libm functions, so results are
/// bitwise the reference's.

/// float32 and float64, with the libm functions the reference calls (swift-numerics' `Float.exp`
/// is `expf`).
protocol KernelFloat: BinaryFloatingPoint, NDArrayElement {
    static func libmExp(_ x: Self) -> Self
    static func libmExpm1(_ x: Self) -> Self
    static func libmLog(_ x: Self) -> Self
    static func libmLog1p(_ x: Self) -> Self
    static func libmSin(_ x: Self) -> Self
    static func libmCos(_ x: Self) -> Self
    static func libmTanh(_ x: Self) -> Self
}

extension Float: KernelFloat {
    @inline(__always) static func libmExp(_ x: Float) -> Float { expf(x) }
    @inline(__always) static func libmExpm1(_ x: Float) -> Float { expm1f(x) }
    @inline(__always) static func libmLog(_ x: Float) -> Float { logf(x) }
    @inline(__always) static func libmLog1p(_ x: Float) -> Float { log1pf(x) }
    @inline(__always) static func libmSin(_ x: Float) -> Float { sinf(x) }
    @inline(__always) static func libmCos(_ x: Float) -> Float { cosf(x) }
    @inline(__always) static func libmTanh(_ x: Float) -> Float { tanhf(x) }
}

extension Double: KernelFloat {
    @inline(__always) static func libmExp(_ x: Double) -> Double { exp(x) }
    @inline(__always) static func libmExpm1(_ x: Double) -> Double { expm1(x) }
    @inline(__always) static func libmLog(_ x: Double) -> Double { log(x) }
    @inline(__always) static func libmLog1p(_ x: Double) -> Double { log1p(x) }
    @inline(__always) static func libmSin(_ x: Double) -> Double { sin(x) }
    @inline(__always) static func libmCos(_ x: Double) -> Double { cos(x) }
    @inline(__always) static func libmTanh(_ x: Double) -> Double { tanh(x) }
}

/// The integer dtypes (bool is not one).
typealias KernelInteger = FixedWidthInteger & NDArrayElement

// MARK: Floats, one argument

enum FloatNeg<T: KernelFloat>: UnaryFunction { @inline(__always) static func apply(_ a: T) -> T { -a } }
enum FloatAbs<T: KernelFloat>: UnaryFunction { @inline(__always) static func apply(_ a: T) -> T { Swift.abs(a) } }
enum FloatSquare<T: KernelFloat>: UnaryFunction { @inline(__always) static func apply(_ a: T) -> T { a * a } }
enum FloatSqrt<T: KernelFloat>: UnaryFunction { @inline(__always) static func apply(_ a: T) -> T { a.squareRoot() } }
enum FloatReciprocal<T: KernelFloat>: UnaryFunction { @inline(__always) static func apply(_ a: T) -> T { 1 / a } }
enum FloatSign<T: KernelFloat>: UnaryFunction {
    @inline(__always) static func apply(_ x: T) -> T { x > 0 ? 1 : (x < 0 ? -1 : (x == 0 ? 0 : x)) }
}
enum FloatFloor<T: KernelFloat>: UnaryFunction { @inline(__always) static func apply(_ a: T) -> T { a.rounded(.down) } }
enum FloatCeil<T: KernelFloat>: UnaryFunction { @inline(__always) static func apply(_ a: T) -> T { a.rounded(.up) } }
enum FloatRound<T: KernelFloat>: UnaryFunction { @inline(__always) static func apply(_ a: T) -> T { a.rounded(.toNearestOrEven) } }
enum FloatTrunc<T: KernelFloat>: UnaryFunction { @inline(__always) static func apply(_ a: T) -> T { a.rounded(.towardZero) } }
enum FloatExp<T: KernelFloat>: UnaryFunction { @inline(__always) static func apply(_ a: T) -> T { T.libmExp(a) } }
enum FloatExpm1<T: KernelFloat>: UnaryFunction { @inline(__always) static func apply(_ a: T) -> T { T.libmExpm1(a) } }
enum FloatLog<T: KernelFloat>: UnaryFunction { @inline(__always) static func apply(_ a: T) -> T { T.libmLog(a) } }
enum FloatLog1p<T: KernelFloat>: UnaryFunction { @inline(__always) static func apply(_ a: T) -> T { T.libmLog1p(a) } }
enum FloatSin<T: KernelFloat>: UnaryFunction { @inline(__always) static func apply(_ a: T) -> T { T.libmSin(a) } }
enum FloatCos<T: KernelFloat>: UnaryFunction { @inline(__always) static func apply(_ a: T) -> T { T.libmCos(a) } }
enum FloatTanh<T: KernelFloat>: UnaryFunction { @inline(__always) static func apply(_ a: T) -> T { T.libmTanh(a) } }
enum FloatSigmoid<T: KernelFloat>: UnaryFunction {
    // The reference's two branches; exp(x) is computed once (the same value as twice).
    @inline(__always) static func apply(_ x: T) -> T {
        if x >= 0 { return 1 / (1 + T.libmExp(-x)) }
        let e = T.libmExp(x)
        return e / (1 + e)
    }
}
enum FloatSoftplus<T: KernelFloat>: UnaryFunction {
    @inline(__always) static func apply(_ x: T) -> T {
        x.isNaN ? x : Swift.max(x, 0) + T.libmLog1p(T.libmExp(-Swift.abs(x)))
    }
}
enum FloatIsNaN<T: KernelFloat>: UnaryFunction { @inline(__always) static func apply(_ a: T) -> Bool { a.isNaN } }
enum FloatIsInf<T: KernelFloat>: UnaryFunction { @inline(__always) static func apply(_ a: T) -> Bool { a.isInfinite } }

// MARK: Floats, two arguments

enum FloatAdd<T: KernelFloat>: BinaryFunction { @inline(__always) static func apply(_ a: T, _ b: T) -> T { a + b } }
enum FloatSub<T: KernelFloat>: BinaryFunction { @inline(__always) static func apply(_ a: T, _ b: T) -> T { a - b } }
enum FloatMul<T: KernelFloat>: BinaryFunction { @inline(__always) static func apply(_ a: T, _ b: T) -> T { a * b } }
enum FloatDiv<T: KernelFloat>: BinaryFunction { @inline(__always) static func apply(_ a: T, _ b: T) -> T { a / b } }
/// NaN propagates (as in NumPy); otherwise `Swift.max`, as the reference.
enum FloatMaximum<T: KernelFloat>: BinaryFunction {
    @inline(__always) static func apply(_ a: T, _ b: T) -> T { a.isNaN || b.isNaN ? T.nan : (b >= a ? b : a) }
}
enum FloatMinimum<T: KernelFloat>: BinaryFunction {
    @inline(__always) static func apply(_ a: T, _ b: T) -> T { a.isNaN || b.isNaN ? T.nan : (b < a ? b : a) }
}

// MARK: Integers (wrapping)

enum IntNeg<T: KernelInteger>: UnaryFunction { @inline(__always) static func apply(_ a: T) -> T { 0 &- a } }
enum IntAbs<T: KernelInteger>: UnaryFunction { @inline(__always) static func apply(_ a: T) -> T { a < 0 ? 0 &- a : a } }
enum IntSquare<T: KernelInteger>: UnaryFunction { @inline(__always) static func apply(_ a: T) -> T { a &* a } }
enum IntSign<T: KernelInteger>: UnaryFunction {
    @inline(__always) static func apply(_ x: T) -> T { x > 0 ? 1 : (x < 0 ? 0 &- 1 : 0) }
}
enum IntAdd<T: KernelInteger>: BinaryFunction { @inline(__always) static func apply(_ a: T, _ b: T) -> T { a &+ b } }
enum IntSub<T: KernelInteger>: BinaryFunction { @inline(__always) static func apply(_ a: T, _ b: T) -> T { a &- b } }
enum IntMul<T: KernelInteger>: BinaryFunction { @inline(__always) static func apply(_ a: T, _ b: T) -> T { a &* b } }
enum IntMaximum<T: KernelInteger>: BinaryFunction { @inline(__always) static func apply(_ a: T, _ b: T) -> T { b >= a ? b : a } }
enum IntMinimum<T: KernelInteger>: BinaryFunction { @inline(__always) static func apply(_ a: T, _ b: T) -> T { b < a ? b : a } }

// MARK: Bools (one byte, 0 or 1)

enum BoolNot: UnaryFunction { @inline(__always) static func apply(_ a: Bool) -> Bool { !a } }
enum BoolAnd: BinaryFunction { @inline(__always) static func apply(_ a: Bool, _ b: Bool) -> Bool { a && b } }
enum BoolOr: BinaryFunction { @inline(__always) static func apply(_ a: Bool, _ b: Bool) -> Bool { a || b } }
enum BoolXor: BinaryFunction { @inline(__always) static func apply(_ a: Bool, _ b: Bool) -> Bool { a != b } }

// MARK: Comparisons (bools compare as the bytes 0 and 1, as the reference compares them)

enum Equal<T: Comparable>: BinaryFunction { @inline(__always) static func apply(_ a: T, _ b: T) -> Bool { a == b } }
enum NotEqual<T: Comparable>: BinaryFunction { @inline(__always) static func apply(_ a: T, _ b: T) -> Bool { a != b } }
enum Less<T: Comparable>: BinaryFunction { @inline(__always) static func apply(_ a: T, _ b: T) -> Bool { a < b } }
enum LessEqual<T: Comparable>: BinaryFunction { @inline(__always) static func apply(_ a: T, _ b: T) -> Bool { a <= b } }
enum Greater<T: Comparable>: BinaryFunction { @inline(__always) static func apply(_ a: T, _ b: T) -> Bool { a > b } }
enum GreaterEqual<T: Comparable>: BinaryFunction { @inline(__always) static func apply(_ a: T, _ b: T) -> Bool { a >= b } }

// MARK: Casts (the rules of `NDArrayElement`: floats truncate toward zero, NaN gives 0,
// out-of-range values saturate to int64 and then wrap; bool is `!= 0`)

enum FloatToFloat<S: KernelFloat, D: KernelFloat>: UnaryFunction { @inline(__always) static func apply(_ a: S) -> D { D(a) } }
enum FloatToInt<S: KernelFloat, D: KernelInteger>: UnaryFunction {
    @inline(__always) static func apply(_ a: S) -> D {
        let x = Double(a)
        let wide: Int64 = x.isNaN ? 0 : (x >= 9.2233720368547758e18 ? .max : (x <= -9.2233720368547758e18 ? .min : Int64(x)))
        return D(truncatingIfNeeded: wide)
    }
}
enum IntToFloat<S: KernelInteger, D: KernelFloat>: UnaryFunction {
    @inline(__always) static func apply(_ a: S) -> D { D(Int64(truncatingIfNeeded: a)) }
}
enum IntToInt<S: KernelInteger, D: KernelInteger>: UnaryFunction {
    @inline(__always) static func apply(_ a: S) -> D { D(truncatingIfNeeded: a) }
}
enum FloatToBool<S: KernelFloat>: UnaryFunction { @inline(__always) static func apply(_ a: S) -> Bool { a != 0 } }
enum IntToBool<S: KernelInteger>: UnaryFunction { @inline(__always) static func apply(_ a: S) -> Bool { a != 0 } }
enum BoolToNumber<D: Numeric>: UnaryFunction { @inline(__always) static func apply(_ a: Bool) -> D { a ? 1 : 0 } }
