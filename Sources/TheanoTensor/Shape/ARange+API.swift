import TheanoArray
import TheanoGraph

/// The values `start, start + step, ...` below `stop` (above, for a negative step), NumPy's
/// `arange`. The arguments are numeric scalars, symbolic or literal; the length is static when
/// all three are constants.
///
/// Without a dtype, the arguments' dtypes are promoted: integer literals give int64, a float
/// literal float64, a float32 tensor float32.
///
/// ```swift
/// let r = try arange(0, n, 2)          // n: an int64 scalar -> int64[?]
/// ```
/// - Throws: for non-scalar or bool arguments, and for a zero step (at build time when it is
///   a constant, else at run time).
public func arange(_ start: Tensor, _ stop: Tensor, _ step: Tensor = 1, dtype: DType? = nil) throws -> Tensor {
    let target = dtype ?? promoteWithWeak([start, stop, step])
    for (name, t) in zip(["start", "stop", "step"], [start, stop, step]) where t.rank != 0 || t.dtype == .bool {
        throw TheanoError.typeMismatch("arange: \(name) must be a numeric scalar, got \(describeVariable(t.variable))")
    }
    return try ARange(target).apply([start, stop, step])
}

/// The values `0, 1, ..., stop - 1` (NumPy's `arange(stop)`); see ``arange(_:_:_:dtype:)``.
public func arange(_ stop: Tensor, dtype: DType? = nil) throws -> Tensor {
    try arange(0, stop, 1, dtype: dtype)
}

/// The integers `0 ..< stop` as a constant-length vector (int64 unless `dtype` is given).
public func arange(_ stop: Int, dtype: DType = .int64) throws -> Tensor {
    try arange(Tensor(shapeConstant(0)), Tensor(shapeConstant(stop)), Tensor(shapeConstant(1)), dtype: dtype)
}

/// The integers `start, start + step, ...` below `stop` (int64 unless `dtype` is given).
public func arange(_ start: Int, _ stop: Int, _ step: Int = 1, dtype: DType = .int64) throws -> Tensor {
    try arange(Tensor(shapeConstant(start)), Tensor(shapeConstant(stop)), Tensor(shapeConstant(step)), dtype: dtype)
}

/// A `rows` x `columns` matrix with ones on diagonal `k` (0: main, positive: above, negative:
/// below) and zeros elsewhere (NumPy's `eye`). Sizes may be symbolic integer scalars.
public func eye(_ rows: Tensor, _ columns: Tensor? = nil, k: Tensor = 0, dtype: DType = .float32) throws -> Tensor {
    let sizes = try [rows, columns ?? rows].enumerated().map { try shapeSizeVariable($0.element, opName: "eye", position: $0.offset) }
    guard k.rank == 0, k.dtype.isInteger else {
        throw TheanoError.typeMismatch("eye: k must be an integer scalar, got \(describeVariable(k.variable))")
    }
    let diagonal = try shapeConstantValue(k.variable).map(shapeConstant) ?? cast(k, .int64).variable
    return try Eye(dtype).apply((sizes + [diagonal]).map(Tensor.init))
}

/// A static `rows` x `columns` matrix with ones on diagonal `k`; see ``eye(_:_:k:dtype:)``.
public func eye(_ rows: Int, _ columns: Int? = nil, k: Int = 0, dtype: DType = .float32) throws -> Tensor {
    let columns: Int = columns ?? rows
    return try eye(Tensor(shapeConstant(rows)), Tensor(shapeConstant(columns)), k: Tensor(shapeConstant(k)), dtype: dtype)
}
