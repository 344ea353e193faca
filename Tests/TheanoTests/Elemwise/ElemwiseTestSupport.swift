import Theano
import XCTest

extension ElemwiseFixture {
    /// The elements of one array of a fixture: floats as Doubles (exact for float32 values too),
    /// integers and bools (0 or 1) as Int64.
    enum Elements: Sendable {
        case floats([Double])
        case integers([Int64])
    }

    /// One array of a fixture: dtype, shape and elements in C order.
    struct Values: Sendable, CustomStringConvertible {
        let dtype: DType
        let shape: [Int]
        let values: Elements

        static func f32(_ v: [Double], shape: [Int]? = nil) -> Values { .init(dtype: .float32, shape: shape ?? [v.count], values: .floats(v)) }
        static func f64(_ v: [Double], shape: [Int]? = nil) -> Values { .init(dtype: .float64, shape: shape ?? [v.count], values: .floats(v)) }
        static func b(_ v: [Int64], shape: [Int]? = nil) -> Values { .init(dtype: .bool, shape: shape ?? [v.count], values: .integers(v)) }
        static func u8(_ v: [Int64], shape: [Int]? = nil) -> Values { .init(dtype: .uint8, shape: shape ?? [v.count], values: .integers(v)) }
        static func i8(_ v: [Int64], shape: [Int]? = nil) -> Values { .init(dtype: .int8, shape: shape ?? [v.count], values: .integers(v)) }
        static func i16(_ v: [Int64], shape: [Int]? = nil) -> Values { .init(dtype: .int16, shape: shape ?? [v.count], values: .integers(v)) }
        static func i32(_ v: [Int64], shape: [Int]? = nil) -> Values { .init(dtype: .int32, shape: shape ?? [v.count], values: .integers(v)) }
        static func i64(_ v: [Int64], shape: [Int]? = nil) -> Values { .init(dtype: .int64, shape: shape ?? [v.count], values: .integers(v)) }

        /// The array, in its dtype.
        func array() throws -> NDArray {
            switch values {
            case .floats(let v): return try NDArray(v, shape: shape).astype(dtype)
            case .integers(let v): return try NDArray(v, shape: shape).astype(dtype)
            }
        }

        /// A symbolic input of this array's dtype and rank: axes of size 1 are static (they
        /// broadcast), the others unknown.
        func symbolic(_ name: String) -> Tensor {
            Tensor.variable(name, dtype, shape: shape.map { $0 == 1 ? 1 : nil })
        }

        var description: String { "\(dtype)\(formatShape(shape))" }
    }
}

/// Inputs and expected output of one elementwise op, computed by NumPy
/// (`Fixtures/make_elemwise_fixtures.py`).
struct ElemwiseFixture: Sendable, CustomStringConvertible {
    let op: String
    let inputs: [Values]
    let expected: Values
    let note: String

    init(_ op: String, _ inputs: [Values], _ expected: Values, note: String = "") {
        self.op = op
        self.inputs = inputs
        self.expected = expected
        self.note = note
    }

    var description: String {
        "\(op)(\(inputs.map(\.description).joined(separator: ", "))) -> \(expected)" + (note.isEmpty ? "" : " [\(note)]")
    }

    /// The fixtures of the named ops.
    static func of(_ ops: Set<String>) -> [ElemwiseFixture] { all.filter { ops.contains($0.op) } }
}

extension ElemwiseFixture {
    /// Every op name that ``apply(_:_:castTo:)`` knows, by arity.
    static let unaryOps = [
        "exp", "exp2", "expm1", "log", "log2", "log10", "log1p", "sqrt", "reciprocal",
        "sin", "cos", "tan", "arcsin", "arccos", "arctan", "sinh", "cosh", "tanh",
        "arcsinh", "arccosh", "arctanh", "erf", "erfc", "gamma", "lgamma", "sigmoid", "softplus", "log1mexp",
        "neg", "abs", "sign", "square", "floor", "ceil", "round", "trunc",
        "logicalNot", "isnan", "isinf", "cast",
    ]
    static let binaryOps = [
        "add", "sub", "mul", "trueDivide", "floorDivide", "mod", "pow", "maximum", "minimum", "arctan2", "logaddexp",
        "eq", "neq", "lt", "le", "gt", "ge", "logicalAnd", "logicalOr", "logicalXor",
    ]
    static let ternaryOps = ["where", "clip"]

