/// A Swift type that can be the element of an ``NDArray``.
///
/// `Bool`, `UInt8`, `Int8`, `Int16`, `Int32`, `Int64`, `Int` (as int64), `Float` and `Double`
/// conform. Conversions between them follow C casts made safe: floats convert to integers by
/// truncation toward zero, NaN converts to 0, and out-of-range values wrap as two's complement
/// after clamping to the `Int64` range (no trap on any input).
public protocol NDArrayElement: Sendable {
    /// The dtype this Swift type stores as.
    static var dtype: DType { get }
    /// Converts an integer value (exactly, wrapping if needed).
    ///
    /// A static function rather than an initialiser, so that importing the library adds no
    /// initialiser to the standard numeric types (`[1, 2].map(Int64.init)` and
    /// `[1.0].map(Float.init)` type-check exactly as without it).
    static func element(fromInt64 value: Int64) -> Self
    /// Converts a floating-point value (truncating for integers, `!= 0` for Bool).
    static func element(fromDouble value: Double) -> Self
    /// The value as an integer (floats truncate toward zero; NaN gives 0).
    var int64Value: Int64 { get }
    /// The value as a Double.
    var doubleValue: Double { get }
}

extension NDArrayElement {
    /// Converts any element to this type with the casting rules above.
    @inlinable
    public static func element<T: NDArrayElement>(converting value: T) -> Self {
        if T.dtype.isFloatingPoint {
            return element(fromDouble: value.doubleValue)
        } else {
            return element(fromInt64: value.int64Value)
        }
    }
}

@inlinable
func saturatingInt64(_ x: Double) -> Int64 {
    if x.isNaN { return 0 }
    if x >= 9.2233720368547758e18 { return Int64.max }
    if x <= -9.2233720368547758e18 { return Int64.min }
    return Int64(x)
}

extension Bool: NDArrayElement {
    public static var dtype: DType { .bool }
    @inlinable public static func element(fromInt64 value: Int64) -> Self { value != 0 }
    @inlinable public static func element(fromDouble value: Double) -> Self { value != 0 }
    @inlinable public var int64Value: Int64 { self ? 1 : 0 }
    @inlinable public var doubleValue: Double { self ? 1 : 0 }
}

extension UInt8: NDArrayElement {
    public static var dtype: DType { .uint8 }
    @inlinable public static func element(fromInt64 value: Int64) -> Self { Self(truncatingIfNeeded: value) }
    @inlinable public static func element(fromDouble value: Double) -> Self { Self(truncatingIfNeeded: saturatingInt64(value)) }
    @inlinable public var int64Value: Int64 { Int64(self) }
    @inlinable public var doubleValue: Double { Double(self) }
}

extension Int8: NDArrayElement {
    public static var dtype: DType { .int8 }
    @inlinable public static func element(fromInt64 value: Int64) -> Self { Self(truncatingIfNeeded: value) }
    @inlinable public static func element(fromDouble value: Double) -> Self { Self(truncatingIfNeeded: saturatingInt64(value)) }
    @inlinable public var int64Value: Int64 { Int64(self) }
    @inlinable public var doubleValue: Double { Double(self) }
}

extension Int16: NDArrayElement {
    public static var dtype: DType { .int16 }
    @inlinable public static func element(fromInt64 value: Int64) -> Self { Self(truncatingIfNeeded: value) }
    @inlinable public static func element(fromDouble value: Double) -> Self { Self(truncatingIfNeeded: saturatingInt64(value)) }
    @inlinable public var int64Value: Int64 { Int64(self) }
    @inlinable public var doubleValue: Double { Double(self) }
}

extension Int32: NDArrayElement {
    public static var dtype: DType { .int32 }
    @inlinable public static func element(fromInt64 value: Int64) -> Self { Self(truncatingIfNeeded: value) }
    @inlinable public static func element(fromDouble value: Double) -> Self { Self(truncatingIfNeeded: saturatingInt64(value)) }
    @inlinable public var int64Value: Int64 { Int64(self) }
    @inlinable public var doubleValue: Double { Double(self) }
}

extension Int64: NDArrayElement {
    public static var dtype: DType { .int64 }
    @inlinable public static func element(fromInt64 value: Int64) -> Self { value }
    @inlinable public static func element(fromDouble value: Double) -> Self { saturatingInt64(value) }
    @inlinable public var int64Value: Int64 { self }
    @inlinable public var doubleValue: Double { Double(self) }
}

extension Int: NDArrayElement {
    public static var dtype: DType { .int64 }
    @inlinable public static func element(fromInt64 value: Int64) -> Self { Self(truncatingIfNeeded: value) }
    @inlinable public static func element(fromDouble value: Double) -> Self { Self(truncatingIfNeeded: saturatingInt64(value)) }
    @inlinable public var int64Value: Int64 { Int64(self) }
    @inlinable public var doubleValue: Double { Double(self) }
}

extension Float: NDArrayElement {
    public static var dtype: DType { .float32 }
    @inlinable public static func element(fromInt64 value: Int64) -> Self { Self(value) }
    @inlinable public static func element(fromDouble value: Double) -> Self { Self(value) }
    @inlinable public var int64Value: Int64 { saturatingInt64(Double(self)) }
    @inlinable public var doubleValue: Double { Double(self) }
}

extension Double: NDArrayElement {
    public static var dtype: DType { .float64 }
    @inlinable public static func element(fromInt64 value: Int64) -> Self { Self(value) }
    @inlinable public static func element(fromDouble value: Double) -> Self { value }
    @inlinable public var int64Value: Int64 { saturatingInt64(self) }
    @inlinable public var doubleValue: Double { self }
}

extension DType {
    /// The Swift type that stores this dtype (`Int64` for int64).
    ///
    /// Type-erased code reaches a typed generic kernel by passing this to a generic function
    /// (`func kernel<T: NDArrayElement>(_: T.Type)`); Swift opens the existential.
    public var elementType: any NDArrayElement.Type {
        switch self {
        case .bool: return Bool.self
        case .uint8: return UInt8.self
        case .int8: return Int8.self
        case .int16: return Int16.self
        case .int32: return Int32.self
        case .int64: return Int64.self
        case .float32: return Float.self
        case .float64: return Double.self
        }
    }
}
