import TheanoArray
import TheanoGraph

/// Simplifications that are right for finite inputs only, and so are opt-in: they sit in the
/// canonicalisation rule set but run only when enabled, by name or all at once by their group
/// ``group`` (`Mode.fastRun.including("mul_by_zero")`, `.including("finite_only")`, or
/// `RewritePipeline.enabling(_:)`).
///
/// Under IEEE arithmetic each of them changes a result for some NaN or infinite input:
/// `inf - inf` is NaN, not 0; `0 * inf` is NaN, not 0; `NaN == NaN` is false. Theano and
/// PyTensor apply such rules by default; here the default pipeline keeps IEEE results, and a
/// user who knows the inputs are finite can turn them on.
///
/// Cancelling a factor against itself (`x / x` -> 1, `x * y / x` -> `y`, the canonical form's
/// cancellation) is not among them: it is on by default, as in Theano and PyTensor, and
/// documented as a liberty (`div_self` and `cancel_factors` in ``CanonicalizeArithmetic``).
public enum CanonicalizeFiniteOnly {
    /// The group name that enables every rule of this set.
    public static let group = "finite_only"

    /// `x * 0` and `0 * x` -> zeros of the product's shape (`0 * inf` and `0 * NaN` are NaN).
    public static let mulByZero = rule("mul_by_zero", tracks: [Elemwise.self]) { _, node in
        guard scalarOp(node) == .mul, operandAndConstant(node, commutative: true, { $0 == 0 }) != nil else { return nil }
        return try filled(0, like: node.output, from: node)
    }.optIn(group: group)

    /// `0 / x` -> zeros of the quotient's shape (true division; `0 / 0` and `0 / NaN` are NaN).
    public static let zeroDiv = rule("zero_div", tracks: [Elemwise.self]) { _, node in
        guard scalarOp(node) == .trueDiv, uniformConstant(node.inputs[0]) == 0,
              node.inputs[1].constantValue == nil else { return nil }
        return try filled(0, like: node.output, from: node)
    }.optIn(group: group)

    /// `x - x` -> zeros of `x`'s shape (`inf - inf` is NaN). Exact for integers.
    public static let subSelf = rule("sub_self", tracks: [Elemwise.self]) { _, node in
        guard scalarOp(node) == .sub, node.inputs[0] === node.inputs[1] else { return nil }
        return try filled(0, like: node.output, from: node)
    }.optIn(group: group)

    /// `x == x`, `x <= x`, `x >= x` -> true and `x != x`, `x < x`, `x > x` -> false, of `x`'s
    /// shape (`NaN == NaN` is false, `NaN != NaN` true). Exact for integers and bools.
    public static let compareSelf = rule("compare_self", tracks: [Elemwise.self]) { _, node in
        guard let op = scalarOp(node), node.inputs.count == 2, node.inputs[0] === node.inputs[1] else { return nil }
        switch op {
        case .eq, .le, .ge: return try filled(1, like: node.output, from: node)
        case .neq, .lt, .gt: return try filled(0, like: node.output, from: node)
        default: return nil
        }
    }.optIn(group: group)

    /// The finite-only rules (all opt-in), in the order they are tried on a node.
    public static let all: [Rewrite] = [mulByZero, zeroDiv, subSelf, compareSelf]
}
