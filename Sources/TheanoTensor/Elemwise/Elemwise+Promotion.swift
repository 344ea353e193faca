import TheanoArray
import TheanoGraph

/// Builds an elementwise node the way NumPy would evaluate it: weakly typed literals take the
/// other operands' dtype, dtypes are promoted (``DType/promote(_:_:)``), integer inputs of
/// floating-point functions are converted, and lower-rank inputs gain leading broadcastable
/// axes. See `docs/DTYPES.md` for the rules.
///
/// Throws when the inputs' static shapes cannot broadcast, when the op is not defined for the
/// promoted dtype (`-` on bools), or when an integer literal does not fit the integer dtype it
/// would be converted to (`int8Tensor + 1000`; comparisons and `clip` handle such literals
/// exactly instead).
public func elemwise(_ op: ScalarOp, _ inputs: [Tensor]) throws -> Tensor {
    guard inputs.count == op.arity else {
        throw TheanoError.invalidArgument("\(op): expected \(op.arity) inputs, got \(inputs.count)")
    }
    try checkBroadcastable(op, inputs)
    let targets = targetDTypes(op, inputs)
    var converted = try inputs.indices.map { i in
        try convert(inputs[i], to: targets[i], for: op, among: inputs)
    }
    let rank = converted.map(\.rank).max() ?? 0
    converted = try converted.map { try padRank($0, to: rank) }
    return try Elemwise(op).apply(converted)
}

/// Throws when the static shapes of `inputs`, aligned at their last axes as NumPy aligns
/// them, have two different known sizes (neither 1) on some axis. The message names the op,
/// both inputs as the user wrote them, and both shapes.
func checkBroadcastable(_ op: ScalarOp, _ inputs: [Tensor]) throws {
    let rank = inputs.map(\.rank).max() ?? 0
    for fromEnd in stride(from: 1, through: rank, by: 1) {
        var first: (input: Int, size: Int)? = nil
        for (i, x) in inputs.enumerated() where x.rank >= fromEnd {
            guard let size = x.staticShape[x.rank - fromEnd], size != 1 else { continue }
            guard let f = first else {
                first = (i, size)
                continue
            }
            if f.size != size {
                let a = inputs[f.input], axis = fromEnd == 1 ? "the last axis" : "axis \(-fromEnd)"
                throw TheanoError.shapeMismatch(
                    "\(op): shapes \(formatStaticShape(a.staticShape)) and \(formatStaticShape(x.staticShape)) cannot be broadcast together: input \(f.input) \(describeVariable(a.variable)) has size \(f.size) at \(axis), input \(i) \(describeVariable(x.variable)) has size \(size) (sizes must be equal, or 1 to broadcast)")
            }
        }
    }
}

/// `[?, 3]`: a static shape with `?` for unknown sizes.
func formatStaticShape(_ shape: [Int?]) -> String {
    "[" + shape.map { $0.map(String.init) ?? "?" }.joined(separator: ", ") + "]"
}

/// The dtype each input must have before the scalar op applies.
func targetDTypes(_ op: ScalarOp, _ inputs: [Tensor]) -> [DType] {
    switch op {
    case .cast, .identity, .isnan, .isinf: return [inputs[0].dtype]
    case .not: return [.bool]
    case .and, .or, .xor: return [.bool, .bool]
    case .where:
        let common = promoteWithWeak(Array(inputs[1...]))
        return [.bool, common, common]
    case .exp, .exp2, .expm1, .log, .log2, .log10, .log1p, .sqrt, .reciprocal,
         .sin, .cos, .tan, .arcsin, .arccos, .arctan, .sinh, .cosh, .tanh, .arcsinh, .arccosh, .arctanh,
         .erf, .erfc, .gamma, .lgamma, .digamma, .sigmoid, .softplus, .log1mexp,
         .neg, .abs, .sign, .square, .floor, .ceil, .round, .trunc,
         .add, .sub, .mul, .floorDiv, .mod, .pow, .maximum, .minimum, .trueDiv, .arctan2, .logaddexp,
         .eq, .neq, .lt, .le, .gt, .ge, .clip:
        // Inputs promoted to one common dtype, adjusted by kind below.
        break
    }
    var common = promoteWithWeak(inputs)
    switch op.kind {
    case .floatFunction:
        // True division of integers (and bools) is float64 in NumPy, whatever their width.
        common = op == .trueDiv && !common.isFloatingPoint ? .float64 : common.floatingPointResult
    case .numeric where common == .bool && !op.acceptsBool && !op.rejectsBool:
        // NumPy computes `//`, `%`, `**` and `square` of bools in its smallest integer type.
        common = .int8
    case .comparison where common.isInteger:
        // An integer literal outside the operands' range compares exactly, as in NumPy 2.
        let outOfRange = inputs.contains { x in
            weakIntegerLiteral(x).map { !integerBounds(common).contains($0) } ?? false
        }
        if outOfRange { common = .int64 }
    case .numeric, .comparison, .logic, .classification, .special:
        break
    }
    return Array(repeating: common, count: inputs.count)
}

