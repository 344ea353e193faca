import TheanoArray
import TheanoGraph

/// Stabilisation of the logistic function: the textbook spellings of the sigmoid become
/// ``sigmoid(_:)``, its complement `sigmoid(-x)`, and its logarithms ``softplus(_:)`` forms.
///
/// They run on gradients too: the gradient of `1 / (1 + exp(-x))` multiplies and divides by
/// `1 + exp(-x)` and `exp(-x)`, which overflow for large `|x|`; these rules (with
/// ``StabilizeProducts``) turn it into products of sigmoids.
public enum StabilizeSigmoid {
    /// `1 / (1 + exp(x))` -> `sigmoid(-x)` wherever `1 + exp(x)` divides a product (PyTensor's
    /// `local_exp_over_1_plus_exp` and `local_reciprocal_1_plus_exp`): `exp(x) / (1 + exp(x))`
    /// becomes `exp(x) * sigmoid(-x)`, which `sigm_times_exp` finishes as `sigmoid(x)`;
    /// `1 / (1 + exp(-x))` becomes `sigmoid(x)`, finite and exact where `exp(-x)` overflows.
    /// The constant terms of the sum must add up to exactly 1.
    public static let expOverOnePlusExp = rule("exp_over_1_plus_exp", tracks: [Elemwise.self]) { _, node in
        guard var product = Product(node) else { return nil }
        var changed = false
        for (i, d) in product.denominator.enumerated().reversed() {
            guard let sum = SignedSum(d), sum.constant == 1, sum.terms.count == 1, !sum.terms[0].negative,
                  let x = argument(of: sum.terms[0].value, .exp) else { continue }
            product.denominator.remove(at: i)
            product.numerator.append(try applyScalar(.sigmoid, [try negation(x)]))
            changed = true
        }
        return changed ? try product.build(replacing: node) : nil
    }

    /// `exp(x) * sigmoid(-x)` -> `sigmoid(x)` and `exp(-x) * sigmoid(x)` -> `sigmoid(-x)`, for
    /// factors anywhere in a product (PyTensor's `local_sigm_times_exp`): `sigmoid(-x) *
    /// exp(x)` at x = 800 is 1, not `0 * inf` = NaN. Also `(1 + exp(x)) * sigmoid(-x)` -> 1, and
    /// a quotient that is exactly `sigmoid(x) / sigmoid(-x)` (times constants) -> `exp(x)` (the
    /// odds, PyTensor's `local_odds_sigmoid`, once `1 - sigmoid(x)` is `sigmoid(-x)`).
    public static let sigmTimesExp = rule("sigm_times_exp", tracks: [Elemwise.self]) { _, node in
        guard var product = Product(node) else { return nil }
        var changed = false
        // The odds only as the whole quotient (constants aside): among other factors the
        // sigmoids may still cancel, where exp(x) could overflow.
        if product.denominator.count == 1, let u = argument(of: product.denominator[0], .sigmoid),
           product.numerator.filter({ $0.constantValue == nil }).count == 1,
           let i = product.numerator.firstIndex(where: { f in argument(of: f, .sigmoid).map { isNegation($0, of: u) } ?? false }) {
            product.numerator[i] = try applyScalar(.exp, [try negation(u)])
            product.denominator.removeAll()
            changed = true
        }
        for (i, f) in product.numerator.enumerated().reversed() {
            guard let sum = SignedSum(f), sum.constant == 1, sum.terms.count == 1, !sum.terms[0].negative,
                  let x = argument(of: sum.terms[0].value, .exp),
                  let j = product.numerator.firstIndex(where: { g in
                      argument(of: g, .sigmoid).map { isNegation($0, of: x) } ?? false
                  }) else { continue }
            product.numerator.remove(at: Swift.max(i, j))
            product.numerator.remove(at: Swift.min(i, j))
            changed = true
            break
        }
        var i = 0
        while i < product.numerator.count {
            guard let x = argument(of: product.numerator[i], .exp),
                  let j = product.numerator.firstIndex(where: { f in
                      argument(of: f, .sigmoid).map { isNegation($0, of: x) } ?? false
                  }) else {
                i += 1
                continue
            }
            product.numerator[j] = try applyScalar(.sigmoid, [x])
            product.numerator.remove(at: i)
            changed = true
            if j < i { i -= 1 }
        }
        return changed ? try product.build(replacing: node) : nil
    }

