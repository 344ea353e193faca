import TheanoArray
import TheanoGraph

/// Stabilisation of products and quotients, which is mostly what gradients are: the gradient
/// of `log(f(x))` is `g / f(x) * f'(x)`, and where `f(x)` underflows to 0 (or overflows) that is
/// `0 / 0` or `inf / inf` although the quotient itself is moderate. These rules cancel such
/// factors and rewrite ratios of exponentials as bounded functions.
///
/// Documented liberty (as in Theano): cancelling `x / x` gives 1 where `x` is 0, infinite or
/// NaN — which is the point, the limit is what the gradient means.
public enum StabilizeProducts {
    /// Ratios of exponentials inside a product:
    /// - `exp(a) / (exp(a) + exp(b))` -> `sigmoid(a - b)`, and with more terms
    ///   `exp(a) / (exp(a) + exp(b) + ...)` -> `exp(a - logaddexp(a, b, ...))` (the gradient of
    ///   a log-sum of exponentials; finite at 10,000 where both exponentials overflow);
    /// - `exp(a) / (exp(a) - exp(b))` -> `-1 / expm1(b - a)` and
    ///   `exp(b) / (exp(a) - exp(b))` -> `1 / expm1(a - b)`;
    /// - `1 / (1 - exp(x))` -> `-1 / expm1(x)` (the gradient of `log(1 - exp(x))`, finite at
    ///   x = -2^-55 where `1 - exp(x)` rounds to 0);
    /// - `exp(x) / sum(exp(x), axis, keepdims)` -> `softmax(x, axis)` (PyTensor's
    ///   `local_softmax_stabilize`), and over several axes
    ///   `exp(x - logsumexp(x, axes, keepdims))`; also when the sum's axes are put back by a
    ///   dimshuffle (the gradient of `log(sum(exp(x)))`).
    public static let expOverSumExp = rule("exp_over_sum_exp", tracks: [Elemwise.self]) { _, node in
        guard var product = Product(node) else { return nil }
        var changed = false
        for (i, d) in product.denominator.enumerated().reversed() {
            let ratio: Product?
            if let sum = SignedSum(d) {
                ratio = try ratioOfExponentials(sum, &product)
            } else {
                ratio = try ratioToReducedSum(d, &product)
            }
            if let replacement = ratio {
                product.denominator.remove(at: i)
                product.numerator.append(contentsOf: replacement.numerator)
                product.denominator.append(contentsOf: replacement.denominator)
                if replacement.negative { product.negative.toggle() }
                changed = true
            }
        }
        return changed ? try product.build(replacing: node) : nil
    }

    /// Factors that appear in both the numerator and the denominator of a product cancel,
    /// however deep in a tree of `mul`, `true_div` and `neg` nodes they are and whether or not
    /// the stabilisation built them separately (`(g / sigmoid(x)) * -(sigmoid(x) * y)` ->
    /// `-(g * y)`). A factor over its negation gives -1; `x / abs(x)` gives `sign(x)` (the
    /// gradient of `sqrt(x * x)` after `sqrt_sqr`).
    public static let cancelCommonFactors = rule("cancel_common_factors", tracks: [Elemwise.self]) { _, node in
        guard var product = Product(node), try product.cancelCommonFactors() else { return nil }
        return try product.build(replacing: node)
    }

    /// A product with a sum among its factors is distributed over the sum when a term's
    /// denominator cancels against the other factors (Theano's `local_greedy_distributor`):
    /// `(a / s - b / t) * s * t` -> `a * t - b * s`. This is how the gradient of
    /// `-y * log(p) - (1 - y) * log(1 - p)` with `p = sigmoid(z)` loses its divisions by `p` and
    /// `1 - p`, which underflow to 0.
    public static let distributeToCancel = rule("distribute_to_cancel", tracks: [Elemwise.self]) { _, node in
        guard let product = Product(node), scalarOp(node) != .neg else { return nil }
        for (i, factor) in product.numerator.enumerated() {
            guard let sum = SignedSum(factor), sum.constant == 0, (2...4).contains(sum.terms.count) else { continue }
            var rest = product
            rest.numerator.remove(at: i)
            let terms = sum.terms.map { ($0.negative, Product(factor: $0.value)) }
            guard terms.contains(where: { rest.cancels(against: $0.1) }) else { continue }
            let out = node.output
            var total: Variable?
            for (negative, term) in terms {
                var p = rest.times(term)
                try p.cancelCommonFactors()
                let value = try p.build(dtype: out.type.dtype, rank: out.type.rank)
                if let sofar = total {
                    total = try applyScalar(negative ? .sub : .add, [sofar, value])
                } else {
                    total = negative ? try negation(value) : value
                }
            }
            return try total.flatMap { try fit($0, to: out, from: node) }
        }
        return nil
    }

    /// The product rules (``Stabilize/all`` tries `cancel_common_factors` before every other
    /// rule).
    public static let all: [Rewrite] = [cancelCommonFactors, expOverSumExp, distributeToCancel]
}

