import TheanoArray
import TheanoGraph

/// Elementwise "approximately equal" (NumPy's `isclose`): true where
/// `|a - b| <= atol + rtol * |b|` (asymmetric in `b`, as NumPy), where both are the same
/// infinity, and, with `equalNaN`, where both are NaN. Integer inputs are compared as floats.
/// A bool tensor of the broadcast shape.
///
/// ```swift
/// let same = try isclose(x, y, rtol: 1e-6)
/// ```
public func isclose(_ a: Tensor, _ b: Tensor, rtol: Double = 1e-5, atol: Double = 1e-8, equalNaN: Bool = false) throws -> Tensor {
    guard rtol >= 0, atol >= 0 else {
        throw TheanoError.invalidArgument("isclose: tolerances must be non-negative, got rtol \(rtol) and atol \(atol)")
    }
    let (x, y) = try floatOperands(a, b)
    let tolerance = try add(Tensor(floatLiteral: atol), mul(Tensor(floatLiteral: rtol), abs(y)))
    let near = try le(abs(sub(x, y)), tolerance)
    let infinite = try logicalOr(isinf(x), isinf(y))
    var result = try `where`(infinite, eq(x, y), near)
    if equalNaN {
        result = try logicalOr(result, logicalAnd(isnan(x), isnan(y)))
    }
    return result
}

/// Whether every element pair is close (NumPy's `allclose`): `all(isclose(a, b, ...))`, a bool
/// scalar. See ``isclose(_:_:rtol:atol:equalNaN:)``.
public func allclose(_ a: Tensor, _ b: Tensor, rtol: Double = 1e-5, atol: Double = 1e-8, equalNaN: Bool = false) throws -> Tensor {
    try all(isclose(a, b, rtol: rtol, atol: atol, equalNaN: equalNaN))
}

/// The two operands with integer (and bool) ones cast to float: to the other operand's float
/// dtype, or float64 when both are integers.
private func floatOperands(_ a: Tensor, _ b: Tensor) throws -> (Tensor, Tensor) {
    switch (a.dtype.isFloatingPoint, b.dtype.isFloatingPoint) {
    case (true, true): return (a, b)
    case (true, false): return (a, try cast(b, a.dtype))
    case (false, true): return (try cast(a, b.dtype), b)
    case (false, false): return (try cast(a, .float64), try cast(b, .float64))
    }
}