    /// `1 - sigmoid(x)` (also `-sigmoid(x) + 1`) -> `sigmoid(-x)` (PyTensor's `local_1msigmoid`), also through
    /// reshapes, dimshuffles and indexing between them: exact where `sigmoid(x)` rounds to 1
    /// (`1 - sigmoid(40)` is 0 in float32, `sigmoid(-40)` is 4.2e-18).
    public static let oneMinusSigmoid = rule("one_minus_sigmoid", tracks: [Elemwise.self]) { _, node in
        guard let op = scalarOp(node), op == .sub || op == .add, let sum = SignedSum(node.output),
              sum.constant == 1, sum.terms.count == 1, sum.terms[0].negative else { return nil }
        // A float conversion may sit on top (`1.0 - sigmoid(float32)` in float64).
        var term = sum.terms[0].value
        let conversion = elemwiseNode(term, .cast(term.type.dtype))
        if let conversion, conversion.inputs[0].type.dtype.isFloatingPoint { term = conversion.inputs[0] }
        let (base, chain) = throughSelections(term)
        guard let x = argument(of: base, .sigmoid) else { return nil }
        var complement = try reapply(chain, to: try applyScalar(.sigmoid, [try negation(x)]))
        if conversion != nil { complement = try applyScalar(.cast(node.outputTypes[0].dtype), [complement]) }
        return try sum.broadcast(complement, like: node.output, from: node)
    }

    /// `log(sigmoid(x))` -> `-softplus(-x)` (PyTensor's `logsigm_to_softplus`), also through
    /// reshapes, dimshuffles and indexing between them: finite for very negative `x`
    /// (`log(sigmoid(-1000))` is -1000, not -inf).
    public static let logSigmoid = rule("log_sigmoid", tracks: [Elemwise.self]) { _, node in
        guard scalarOp(node) == .log else { return nil }
        let (base, chain) = throughSelections(node.inputs[0])
        guard let x = argument(of: base, .sigmoid) else { return nil }
        let result = try applyScalar(.neg, [try applyScalar(.softplus, [try negation(x)])])
        return sameType(try reapply(chain, to: result), as: node.output)
    }

    /// `log(1 - sigmoid(x))` and `log1p(-sigmoid(x))` -> `-softplus(x)` (PyTensor's
    /// `log1msigm_to_softplus` and `log1p_neg_sigmoid`), also through reshapes, dimshuffles
    /// and indexing between them: finite for very positive `x` (`log(1 - sigmoid(1000))` is
    /// -1000, not -inf).
    public static let logOneMinusSigmoid = rule("log1m_sigmoid", tracks: [Elemwise.self]) { _, node in
        guard let op = scalarOp(node) else { return nil }
        let sigmoidSide: Variable
        let argumentNode: Apply
        switch op {
        case .log:
            guard let difference = elemwiseNode(node.inputs[0], .sub), uniformConstant(difference.inputs[0]) == 1 else { return nil }
            sigmoidSide = difference.inputs[1]
            argumentNode = difference
        case .log1p:
            guard let negation = elemwiseNode(node.inputs[0], .neg) else { return nil }
            sigmoidSide = negation.inputs[0]
            argumentNode = negation
        default:
            return nil
        }
        let (base, chain) = throughSelections(sigmoidSide)
        guard let x = argument(of: base, .sigmoid) else { return nil }
        let result = try reapply(chain, to: try applyScalar(.neg, [try applyScalar(.softplus, [x])]))
        // Broadcast to the argument's shape first (the constant may have enlarged it).
        guard let shaped = try fit(result, to: argumentNode.output, from: argumentNode) else { return nil }
        return satisfying(shaped, node.output)
    }

    /// The sigmoid rules, in the order they are tried on a node.
    public static let all: [Rewrite] = [
        logSigmoid, logOneMinusSigmoid, oneMinusSigmoid, expOverOnePlusExp, sigmTimesExp,
    ]
}
