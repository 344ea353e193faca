import TheanoArray
import TheanoGraph

// What the stabilisation rules share: structural equality of small expressions, negation,
// products and sums read through trees of binary nodes, and chains of layout and indexing ops.
// Every reader is bounded (a few dozen nodes), so each rule stays O(1) per node.

/// Whether `a` and `b` compute the same values: the same variable, equal small constants, or
/// the same output of nodes with equal ops whose inputs are the same expressions (to `depth`
/// levels). The stabilisation rules build new nodes (`sigmoid(x)` from `1 / (1 + exp(-x))`)
/// that merge only later, so they compare by structure rather than identity.
func sameExpression(_ a: Variable, _ b: Variable, depth: Int = 4) -> Bool {
    if a === b { return true }
    guard a.type == b.type else { return false }
    if let x = a.constantValue, let y = b.constantValue {
        return x.count <= 16 && x == y
    }
    guard depth > 0, let na = a.owner, let nb = b.owner, na.inputs.count == nb.inputs.count,
          let i = na.outputs.firstIndex(where: { $0 === a }), nb.outputs.firstIndex(where: { $0 === b }) == i,
          na.op.isEqual(to: nb.op) else { return false }
    return zip(na.inputs, nb.inputs).allSatisfy { sameExpression($0, $1, depth: depth - 1) }
}

/// `x` when `v` is `-x` (a `neg` node), else nil.
func negatedOperand(_ v: Variable) -> Variable? {
    elemwiseNode(v, .neg)?.inputs[0]
}

/// Whether `a` is `-b`: a negation of `b` (or `b` of `a`), or `p - q` against `q - p`.
func isNegation(_ a: Variable, of b: Variable) -> Bool {
    if let x = negatedOperand(a), sameExpression(x, b) { return true }
    if let y = negatedOperand(b), sameExpression(y, a) { return true }
    if let s = elemwiseNode(a, .sub), let t = elemwiseNode(b, .sub),
       sameExpression(s.inputs[0], t.inputs[1]), sameExpression(s.inputs[1], t.inputs[0]) { return true }
    return false
}

/// `-x` without a double negation (`-(-y)` is `y`).
func negation(_ x: Variable) throws -> Variable {
    if let inner = negatedOperand(x) { return inner }
    return try applyScalar(.neg, [x])
}

/// A constant of `dtype` with `rank` axes of size 1 (it broadcasts against any operand).
func scalarConstant(_ value: Double, _ dtype: DType, rank: Int) -> Variable {
    Variable(constant: NDArray(repeating: value, shape: Array(repeating: 1, count: rank), dtype: dtype))
}

/// `where(condition, value, NaN)`: the domain guard of rules such as `exp(log(x))` -> `x`,
/// which keep the NaN that the original gives outside its domain.
func nanOutside(_ condition: Variable, _ value: Variable) throws -> Variable {
    let nan = scalarConstant(.nan, value.type.dtype, rank: value.type.rank)
    return try Elemwise(.where).makeNode([condition, value, nan]).output
}

/// `x op c` for a scalar constant `c` of `x`'s dtype (comparisons and arithmetic).
func withConstant(_ op: ScalarOp, _ x: Variable, _ c: Double) throws -> Variable {
    try applyScalar(op, [x, scalarConstant(c, x.type.dtype, rank: x.type.rank)])
}

/// The argument of `v` when it is `op(argument)`.
func argument(of v: Variable, _ op: ScalarOp) -> Variable? {
    elemwiseNode(v, op)?.inputs[0]
}

// MARK: - Products

/// A product read through `mul`, `true_div`, `neg` and `reciprocal` nodes of one float dtype:
/// `(negative ? -1 : 1) * Π numerator / Π denominator`.
///
/// The readers see through nodes that have other readers too (the forward value that a
/// gradient multiplies by, say); a rule that rewrites the product then builds new nodes and
/// leaves the shared ones to their other readers.
struct Product {
    var negative = false
    var numerator: [Variable] = []
    var denominator: [Variable] = []

    /// The most factors a product may have (larger ones are not read).
    static let factorLimit = 16

    init(negative: Bool = false, numerator: [Variable] = [], denominator: [Variable] = []) {
        self.negative = negative
        self.numerator = numerator
        self.denominator = denominator
    }

    /// Reads the product computed by `node`; nil unless it is a float `mul`, `true_div`, `neg`
    /// or `reciprocal` node of at most ``factorLimit`` factors.
    init?(_ node: Apply) {
        guard let op = scalarOp(node), [.mul, .trueDiv, .neg, .reciprocal].contains(op),
              node.outputTypes[0].dtype.isFloatingPoint else { return nil }
        var budget = 2 * Self.factorLimit
        guard read(node.output, inverted: false, dtype: node.outputTypes[0].dtype, &budget),
              numerator.count + denominator.count <= Self.factorLimit else { return nil }
    }

