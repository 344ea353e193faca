import TheanoArray
import TheanoTensor

extension ScalarCodegen {
    /// How `op` is written for argument expressions `args` of dtypes `types`: one case per
    /// op, with a branch per dtype family inside (float, bool, other integers).
    func form(_ op: ScalarOp, _ args: [String], _ types: [DType], out: DType, errorFlag: String) throws -> ScalarForm {
        let x = Operands(op: op, args: args, dtype: types.first ?? out)
        let (a, b, t, ct, f, ut) = (x.a, x.b, x.dtype, x.ct, x.f, x.ut)
        let isFloat = t.isFloatingPoint
        switch op {
        // Any dtype.
        case .cast(let target): return .text(Self.cast(a, from: t, to: target))
        case .identity: return .text(a)
        case .where: return .text("(\(a) ? \(b) : \(args[2]))")
        case .clip:
            let low = try expression(.maximum, [a, b], [t, t], out: t, errorFlag: errorFlag)
            return .text(try expression(.minimum, [low, args[2]], [t, t], out: t, errorFlag: errorFlag))
        case .isnan: return .text(isFloat ? "((uint8_t)(isnan(\(a)) != 0))" : "((uint8_t)0)")
        case .isinf: return .text(isFloat ? "((uint8_t)(isinf(\(a)) != 0))" : "((uint8_t)0)")
        case .eq: return .text("((uint8_t)(\(a) == \(b)))")
        case .neq: return .text("((uint8_t)(\(a) != \(b)))")
        case .lt: return .text("((uint8_t)(\(a) < \(b)))")
        case .le: return .text("((uint8_t)(\(a) <= \(b)))")
        case .gt: return .text("((uint8_t)(\(a) > \(b)))")
        case .ge: return .text("((uint8_t)(\(a) >= \(b)))")
        // Logic (bools are 0/1 bytes).
        case .not: return .text("((uint8_t)!\(a))")
        case .and: return .text("((uint8_t)(\(a) && \(b)))")
        case .or: return .text("((uint8_t)(\(a) || \(b)))")
        case .xor: return .text("((uint8_t)((\(a) != 0) != (\(b) != 0)))")
        // Floating point only.
        case .exp: return try x.float(x.call("exp"))
        case .exp2: return try x.float(x.call("exp2"))
        case .expm1: return try x.float(x.call("expm1"))
        case .log: return try x.float(x.call("log"))
        case .log2: return try x.float(x.call("log2"))
        case .log10: return try x.float(x.call("log10"))
        case .log1p: return try x.float(x.call("log1p"))
        case .sqrt: return try x.float(x.call("sqrt"))
        case .reciprocal: return try x.float("((\(ct))1 / \(a))")
        case .sin: return try x.float(x.call("sin"))
        case .cos: return try x.float(x.call("cos"))
        case .tan: return try x.float(x.call("tan"))
        case .arcsin: return try x.float(x.call("asin"))
        case .arccos: return try x.float(x.call("acos"))
        case .arctan: return try x.float(x.call("atan"))
        case .sinh: return try x.float(x.call("sinh"))
        case .cosh: return try x.float(x.call("cosh"))
        case .tanh: return try x.float(x.call("tanh"))
        case .arcsinh: return try x.float(x.call("asinh"))
        case .arccosh: return try x.float(x.call("acosh"))
        case .arctanh: return try x.float(x.call("atanh"))
        case .erf: return try x.float(x.call("erf"))
        case .erfc: return try x.float(x.call("erfc"))
        case .gamma: return try x.float(x.call("tgamma"))
        case .lgamma: return try x.float("th_lgamma\(f)(\(a))")
        case .digamma: return try x.float("((\(ct))th_digamma((double)\(a)))")
        case .sigmoid:
            // One exp of -|x|, then a select: stable on both sides and vectorisable.
            guard isFloat else { throw x.unsupported }
            return x.temporaries(["_x"], locals: ["\(ct) _e = exp\(f)(-fabs\(f)(_x))"],
                                 "_x >= 0 ? (\(ct))1 / ((\(ct))1 + _e) : _e / ((\(ct))1 + _e)")
        case .softplus:
            guard isFloat else { throw x.unsupported }
            return x.temporaries(["_x"], "isnan(_x) ? _x : (_x > 0 ? _x : (\(ct))0) + log1p\(f)(exp\(f)(-fabs\(f)(_x)))")
        case .log1mexp:
            // log(-expm1(x)) above -ln 2, log1p(-exp(x)) below (see the reference).
            guard isFloat else { throw x.unsupported }
            return x.temporaries(["_x"], "_x > (\(ct))-0.6931471805599453 ? log\(f)(-expm1\(f)(_x)) : log1p\(f)(-exp\(f)(_x))")
        case .logaddexp:
            // NumPy's logaddexp: equal arguments (infinities included) give a + ln 2; NaN stays.
            guard isFloat else { throw x.unsupported }
            return x.temporaries(["_a", "_b"], locals: ["\(ct) _d = _a - _b"],
                                 "_a == _b ? _a + (\(ct))0.6931471805599453 : (_d > 0 ? _a + log1p\(f)(exp\(f)(-_d)) : (_d <= 0 ? _b + log1p\(f)(exp\(f)(_d)) : _d))")
        case .trueDiv: return try x.float("(\(a) / \(b))")
        case .arctan2: return try x.float("atan2\(f)(\(a), \(b))")
        // Numeric: integers wrap (computed in the unsigned type of the same width).
        case .neg: return .text(isFloat ? "(-\(a))" : x.wrap("0u - (\(ut))\(a)"))
        case .abs:
            if isFloat { return .text("fabs\(f)(\(a))") }
            if t == .bool || t == .uint8 { return .text(a) }
            return x.temporaries(["_x"], "_x < 0 ? \(x.wrap("0u - (\(ut))_x")) : _x")
        case .sign:
            if isFloat {
                // sign(-0) = +0; NaN stays.
                return x.temporaries(["_x"], "_x > 0 ? (\(ct))1 : (_x < 0 ? (\(ct))-1 : (_x == 0 ? (\(ct))0 : _x))")
            }
            return x.temporaries(["_x"], "(\(ct))(_x > 0 ? 1 : (_x < 0 ? -1 : 0))")
        case .square:
            if isFloat { return .text("(\(a) * \(a))") }
            return .text(t == .bool ? a : x.wrap("(uint64_t)\(a) * (uint64_t)\(a)"))
        case .floor: return .text(isFloat ? x.call("floor") : a)
        case .ceil: return .text(isFloat ? x.call("ceil") : a)
        case .round: return .text(isFloat ? x.call("rint") : a)
        case .trunc: return .text(isFloat ? x.call("trunc") : a)
        case .add:
            if isFloat { return .text("(\(a) + \(b))") }
            return .text(t == .bool ? "((uint8_t)(\(a) | \(b)))" : x.wrap("(\(ut))\(a) + (\(ut))\(b)"))
        case .sub: return .text(isFloat ? "(\(a) - \(b))" : x.wrap("(\(ut))\(a) - (\(ut))\(b)"))
        case .mul:
            if isFloat { return .text("(\(a) * \(b))") }
            return .text(t == .bool ? "((uint8_t)(\(a) & \(b)))" : x.wrap("(uint64_t)\(a) * (uint64_t)\(b)"))
        case .floorDiv:
            return .text(isFloat ? "th_floordiv_\(f)(\(a), \(b))" : "((\(ct))th_ifloordiv((int64_t)\(a), (int64_t)\(b)))")
        case .mod:
            return .text(isFloat ? "th_mod_\(f)(\(a), \(b))" : "((\(ct))th_imod((int64_t)\(a), (int64_t)\(b)))")
        case .pow:
            if isFloat { return .text("pow\(f)(\(a), \(b))") }
            return .text("((\(ct))th_ipow((uint64_t)(int64_t)\(a), (int64_t)\(b), &\(errorFlag)))")
        case .maximum:
            // NaN propagates (as in NumPy), which C's fmax does not do.
            if isFloat { return x.temporaries(["_a", "_b"], "(isnan(_a) || isnan(_b)) ? (\(ct))NAN : (_b >= _a ? _b : _a)") }
            return x.temporaries(["_a", "_b"], "_b >= _a ? _b : _a")
        case .minimum:
            if isFloat { return x.temporaries(["_a", "_b"], "(isnan(_a) || isnan(_b)) ? (\(ct))NAN : (_b < _a ? _b : _a)") }
            return x.temporaries(["_a", "_b"], "_b < _a ? _b : _a")
        }
    }
}

