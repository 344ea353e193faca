import TheanoArray
import TheanoGraph

/// Canonicalisation of dtype conversions: casts that change nothing, and chains of casts whose
/// intermediate step loses nothing.
public enum CanonicalizeCasts {
    /// `cast{t}(x)` with `x` already of dtype `t` -> `x`.
    public static let uselessCast = rule("useless_cast", tracks: [Elemwise.self]) { _, node in
        guard case .cast(let target)? = scalarOp(node), node.inputs[0].type.dtype == target else { return nil }
        return sameType(node.inputs[0], as: node.output)
    }

    /// `cast{c}(cast{b}(x))` with `x` of dtype `a` -> `cast{c}(x)` (or `x` when `c == a`) when
    /// every value of `a` is exactly representable in `b`: the intermediate value is then `x`'s
    /// own value, and casts depend only on the value (`float32 -> float64 -> float32` is the
    /// identity; `int8 -> int32 -> float32` is `int8 -> float32`).
    public static let castChain = rule("cast_chain", tracks: [Elemwise.self]) { _, node in
        guard case .cast(let c)? = scalarOp(node), let inner = node.inputs[0].owner,
              case .cast(let b)? = scalarOp(inner) else { return nil }
        let x = inner.inputs[0]
        guard holdsExactly(b, every: x.type.dtype) else { return nil }
        if x.type.dtype == c { return sameType(x, as: node.output) }
        return sameType(try applyScalar(.cast(c), [x]), as: node.output)
    }

    /// The cast rules, in the order they are tried on a node.
    public static let all: [Rewrite] = [uselessCast, castChain]
}

/// Whether dtype `wide` represents every value of dtype `narrow` exactly.
func holdsExactly(_ wide: DType, every narrow: DType) -> Bool {
    if wide == narrow || narrow == .bool { return true }
    switch wide {
    case .bool, .uint8, .int8: return false
    case .int16: return narrow == .uint8 || narrow == .int8
    case .int32: return [.uint8, .int8, .int16].contains(narrow)
    case .int64: return [.uint8, .int8, .int16, .int32].contains(narrow)
    case .float32: return [.uint8, .int8, .int16].contains(narrow)
    case .float64: return [.uint8, .int8, .int16, .int32, .float32].contains(narrow)
    }
}
