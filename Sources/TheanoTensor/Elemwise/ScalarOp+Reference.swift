import RealModule
import TheanoArray

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The reference meaning of each scalar op, as typed Swift closures. These define what every
/// backend must compute; they follow IEEE arithmetic and NumPy's conventions (NaN propagates
/// through maximum and minimum, `mod` takes the sign of the divisor, round is half to even).
/// Integer arithmetic wraps; integer division or modulo by zero gives 0 instead of trapping.
///
/// Each closure getter lists every op: those it does not apply to return nil, named so that a
/// new op must be placed in each of them. They are `package` so that the compile module's
/// precompiled kernels (`CPU/Precompiled/`) run them, block by block, for ops that have no
/// typed loop of their own.
extension ScalarOp {
    /// The closure for a one-argument op on floats.
    package func floatUnary<T: Real & BinaryFloatingPoint>(_: T.Type) -> ((T) -> T)? {
        switch self {
        case .exp: return { T.exp($0) }
        case .exp2: return { T.exp2($0) }
        case .expm1: return { T.expMinusOne($0) }
        case .log: return { T.log($0) }
        case .log2: return { T.log2($0) }
        case .log10: return { T.log10($0) }
        case .log1p: return { T.log(onePlus: $0) }
        case .sqrt: return { $0.squareRoot() }
        case .reciprocal: return { 1 / $0 }
        case .sin: return { T.sin($0) }
        case .cos: return { T.cos($0) }
        case .tan: return { T.tan($0) }
        case .arcsin: return { T.asin($0) }
        case .arccos: return { T.acos($0) }
        case .arctan: return { T.atan($0) }
        case .sinh: return { T.sinh($0) }
        case .cosh: return { T.cosh($0) }
        case .tanh: return { T.tanh($0) }
        case .arcsinh: return { T.asinh($0) }
        case .arccosh: return { T.acosh($0) }
        case .arctanh: return { T.atanh($0) }
        case .erf: return { T.erf($0) }
        case .erfc: return { T.erfc($0) }
        case .gamma: return { T.gamma($0) }
        case .lgamma: return { T.logGamma($0) }
        case .digamma: return { T(digammaValue(Double($0))) }
        case .sigmoid:
            // Stable on both sides: never exp of a large positive number.
            return { x in x >= 0 ? 1 / (1 + T.exp(-x)) : T.exp(x) / (1 + T.exp(x)) }
        case .softplus:
            // log(1 + exp(x)) = max(x, 0) + log1p(exp(-|x|)).
            return { x in x.isNaN ? x : Swift.max(x, 0) + T.log(onePlus: T.exp(-Swift.abs(x))) }
        case .log1mexp:
            // log(1 - e^x): log(-expm1(x)) near 0, log1p(-exp(x)) below -ln 2 (Maechler 2012).
            // NaN for x > 0, -inf at 0.
            return { x in x > -T(0.6931471805599453) ? T.log(-T.expMinusOne(x)) : T.log(onePlus: -T.exp(x)) }
        case .neg: return { -$0 }
        case .abs: return { Swift.abs($0) }
        case .sign: return { x in x > 0 ? 1 : (x < 0 ? -1 : (x == 0 ? 0 : x)) }  // sign(-0) = +0, NaN stays
        case .square: return { $0 * $0 }
        case .floor: return { $0.rounded(.down) }
        case .ceil: return { $0.rounded(.up) }
        case .round: return { $0.rounded(.toNearestOrEven) }
        case .trunc: return { $0.rounded(.towardZero) }
        case .identity: return { $0 }
        case .add, .sub, .mul, .floorDiv, .mod, .pow, .maximum, .minimum, .trueDiv, .arctan2, .logaddexp,
             .eq, .neq, .lt, .le, .gt, .ge, .and, .or, .xor, .not, .isnan, .isinf, .where, .clip, .cast:
            return nil
        }
    }

