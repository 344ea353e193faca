import TheanoArray

/// A named graph transformation that looks at one node at a time.
///
/// Given a node, a rewrite returns replacements for the node's outputs (in order, `nil` for an
/// output to leave alone) or `nil` when it does not apply. Drivers (``RewritePass``) decide
/// which nodes to visit and apply the replacements through ``FunctionGraph/replace(_:with:reason:)``,
/// which refuses any replacement that would change a variable's type, naming the rewrite.
///
/// A rewrite may declare the op types it tracks; drivers then offer it only nodes of those
/// types (an index by op type, so large rule sets stay cheap).
///
/// A rewrite can be *opt-in* (``optIn(group:)``): it sits in its rule set but does not run
/// until a pipeline enables it by its name or its group's name
/// (``RewritePipeline/enabling(_:)``, which `Mode.including` calls). The standard pipelines
/// use this for rules that change results for NaN or infinite inputs (`x - x` -> 0).
public struct Rewrite: Sendable, CustomStringConvertible {
    /// The signature of a rewrite's body.
    public typealias Body = @Sendable (_ graph: FunctionGraph, _ node: Apply) throws -> [Variable?]?

    public let name: String
    /// The op types whose nodes this rewrite looks at; nil means every node.
    public let tracks: [ObjectIdentifier]?
    /// For an opt-in rewrite, the name of its group (which enables every rewrite of the
    /// group at once); nil for a rewrite that runs by default.
    public private(set) var optInGroup: String?
    let body: Body

    /// Whether the rewrite runs only where a pipeline enables it.
    public var isOptIn: Bool { optInGroup != nil }

    /// This rewrite, off by default: it runs only in a pipeline that enables it by its name
    /// or by `group` (``RewritePipeline/enabling(_:)``).
    public func optIn(group: String) -> Rewrite {
        var r = self
        r.optInGroup = group
        return r
    }

    /// This rewrite, on: no longer opt-in.
    func enabled() -> Rewrite {
        var r = self
        r.optInGroup = nil
        return r
    }

    /// Whether `names` enables this opt-in rewrite (by its name or its group).
    func isEnabled(by names: Set<String>) -> Bool {
        guard let group = optInGroup else { return false }
        return names.contains(name) || names.contains(group)
    }

    /// A rewrite of nodes of any op type.
    public init(_ name: String, _ body: @escaping Body) {
        self.name = name
        self.tracks = nil
        self.body = body
    }

    /// A rewrite of nodes whose op is one of `ops`.
    public init(_ name: String, tracks ops: [any Op.Type], _ body: @escaping Body) {
        self.name = name
        self.tracks = ops.map { ObjectIdentifier($0) }
        self.body = body
    }

    /// A rewrite of single-output nodes: `body` returns the replacement of the output.
    public static func single(_ name: String, tracks ops: [any Op.Type]? = nil,
                              _ body: @escaping @Sendable (FunctionGraph, Apply) throws -> Variable?) -> Rewrite {
        let wrapped: Body = { graph, node in try body(graph, node).map { [$0] } }
        if let ops { return Rewrite(name, tracks: ops, wrapped) }
        return Rewrite(name, wrapped)
    }

    /// Runs the body on `node`.
    public func apply(_ graph: FunctionGraph, _ node: Apply) throws -> [Variable?]? {
        try body(graph, node)
    }

    public var description: String { name }
}

/// A list of rewrites indexed by the op type they track. Opt-in rewrites are listed but not
/// indexed: they are never candidates until ``enabling(_:)`` turns them on.
public struct RewriteSet: Sendable {
    public private(set) var rewrites: [Rewrite]
    /// For each tracked op type, its rewrites and the untracked ones, in list order (built
    /// once, so offering a node its candidates allocates nothing).
    private var byOp: [ObjectIdentifier: [Rewrite]] = [:]
    private var untracked: [Rewrite] = []

    public init(_ rewrites: [Rewrite]) {
        self.rewrites = rewrites
        var indices: [ObjectIdentifier: [Int]] = [:]
        var untrackedIndices: [Int] = []
        for (i, r) in rewrites.enumerated() where !r.isOptIn {
            if let tracks = r.tracks {
                for t in tracks where indices[t]?.last != i { indices[t, default: []].append(i) }
            } else {
                untrackedIndices.append(i)
            }
        }
        untracked = untrackedIndices.map { rewrites[$0] }
        for (op, tracked) in indices {
            byOp[op] = (tracked + untrackedIndices).sorted().map { rewrites[$0] }
        }
    }

    /// The rewrites that may apply to `node`, in their list order.
    public func candidates(for node: Apply) -> [Rewrite] {
        byOp[ObjectIdentifier(type(of: node.op))] ?? untracked
    }

    /// The set with rewrites whose names are in `excluded` removed.
    public func excluding(_ excluded: Set<String>) -> RewriteSet {
        if excluded.isEmpty { return self }
        return RewriteSet(rewrites.filter { !excluded.contains($0.name) })
    }

    /// The set with the opt-in rewrites that `names` names (by rewrite or group name) turned
    /// on.
    public func enabling(_ names: Set<String>) -> RewriteSet {
        guard rewrites.contains(where: { $0.isEnabled(by: names) }) else { return self }
        return RewriteSet(rewrites.map { $0.isEnabled(by: names) ? $0.enabled() : $0 })
    }

    /// The rewrites that are off until enabled.
    public var optInRewrites: [Rewrite] { rewrites.filter(\.isOptIn) }

    /// Concatenation of rule sets.
    public static func + (a: RewriteSet, b: RewriteSet) -> RewriteSet {
        RewriteSet(a.rewrites + b.rewrites)
    }
}