/// The common dtype of operands where weakly typed literals yield: an integer literal takes the
/// strong operands' dtype (int64 if they are bool); a float literal takes their dtype if it is
/// floating point, else float64.
func promoteWithWeak(_ inputs: [Tensor]) -> DType {
    let strong = inputs.filter { !$0.variable.isWeakConstant }.map(\.dtype)
    let weak = inputs.filter { $0.variable.isWeakConstant }.map(\.dtype)
    guard let strongCommon = DType.promote(strong) else {
        return DType.promote(weak) ?? .float64
    }
    var result = strongCommon
    for w in weak {
        if w.isFloatingPoint && !result.isFloatingPoint { result = .float64 }
        else if w.isInteger && result == .bool { result = .int64 }
    }
    return result
}

/// The value of a weakly typed integer literal, or nil for anything else.
func weakIntegerLiteral(_ x: Tensor) -> Int64? {
    guard x.variable.isWeakConstant, x.dtype.isInteger, let value = x.constantValue else { return nil }
    return try? value.item(Int64.self)
}

/// The values an integer dtype holds.
func integerBounds(_ dtype: DType) -> ClosedRange<Int64> {
    switch dtype {
    case .bool: return 0...1
    case .uint8: return Int64(UInt8.min)...Int64(UInt8.max)
    case .int8: return Int64(Int8.min)...Int64(Int8.max)
    case .int16: return Int64(Int16.min)...Int64(Int16.max)
    case .int32: return Int64(Int32.min)...Int64(Int32.max)
    case .int64, .float32, .float64: return Int64.min...Int64.max
    }
}

/// `x` converted to `dtype` for `op`: constants are converted directly, other tensors through
/// a cast node. An integer literal that does not fit an integer `dtype` is an error (NumPy 2
/// raises OverflowError), except as a bound of `clip`, where it is clamped to the dtype's
/// range (which gives the same result).
func convert(_ x: Tensor, to dtype: DType, for op: ScalarOp, among inputs: [Tensor]) throws -> Tensor {
    if x.dtype == dtype { return x }
    guard var value = x.constantValue else {
        return try Elemwise(.cast(dtype)).apply([x])
    }
    if dtype.isInteger, let literal = weakIntegerLiteral(x) {
        let bounds = integerBounds(dtype)
        if !bounds.contains(literal) {
            guard op == .clip else {
                let others = inputs.filter { !$0.variable.isWeakConstant }.map { describeVariable($0.variable) }
                throw TheanoError.typeMismatch(
                    "\(op): the integer literal \(literal) does not fit in \(dtype), the dtype of \(others.joined(separator: " and ")); write Tensor.constant(\(literal), .int64) for a strongly typed constant, or cast the other operand to a wider dtype")
            }
            value = NDArray(scalar: Swift.min(Swift.max(literal, bounds.lowerBound), bounds.upperBound))
        }
    }
    return Tensor(Variable(constant: value.astype(dtype), weak: x.variable.isWeakConstant))
}

/// `x` with leading broadcastable axes added up to `rank`.
func padRank(_ x: Tensor, to rank: Int) throws -> Tensor {
    if x.rank == rank { return x }
    let lead = rank - x.rank
    if let value = x.constantValue {
        return Tensor(Variable(constant: try value.reshaped(Array(repeating: 1, count: lead) + value.shape), weak: x.variable.isWeakConstant))
    }
    let order = Array(repeating: DimShuffle.newAxis, count: lead) + Array(0..<x.rank)
    return try DimShuffle(inputRank: x.rank, order: order).apply([x])
}

/// `x` converted to `dtype` outside an elementwise op (set/inc values, operands of products,
/// joins): an integer literal must fit the dtype.
func convert(_ x: Tensor, to dtype: DType) throws -> Tensor {
    try convert(x, to: dtype, for: .cast(dtype), among: [x])
}