    /// The closure for a two-argument op on floats.
    package func floatBinary<T: Real & BinaryFloatingPoint>(_: T.Type) -> ((T, T) -> T)? {
        switch self {
        case .add: return { $0 + $1 }
        case .sub: return { $0 - $1 }
        case .mul: return { $0 * $1 }
        case .trueDiv: return { $0 / $1 }
        case .floorDiv: return { a, b in floatDivMod(a, b).div }
        case .mod: return { a, b in floatDivMod(a, b).mod }
        case .pow: return { a, b in T(cPow(Double(a), Double(b))) }
        case .maximum: return { a, b in a.isNaN || b.isNaN ? T.nan : Swift.max(a, b) }
        case .minimum: return { a, b in a.isNaN || b.isNaN ? T.nan : Swift.min(a, b) }
        case .arctan2: return { T.atan2(y: $0, x: $1) }
        case .logaddexp:
            // log(e^a + e^b) as NumPy computes it: the larger argument plus log1p of the
            // smaller exponential; equal arguments (infinities included) give a + ln 2.
            return { a, b in
                if a == b { return a + T(0.6931471805599453) }
                let d = a - b
                if d > 0 { return a + T.log(onePlus: T.exp(-d)) }
                if d <= 0 { return b + T.log(onePlus: T.exp(d)) }
                return d  // NaN
            }
        case .exp, .exp2, .expm1, .log, .log2, .log10, .log1p, .sqrt, .reciprocal,
             .sin, .cos, .tan, .arcsin, .arccos, .arctan, .sinh, .cosh, .tanh, .arcsinh, .arccosh, .arctanh,
             .erf, .erfc, .gamma, .lgamma, .digamma, .sigmoid, .softplus, .log1mexp,
             .neg, .abs, .sign, .square, .floor, .ceil, .round, .trunc,
             .eq, .neq, .lt, .le, .gt, .ge, .and, .or, .xor, .not, .isnan, .isinf, .where, .clip, .cast, .identity:
            return nil
        }
    }

    /// The closure for a one-argument op on integers.
    package func integerUnary<T: FixedWidthInteger>(_: T.Type) -> ((T) -> T)? {
        switch self {
        case .neg: return { 0 &- $0 }
        case .abs: return { x in x < 0 ? 0 &- x : x }
        case .sign: return { x in x > 0 ? 1 : (x < 0 ? 0 &- 1 : 0) }
        case .square: return { $0 &* $0 }
        case .floor, .ceil, .round, .trunc, .identity: return { $0 }
        case .exp, .exp2, .expm1, .log, .log2, .log10, .log1p, .sqrt, .reciprocal,
             .sin, .cos, .tan, .arcsin, .arccos, .arctan, .sinh, .cosh, .tanh, .arcsinh, .arccosh, .arctanh,
             .erf, .erfc, .gamma, .lgamma, .digamma, .sigmoid, .softplus, .log1mexp,
             .add, .sub, .mul, .floorDiv, .mod, .pow, .maximum, .minimum, .trueDiv, .arctan2, .logaddexp,
             .eq, .neq, .lt, .le, .gt, .ge, .and, .or, .xor, .not, .isnan, .isinf, .where, .clip, .cast:
            return nil
        }
    }

    /// The closure for a two-argument op on integers; integer `pow` with a negative exponent
    /// throws (as NumPy does).
    package func integerBinary<T: FixedWidthInteger>(_: T.Type) -> ((T, T) throws -> T)? {
        switch self {
        case .add: return { $0 &+ $1 }
        case .sub: return { $0 &- $1 }
        case .mul: return { $0 &* $1 }
        case .floorDiv: return { a, b in integerDivMod(a, b).div }
        case .mod: return { a, b in integerDivMod(a, b).mod }
        case .maximum: return { Swift.max($0, $1) }
        case .minimum: return { Swift.min($0, $1) }
        case .pow:
            return { base, exponent in
                if exponent < 0 {
                    throw TheanoError.invalidArgument("pow: integers to negative integer powers are not allowed (got exponent \(exponent)); cast to a float dtype first")
                }
                var result: T = 1, b = base, e = exponent
                while e > 0 {
                    if e & 1 == 1 { result = result &* b }
                    b = b &* b
                    e >>= 1
                }
                return result
            }
        case .exp, .exp2, .expm1, .log, .log2, .log10, .log1p, .sqrt, .reciprocal,
             .sin, .cos, .tan, .arcsin, .arccos, .arctan, .sinh, .cosh, .tanh, .arcsinh, .arccosh, .arctanh,
             .erf, .erfc, .gamma, .lgamma, .digamma, .sigmoid, .softplus, .log1mexp, .trueDiv, .arctan2, .logaddexp,
             .neg, .abs, .sign, .square, .floor, .ceil, .round, .trunc,
             .eq, .neq, .lt, .le, .gt, .ge, .and, .or, .xor, .not, .isnan, .isinf, .where, .clip, .cast, .identity:
            return nil
        }
    }