/// The spellings that the cases of ``ScalarCodegen/form(_:_:_:out:errorFlag:)`` share, for
/// one op applied to arguments whose first one has dtype `dtype`.
private struct Operands {
    let op: ScalarOp
    let args: [String]
    let dtype: DType

    var a: String { args.first ?? "" }
    var b: String { args.count > 1 ? args[1] : "" }
    /// The C type of the arguments.
    var ct: String { ScalarCodegen.cType(dtype) }
    /// The unsigned type of the same width.
    var ut: String { ScalarCodegen.unsignedType(dtype) }
    /// The suffix of float32 math functions.
    var f: String { dtype == .float32 ? "f" : "" }

    /// The math function `name` of the argument's float type (`expf(a)`, `exp(a)`).
    func call(_ name: String) -> String { "\(name)\(f)(\(a))" }

    /// An unsigned expression converted back to the argument type, wrapping.
    func wrap(_ e: String) -> String { "((\(ct))(\(ut))(\(e)))" }

    /// `text`, which is only valid for floating-point arguments.
    func float(_ text: @autoclosure () -> String) throws -> ScalarForm {
        guard dtype.isFloatingPoint else { throw unsupported }
        return .text(text())
    }

    /// A computation that binds the arguments to `parameters` of the argument type.
    func temporaries(_ parameters: [String], locals: [String] = [], _ result: String) -> ScalarForm {
        .temporaries(ScalarHelper(
            name: "th_\(op.name)_\(dtype.name)", type: ct, parameters: parameters,
            arguments: Array(args.prefix(parameters.count)), locals: locals, result: result))
    }

    var unsupported: TheanoError {
        TheanoError.unsupported("code generation: no code for \(op) on \(dtype)")
    }
}
