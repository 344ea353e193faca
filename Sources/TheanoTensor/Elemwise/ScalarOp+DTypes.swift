import TheanoArray

/// Which dtypes each scalar op accepts and which it returns.
extension ScalarOp {
    /// The output dtype for these input dtypes, or a reason why they are not accepted.
    public func outputDType(_ inputs: [DType]) -> Result<DType, TypeProblem> {
        guard inputs.count == arity else { return .failure(.arity(expected: arity, got: inputs.count)) }
        switch self {
        case .cast(let target):
            return .success(target)
        case .identity:
            return .success(inputs[0])
        case .where:
            guard inputs[0] == .bool else { return .failure(.input(0, "the condition must be bool, got \(inputs[0])")) }
            guard inputs[1] == inputs[2] else { return .failure(.mixed(inputs)) }
            return .success(inputs[1])
        case .clip:
            guard Set(inputs).count == 1 else { return .failure(.mixed(inputs)) }
            return .success(inputs[0])
        case .exp, .exp2, .expm1, .log, .log2, .log10, .log1p, .sqrt, .reciprocal,
             .sin, .cos, .tan, .arcsin, .arccos, .arctan, .sinh, .cosh, .tanh, .arcsinh, .arccosh, .arctanh,
             .erf, .erfc, .gamma, .lgamma, .digamma, .sigmoid, .softplus, .log1mexp,
             .neg, .abs, .sign, .square, .floor, .ceil, .round, .trunc,
             .add, .sub, .mul, .floorDiv, .mod, .pow, .maximum, .minimum, .trueDiv, .arctan2, .logaddexp,
             .eq, .neq, .lt, .le, .gt, .ge, .and, .or, .xor, .not, .isnan, .isinf:
            return sharedDTypeRule(inputs)
        }
    }

    /// The dtype rule of ops whose inputs share one dtype, which their ``kind`` decides.
    private func sharedDTypeRule(_ inputs: [DType]) -> Result<DType, TypeProblem> {
        guard Set(inputs).count == 1 else { return .failure(.mixed(inputs)) }
        let t = inputs[0]
        switch kind {
        case .floatFunction:
            return t.isFloatingPoint ? .success(t) : .failure(.input(0, "needs a floating-point input, got \(t)"))
        case .numeric:
            guard t == .bool, !acceptsBool else { return .success(t) }
            var advice = "cast to a number first"
            if case .refused(let instead) = boolRule { advice = instead }
            return .failure(.input(0, "not defined for bool; \(advice)"))
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

    /// How a numeric op treats bool inputs, as NumPy treats them.
    enum BoolRule: Equatable {
        /// Defined on bools: `+` and `maximum` mean or, `*` and `minimum` mean and, `abs` is
        /// the identity.
        case logical
        /// Not defined on bools; ``elemwise(_:_:)`` computes it in int8, as NumPy computes
        /// `//`, `%`, `**` and `square` of bools (the rounding functions return bools as they
        /// are before they reach the op).
        case int8
        /// Refused by ``elemwise(_:_:)`` as NumPy refuses it (`-` on bools is ambiguous), with
        /// what to use instead.
        case refused(advice: String)
        /// Not a numeric op: its ``Kind`` decides.
        case notNumeric
    }

    /// How the op treats bool inputs.
    var boolRule: BoolRule {
        switch self {
        case .add, .mul, .maximum, .minimum, .abs:
            return .logical
        case .floorDiv, .mod, .pow, .square, .floor, .ceil, .round, .trunc:
            return .int8
        case .sub: return .refused(advice: "use logicalXor for booleans, or cast to a number first")
        case .neg: return .refused(advice: "use logicalNot for booleans, or cast to a number first")
        case .sign: return .refused(advice: "cast to a number first")
        case .exp, .exp2, .expm1, .log, .log2, .log10, .log1p, .sqrt, .reciprocal,
             .sin, .cos, .tan, .arcsin, .arccos, .arctan, .sinh, .cosh, .tanh, .arcsinh, .arccosh, .arctanh,
             .erf, .erfc, .gamma, .lgamma, .digamma, .sigmoid, .softplus, .log1mexp, .trueDiv, .arctan2, .logaddexp,
             .eq, .neq, .lt, .le, .gt, .ge, .and, .or, .xor, .not, .isnan, .isinf,
             .where, .clip, .cast, .identity:
            return .notNumeric
        }
    }

    /// Whether a numeric op is defined on bools (see ``BoolRule/logical``).
    var acceptsBool: Bool { boolRule == .logical }

    /// Whether ``elemwise(_:_:)`` refuses bool inputs instead of converting them to int8 (see
    /// ``BoolRule/refused(advice:)``).
    var rejectsBool: Bool {
        if case .refused = boolRule { return true }
        return false
    }
}
