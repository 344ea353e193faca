import TheanoArray

/// A value a compiled ``Function`` accepts for one of its inputs: an ``NDArray``, a Swift
/// number (`Int`, `Double`, `Float`, `Bool` and the fixed-width integers) or a Swift array of
/// them, nested for more axes (`[[1, 2], [3, 4]]` is a 2 x 2 matrix).
///
/// ```swift
/// let f = try function([x, y], [x * y])        // x: float32 vector, y: float32 scalar
/// let out = try f([1, 2, 3], 0.5)                // Swift values, converted to float32
/// let same = try f(NDArray([1, 2, 3] as [Float]), NDArray(scalar: Float(0.5)))
/// ```
///
/// A call converts each argument to its input's dtype by these rules (the function's
/// `allowInputDowncast` and ``In``'s `allowDowncast` relax them):
/// - an ``NDArray`` keeps its dtype unless the input's dtype holds every value of it
///   (`float32 -> float64`, `int32 -> int64`, `int16 -> float32`, `bool -> anything`); any
///   other dtype is an error (convert it with ``NDArray/astype(_:)``);
/// - Swift numbers convert when no value changes: `3` fits a float32 input, `3.5` does not
///   fit an int32 input, `300` does not fit uint8, `16_777_217` does not fit float32 (it is
///   not representable), `2` does not fit a bool input (only 0 and 1 do);
/// - one exception, as in Theano, where Python floats convert to `floatX`: Swift
///   floating-point values (`Double`, `Float`, scalars and arrays) convert to a float32 input
///   rounded to the nearest float32 (`0.1` is accepted), unless a finite value overflows
///   (`1e40` is an error).
///
/// With `allowInputDowncast: true` every argument converts with ``NDArray/astype(_:)``'s
/// C-like rules (truncation toward zero, wrapping), as Theano's `allow_input_downcast=True`.
/// The converted value must then have the input's rank and static sizes. Conform your own
/// types by returning their value as an array (``FunctionArgumentValue``).
public protocol FunctionArgument {
    /// This argument as an array of its natural dtype (`Int` gives int64, `Float` float32),
    /// with how strictly it converts.
    func functionArgumentValue() throws -> FunctionArgumentValue
}

/// An argument's value before conversion to its input's dtype, and the rule it converts by.
public struct FunctionArgumentValue: Sendable {
    /// How a value may convert to another dtype.
    public enum Origin: Sendable {
        /// An ``NDArray``: only to dtypes that hold every value of its dtype.
        case array
        /// Swift numbers: to any dtype in which every value stays the same (floating-point
        /// values may round to float32).
        case swiftValues
    }

    /// The value, in the dtype its Swift type stores as.
    public var array: NDArray
    /// Which conversion rule applies.
    public var origin: Origin

    /// A value to convert by the rule of `origin`.
    public init(_ array: NDArray, origin: Origin) {
        self.array = array
        self.origin = origin
    }
}

extension NDArray: FunctionArgument {
    public func functionArgumentValue() throws -> FunctionArgumentValue { FunctionArgumentValue(self, origin: .array) }
}

extension Bool: FunctionArgument {
    public func functionArgumentValue() throws -> FunctionArgumentValue { .swift(NDArray(scalar: self)) }
}

extension Int: FunctionArgument {
    public func functionArgumentValue() throws -> FunctionArgumentValue { .swift(NDArray(scalar: Int64(self))) }
}

extension Int8: FunctionArgument {
    public func functionArgumentValue() throws -> FunctionArgumentValue { .swift(NDArray(scalar: self)) }
}

extension Int16: FunctionArgument {
    public func functionArgumentValue() throws -> FunctionArgumentValue { .swift(NDArray(scalar: self)) }
}

extension Int32: FunctionArgument {
    public func functionArgumentValue() throws -> FunctionArgumentValue { .swift(NDArray(scalar: self)) }
}

extension Int64: FunctionArgument {
    public func functionArgumentValue() throws -> FunctionArgumentValue { .swift(NDArray(scalar: self)) }
}

