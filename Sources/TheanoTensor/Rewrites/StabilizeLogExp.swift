import TheanoArray
import TheanoGraph

/// Stabilisation of logarithms and exponentials: `log(1 + exp(x))` -> ``softplus(_:)``,
/// `log(1 - exp(x))` -> ``log1mexp(_:)``, logarithms of sums and differences of exponentials
/// -> ``logaddexp(_:_:)`` and `log1mexp` forms, and functions composed with their inverses.
///
/// Inverse pairs follow PyTensor (`local_exp_log`, `local_exp_log_nan_switch`,
/// `local_sqrt_sqr`): where the original is NaN outside a domain (`exp(log(x))` for x < 0),
/// the rewritten form keeps the NaN with `where(x >= 0, x, NaN)`; where it is defined
/// everywhere (`log(exp(x))`, `sqrt(x * x)`) the result is the plain inverse.
public enum StabilizeLogExp {
    /// `log1p(exp(x))` -> `softplus(x)` and `log1p(-exp(x))` -> `log1mexp(x)` (PyTensor's
    /// `local_log1p_plusminus_exp`). With `log1p_from_log` first, `log(1 + exp(x))` becomes
    /// `softplus(x)` (1000 at x = 1000, not inf) and `log(1 - exp(x))` becomes `log1mexp(x)`.
    public static let log1pPlusMinusExp = rule("log1p_plusminus_exp", tracks: [Elemwise.self]) { _, node in
        guard scalarOp(node) == .log1p else { return nil }
        if let x = argument(of: node.inputs[0], .exp) {
            return sameType(try applyScalar(.softplus, [x]), as: node.output)
        }
        if let negated = negatedOperand(node.inputs[0]), let x = argument(of: negated, .exp) {
            return sameType(try applyScalar(.log1mexp, [x]), as: node.output)
        }
        return nil
    }

    /// `log(-expm1(x))` -> `log1mexp(x)` (PyTensor's `logmexpm1_to_log1mexp`); with
    /// `expm1_from_exp` first, also `log(-(exp(x) - 1))`.
    public static let logMinusExpm1 = rule("logmexpm1_to_log1mexp", tracks: [Elemwise.self]) { _, node in
        guard scalarOp(node) == .log, let negated = negatedOperand(node.inputs[0]),
              let x = argument(of: negated, .expm1) else { return nil }
        return sameType(try applyScalar(.log1mexp, [x]), as: node.output)
    }

    /// `log(exp(x) - exp(y))` -> `where(y == -inf, x, x + log1mexp(y - x))` (PyTensor's
    /// `logdiffexp_to_log1mexpdiff`): 999.54 at (1000, 999) instead of `log(inf - inf)`. The
    /// guard keeps -inf (not NaN) when both are -inf.
    public static let logDiffExp = rule("logdiffexp", tracks: [Elemwise.self]) { _, node in
        guard scalarOp(node) == .log, let difference = elemwiseNode(node.inputs[0], .sub),
              let x = argument(of: difference.inputs[0], .exp),
              let y = argument(of: difference.inputs[1], .exp) else { return nil }
        let stable = try applyScalar(.add, [x, try applyScalar(.log1mexp, [try applyScalar(.sub, [y, x])])])
        let yIsMinusInf = try withConstant(.eq, y, -.infinity)
        let guarded = try Elemwise(.where).makeNode([yIsMinusInf, x, stable]).output
        return try fit(guarded, to: node.output, from: difference)
    }

    /// `log(exp(a) + exp(b) + ...)` -> `logaddexp(logaddexp(a, b), ...)` (PyTensor's
    /// `local_log_add_exp`), for two to eight terms: `log(exp(10000) + exp(10000))` is
    /// 10000 + ln 2, not inf; all -inf gives -inf, any +inf gives +inf.
    public static let logAddExp = rule("log_add_exp", tracks: [Elemwise.self]) { _, node in
        guard scalarOp(node) == .log, let sum = SignedSum(node.inputs[0]), sum.constant == 0,
              let arguments = sum.exponentArguments, arguments.count >= 2, let addNode = node.inputs[0].owner else { return nil }
        let total = try arguments.dropFirst().reduce(arguments[0]) { try applyScalar(.logaddexp, [$0, $1]) }
        return try fit(total, to: node.output, from: addNode)
    }