/// What replaces the denominator `sum` when it is a sum or difference of exponentials whose
/// ratio to a numerator exponential (removed from `product`) is bounded, or `1 - exp(x)`: the
/// factors to add to the product. Nil when the sum is none of these.
private func ratioOfExponentials(_ sum: SignedSum, _ product: inout Product) throws -> Product? {
    // 1 - exp(x) = -expm1(x).
    if sum.constant == 1, sum.terms.count == 1, sum.terms[0].negative, let x = argument(of: sum.terms[0].value, .exp) {
        return Product(negative: true, denominator: [try applyScalar(.expm1, [x])])
    }
    guard sum.constant == 0 else { return nil }
    // The numerator exponential whose argument is one of the sum's.
    func numeratorExponential(matching arguments: [Variable]) -> (index: Int, term: Int)? {
        for (i, f) in product.numerator.enumerated() {
            guard let a = argument(of: f, .exp) else { continue }
            if let k = arguments.firstIndex(where: { sameExpression($0, a) }) { return (i, k) }
        }
        return nil
    }
    if let arguments = sum.exponentArguments, arguments.count >= 2 {
        guard let (i, k) = numeratorExponential(matching: arguments) else { return nil }
        product.numerator.remove(at: i)
        let a = arguments[k]
        var others = arguments
        others.remove(at: k)
        if others.count == 1 {
            return Product(numerator: [try applyScalar(.sigmoid, [try applyScalar(.sub, [a, others[0]])])])
        }
        let total = try others.reduce(a) { try applyScalar(.logaddexp, [$0, $1]) }
        return Product(numerator: [try applyScalar(.exp, [try applyScalar(.sub, [a, total])])])
    }
    // exp(a) - exp(b), over exp(a) or exp(b).
    guard sum.terms.count == 2, sum.terms[0].negative != sum.terms[1].negative,
          let p = sum.terms.first(where: { !$0.negative }).flatMap({ argument(of: $0.value, .exp) }),
          let q = sum.terms.first(where: { $0.negative }).flatMap({ argument(of: $0.value, .exp) }),
          let (i, k) = numeratorExponential(matching: [p, q]) else { return nil }
    product.numerator.remove(at: i)
    if k == 0 {
        // exp(p) / (exp(p) - exp(q)) = -1 / expm1(q - p)
        return Product(negative: true, denominator: [try applyScalar(.expm1, [try applyScalar(.sub, [q, p])])])
    }
    // exp(q) / (exp(p) - exp(q)) = 1 / expm1(p - q)
    return Product(denominator: [try applyScalar(.expm1, [try applyScalar(.sub, [p, q])])])
}

/// When `d` is `sum(exp(x), axes)` with the reduced axes kept (by `keepdims` or a dimshuffle
/// that puts them back) and `exp(x)` is a numerator factor of `product` (removed from it):
/// `softmax(x, axis)` for one axis, else `exp(x - logsumexp(x, axes, keepdims: true))`: the
/// factor replacing both.
private func ratioToReducedSum(_ d: Variable, _ product: inout Product) throws -> Product? {
    var sumOutput = d
    if let node = d.owner, let shuffle = node.op as? DimShuffle {
        sumOutput = node.inputs[0]
        // Only new broadcast axes, the others in order.
        guard shuffle.order.filter({ $0 != DimShuffle.newAxis }) == Array(0..<shuffle.inputRank) else { return nil }
    }
    guard let sumNode = sumOutput.owner, let sum = sumNode.op as? Reduce, sum.kind == .sum,
          let x = argument(of: sumNode.inputs[0], .exp), x.type.rank == d.type.rank,
          sum.axes.allSatisfy({ d.type.shape[$0] == 1 }),
          let i = product.numerator.firstIndex(where: { f in argument(of: f, .exp).map { sameExpression($0, x) } ?? false })
    else { return nil }
    // The dimshuffle must put the reduced axes back where they were.
    if !sum.keepdims {
        guard let shuffle = d.owner?.op as? DimShuffle else { return nil }
        let kept = (0..<x.type.rank).filter { !sum.axes.contains($0) }
        var next = 0
        for (axis, source) in shuffle.order.enumerated() {
            if sum.axes.contains(axis) {
                guard source == DimShuffle.newAxis else { return nil }
            } else {
                guard next < kept.count, source == next else { return nil }
                next += 1
            }
        }
    }
    if sum.axes.count == 1 {
        // One axis: the softmax itself (PyTensor's `local_softmax_stabilize`).
        let softmax = try Softmax(axis: sum.axes[0]).makeNode([x]).output
        product.numerator.remove(at: i)
        return Product(numerator: [softmax])
    }
    let shift = try logsumexpOver(Tensor(x), sum.axes, keepdims: true).variable
    guard shift.type.dtype == x.type.dtype else { return nil }
    product.numerator.remove(at: i)
    return Product(numerator: [try applyScalar(.exp, [try applyScalar(.sub, [x, shift])])])
}
