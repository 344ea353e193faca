import TheanoArray
import TheanoTensor

/// C expressions for scalar ops, written in a ``CodegenDialect``, that compute what the
/// reference closures of `ScalarOp+Reference.swift` compute.
///
/// The expressions call helpers that the dialect's preamble defines (``preambleHelpers``); in
/// a dialect without statement expressions they also call the functions of
/// ``helperFunctions()``. Every op is written in one exhaustive switch
/// (`ScalarCodegen+Ops.swift`), so a new ``ScalarOp`` does not compile until it has code.
public struct ScalarCodegen: Sendable {
    /// The dialect expressions are written in.
    public let dialect: CodegenDialect

    public init(dialect: CodegenDialect) {
        self.dialect = dialect
    }

    /// The expression for `op` applied to argument expressions `args` of dtypes `types`, with
    /// result dtype `out`. `errorFlag` names an `int` variable that integer `pow` sets to
    /// `TH_ERR_INT_POW` when an exponent is negative.
    ///
    /// - Throws: `TheanoError.unsupported` when `op` has no code for these dtypes (only
    ///   dtypes that ``ScalarOp/outputDType(_:)`` rejects).
    public func expression(_ op: ScalarOp, _ args: [String], _ types: [DType], out: DType, errorFlag: String) throws -> String {
        try form(op, args, types, out: out, errorFlag: errorFlag).text(in: dialect)
    }

    /// The definitions of the helper functions that expressions call in a dialect without
    /// statement expressions, one per op and dtype that needs temporaries
    /// (`th_sigmoid_float32`, `th_maximum_int16`, ...), declared with the dialect's
    /// ``CodegenDialect/helperSpecifiers``. They go after the preamble, once per translation
    /// unit. Empty for dialects with statement expressions.
    public func helperFunctions() -> String {
        guard !dialect.statementExpressions else { return "" }
        var names = Set<String>()
        var definitions: [String] = []
        for op in ScalarOp.allCases {
            let arguments = (0..<op.arity).map { "x\($0)" }
            for t in DType.allCases {
                let types: [DType] = op == .where ? [.bool, t, t] : Array(repeating: t, count: op.arity)
                guard case .success(let out) = op.outputDType(types),
                      case .temporaries(let helper)? = try? form(op, arguments, types, out: out, errorFlag: "err"),
                      names.insert(helper.name).inserted
                else { continue }
                definitions.append(helper.definition(specifiers: dialect.helperSpecifiers))
            }
        }
        return definitions.map { $0 + "\n" }.joined()
    }

    /// The helpers that expressions call and that each dialect's preamble defines, with the
    /// reference semantics: `lgamma` without the global `signgam` (`th_lgammaf`, `th_lgamma`),
    /// `th_digamma` (double), float-to-integer conversion (`th_f2i`: NaN to 0, saturating to
    /// int64), NumPy's float divmod (`th_floordiv_f`, `th_mod_f` for float, `th_floordiv_`,
    /// `th_mod_` for double), Python's integer divmod in 64 bits (`th_ifloordiv`, `th_imod`),
    /// and integer power (`th_ipow(base, exponent, int* err)`).
    public static let preambleHelpers = [
        "th_lgammaf", "th_lgamma", "th_digamma", "th_f2i", "th_floordiv_f", "th_mod_f", "th_floordiv_", "th_mod_",
        "th_ifloordiv", "th_imod", "th_ipow",
    ]

    /// The C type that stores a dtype (bool is a 0/1 byte); the same in every dialect.
    public static func cType(_ t: DType) -> String {
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

    /// The unsigned type of the same width, for wrapping arithmetic (`uint64_t` for floats).
    public static func unsignedType(_ t: DType) -> String {
        switch t {
        case .bool, .uint8, .int8: return "uint8_t"
        case .int16: return "uint16_t"
        case .int32: return "uint32_t"
        case .int64, .float32, .float64: return "uint64_t"
        }
    }

    /// A literal for a constant of dtype `t`.
    public static func literal(_ v: Double, _ t: DType) -> String {
        switch t {
        case .float32, .float64:
            let suffix = t == .float32 ? "f" : ""
            if v.isNaN { return t == .float32 ? "((float)NAN)" : "((double)NAN)" }
            if v.isInfinite { return v > 0 ? "((\(cType(t)))INFINITY)" : "(-(\(cType(t)))INFINITY)" }
            if t == .float32 { return "\(Float(v).debugDescription)f" }
            return v.debugDescription + suffix
        case .bool:
            return v != 0 ? "((uint8_t)1)" : "((uint8_t)0)"
        case .uint8, .int8, .int16, .int32, .int64:
            let i = Int64(exactly: v.rounded(.towardZero)) ?? 0
            if i == Int64.min { return "((int64_t)INT64_MIN)" }
            return "((\(cType(t)))\(i)LL)"
        }
    }

    /// A conversion with the reference casting rules.
    public static func cast(_ a: String, from: DType, to: DType) -> String {
        if from == to { return a }
        if to == .bool { return "((uint8_t)(\(a) != 0))" }
        if to.isFloatingPoint {
            // Narrow integers widen through int32 first: gcc 12 does not vectorise a loop that
            // turns a comparison's uint8 result straight into a float (measured: the ReLU
            // gradient's fused kernel ran 6-8x slower); every value of these types fits.
            if from.byteSize < 4 { return "((\(cType(to)))(int32_t)\(a))" }
            return "((\(cType(to)))\(a))"
        }
        if from.isFloatingPoint {
            return "((\(cType(to)))(\(unsignedType(to)))(uint64_t)th_f2i((double)\(a)))"
        }
        return "((\(cType(to)))(\(unsignedType(to)))(uint64_t)(int64_t)\(a))"
    }
}