    /// Functions of their inverses that are defined everywhere (PyTensor's `local_exp_log`):
    /// `log(exp(x))` -> `x`, `log1p(expm1(x))` -> `x` (94 in float32 at 94, where `expm1`
    /// overflows), `exp(softplus(x))` -> `1 + exp(x)`, `expm1(softplus(x))` -> `exp(x)`.
    public static let expLog = rule("exp_log", tracks: [Elemwise.self]) { _, node in
        guard let op = scalarOp(node), let inner = node.inputs[0].owner, let innerOp = scalarOp(inner) else { return nil }
        let x = inner.inputs[0]
        let result: Variable
        switch (op, innerOp) {
        case (.log, .exp), (.log1p, .expm1):
            guard isEverywhereInverse(op, of: innerOp) else { return nil }
            result = x
        case (.exp, .softplus):
            result = try applyScalar(.add, [scalarConstant(1, x.type.dtype, rank: x.type.rank), try applyScalar(.exp, [x])])
        case (.expm1, .softplus):
            result = try applyScalar(.exp, [x])
        default:
            return nil
        }
        return sameType(result, as: node.output)
    }

    /// Functions of their inverses defined only on a domain, with the NaN outside it kept
    /// (PyTensor's `local_exp_log_nan_switch`):
    /// - `exp(log(x))` -> `where(x >= 0, x, NaN)`, `expm1(log(x))` -> `where(x >= 0, x - 1, NaN)`;
    /// - `exp(log1p(x))` -> `where(x >= -1, x + 1, NaN)`, `expm1(log1p(x))` -> `where(x >= -1, x, NaN)`;
    /// - `exp(log1mexp(x))` -> `where(x <= 0, 1 - exp(x), NaN)`,
    ///   `expm1(log1mexp(x))` -> `where(x <= 0, -exp(x), NaN)`;
    /// - `softplus(log(x))` -> `where(x >= 0, log1p(x), NaN)`,
    ///   `log1mexp(log(x))` -> `where(x >= 0, log1p(-x), NaN)`,
    ///   `log1mexp(log1mexp(x))` -> `where(x <= 0, x, NaN)`.
    ///
    /// `x` = NaN gives NaN on both sides. A documented difference from the original: at
    /// x = -0, `exp(log(x))` gives 0 and the rewritten form -0.
    public static let expLogNaNSwitch = rule("exp_log_nan_switch", tracks: [Elemwise.self]) { graph, node in
        guard let op = scalarOp(node), let inner = node.inputs[0].owner, let innerOp = scalarOp(inner) else { return nil }
        // When every reader inverts this node again (`log(exp(log(x)))`), `exp_log` removes
        // it there without a switch.
        let readers = graph.clients(of: node.output)
        if !readers.isEmpty, readers.allSatisfy({ $0.node.flatMap(scalarOp).map { isEverywhereInverse($0, of: op) } ?? false }) {
            return nil
        }
        let x = inner.inputs[0]
        let one = { scalarConstant(1, x.type.dtype, rank: x.type.rank) }
        let condition: Variable
        let value: Variable
        switch (op, innerOp) {
        case (.exp, .log):
            (condition, value) = (try withConstant(.ge, x, 0), x)
        case (.expm1, .log):
            (condition, value) = (try withConstant(.ge, x, 0), try withConstant(.sub, x, 1))
        case (.exp, .log1p):
            (condition, value) = (try withConstant(.ge, x, -1), try withConstant(.add, x, 1))
        case (.expm1, .log1p):
            (condition, value) = (try withConstant(.ge, x, -1), x)
        case (.exp, .log1mexp):
            (condition, value) = (try withConstant(.le, x, 0), try applyScalar(.sub, [one(), try applyScalar(.exp, [x])]))
        case (.expm1, .log1mexp):
            (condition, value) = (try withConstant(.le, x, 0), try applyScalar(.neg, [try applyScalar(.exp, [x])]))
        case (.softplus, .log):
            (condition, value) = (try withConstant(.ge, x, 0), try applyScalar(.log1p, [x]))
        case (.log1mexp, .log):
            (condition, value) = (try withConstant(.ge, x, 0), try applyScalar(.log1p, [try negation(x)]))
        case (.log1mexp, .log1mexp):
            (condition, value) = (try withConstant(.le, x, 0), x)
        default:
            return nil
        }
        return sameType(try nanOutside(condition, value), as: node.output)
    }

