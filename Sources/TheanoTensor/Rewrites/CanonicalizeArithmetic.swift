import TheanoArray
import TheanoGraph

/// Canonicalisation of arithmetic: neutral elements, double negation, integer division by
/// one, constants collected in sums and products, and cancelled factors. (Self-cancelling
/// expressions such as `x - x`, whose results differ for NaN and infinities, are the opt-in
/// rules of ``CanonicalizeFiniteOnly``.)
///
/// Every rule keeps the replaced variable's dtype and static shape: where a constant operand
/// broadcast the other one to a larger shape (`x * ones([3, 4])` with `x` a vector), the
/// result is broadcast with ``Alloc`` (see `fit`).
public enum CanonicalizeArithmetic {
    /// `x * 1` and `1 * x` -> `x`.
    public static let mulByOne = rule("mul_by_one", tracks: [Elemwise.self]) { _, node in
        guard scalarOp(node) == .mul, let (x, _) = operandAndConstant(node, commutative: true, { $0 == 1 }) else { return nil }
        return try fit(x, to: node.output, from: node)
    }

    /// `x + 0` and `0 + x` -> `x`.
    public static let addZero = rule("add_zero", tracks: [Elemwise.self]) { _, node in
        guard scalarOp(node) == .add, let (x, _) = operandAndConstant(node, commutative: true, { $0 == 0 }) else { return nil }
        return try fit(x, to: node.output, from: node)
    }

    /// `x - 0` -> `x`.
    public static let subZero = rule("sub_zero", tracks: [Elemwise.self]) { _, node in
        guard scalarOp(node) == .sub, let (x, _) = operandAndConstant(node, commutative: false, { $0 == 0 }) else { return nil }
        return try fit(x, to: node.output, from: node)
    }

    /// `0 - x` -> `-x`.
    public static let zeroSub = rule("zero_sub", tracks: [Elemwise.self]) { _, node in
        guard scalarOp(node) == .sub, uniformConstant(node.inputs[0]) == 0, node.inputs[1].constantValue == nil else { return nil }
        return try fit(try applyScalar(.neg, [node.inputs[1]]), to: node.output, from: node)
    }

    /// `x / 1` -> `x` (true division; floats only).
    public static let divByOne = rule("div_by_one", tracks: [Elemwise.self]) { _, node in
        guard scalarOp(node) == .trueDiv, let (x, _) = operandAndConstant(node, commutative: false, { $0 == 1 }) else { return nil }
        return try fit(x, to: node.output, from: node)
    }

    /// `x ** 1` -> `x`.
    public static let powOne = rule("pow_one", tracks: [Elemwise.self]) { _, node in
        guard scalarOp(node) == .pow, let (x, _) = operandAndConstant(node, commutative: false, { $0 == 1 }) else { return nil }
        return try fit(x, to: node.output, from: node)
    }

    /// `x ** 0` -> ones (exact: `pow(x, 0)` is 1 for every x, NaN included).
    public static let powZero = rule("pow_zero", tracks: [Elemwise.self]) { _, node in
        guard scalarOp(node) == .pow, node.inputs[0].constantValue == nil,
              uniformConstant(node.inputs[1]) == 0 else { return nil }
        return try filled(1, like: node.output, from: node)
    }

    /// `x // 1` -> `x` for integers (exact; float floor division by one is `floor(x)`, left
    /// alone).
    public static let intDivByOne = rule("int_div_by_one", tracks: [Elemwise.self]) { _, node in
        guard scalarOp(node) == .floorDiv, node.outputTypes[0].dtype.isInteger,
              let (x, _) = operandAndConstant(node, commutative: false, { $0 == 1 }) else { return nil }
        return try fit(x, to: node.output, from: node)
    }

    /// `0 // x` -> zeros for integers (exact: integer floor division of 0 is 0, by 0
    /// included; the float `0 // x` is NaN for a NaN or zero `x`, and left alone).
    public static let zeroIntDiv = rule("zero_int_div", tracks: [Elemwise.self]) { _, node in
        guard scalarOp(node) == .floorDiv, node.outputTypes[0].dtype.isInteger,
              uniformConstant(node.inputs[0]) == 0, node.inputs[1].constantValue == nil else { return nil }
        return try filled(0, like: node.output, from: node)
    }