    /// Reads `v` as a product when it is one, else as the single factor `v`.
    init(factor v: Variable) {
        if let node = v.owner, let p = Product(node) {
            self = p
        } else {
            numerator = [v]
        }
    }

    private mutating func read(_ v: Variable, inverted: Bool, dtype: DType, _ budget: inout Int) -> Bool {
        budget -= 1
        guard budget >= 0 else { return false }
        guard let node = v.owner, let op = scalarOp(node), node.inputs.allSatisfy({ $0.type.dtype == dtype }) else {
            append(v, inverted: inverted)
            return true
        }
        switch op {
        case .mul:
            return read(node.inputs[0], inverted: inverted, dtype: dtype, &budget)
                && read(node.inputs[1], inverted: inverted, dtype: dtype, &budget)
        case .trueDiv:
            return read(node.inputs[0], inverted: inverted, dtype: dtype, &budget)
                && read(node.inputs[1], inverted: !inverted, dtype: dtype, &budget)
        case .neg:
            negative.toggle()
            return read(node.inputs[0], inverted: inverted, dtype: dtype, &budget)
        case .reciprocal:
            return read(node.inputs[0], inverted: !inverted, dtype: dtype, &budget)
        default:
            append(v, inverted: inverted)
            return true
        }
    }

    private mutating func append(_ v: Variable, inverted: Bool) {
        if inverted { denominator.append(v) } else { numerator.append(v) }
    }

    /// The product of both: signs multiply, factors are concatenated.
    func times(_ other: Product) -> Product {
        Product(negative: negative != other.negative, numerator: numerator + other.numerator,
                denominator: denominator + other.denominator)
    }

    /// Removes every numerator factor that has a denominator twin (the same expression, or its
    /// negation, which flips the sign), and replaces `x / abs(x)` and `abs(x) / x` by
    /// `sign(x)` (0 at 0, the subgradient the gradient of `abs` uses); returns whether anything
    /// changed.
    @discardableResult
    mutating func cancelCommonFactors() throws -> Bool {
        var changed = false
        for (j, d) in denominator.enumerated().reversed() {
            let pair: Int?
            if let x = argument(of: d, .abs) {
                pair = numerator.firstIndex { sameExpression($0, x) }
            } else {
                pair = numerator.firstIndex { argument(of: $0, .abs).map { sameExpression($0, d) } ?? false }
            }
            guard let i = pair else { continue }
            let x = argument(of: d, .abs) ?? d
            numerator[i] = try applyScalar(.sign, [x])
            denominator.remove(at: j)
            changed = true
        }
        var i = 0
        while i < numerator.count {
            if let j = denominator.firstIndex(where: { sameExpression($0, numerator[i]) }) {
                denominator.remove(at: j)
                numerator.remove(at: i)
                changed = true
            } else if let j = denominator.firstIndex(where: { isNegation($0, of: numerator[i]) }) {
                denominator.remove(at: j)
                numerator.remove(at: i)
                negative.toggle()
                changed = true
            } else {
                i += 1
            }
        }
        return changed
    }

    /// Whether some factor of `other` cancels against a factor of this product.
    func cancels(against other: Product) -> Bool {
        other.denominator.contains { d in numerator.contains { sameExpression($0, d) } }
            || other.numerator.contains { n in denominator.contains { sameExpression($0, n) } }
    }

    /// The product as nodes (numerator factors multiplied in order, negated, divided by the
    /// product of the denominator factors), without factors that are constant ones. Factors
    /// must have `dtype` and rank `rank`.
    func build(dtype: DType, rank: Int) throws -> Variable {
        let isOne = { (v: Variable) in uniformConstant(v) == 1 && v.type.shape.allSatisfy { $0 == 1 } }
        let top = numerator.filter { !isOne($0) }
        let bottom = denominator.filter { !isOne($0) }
        var result = try top.dropFirst().reduce(top.first ?? scalarConstant(1, dtype, rank: rank)) {
            try applyScalar(.mul, [$0, $1])
        }
        if negative { result = try negation(result) }
        if let first = bottom.first {
            let divisor = try bottom.dropFirst().reduce(first) { try applyScalar(.mul, [$0, $1]) }
            result = try applyScalar(.trueDiv, [result, divisor])
        }
        return result
    }

    /// The product built to stand where `node`'s output stands (broadcast to its shape).
    func build(replacing node: Apply) throws -> Variable? {
        let out = node.output
        return try fit(try build(dtype: out.type.dtype, rank: out.type.rank), to: out, from: node)
    }
}

// MARK: - Sums

/// A sum read through `add`, `sub` and `neg` nodes of one dtype: signed terms, and the total
/// of the terms that are small uniform constants.
struct SignedSum {
    struct Term {
        var negative: Bool
        var value: Variable
    }