    /// `sqrt(x * x)`, `sqrt(square(x))`, `sqrt(x ** 2)` -> `abs(x)` (exact where `x * x`
    /// overflows: 1e200 stays 1e200), and `square(sqrt(x))` (also `sqrt(x) * sqrt(x)`,
    /// `sqrt(x) ** 2`) -> `where(x >= 0, x, NaN)` (PyTensor's `local_sqrt_sqr`).
    public static let sqrtSquare = rule("sqrt_sqr", tracks: [Elemwise.self]) { _, node in
        guard let op = scalarOp(node) else { return nil }
        if op == .sqrt, let x = squaredOperand(node.inputs[0]) {
            return sameType(try applyScalar(.abs, [x]), as: node.output)
        }
        if let root = squaredOperand(node.output), let x = argument(of: root, .sqrt) {
            return sameType(try nanOutside(try withConstant(.ge, x, 0), x), as: node.output)
        }
        return nil
    }

    /// `expm1(x) + 1` -> `exp(x)`: exact where `expm1(x)` is close to -1 (x < -37 in float64,
    /// where `expm1(x) + 1` rounds to 0). The gradient of `expm1` is written this way, so the
    /// gradient of `log(-expm1(x))` and of `log1p(expm1(x))` needs it.
    public static let expFromExpm1 = rule("exp_from_expm1", tracks: [Elemwise.self]) { _, node in
        guard scalarOp(node) == .add, let (e, _) = operandAndConstant(node, commutative: true, { $0 == 1 }),
              let x = argument(of: e, .expm1) else { return nil }
        return try fit(try applyScalar(.exp, [x]), to: node.output, from: node)
    }

    /// `log(sqrt(x))` -> `0.5 * log(x)` (PyTensor's `local_log_sqrt`).
    public static let logSqrt = rule("log_sqrt", tracks: [Elemwise.self]) { _, node in
        guard scalarOp(node) == .log, let x = argument(of: node.inputs[0], .sqrt) else { return nil }
        let half = scalarConstant(0.5, x.type.dtype, rank: x.type.rank)
        return sameType(try applyScalar(.mul, [half, try applyScalar(.log, [x])]), as: node.output)
    }

    /// The logarithm and exponential rules, in the order they are tried on a node.
    public static let all: [Rewrite] = [
        log1pPlusMinusExp, logMinusExpm1, logDiffExp, logAddExp, expLog, expLogNaNSwitch, sqrtSquare, expFromExpm1, logSqrt,
    ]
}

/// Whether `outer(inner(x))` is `x` for every `x` (`log(exp(x))`, `log1p(expm1(x))`).
private func isEverywhereInverse(_ outer: ScalarOp, of inner: ScalarOp) -> Bool {
    (outer == .log && inner == .exp) || (outer == .log1p && inner == .expm1)
}

/// `x` when `v` is `square(x)`, `x * x` or `x ** 2`.
private func squaredOperand(_ v: Variable) -> Variable? {
    guard let node = v.owner, let op = scalarOp(node) else { return nil }
    switch op {
    case .square: return node.inputs[0]
    case .mul where node.inputs[0] === node.inputs[1]: return node.inputs[0]
    case .pow where uniformConstant(node.inputs[1]) == 2: return node.inputs[0]
    default: return nil
    }
}
