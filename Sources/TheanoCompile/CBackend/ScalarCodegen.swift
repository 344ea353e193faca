import TheanoArray
import TheanoTensor

/// C spellings of dtypes and scalar ops, matching the reference semantics of
/// `ScalarOp+Reference.swift` (see ``CPreamble`` for the helpers they call).
enum ScalarCodegen {
    /// The C type that stores a dtype (bool is a 0/1 byte).
    static func cType(_ t: DType) -> String {
        switch t {
        case .bool, .uint8: return "uint8_t"
        case .int8: return "int8_t"
        case .int16: return "int16_t"
        case .int32: return "int32_t"
        case .int64: return "int64_t"
        case .float32: return "float"
        case .float64: return "double"
        }
    }

    /// The unsigned type of the same width, for wrapping arithmetic.
    static func unsignedType(_ t: DType) -> String {
        switch t {
        case .bool, .uint8, .int8: return "uint8_t"
        case .int16: return "uint16_t"
        case .int32: return "uint32_t"
        default: return "uint64_t"
        }
    }

    /// A C literal for a constant of dtype `t`.
    static func literal(_ v: Double, _ t: DType) -> String {
        switch t {
        case .float32, .float64:
            let suffix = t == .float32 ? "f" : ""
            if v.isNaN { return t == .float32 ? "((float)NAN)" : "((double)NAN)" }
            if v.isInfinite { return v > 0 ? "((\(cType(t)))INFINITY)" : "(-(\(cType(t)))INFINITY)" }
            if t == .float32 { return "\(Float(v).debugDescription)f" }
            return v.debugDescription + suffix
        case .bool:
            return v != 0 ? "((uint8_t)1)" : "((uint8_t)0)"
        default:
            let i = Int64(exactly: v.rounded(.towardZero)) ?? 0
            if i == Int64.min { return "((int64_t)INT64_MIN)" }
            return "((\(cType(t)))\(i)LL)"
        }
    }