    var terms: [Term] = []
    var constant: Double = 0
    /// The ``Alloc`` / ``BroadcastTo`` nodes that filled constant terms (`onesLike(y)`).
    var fills: [Apply] = []

    /// The most terms a sum may have (larger ones are not read).
    static let termLimit = 8

    /// Reads `v`; nil unless it is computed by an `add`, `sub` or `neg` node of at most
    /// ``termLimit`` terms.
    init?(_ v: Variable) {
        guard let node = v.owner, let op = scalarOp(node), op == .add || op == .sub || op == .neg else { return nil }
        var budget = 2 * Self.termLimit
        guard read(v, negative: false, dtype: v.type.dtype, &budget), terms.count <= Self.termLimit else { return nil }
    }

    private mutating func read(_ v: Variable, negative: Bool, dtype: DType, _ budget: inout Int) -> Bool {
        budget -= 1
        guard budget >= 0 else { return false }
        if let c = uniformConstant(v) {
            constant += negative ? -c : c
            return true
        }
        if let fill = v.owner, fill.op is Alloc || fill.op is BroadcastTo, let c = uniformConstant(fill.inputs[0]) {
            constant += negative ? -c : c
            fills.append(fill)
            return true
        }
        guard let node = v.owner, let op = scalarOp(node), node.inputs.allSatisfy({ $0.type.dtype == dtype }) else {
            terms.append(Term(negative: negative, value: v))
            return true
        }
        switch op {
        case .add:
            return read(node.inputs[0], negative: negative, dtype: dtype, &budget)
                && read(node.inputs[1], negative: negative, dtype: dtype, &budget)
        case .sub:
            return read(node.inputs[0], negative: negative, dtype: dtype, &budget)
                && read(node.inputs[1], negative: !negative, dtype: dtype, &budget)
        case .neg:
            return read(node.inputs[0], negative: !negative, dtype: dtype, &budget)
        default:
            terms.append(Term(negative: negative, value: v))
            return true
        }
    }

    /// The non-constant terms added up again (`a - b + c`); nil when there are none.
    func termsSum() throws -> Variable? {
        guard let first = terms.first else { return nil }
        var total = first.negative ? try negation(first.value) : first.value
        for t in terms.dropFirst() {
            total = try applyScalar(t.negative ? .sub : .add, [total, t.value])
        }
        return total
    }

    /// `replacement` broadcast to the shape of `sum`, the output of `node` that this sum was
    /// read from: with the sizes of a fill that has that shape when there is one (no node is
    /// then kept alive only for its shape), else as ``fit(_:to:from:)`` does.
    func broadcast(_ replacement: Variable, like sum: Variable, from node: Apply) throws -> Variable? {
        var r = replacement
        if r.type.dtype != sum.type.dtype { r = try applyScalar(.cast(sum.type.dtype), [r]) }
        if r.type.shape == sum.type.shape { return r }
        if let fill = fills.first(where: { $0.outputTypes[0] == sum.type }), r.type.rank <= sum.type.rank {
            let filled = try Alloc().makeNode([r] + fill.inputs.dropFirst()).output
            if sum.type.isSatisfied(by: filled.type) { return filled }
        }
        return try fit(r, to: sum, from: node)
    }

    /// The arguments of the terms when every term is `+exp(argument)`, else nil.
    var exponentArguments: [Variable]? {
        let arguments = terms.compactMap { $0.negative ? nil : argument(of: $0.value, .exp) }
        return arguments.count == terms.count ? arguments : nil
    }
}

// MARK: - Layout and indexing chains

/// Whether `op` rearranges or selects elements without changing them (``DimShuffle``,
/// ``Reshape``, ``Subtensor``, ``AdvancedSubtensor``): elementwise functions commute with it.
func isElementSelection(_ op: any Op) -> Bool {
    op is DimShuffle || op is Reshape || op is Subtensor || op is AdvancedSubtensor
}

/// `v` read down through at most `limit` element-selecting nodes (see
/// ``isElementSelection(_:)``): the variable below them and the nodes, outermost first.
func throughSelections(_ v: Variable, limit: Int = 4) -> (base: Variable, chain: [Apply]) {
    var base = v
    var chain: [Apply] = []
    while chain.count < limit, let node = base.owner, node.outputs.count == 1, isElementSelection(node.op) {
        chain.append(node)
        base = node.inputs[0]
    }
    return (base, chain)
}

/// The nodes of `chain` (outermost first) applied again on top of `base`, each with its other
/// inputs (shapes, indices) unchanged.
func reapply(_ chain: [Apply], to base: Variable) throws -> Variable {
    var v = base
    for node in chain.reversed() {
        v = try node.op.makeNode([v] + node.inputs.dropFirst()).output
    }
    return v
}