    /// `-(-x)` -> `x` (exact, integers included: negation wraps both times).
    public static let doubleNeg = rule("double_neg", tracks: [Elemwise.self]) { _, node in
        guard scalarOp(node) == .neg, let inner = elemwiseNode(node.inputs[0], .neg) else { return nil }
        return sameType(inner.inputs[0], as: node.output)
    }

    /// `(x + c1) + c2` -> `x + (c1 + c2)`, for every mix of `+` and `-` and either operand
    /// order: `(x + 1) + 2` -> `x + 3`, `5 - (x - 2)` -> `7 - x`. The new constant is computed
    /// at compile time (floating-point results may round differently).
    public static let addConstants = rule("add_constants", tracks: [Elemwise.self]) { _, node in
        guard let outer = additiveParts(node), let innerNode = outer.operand.owner,
              let inner = additiveParts(innerNode) else { return nil }
        // node = s1 * (s0 * x + t1 * c1) + t2 * c2
        let sign = outer.operandSign * inner.operandSign
        let innerConstantSign = outer.operandSign * inner.constantSign
        guard let k = combineSigned(inner.constant, innerConstantSign, outer.constant, outer.constantSign,
                                    positive: .add, negative: .sub, negate: .neg) else { return nil }
        let x = inner.operand
        let result = sign > 0 ? try applyScalar(.add, [x, k]) : try applyScalar(.sub, [k, x])
        return try fit(result, to: node.output, from: node)
    }

    /// `(x * c1) * c2` -> `x * (c1 * c2)`, also with true division by or of constants:
    /// `2 * (3 * x)` -> `6 * x`, `(x / 2) * 4` -> `x * 2`, `6 / (3 / x)`... -> `2 * x`.
    public static let mulConstants = rule("mul_constants", tracks: [Elemwise.self]) { _, node in
        guard let outer = multiplicativeParts(node), let innerNode = outer.operand.owner,
              let inner = multiplicativeParts(innerNode) else { return nil }
        let power = outer.operandSign * inner.operandSign
        let innerConstantPower = outer.operandSign * inner.constantSign
        guard let k = combineSigned(inner.constant, innerConstantPower, outer.constant, outer.constantSign,
                                    positive: .mul, negative: .trueDiv, negate: .reciprocal) else { return nil }
        let x = inner.operand
        let result = power > 0 ? try applyScalar(.mul, [x, k]) : try applyScalar(.trueDiv, [k, x])
        return try fit(result, to: node.output, from: node)
    }

    /// `(x + c) + y` -> `(x + y) + c` with `y` not constant, so constants move outwards where
    /// they meet and fold (`(x + 1) + (y + 2)` -> `(x + y) + 3`).
    public static let hoistAddConstant = rule("hoist_add_constant", tracks: [Elemwise.self]) { graph, node in
        try hoistConstant(node, .add, graph)
    }

    /// `(x * c) * y` -> `(x * y) * c` with `y` not constant (see `hoist_add_constant`).
    public static let hoistMulConstant = rule("hoist_mul_constant", tracks: [Elemwise.self]) { graph, node in
        try hoistConstant(node, .mul, graph)
    }

    /// Cancelled factors in true division: `(x * y) / x` -> `y`, `x * (y / x)` -> `y`,
    /// `(y / x) * x` -> `y`.
    ///
    /// A documented liberty (as in Theano): where `x` is 0, infinite or NaN the true result is
    /// NaN (or infinite), the rewritten one `y`.
    public static let cancelFactors = rule("cancel_factors", tracks: [Elemwise.self]) { _, node in
        guard let op = scalarOp(node), op == .trueDiv || op == .mul else { return nil }
        let (a, b) = (node.inputs[0], node.inputs[1])
        switch op {
        case .trueDiv:
            // (x * y) / x or (y * x) / x
            guard let product = elemwiseNode(a, .mul) else { return nil }
            if product.inputs[0] === b { return try fit(product.inputs[1], to: node.output, from: node) }
            if product.inputs[1] === b { return try fit(product.inputs[0], to: node.output, from: node) }
            return nil
        case .mul:
            // x * (y / x) or (y / x) * x
            for (quotient, other) in [(b, a), (a, b)] {
                if let q = elemwiseNode(quotient, .trueDiv), q.inputs[1] === other {
                    return try fit(q.inputs[0], to: node.output, from: node)
                }
            }
            return nil
        default:
            return nil
        }
    }