    /// The closure for a comparison.
    package func comparison<T: Comparable>(_: T.Type) -> ((T, T) -> Bool)? {
        switch self {
        case .eq: return { $0 == $1 }
        case .neq: return { $0 != $1 }
        case .lt: return { $0 < $1 }
        case .le: return { $0 <= $1 }
        case .gt: return { $0 > $1 }
        case .ge: return { $0 >= $1 }
        case .exp, .exp2, .expm1, .log, .log2, .log10, .log1p, .sqrt, .reciprocal,
             .sin, .cos, .tan, .arcsin, .arccos, .arctan, .sinh, .cosh, .tanh, .arcsinh, .arccosh, .arctanh,
             .erf, .erfc, .gamma, .lgamma, .digamma, .sigmoid, .softplus, .log1mexp,
             .neg, .abs, .sign, .square, .floor, .ceil, .round, .trunc,
             .add, .sub, .mul, .floorDiv, .mod, .pow, .maximum, .minimum, .trueDiv, .arctan2, .logaddexp,
             .and, .or, .xor, .not, .isnan, .isinf, .where, .clip, .cast, .identity:
            return nil
        }
    }

    /// The closure for a logical op of two bools.
    package var logicBinary: ((Bool, Bool) -> Bool)? {
        switch self {
        case .and, .mul, .minimum: return { $0 && $1 }
        case .or, .add, .maximum: return { $0 || $1 }
        case .xor: return { $0 != $1 }
        case .eq: return { $0 == $1 }
        case .neq: return { $0 != $1 }
        case .exp, .exp2, .expm1, .log, .log2, .log10, .log1p, .sqrt, .reciprocal,
             .sin, .cos, .tan, .arcsin, .arccos, .arctan, .sinh, .cosh, .tanh, .arcsinh, .arccosh, .arctanh,
             .erf, .erfc, .gamma, .lgamma, .digamma, .sigmoid, .softplus, .log1mexp,
             .neg, .abs, .sign, .square, .floor, .ceil, .round, .trunc, .sub, .floorDiv, .mod, .pow, .trueDiv, .arctan2, .logaddexp,
             .lt, .le, .gt, .ge, .not, .isnan, .isinf, .where, .clip, .cast, .identity:
            return nil
        }
    }
}

@inline(__always)
func cPow(_ a: Double, _ b: Double) -> Double {
    #if canImport(Glibc)
    return Glibc.pow(a, b)
    #else
    return Darwin.pow(a, b)
    #endif
}

/// NumPy's floating-point divmod: `div` is floor(a / b) computed so that `a == div * b + mod`
/// as nearly as rounding allows, `mod` has the sign of `b`.
@inline(__always)
func floatDivMod<T: Real & BinaryFloatingPoint>(_ a: T, _ b: T) -> (div: T, mod: T) {
    if b == 0 { return (a / b, T.nan) }
    var mod = a.truncatingRemainder(dividingBy: b)
    var div = (a - mod) / b
    if mod != 0 {
        if (b < 0) != (mod < 0) {
            mod += b
            div -= 1
        }
    } else {
        mod = T(signOf: b, magnitudeOf: 0)
    }
    var floorDiv: T
    if div != 0 {
        floorDiv = div.rounded(.down)
        if div - floorDiv > 0.5 { floorDiv += 1 }
    } else {
        floorDiv = T(signOf: a / b, magnitudeOf: 0)
    }
    return (floorDiv, mod)
}

/// Python's integer divmod (floor division, remainder with the divisor's sign), wrapping on
/// overflow and giving (0, 0) for division by zero.
@inline(__always)
func integerDivMod<T: FixedWidthInteger>(_ a: T, _ b: T) -> (div: T, mod: T) {
    if b == 0 { return (0, 0) }
    let (q, overflow) = a.dividedReportingOverflow(by: b)
    if overflow { return (q, 0) }
    var div = q
    var mod = a &- q &* b
    if mod != 0 && ((mod < 0) != (b < 0)) {
        div = div &- 1
        mod = mod &+ b
    }
    return (div, mod)
}

/// The digamma function psi(x) = d/dx log(gamma(x)), to about 1e-15 relative accuracy:
/// reflection for negative arguments, recurrence up to x >= 10, then the asymptotic series.
/// Poles (0, -1, -2, ...) give NaN, like SciPy.
func digammaValue(_ input: Double) -> Double {
    var x = input
    if x.isNaN || x == -.infinity { return .nan }
    if x == .infinity { return .infinity }
    var result = 0.0
    if x <= 0 {
        if x == x.rounded(.down) { return .nan }
        // psi(1 - x) - psi(x) = pi / tan(pi x)
        result -= Double.pi / Double.tan(Double.pi * x)
        x = 1 - x
    }
    while x < 10 {
        result -= 1 / x
        x += 1
    }
    let inv = 1 / x, inv2 = inv * inv
    let series = inv2 * (1.0 / 12 - inv2 * (1.0 / 120 - inv2 * (1.0 / 252 - inv2 * (1.0 / 240 - inv2 * (1.0 / 132)))))
    return result + Double.log(x) - 0.5 * inv - series
}
