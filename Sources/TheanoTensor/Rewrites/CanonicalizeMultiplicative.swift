import TheanoArray
import TheanoGraph

/// The multiplicative canonical form: a tree of float products, true divisions, negations and
/// reciprocals becomes one quotient `(n1 * n2 * ... * c) / (d1 * d2 * ...)`, with the
/// constants collected into one, negations folded into it, and factors that appear above and
/// below the line cancelled:
///
/// - `(-1 * x) / y / (-2 * z)` -> `(x * 0.5) / (y * z)`
/// - `x / y / x` -> `reciprocal(y)`
/// - `(x / y) * (y / z) * (z / w)` -> `x / w`
/// - `(2 * x) / (4 * y)` -> `(x * 0.5) / y`
/// - `(-x) * (-y)` -> `x * y`, `-(x * 2)` -> `x * -2`
/// - `x * (1 / y)` -> `x / y`, `x / (y / z)` -> `(x * z) / y`
///
/// `x / y / z` stays: `x / (y * z)` saves a division but the product can overflow (or
/// underflow) where the quotients do not, so a product in the denominator costs as much as
/// the division it replaces; the form is rebuilt when something else is gained (a factor
/// cancelled, constants or negations folded, a reciprocal removed).
///
/// (Theano's `local_mul_canonizer`, over binary nodes.)
public enum CanonicalizeMultiplicative {
    /// The canonizer. It rewrites a tree only at its root (a node whose value is not itself
    /// a factor of a larger tree), looks through inner nodes that nobody else reads (so no
    /// work is duplicated), and applies only when the result is cheaper (a division costs
    /// more than a product), so it never undoes itself or the other arithmetic rules.
    ///
    /// Where every variable factor cancels (`x / x`, `(2 * x) / x`) it declines: that is the
    /// opt-in `div_self`'s business. Trees with a zero, infinite or NaN constant are left
    /// alone (`0 * x` is the opt-in `mul_by_zero`'s).
    ///
    /// A documented liberty (as in Theano): a cancelled factor that is 0, infinite or NaN
    /// made the original NaN; the canonical form does not see it. Constants are combined at
    /// compile time, so results may round differently.
    public static let mulCanonizer = rule("mul_canonizer", tracks: [Elemwise.self]) { graph, node in
        guard let op = scalarOp(node), MultiplicativeTree.family.contains(op),
              node.outputTypes[0].dtype.isFloatingPoint,
              !MultiplicativeTree.isInnerFactor(node.output, graph) else { return nil }
        guard var tree = MultiplicativeTree(root: node, graph) else { return nil }
        let cancelled = tree.cancel()
        if tree.numerator.isEmpty && tree.denominator.isEmpty { return nil }
        guard let (result, cost) = try tree.build(), cost < tree.cost || cancelled > 0 else { return nil }
        return try fit(result, to: node.output, from: node)
    }

    /// The multiplicative rules.
    public static let all: [Rewrite] = [mulCanonizer]
}

/// A product tree read as `sign * (numerator constants / denominator constants) *
/// prod(numerator) / prod(denominator)`.
struct MultiplicativeTree {
    /// The scalar ops a tree is made of.
    static let family: Set<ScalarOp> = [.mul, .trueDiv, .neg, .reciprocal]

    /// What each op costs in the tree (a division or reciprocal several products).
    static func cost(_ op: ScalarOp) -> Int {
        switch op {
        case .trueDiv, .reciprocal: return 4
        default: return 1
        }
    }

    var numerator: [Variable] = []
    var denominator: [Variable] = []
    /// The product of the numerator's constants (explicit ones, not negations).
    var numeratorConstant = 1.0
    var hasNumeratorConstant = false
    var denominatorConstant = 1.0
    /// -1 for an odd number of negations.
    var sign = 1.0
    /// The cost of the nodes the tree spans.
    var cost = 0
    /// How many nodes the tree spans; deeper nodes are taken as factors beyond
    /// ``maxNodes`` (bounds the work and the recursion of one visit).
    private var nodeCount = 0
    static let maxNodes = 256
    let dtype: DType
    let rank: Int

    /// Whether `v` is read only by a node of the family with its dtype, which then spans it
    /// (the rule waits for that root).
    static func isInnerFactor(_ v: Variable, _ graph: FunctionGraph) -> Bool {
        let clients = graph.clients(of: v)
        guard clients.count == 1, let reader = clients[0].node, let op = scalarOp(reader) else { return false }
        return family.contains(op) && reader.outputTypes[0].dtype == v.type.dtype
    }

    /// The tree rooted at `root`; nil when it holds a zero or non-finite constant.
    init?(root: Apply, _ graph: FunctionGraph) {
        dtype = root.outputTypes[0].dtype
        rank = root.outputTypes[0].rank
        guard collect(root, inverted: false, graph) else { return nil }
    }

