/// The element type of an ``NDArray``.
///
/// The set is closed: every kernel, every `.npy` file and every generated C loop knows these
/// eight types. Promotion rules between them live in ``DType/promote(_:_:)`` and are written
/// down in `docs/DTYPES.md`.
public enum DType: UInt8, CaseIterable, Sendable, Hashable, CustomStringConvertible, Comparable {
    case bool, uint8, int8, int16, int32, int64, float32, float64

    /// Bytes per element.
    public var byteSize: Int {
        switch self {
        case .bool, .int8, .uint8: return 1
        case .int16: return 2
        case .int32, .float32: return 4
        case .int64, .float64: return 8
        }
    }

    /// The NumPy-style name (`"float32"`).
    public var name: String {
        switch self {
        case .bool: return "bool"
        case .uint8: return "uint8"
        case .int8: return "int8"
        case .int16: return "int16"
        case .int32: return "int32"
        case .int64: return "int64"
        case .float32: return "float32"
        case .float64: return "float64"
        }
    }

    public var description: String { name }

    /// Parses a NumPy-style name such as `"float32"` (also `"float"`, `"double"`, `"int"`).
    public init?(name: String) {
        switch name {
        case "bool": self = .bool
        case "uint8": self = .uint8
        case "int8": self = .int8
        case "int16": self = .int16
        case "int32": self = .int32
        case "int64", "int": self = .int64
        case "float32", "float": self = .float32
        case "float64", "double": self = .float64
        default: return nil
        }
    }

    public var isFloatingPoint: Bool { self == .float32 || self == .float64 }
    public var isInteger: Bool { !isFloatingPoint && self != .bool }
    public var isSignedInteger: Bool { self == .int8 || self == .int16 || self == .int32 || self == .int64 }
    public var isBool: Bool { self == .bool }

    public static func < (a: DType, b: DType) -> Bool { a.rawValue < b.rawValue }
}

// MARK: - Promotion

extension DType {
    /// The smallest dtype that holds every value of both operands, following NumPy's table
    /// (without float16): `int8 + uint8 -> int16`, `int32 + float32 -> float64`,
    /// `int16 + float32 -> float32`, `bool + x -> x`.
    public static func promote(_ a: DType, _ b: DType) -> DType {
        if a == b { return a }
        if a == .bool { return b }
        if b == .bool { return a }
        switch (a.isFloatingPoint, b.isFloatingPoint) {
        case (true, true):
            return max(a, b)
        case (true, false):
            return floatFor(integer: b, atLeast: a)
        case (false, true):
            return floatFor(integer: a, atLeast: b)
        case (false, false):
            return promoteIntegers(a, b)
        }
    }

    /// Promotes a list of dtypes; `nil` for an empty list.
    public static func promote(_ types: [DType]) -> DType? {
        guard var result = types.first else { return nil }
        for t in types.dropFirst() { result = promote(result, t) }
        return result
    }

    private static func floatFor(integer: DType, atLeast float: DType) -> DType {
        // float32 holds int8, uint8 and int16 exactly; wider integers need float64.
        switch integer {
        case .uint8, .int8, .int16: return float
        default: return .float64
        }
    }

    private static func promoteIntegers(_ a: DType, _ b: DType) -> DType {
        if a.isSignedInteger == b.isSignedInteger { return max(a, b) }
        // One is uint8, the other signed.
        let signed = a == .uint8 ? b : a
        return signed == .int8 ? .int16 : signed
    }

    /// The floating-point dtype that a transcendental function (exp, sin, ...) computes in for
    /// an input of this dtype: floats keep their type; bool, int8, uint8 and int16 give float32;
    /// int32 and int64 give float64 (NumPy's rule, with float16 replaced by float32).
    public var floatingPointResult: DType {
        switch self {
        case .float32, .float64: return self
        case .bool, .int8, .uint8, .int16: return .float32
        case .int32, .int64: return .float64
        }
    }
}