    /// The C expression for `op` applied to argument expressions of the given dtypes, with
    /// result dtype `out`. `errorFlag` names an int variable that integer pow may set.
    static func expression(_ op: ScalarOp, _ args: [String], _ types: [DType], out: DType, errorFlag: String) throws -> String {
        let t = types.first ?? out
        let ct = cType(t)
        let f = t == .float32 ? "f" : ""
        func fn(_ name: String) -> String { "\(name)\(f)(\(args[0]))" }
        let a = args.first ?? "", b = args.count > 1 ? args[1] : ""
        switch op {
        case .cast(let target): return cast(a, from: t, to: target)
        case .identity: return a
        case .where: return "(\(a) ? \(b) : \(args[2]))"
        case .clip:
            let low = try expression(.maximum, [a, b], [t, t], out: t, errorFlag: errorFlag)
            return try expression(.minimum, [low, args[2]], [t, t], out: t, errorFlag: errorFlag)
        case .isnan: return t.isFloatingPoint ? "((uint8_t)(isnan(\(a)) != 0))" : "((uint8_t)0)"
        case .isinf: return t.isFloatingPoint ? "((uint8_t)(isinf(\(a)) != 0))" : "((uint8_t)0)"
        case .not: return "((uint8_t)!\(a))"
        case .and: return "((uint8_t)(\(a) && \(b)))"
        case .or: return "((uint8_t)(\(a) || \(b)))"
        case .xor: return "((uint8_t)((\(a) != 0) != (\(b) != 0)))"
        case .eq: return "((uint8_t)(\(a) == \(b)))"
        case .neq: return "((uint8_t)(\(a) != \(b)))"
        case .lt: return "((uint8_t)(\(a) < \(b)))"
        case .le: return "((uint8_t)(\(a) <= \(b)))"
        case .gt: return "((uint8_t)(\(a) > \(b)))"
        case .ge: return "((uint8_t)(\(a) >= \(b)))"
        default: break
        }
        if t.isFloatingPoint {
            switch op {
            case .exp: return fn("exp")
            case .exp2: return fn("exp2")
            case .expm1: return fn("expm1")
            case .log: return fn("log")
            case .log2: return fn("log2")
            case .log10: return fn("log10")
            case .log1p: return fn("log1p")
            case .sqrt: return fn("sqrt")
            case .reciprocal: return "((\(ct))1 / \(a))"
            case .sin: return fn("sin")
            case .cos: return fn("cos")
            case .tan: return fn("tan")
            case .arcsin: return fn("asin")
            case .arccos: return fn("acos")
            case .arctan: return fn("atan")
            case .sinh: return fn("sinh")
            case .cosh: return fn("cosh")
            case .tanh: return fn("tanh")
            case .arcsinh: return fn("asinh")
            case .arccosh: return fn("acosh")
            case .arctanh: return fn("atanh")
            case .erf: return fn("erf")
            case .erfc: return fn("erfc")
            case .gamma: return fn("tgamma")
            case .lgamma: return "th_lgamma\(f)(\(a))"
            case .digamma: return "((\(ct))th_digamma((double)\(a)))"
            case .sigmoid:
                // One exp of -|x|, then a select: stable on both sides and vectorisable.
                return "({ \(ct) _x = \(a); \(ct) _e = exp\(f)(-fabs\(f)(_x)); _x >= 0 ? (\(ct))1 / ((\(ct))1 + _e) : _e / ((\(ct))1 + _e); })"
            case .softplus:
                return "({ \(ct) _x = \(a); isnan(_x) ? _x : (_x > 0 ? _x : (\(ct))0) + log1p\(f)(exp\(f)(-fabs\(f)(_x))); })"
            case .neg: return "(-\(a))"
            case .abs: return "fabs\(f)(\(a))"
            case .sign: return "({ \(ct) _x = \(a); _x > 0 ? (\(ct))1 : (_x < 0 ? (\(ct))-1 : (_x == 0 ? (\(ct))0 : _x)); })"
            case .square: return "(\(a) * \(a))"
            case .floor: return fn("floor")
            case .ceil: return fn("ceil")
            case .round: return fn("rint")
            case .trunc: return fn("trunc")
            case .add: return "(\(a) + \(b))"
            case .sub: return "(\(a) - \(b))"
            case .mul: return "(\(a) * \(b))"
            case .trueDiv: return "(\(a) / \(b))"
            case .floorDiv: return "th_floordiv_\(f)(\(a), \(b))"
            case .mod: return "th_mod_\(f)(\(a), \(b))"
            case .pow: return "pow\(f)(\(a), \(b))"
            case .maximum: return "({ \(ct) _a = \(a), _b = \(b); (isnan(_a) || isnan(_b)) ? (\(ct))NAN : (_b >= _a ? _b : _a); })"
            case .minimum: return "({ \(ct) _a = \(a), _b = \(b); (isnan(_a) || isnan(_b)) ? (\(ct))NAN : (_b < _a ? _b : _a); })"
            case .arctan2: return "atan2\(f)(\(a), \(b))"
            default: break
            }
        } else {
            let ut = unsignedType(t)
            func wrap(_ e: String) -> String { "((\(ct))(\(ut))(\(e)))" }
            switch op {
            case .add where t == .bool: return "((uint8_t)(\(a) | \(b)))"
            case .mul where t == .bool: return "((uint8_t)(\(a) & \(b)))"
            case .abs where t == .bool, .square where t == .bool: return a
            case .add: return wrap("(\(ut))\(a) + (\(ut))\(b)")
            case .sub: return wrap("(\(ut))\(a) - (\(ut))\(b)")
            case .mul: return wrap("(uint64_t)\(a) * (uint64_t)\(b)")
            case .neg: return wrap("0u - (\(ut))\(a)")
            case .abs: return t == .uint8 ? a : "({ \(ct) _x = \(a); _x < 0 ? \(wrap("0u - (\(ut))_x")) : _x; })"
            case .sign: return "({ \(ct) _x = \(a); (\(ct))(_x > 0 ? 1 : (_x < 0 ? -1 : 0)); })"
            case .square: return wrap("(uint64_t)\(a) * (uint64_t)\(a)")
            case .floor, .ceil, .round, .trunc: return a
            case .floorDiv: return "((\(ct))th_ifloordiv((int64_t)\(a), (int64_t)\(b)))"
            case .mod: return "((\(ct))th_imod((int64_t)\(a), (int64_t)\(b)))"
            case .pow: return "((\(ct))th_ipow((uint64_t)(int64_t)\(a), (int64_t)\(b), &\(errorFlag)))"
            case .maximum: return "({ \(ct) _a = \(a), _b = \(b); _b >= _a ? _b : _a; })"
            case .minimum: return "({ \(ct) _a = \(a), _b = \(b); _b < _a ? _b : _a; })"
            default: break
            }
        }
        throw TheanoError.unsupported("C backend: no C code for \(op) on \(t)")
    }

    /// A conversion with the reference casting rules.
    static func cast(_ a: String, from: DType, to: DType) -> String {
        if from == to { return a }
        if to == .bool { return "((uint8_t)(\(a) != 0))" }
        if to.isFloatingPoint { return "((\(cType(to)))\(a))" }
        if from.isFloatingPoint {
            return "((\(cType(to)))(\(unsignedType(to)))(uint64_t)th_f2i((double)\(a)))"
        }
        return "((\(cType(to)))(\(unsignedType(to)))(uint64_t)(int64_t)\(a))"
    }
}
