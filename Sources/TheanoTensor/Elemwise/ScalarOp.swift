import TheanoArray

/// The closed set of scalar functions that elementwise nodes apply.
///
/// An ``Elemwise`` node applies one `ScalarOp` to every element of its (broadcast) inputs; a
/// fused ``Composite`` node applies a small program of them. Each case states its arity and its
/// dtype rule (``outputDType(_:)``, in `ScalarOp+DTypes.swift`); the reference meaning is in
/// `ScalarOp+Reference.swift`, the gradient in `Elemwise+Gradient.swift`, the C code in the
/// compile module's `Codegen` folder.
///
/// Every switch over `ScalarOp` in those places is exhaustive (no `default:`), so a new case
/// does not compile until each of them says what it means for it. ``allCases`` lists every op
/// (`cast` once per dtype), derived from ``Tag``, for tests that must cover them all.
///
/// Inputs of a scalar op share one dtype, except `where` (a bool condition) and `cast`. The
/// user-facing functions (``add(_:_:)``, ``exp(_:)``, ...) insert the casts that NumPy's
/// promotion rules call for, so the ops themselves stay simple.
public enum ScalarOp: Hashable, Sendable, CustomStringConvertible {
    // Floating-point functions of one argument (float input, same dtype out).
    case exp, exp2, expm1, log, log2, log10, log1p, sqrt, reciprocal
    case sin, cos, tan, arcsin, arccos, arctan, sinh, cosh, tanh, arcsinh, arccosh, arctanh
    case erf, erfc, gamma, lgamma, digamma, sigmoid, softplus, log1mexp
    // Numeric functions of one argument (same dtype out).
    case neg, abs, sign, square, floor, ceil, round, trunc
    // Arithmetic of two arguments (same dtype out).
    case add, sub, mul, floorDiv, mod, pow, maximum, minimum
    // Floating-point functions of two arguments.
    case trueDiv, arctan2, logaddexp
    // Comparisons (bool out).
    case eq, neq, lt, le, gt, ge
    // Logic on bools.
    case and, or, xor, not
    // Classification (bool out).
    case isnan, isinf
    // Selection: `where(cond, a, b)` and `clip(x, low, high)`.
    case `where`, clip
    // Conversion to another dtype.
    case cast(DType)
    // The value itself (used inside fused programs).
    case identity

    /// Number of arguments.
    public var arity: Int {
        switch self {
        case .exp, .exp2, .expm1, .log, .log2, .log10, .log1p, .sqrt, .reciprocal,
             .sin, .cos, .tan, .arcsin, .arccos, .arctan, .sinh, .cosh, .tanh, .arcsinh, .arccosh, .arctanh,
             .erf, .erfc, .gamma, .lgamma, .digamma, .sigmoid, .softplus, .log1mexp,
             .neg, .abs, .sign, .square, .floor, .ceil, .round, .trunc,
             .not, .isnan, .isinf, .cast, .identity:
            return 1
        case .add, .sub, .mul, .floorDiv, .mod, .pow, .maximum, .minimum, .trueDiv, .arctan2, .logaddexp,
             .eq, .neq, .lt, .le, .gt, .ge, .and, .or, .xor:
            return 2
        case .where, .clip:
            return 3
        }
    }

    /// How the op treats dtypes.
    public enum Kind: Sendable {
        /// Float in, same float out.
        case floatFunction
        /// Any numeric dtype in, same out.
        case numeric
        /// Arguments of one dtype in, bool out.
        case comparison
        /// Bools in, bool out.
        case logic
        /// Any dtype in, bool out.
        case classification
        /// Other rules (where, clip, cast, identity).
        case special
    }

    public var kind: Kind {
        switch self {
        case .exp, .exp2, .expm1, .log, .log2, .log10, .log1p, .sqrt, .reciprocal, .sin, .cos, .tan,
             .arcsin, .arccos, .arctan, .sinh, .cosh, .tanh, .arcsinh, .arccosh, .arctanh, .erf, .erfc,
             .gamma, .lgamma, .digamma, .sigmoid, .softplus, .log1mexp, .trueDiv, .arctan2, .logaddexp:
            return .floatFunction
        case .neg, .abs, .sign, .square, .floor, .ceil, .round, .trunc,
             .add, .sub, .mul, .floorDiv, .mod, .pow, .maximum, .minimum:
            return .numeric
        case .eq, .neq, .lt, .le, .gt, .ge:
            return .comparison
        case .and, .or, .xor, .not:
            return .logic
        case .isnan, .isinf:
            return .classification
        case .where, .clip, .cast, .identity:
            return .special
        }
    }

    public var description: String {
        switch self {
        case .cast(let t):
            return "cast{\(t)}"
        case .exp, .exp2, .expm1, .log, .log2, .log10, .log1p, .sqrt, .reciprocal,
             .sin, .cos, .tan, .arcsin, .arccos, .arctan, .sinh, .cosh, .tanh, .arcsinh, .arccosh, .arctanh,
             .erf, .erfc, .gamma, .lgamma, .digamma, .sigmoid, .softplus, .log1mexp,
             .neg, .abs, .sign, .square, .floor, .ceil, .round, .trunc,
             .add, .sub, .mul, .floorDiv, .mod, .pow, .maximum, .minimum, .trueDiv, .arctan2, .logaddexp,
             .eq, .neq, .lt, .le, .gt, .ge, .and, .or, .xor, .not, .isnan, .isinf,
             .where, .clip, .identity:
            return name
        }
    }

    /// The op's name as written in code (`add`, `floor_div`, `cast`): its ``Tag``'s raw value.
    public var name: String { tag.rawValue }
}