extension UInt8: FunctionArgument {
    public func functionArgumentValue() throws -> FunctionArgumentValue { .swift(NDArray(scalar: self)) }
}

extension UInt16: FunctionArgument {
    public func functionArgumentValue() throws -> FunctionArgumentValue { .swift(NDArray(scalar: Int32(self))) }
}

extension UInt32: FunctionArgument {
    public func functionArgumentValue() throws -> FunctionArgumentValue { .swift(NDArray(scalar: Int64(self))) }
}

extension UInt64: FunctionArgument {
    /// Values above `Int64.max` are an error: no dtype holds them.
    public func functionArgumentValue() throws -> FunctionArgumentValue {
        guard let v = Int64(exactly: self) else {
            throw TheanoError.outOfRange("function argument: \(self) is beyond the range of every dtype (the largest integer dtype is int64)")
        }
        return .swift(NDArray(scalar: v))
    }
}

extension UInt: FunctionArgument {
    /// Values above `Int64.max` are an error: no dtype holds them.
    public func functionArgumentValue() throws -> FunctionArgumentValue { try UInt64(self).functionArgumentValue() }
}

extension Float: FunctionArgument {
    public func functionArgumentValue() throws -> FunctionArgumentValue { .swift(NDArray(scalar: self)) }
}

extension Double: FunctionArgument {
    public func functionArgumentValue() throws -> FunctionArgumentValue { .swift(NDArray(scalar: self)) }
}

extension Array: FunctionArgument where Element: FunctionArgument {
    /// The elements stacked along a new first axis: every element must have the same shape
    /// (a ragged array is an error) and the same dtype.
    public func functionArgumentValue() throws -> FunctionArgumentValue {
        try stackedFunctionArgument(self)
    }
}

extension FunctionArgumentValue {
    static func swift(_ array: NDArray) -> FunctionArgumentValue { FunctionArgumentValue(array, origin: .swiftValues) }
}

/// Stacks the values of `elements` along a new first axis.
private func stackedFunctionArgument<E: FunctionArgument>(_ elements: [E]) throws -> FunctionArgumentValue {
    // Flat arrays of numbers: one conversion, no per-element arrays.
    if let flat = flatNumbers(elements) { return .swift(flat) }
    let values = try elements.map { try $0.functionArgumentValue() }
    guard let first = values.first else {
        // An empty array of arrays: a float64 vector of size 0 (converts to any dtype).
        return .swift(NDArray([] as [Double]))
    }
    for (i, v) in values.enumerated().dropFirst() {
        guard v.array.shape == first.array.shape else {
            throw TheanoError.shapeMismatch(
                "function argument: a ragged nested array: element \(i) has shape \(formatShape(v.array.shape)), element 0 has \(formatShape(first.array.shape)); every element of an array must have the same shape")
        }
        guard v.array.dtype == first.array.dtype else {
            throw TheanoError.typeMismatch(
                "function argument: element \(i) of an array has dtype \(v.array.dtype), element 0 has \(first.array.dtype); convert them to one dtype")
        }
    }
    let expanded = try values.map { try $0.array.expandingDims(0) }
    let stacked = try NDArray.concatenate(expanded, axis: 0)
    let origin: FunctionArgumentValue.Origin = values.contains { $0.origin == .array } ? .array : .swiftValues
    return FunctionArgumentValue(stacked, origin: origin)
}

/// A flat array of Swift numbers as one array, or nil for other element types.
private func flatNumbers<E>(_ elements: [E]) -> NDArray? {
    switch elements {
    case let a as [Double]: return NDArray(a)
    case let a as [Float]: return NDArray(a)
    case let a as [Int]: return NDArray(a.map { Int64($0) })
    case let a as [Int64]: return NDArray(a)
    case let a as [Int32]: return NDArray(a)
    case let a as [Int16]: return NDArray(a)
    case let a as [Int8]: return NDArray(a)
    case let a as [UInt8]: return NDArray(a)
    case let a as [Bool]: return NDArray(a)
    default: return nil
    }
}
