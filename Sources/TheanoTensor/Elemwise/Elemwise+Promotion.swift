import TheanoArray
import TheanoGraph

/// Builds an elementwise node the way NumPy would evaluate it: weakly typed literals take the
/// other operands' dtype, dtypes are promoted (``DType/promote(_:_:)``), integer inputs of
/// floating-point functions are converted, and lower-rank inputs gain leading broadcastable
/// axes. See `docs/DTYPES.md` for the rules.
public func elemwise(_ op: ScalarOp, _ inputs: [Tensor]) throws -> Tensor {
    guard inputs.count == op.arity else {
        throw TheanoError.invalidArgument("\(op): expected \(op.arity) inputs, got \(inputs.count)")
    }
    let targets = try targetDTypes(op, inputs)
    var converted = try zip(inputs, targets).map { try convert($0, to: $1) }
    let rank = converted.map(\.rank).max() ?? 0
    converted = try converted.map { try padRank($0, to: rank) }
    return try Elemwise(op).apply(converted)
}

/// The dtype each input must have before the scalar op applies.
func targetDTypes(_ op: ScalarOp, _ inputs: [Tensor]) throws -> [DType] {
    switch op {
    case .cast(let t): return [inputs[0].dtype == t ? t : inputs[0].dtype]
    case .identity, .isnan, .isinf: return [inputs[0].dtype]
    case .not: return [.bool]
    case .and, .or, .xor: return [.bool, .bool]
    case .where:
        let common = promoteWithWeak(Array(inputs[1...]))
        return [.bool, common, common]
    default: break
    }
    var common = promoteWithWeak(inputs)
    if op.kind == .floatFunction {
        common = op == .trueDiv && common.isInteger ? .float64 : common.floatingPointResult
    } else if op.kind == .numeric && common == .bool && !op.acceptsBool {
        common = .int64
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

/// `x` converted to `dtype`: constants are converted directly, other tensors through a cast node.
func convert(_ x: Tensor, to dtype: DType) throws -> Tensor {
    if x.dtype == dtype { return x }
    if let value = x.constantValue {
        return Tensor(Variable(constant: value.astype(dtype), weak: x.variable.isWeakConstant))
    }
    return try Elemwise(.cast(dtype)).apply([x])
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