    /// Builds the named elementwise op with the library's free functions (`cast` casts to `dtype`).
    static func apply(_ name: String, _ x: [Tensor], castTo dtype: DType = .float64) throws -> Tensor {
        switch name {
        case "exp": return try exp(x[0])
        case "exp2": return try exp2(x[0])
        case "expm1": return try expm1(x[0])
        case "log": return try log(x[0])
        case "log2": return try log2(x[0])
        case "log10": return try log10(x[0])
        case "log1p": return try log1p(x[0])
        case "sqrt": return try sqrt(x[0])
        case "reciprocal": return try reciprocal(x[0])
        case "sin": return try sin(x[0])
        case "cos": return try cos(x[0])
        case "tan": return try tan(x[0])
        case "arcsin": return try arcsin(x[0])
        case "arccos": return try arccos(x[0])
        case "arctan": return try arctan(x[0])
        case "sinh": return try sinh(x[0])
        case "cosh": return try cosh(x[0])
        case "tanh": return try tanh(x[0])
        case "arcsinh": return try arcsinh(x[0])
        case "arccosh": return try arccosh(x[0])
        case "arctanh": return try arctanh(x[0])
        case "erf": return try erf(x[0])
        case "erfc": return try erfc(x[0])
        case "gamma": return try gamma(x[0])
        case "lgamma": return try lgamma(x[0])
        case "sigmoid": return try sigmoid(x[0])
        case "softplus": return try softplus(x[0])
        case "log1mexp": return try log1mexp(x[0])
        case "neg": return try neg(x[0])
        case "abs": return try abs(x[0])
        case "sign": return try sign(x[0])
        case "square": return try square(x[0])
        case "floor": return try floor(x[0])
        case "ceil": return try ceil(x[0])
        case "round": return try round(x[0])
        case "trunc": return try trunc(x[0])
        case "add": return try add(x[0], x[1])
        case "sub": return try sub(x[0], x[1])
        case "mul": return try mul(x[0], x[1])
        case "trueDivide": return try trueDivide(x[0], x[1])
        case "floorDivide": return try floorDivide(x[0], x[1])
        case "mod": return try mod(x[0], x[1])
        case "pow": return try pow(x[0], x[1])
        case "maximum": return try maximum(x[0], x[1])
        case "minimum": return try minimum(x[0], x[1])
        case "arctan2": return try arctan2(x[0], x[1])
        case "logaddexp": return try logaddexp(x[0], x[1])
        case "eq": return try eq(x[0], x[1])
        case "neq": return try neq(x[0], x[1])
        case "lt": return try lt(x[0], x[1])
        case "le": return try le(x[0], x[1])
        case "gt": return try gt(x[0], x[1])
        case "ge": return try ge(x[0], x[1])
        case "logicalAnd": return try logicalAnd(x[0], x[1])
        case "logicalOr": return try logicalOr(x[0], x[1])
        case "logicalXor": return try logicalXor(x[0], x[1])
        case "logicalNot": return try logicalNot(x[0])
        case "isnan": return try isnan(x[0])
        case "isinf": return try isinf(x[0])
        case "where": return try `where`(x[0], x[1], x[2])
        case "clip": return try clip(x[0], x[1], x[2])
        case "cast": return try cast(x[0], dtype)
        default: throw TheanoError.invalidArgument("test support: unknown op \(name)")
        }
    }

    /// Names of the ops whose results are not checked for the sign of zero (NumPy's maximum and
    /// minimum leave it to the SIMD kernel).
    private static let zeroSignUnspecified: Set<String> = ["maximum", "minimum", "clip"]

    /// Runs the fixture through a compiled function and compares the result with its expected
    /// array: dtype and shape exactly, integers exactly, floats within a few ulps of the expected
    /// value, NaN for NaN, infinities and the sign of zeros exactly.
    func check(file: StaticString = #filePath, line: UInt = #line) throws {
        let symbolic = inputs.enumerated().map { $0.element.symbolic("x\($0.offset)") }
        let output = try ElemwiseFixture.apply(op, symbolic, castTo: expected.dtype)
        XCTAssertEqual(output.dtype, expected.dtype, "static dtype of \(self)", file: file, line: line)
        let values = try inputs.map { try $0.array() }
        let actual = try function(symbolic, [output]).call(values)[0]
        ElemwiseFixture.assertMatches(actual, expected, zeroSign: !ElemwiseFixture.zeroSignUnspecified.contains(op),
                                      "\(self); inputs \(values.map(\.doubles))", file: file, line: line)
    }

    /// Compares an array with a fixture array (see ``check(file:line:)``).
    static func assertMatches(
        _ actual: NDArray, _ expected: Values, zeroSign: Bool = true, _ context: @autoclosure () -> String,
        file: StaticString = #filePath, line: UInt = #line
    ) {
        XCTAssertEqual(actual.dtype, expected.dtype, "dtype: \(context())", file: file, line: line)
        XCTAssertEqual(actual.shape, expected.shape, "shape: \(context())", file: file, line: line)
        guard actual.dtype == expected.dtype, actual.shape == expected.shape else { return }
        switch expected.values {
        case .integers(let e):
            let a = actual.toArray(of: Int64.self)
            if let i = a.indices.first(where: { a[$0] != e[$0] }) {
                XCTFail("element \(i): got \(a[i]), expected \(e[i]). \(context())", file: file, line: line)
            }
        case .floats(let e):
            let a = actual.doubles
            let (rtol, atol) = expected.dtype == .float32 ? (2e-6, 1e-37) : (1e-13, 1e-300)
            for i in a.indices {
                let (x, y) = (a[i], e[i])
                let ok: Bool
                if y.isNaN { ok = x.isNaN }
                else if y.isInfinite || y == 0 { ok = x == y && (!zeroSign || x.sign == y.sign) }
                else { ok = Swift.abs(x - y) <= atol + rtol * Swift.abs(y) }
                if !ok {
                    XCTFail("element \(i): got \(x), expected \(y). \(context())", file: file, line: line)
                    return
                }
            }
        }
    }
}

/// A small seeded generator (SplitMix64) for property tests.
struct ElemwiseRandom {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A value in `0..<n`.
    mutating func next(below n: Int) -> Int { Int(next() % UInt64(n)) }

    /// True with probability `p`.
    mutating func chance(_ p: Double) -> Bool { Double(next() >> 11) / Double(1 << 53) < p }
}