    /// The arithmetic rules, in the order they are tried on a node.
    /// `x / x` -> ones of `x`'s shape: the canonical form's cancellation of a factor against
    /// itself, on by default as in Theano and PyTensor (a documented liberty: `0 / 0`,
    /// `inf / inf` and `NaN / NaN` are NaN under IEEE arithmetic).
    public static let divSelf = rule("div_self", tracks: [Elemwise.self]) { _, node in
        guard scalarOp(node) == .trueDiv, node.inputs[0] === node.inputs[1] else { return nil }
        return try filled(1, like: node.output, from: node)
    }

    public static let all: [Rewrite] = [
        mulByOne, addZero, subZero, zeroSub, divByOne, intDivByOne, zeroIntDiv, powOne, powZero, doubleNeg,
        addConstants, mulConstants, hoistAddConstant, hoistMulConstant, cancelFactors, divSelf,
    ]
}

/// A two-input node `operand ± constant` read as `operandSign * operand + constantSign * constant`.
struct SignedParts {
    let operand: Variable
    let operandSign: Int
    let constant: Variable
    let constantSign: Int
}

/// `a + c`, `c + a`, `a - c`, `c - a` with exactly one small constant operand.
private func additiveParts(_ node: Apply) -> SignedParts? {
    guard let op = scalarOp(node), op == .add || op == .sub else { return nil }
    return signedParts(node, inverse: op == .sub)
}

/// `a * c`, `c * a`, `a / c`, `c / a` with exactly one small constant operand (exponents as
/// signs).
private func multiplicativeParts(_ node: Apply) -> SignedParts? {
    guard let op = scalarOp(node), op == .mul || op == .trueDiv else { return nil }
    return signedParts(node, inverse: op == .trueDiv)
}

private func signedParts(_ node: Apply, inverse: Bool) -> SignedParts? {
    let (a, b) = (node.inputs[0], node.inputs[1])
    let small = { (v: Variable) in (v.constantValue?.count ?? Int.max) <= ruleConstantLimit }
    if small(b) && a.constantValue == nil {
        return SignedParts(operand: a, operandSign: 1, constant: b, constantSign: inverse ? -1 : 1)
    }
    if small(a) && b.constantValue == nil {
        return SignedParts(operand: b, operandSign: inverse ? -1 : 1, constant: a, constantSign: 1)
    }
    return nil
}

/// `s1 * c1 + s2 * c2` for a group written with `positive` (add or mul), `negative` (sub or
/// true division) and `negate` (neg or reciprocal), folded at compile time with the ops' own
/// semantics (integer negation wraps, so integer results stay exact).
private func combineSigned(_ c1: Variable, _ s1: Int, _ c2: Variable, _ s2: Int,
                           positive: ScalarOp, negative: ScalarOp, negate: ScalarOp) -> Variable? {
    switch (s1 > 0, s2 > 0) {
    case (true, true): return foldConstants(positive, [c1, c2])
    case (true, false): return foldConstants(negative, [c1, c2])
    case (false, true): return foldConstants(negative, [c2, c1])
    case (false, false): return foldConstants(positive, [c1, c2]).flatMap { foldConstants(negate, [$0]) }
    }
}

/// `(x op c) op y` or `y op (x op c)` -> `(x op y) op c` for a commutative, associative `op`
/// with `c` a constant and `y` not one. Declines when the inner node has other readers (the
/// rewrite would then compute it twice).
private func hoistConstant(_ node: Apply, _ op: ScalarOp, _ graph: FunctionGraph) throws -> Variable? {
    guard scalarOp(node) == op else { return nil }
    for (innerSide, y) in [(node.inputs[0], node.inputs[1]), (node.inputs[1], node.inputs[0])] where y.constantValue == nil {
        guard let inner = elemwiseNode(innerSide, op), hasSingleClient(innerSide, in: graph) else { continue }
        let (p, q) = (inner.inputs[0], inner.inputs[1])
        let (x, c): (Variable, Variable)
        if q.constantValue != nil && p.constantValue == nil { (x, c) = (p, q) }
        else if p.constantValue != nil && q.constantValue == nil { (x, c) = (q, p) }
        else { continue }
        let combined = try applyScalar(op, [try applyScalar(op, [x, y]), c])
        return try fit(combined, to: node.output, from: node)
    }
    return nil
}
