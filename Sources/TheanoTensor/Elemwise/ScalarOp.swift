import TheanoArray

/// The closed set of scalar functions that elementwise nodes apply.
///
/// An ``Elemwise`` node applies one `ScalarOp` to every element of its (broadcast) inputs; a
/// fused ``Composite`` node applies a small program of them. Each case states its arity and its
/// dtype rule (``outputDType(_:)``); the reference meaning is in `ScalarOp+Reference.swift`.
///
/// Inputs of a scalar op share one dtype, except `where` (a bool condition) and `cast`. The
/// user-facing functions (``add(_:_:)``, ``exp(_:)``, ...) insert the casts that NumPy's
/// promotion rules call for, so the ops themselves stay simple.
public enum ScalarOp: Hashable, Sendable, CustomStringConvertible {
    // Floating-point functions of one argument (float input, same dtype out).
    case exp, exp2, expm1, log, log2, log10, log1p, sqrt, reciprocal
    case sin, cos, tan, arcsin, arccos, arctan, sinh, cosh, tanh, arcsinh, arccosh, arctanh
    case erf, erfc, gamma, lgamma, digamma, sigmoid, softplus
    // Numeric functions of one argument (same dtype out).
    case neg, abs, sign, square, floor, ceil, round, trunc
    // Arithmetic of two arguments (same dtype out).
    case add, sub, mul, floorDiv, mod, pow, maximum, minimum
    // Floating-point functions of two arguments.
    case trueDiv, arctan2
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
        case .add, .sub, .mul, .floorDiv, .mod, .pow, .maximum, .minimum, .trueDiv, .arctan2,
             .eq, .neq, .lt, .le, .gt, .ge, .and, .or, .xor:
            return 2
        case .where, .clip:
            return 3
        default:
            return 1
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
             .gamma, .lgamma, .digamma, .sigmoid, .softplus, .trueDiv, .arctan2:
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

    /// Whether a numeric op is defined on bools, as NumPy defines it: `+` and `maximum` mean
    /// or, `*` and `minimum` mean and, `abs` is the identity.
    var acceptsBool: Bool {
        switch self {
        case .add, .mul, .maximum, .minimum, .abs: return true
        default: return false
        }
    }

    /// Whether ``elemwise(_:_:)`` refuses bool inputs instead of converting them to int8, as
    /// NumPy refuses them (`-` on bools is ambiguous: `logicalXor` and `logicalNot` say what
    /// is meant). Other numeric ops without a bool meaning (`//`, `%`, `**`, `square`)
    /// compute in int8, as in NumPy.
    var rejectsBool: Bool {
        switch self {
        case .sub, .neg, .sign: return true
        default: return false
        }
    }

    /// What to use instead of a numeric op that is not defined on bools.
    private var boolAdvice: String {
        switch self {
        case .sub: return "use logicalXor for booleans, or cast to a number first"
        case .neg: return "use logicalNot for booleans, or cast to a number first"
        default: return "cast to a number first"
        }
    }

    /// The output dtype for these input dtypes, or a reason why they are not accepted.
    public func outputDType(_ inputs: [DType]) -> Result<DType, TypeProblem> {
        guard inputs.count == arity else { return .failure(.arity(expected: arity, got: inputs.count)) }
        switch self {
        case .cast(let target): return .success(target)
        case .identity: return .success(inputs[0])
        case .where:
            guard inputs[0] == .bool else { return .failure(.input(0, "the condition must be bool, got \(inputs[0])")) }
            guard inputs[1] == inputs[2] else { return .failure(.mixed(inputs)) }
            return .success(inputs[1])
        case .clip:
            guard Set(inputs).count == 1 else { return .failure(.mixed(inputs)) }
            return .success(inputs[0])
        default: break
        }
        guard Set(inputs).count == 1 else { return .failure(.mixed(inputs)) }
        let t = inputs[0]
        switch kind {
        case .floatFunction:
            return t.isFloatingPoint ? .success(t) : .failure(.input(0, "needs a floating-point input, got \(t)"))
        case .numeric:
            if t == .bool && !acceptsBool { return .failure(.input(0, "not defined for bool; \(boolAdvice)")) }
            return .success(t)
        case .comparison, .classification:
            return .success(.bool)
        case .logic:
            return t == .bool ? .success(.bool) : .failure(.input(0, "needs bool inputs, got \(t)"))
        case .special:
            return .success(t)
        }
    }

    /// Why a scalar op rejects its input dtypes.
    public enum TypeProblem: Error, Sendable, CustomStringConvertible {
        case arity(expected: Int, got: Int)
        case mixed([DType])
        case input(Int, String)

        public var description: String {
            switch self {
            case let .arity(e, g): return "expected \(e) inputs, got \(g)"
            case let .mixed(ts): return "inputs must share one dtype, got \(ts.map(\.name).joined(separator: ", "))"
            case let .input(_, m): return m
            }
        }
    }

    public var description: String {
        switch self {
        case .cast(let t): return "cast{\(t)}"
        default: return name
        }
    }

    /// The op's name as written in code (`add`, `exp`, `cast`).
    public var name: String {
        switch self {
        case .exp: "exp"; case .exp2: "exp2"; case .expm1: "expm1"; case .log: "log"; case .log2: "log2"
        case .log10: "log10"; case .log1p: "log1p"; case .sqrt: "sqrt"; case .reciprocal: "reciprocal"
        case .sin: "sin"; case .cos: "cos"; case .tan: "tan"; case .arcsin: "arcsin"; case .arccos: "arccos"
        case .arctan: "arctan"; case .sinh: "sinh"; case .cosh: "cosh"; case .tanh: "tanh"
        case .arcsinh: "arcsinh"; case .arccosh: "arccosh"; case .arctanh: "arctanh"; case .erf: "erf"
        case .erfc: "erfc"; case .gamma: "gamma"; case .lgamma: "lgamma"; case .digamma: "digamma"; case .sigmoid: "sigmoid"
        case .softplus: "softplus"; case .neg: "neg"; case .abs: "abs"; case .sign: "sign"
        case .square: "square"; case .floor: "floor"; case .ceil: "ceil"; case .round: "round"
        case .trunc: "trunc"; case .add: "add"; case .sub: "sub"; case .mul: "mul"
        case .floorDiv: "floor_div"; case .mod: "mod"; case .pow: "pow"; case .maximum: "maximum"
        case .minimum: "minimum"; case .trueDiv: "true_div"; case .arctan2: "arctan2"; case .eq: "eq"
        case .neq: "neq"; case .lt: "lt"; case .le: "le"; case .gt: "gt"; case .ge: "ge"
        case .and: "and"; case .or: "or"; case .xor: "xor"; case .not: "not"; case .isnan: "isnan"
        case .isinf: "isinf"; case .where: "where"; case .clip: "clip"; case .cast: "cast"
        case .identity: "identity"
        }
    }
}