    /// Adds the node's operands to the tree; false for a constant the form cannot hold.
    private mutating func collect(_ node: Apply, inverted: Bool, _ graph: FunctionGraph) -> Bool {
        guard let op = scalarOp(node) else { return false }
        cost += MultiplicativeTree.cost(op)
        nodeCount += 1
        switch op {
        case .mul: return add(node.inputs[0], inverted, graph) && add(node.inputs[1], inverted, graph)
        case .trueDiv: return add(node.inputs[0], inverted, graph) && add(node.inputs[1], !inverted, graph)
        case .neg:
            sign = -sign
            return add(node.inputs[0], inverted, graph)
        case .reciprocal: return add(node.inputs[0], !inverted, graph)
        default: return false
        }
    }

    private mutating func add(_ v: Variable, _ inverted: Bool, _ graph: FunctionGraph) -> Bool {
        if let c = uniformConstant(v) {
            guard c != 0, c.isFinite else { return false }
            if inverted { denominatorConstant *= c } else {
                numeratorConstant *= c
                hasNumeratorConstant = true
            }
            return true
        }
        // Inner nodes: of the family and dtype, read only here, and not computing a constant
        // (constant folding turns those into constants first; counting their cost would let
        // the order of rules decide the form).
        if let node = v.owner, let op = scalarOp(node), MultiplicativeTree.family.contains(op),
           v.type.dtype == dtype, hasSingleClient(v, in: graph), !node.inputs.allSatisfy({ $0.constantValue != nil }),
           nodeCount < MultiplicativeTree.maxNodes {
            return collect(node, inverted: inverted, graph)
        }
        if inverted { denominator.append(v) } else { numerator.append(v) }
        return true
    }

    /// Removes factors found in both the numerator and the denominator; returns how many
    /// pairs went.
    mutating func cancel() -> Int {
        var count = 0
        var remaining: [Variable] = []
        for d in denominator {
            if let i = numerator.firstIndex(where: { $0 === d }) {
                numerator.remove(at: i)
                count += 1
            } else {
                remaining.append(d)
            }
        }
        denominator = remaining
        return count
    }

    /// The canonical expression and its cost; nil when no variable factor is left.
    func build() throws -> (Variable, Int)? {
        guard !numerator.isEmpty || !denominator.isEmpty else { return nil }
        // Constants: with an explicit numerator constant everything folds into it
        // (`(2 * x) / (4 * y)` -> `x * 0.5 / y`); otherwise a denominator constant stays a
        // divisor (`x / 3` keeps its exact division) and takes the sign.
        var top = 1.0, bottom = 1.0
        if hasNumeratorConstant {
            top = sign * numeratorConstant / denominatorConstant
        } else {
            bottom = denominatorConstant
            if sign < 0 { if bottom != 1 { bottom = -bottom } else { top = -1 } }
        }
        var cost = 0
        var upper = try product(numerator, &cost)
        if top == -1, let u = upper {
            upper = try applyScalar(.neg, [u])
            cost += 1
        } else if top != 1 {
            guard let k = constant(top) else { return nil }
            if let u = upper {
                upper = try applyScalar(.mul, [u, k])
                cost += 1
            } else {
                upper = k
            }
        }
        // Products in the denominator cost as divisions (see above).
        var lower = try product(denominator, &cost, weight: 4)
        if bottom != 1 {
            guard let k = constant(bottom) else { return nil }
            if let l = lower {
                lower = try applyScalar(.mul, [l, k])
                cost += 1
            } else {
                lower = k
            }
        }
        cost += lower == nil ? 0 : 4
        switch (upper, lower) {
        case let (u?, l?): return (try applyScalar(.trueDiv, [u, l]), cost)
        case let (u?, nil): return (u, cost)
        case let (nil, l?): return (try applyScalar(.reciprocal, [l]), cost)
        case (nil, nil): return nil
        }
    }

    private func product(_ factors: [Variable], _ cost: inout Int, weight: Int = 1) throws -> Variable? {
        guard var result = factors.first else { return nil }
        for f in factors.dropFirst() {
            result = try applyScalar(.mul, [result, f])
            cost += weight
        }
        return result
    }

    /// `value` as a constant of the tree's dtype and rank (all axes of size 1); nil when the
    /// dtype cannot hold it finitely (a float32 overflow).
    private func constant(_ value: Double) -> Variable? {
        let array = NDArray(repeating: value, shape: Array(repeating: 1, count: rank), dtype: dtype)
        guard let stored = array.doubles.first, stored.isFinite, stored != 0 else { return nil }
        return Variable(constant: array)
    }
}
