import TheanoArray

/// A small language for the shape of a subgraph a rewrite looks for.
///
/// ```swift
/// // x * 1 -> x, with the constant on either side:
/// let p = Pattern.node(Elemwise.self, where: { $0.scalar == .mul },
///                      [.bind("x"), .constant(equalTo: 1)], commutative: true)
/// ```
///
/// - ``bind(_:)`` matches any variable and names it; a name used twice must match the same
///   variable both times (`x - x`).
/// - ``any`` matches any variable.
/// - ``constant(where:)`` matches a constant whose elements all equal one value that satisfies
///   the predicate (any shape: broadcastable constants count); ``constant(equalTo:)`` is the
///   common case.
/// - ``node(_:where:_:commutative:)`` matches a variable computed by an op of a given type
///   whose parameters satisfy `where`, with inputs matching the sub-patterns (tried in both
///   orders for a commutative two-input op).
public indirect enum Pattern: Sendable {
    case any
    case bind(String)
    case constant(where: @Sendable (Double) -> Bool, bindAs: String?)
    case node(OpMatch, [Pattern], commutative: Bool)

    /// A constant whose elements all equal `value`.
    public static func constant(equalTo value: Double, bindAs name: String? = nil) -> Pattern {
        .constant(where: { $0 == value }, bindAs: name)
    }

    /// Any constant with all elements equal (a scalar in disguise), bound to `name`.
    public static func scalarConstant(_ name: String) -> Pattern {
        .constant(where: { _ in true }, bindAs: name)
    }

    /// A node of op type `O` whose op satisfies `predicate`, with inputs matching `inputs`.
    public static func node<O: Op>(_ type: O.Type, where predicate: @escaping @Sendable (O) -> Bool = { _ in true },
                                   _ inputs: [Pattern], commutative: Bool = false) -> Pattern {
        .node(OpMatch(type, predicate), inputs, commutative: commutative)
    }

    /// The op type at the root, if the pattern has one (drivers index rewrites by it).
    public var rootOpType: ObjectIdentifier? {
        if case .node(let m, _, _) = self { return m.opType }
        return nil
    }

    /// Matches `variable` against this pattern, returning the bindings on success.
    public func match(_ variable: Variable) -> PatternMatch? {
        var m = PatternMatch()
        return matches(variable, &m) ? m : nil
    }

    func matches(_ v: Variable, _ m: inout PatternMatch) -> Bool {
        switch self {
        case .any:
            return true
        case .bind(let name):
            if let bound = m.variables[name] { return bound === v }
            m.variables[name] = v
            return true
        case let .constant(predicate, name):
            guard let value = v.constantValue, let first = uniformValue(value), predicate(first) else { return false }
            if let name {
                if let bound = m.variables[name] { return bound === v }
                m.variables[name] = v
                m.constants[name] = first
            }
            return true
        case let .node(opMatch, inputs, commutative):
            guard let node = v.owner, opMatch.matches(node.op), node.inputs.count == inputs.count else { return false }
            let saved = m
            if zip(inputs, node.inputs).allSatisfy({ $0.matches($1, &m) }) {
                m.nodes.append(node)
                return true
            }
            m = saved
            if commutative && inputs.count == 2 {
                if inputs[0].matches(node.inputs[1], &m) && inputs[1].matches(node.inputs[0], &m) {
                    m.nodes.append(node)
                    return true
                }
                m = saved
            }
            return false
        }
    }
}

/// What a successful match bound: variables by name, the value of bound constants, and the
/// nodes matched (root last).
public struct PatternMatch {
    public var variables: [String: Variable] = [:]
    public var constants: [String: Double] = [:]
    public var nodes: [Apply] = []

    /// The variable bound to `name`; throws when the pattern did not bind it (a bug in a rule).
    public subscript(_ name: String) -> Variable {
        get throws {
            guard let v = variables[name] else { throw TheanoError.graph("pattern binding '\(name)' is missing") }
            return v
        }
    }
}

/// Matches ops of one type by a predicate on their parameters.
public struct OpMatch: Sendable {
    public let opType: ObjectIdentifier
    private let predicate: @Sendable (any Op) -> Bool

    public init<O: Op>(_ type: O.Type, _ predicate: @escaping @Sendable (O) -> Bool) {
        self.opType = ObjectIdentifier(type)
        self.predicate = { op in (op as? O).map(predicate) ?? false }
    }

    public func matches(_ op: any Op) -> Bool { predicate(op) }
}

/// The single value of a constant whose elements are all equal (nil otherwise or if empty).
public func uniformValue(_ value: NDArray) -> Double? {
    guard value.count > 0 else { return nil }
    if value.count == 1 { return firstValue(value) }
    // The stored elements only: a broadcast view repeats them, perhaps past memory's size.
    let d = value.collapsingBroadcastAxes.doubles
    let first = d[0]
    return d.allSatisfy { $0 == first || ($0.isNaN && first.isNaN) } ? first : nil
}

extension Rewrite {
    /// A rewrite from a pattern: when `pattern` matches a node's (single) output, `build` gets
    /// the bindings and returns the replacement (or nil to decline).
    public static func pattern(_ name: String, _ pattern: Pattern,
                               _ build: @escaping @Sendable (PatternMatch, FunctionGraph) throws -> Variable?) -> Rewrite {
        let body: Body = { graph, node in
            guard node.outputTypes.count == 1, let m = pattern.match(node.output) else { return nil }
            return try build(m, graph).map { [$0] }
        }
        guard let root = pattern.rootOpType else { return Rewrite(name, body) }
        return Rewrite(name: name, tracks: [root], body: body)
    }

    init(name: String, tracks: [ObjectIdentifier], body: @escaping Body) {
        self.name = name
        self.tracks = tracks
        self.body = body
    }
}
