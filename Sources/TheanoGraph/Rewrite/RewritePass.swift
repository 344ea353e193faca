import TheanoArray

/// Context a pass runs with: the names of rewrites to skip, an optional trace, and what to
/// do when a rule throws.
///
/// A rule that throws never disappears silently: the failure is recorded in ``failures`` (and
/// in ``trace`` when there is one) and the rule is treated as not applying. With
/// ``strictRules`` the error ends the compilation instead; debug builds default to strict, so
/// a throwing rule fails the test suite, while release builds keep compiling.
public struct RewriteContext {
    public var excluded: Set<String>
    public var trace: RewriteTrace?
    /// Whether a rule that throws ends the compilation (default: true in debug builds).
    public var strictRules: Bool
    /// Every rule failure of this optimisation.
    public let failures: RewriteFailureLog

    public init(excluded: Set<String> = [], trace: RewriteTrace? = nil, strictRules: Bool = RewriteContext.strictByDefault) {
        self.excluded = excluded
        self.trace = trace
        self.strictRules = strictRules
        self.failures = RewriteFailureLog()
    }

    /// True in debug builds.
    public static var strictByDefault: Bool {
        #if DEBUG
        return true
        #else
        return false
        #endif
    }
}

/// The rules that threw while a graph was optimised: which rule, on which node, and why.
public final class RewriteFailureLog: @unchecked Sendable {
    public struct Entry: CustomStringConvertible, Sendable {
        public let rewrite: String
        public let node: String
        public let message: String
        public var description: String { "\(rewrite) failed on \(node): \(message)" }
    }

    public private(set) var entries: [Entry] = []

    public init() {}

    func record(_ entry: Entry) { entries.append(entry) }
}

/// One step of a rewrite pipeline.
///
/// - `walk`: visits every node once, from inputs to outputs (`.inToOut`) or back, offering it
///   the set's rewrites; the first that applies wins.
/// - `equilibrium`: applies the set until nothing changes, revisiting only nodes near a
///   change (a work list), bounded by `maxRounds` passes over the graph's size.
/// - `custom`: any other whole-graph transformation (merge, constant folding, ...).
public struct RewritePass: Sendable, CustomStringConvertible {
    public enum Order: Sendable { case inToOut, outToIn }

    enum Kind: Sendable {
        case walk(RewriteSet, Order)
        case equilibrium(RewriteSet, maxRounds: Int)
        case custom(@Sendable (FunctionGraph, RewriteContext) throws -> Void)
    }

    public let name: String
    let kind: Kind

    /// A single walk over the graph in `order`.
    public static func walk(_ name: String, _ rewrites: RewriteSet, order: Order = .inToOut) -> RewritePass {
        RewritePass(name: name, kind: .walk(rewrites, order))
    }

    /// Rewrites applied to a fixed point.
    public static func equilibrium(_ name: String, _ rewrites: RewriteSet, maxRounds: Int = 20) -> RewritePass {
        RewritePass(name: name, kind: .equilibrium(rewrites, maxRounds: maxRounds))
    }

    /// A whole-graph transformation.
    public static func custom(_ name: String, _ body: @escaping @Sendable (FunctionGraph, RewriteContext) throws -> Void) -> RewritePass {
        RewritePass(name: name, kind: .custom(body))
    }

    public var description: String { name }

    /// This pass with the opt-in rewrites that `names` names turned on (see
    /// ``Rewrite/optIn(group:)``); custom passes are unchanged.
    public func enabling(_ names: Set<String>) -> RewritePass {
        switch kind {
        case let .walk(set, order): return RewritePass(name: name, kind: .walk(set.enabling(names), order))
        case let .equilibrium(set, maxRounds): return RewritePass(name: name, kind: .equilibrium(set.enabling(names), maxRounds: maxRounds))
        case .custom: return self
        }
    }

    /// The opt-in rewrites of this pass that are still off.
    public var optInRewrites: [Rewrite] {
        switch kind {
        case let .walk(set, _), let .equilibrium(set, _): return set.optInRewrites
        case .custom: return []
        }
    }

    /// The rewrites a walk or equilibrium pass offers nodes, in order; empty for a custom pass
    /// (its body is a closure: merge, constant folding, fusion, ...).
    public var rewrites: [Rewrite] {
        switch kind {
        case let .walk(set, _): return set.rewrites
        case let .equilibrium(set, _): return set.rewrites
        case .custom: return []
        }
    }

    /// How the pass runs: `"walk"`, `"equilibrium"` or `"custom"`.
    public var kindName: String {
        switch kind {
        case .walk: return "walk"
        case .equilibrium: return "equilibrium"
        case .custom: return "custom"
        }
    }

    /// Runs the pass on `graph`.
    public func run(_ graph: FunctionGraph, _ context: RewriteContext) throws {
        if context.excluded.contains(name) { return }
        switch kind {
        case let .walk(set, order):
            let rules = set.excluding(context.excluded)
            var nodes = graph.toposort()
            if order == .outToIn { nodes.reverse() }
            for node in nodes where graph.nodes.contains(node) {
                _ = try applyFirst(rules, to: node, in: graph, context)
            }
        case let .equilibrium(set, maxRounds):
            try runToFixedPoint(set.excluding(context.excluded), graph, context, maxRounds: maxRounds)
        case let .custom(body):
            try body(graph, context)
        }
    }

    private func runToFixedPoint(_ rules: RewriteSet, _ graph: FunctionGraph, _ context: RewriteContext, maxRounds: Int) throws {
        var work = graph.toposort()
        var queued = Set(work.map { ObjectIdentifier($0) })
        var budget = Swift.max(1, maxRounds) * Swift.max(work.count, 16)
        let changes = ChangeRecorder()
        graph.attach(changes)
        defer { graph.detach(changes) }
        var index = 0
        while index < work.count {
            let node = work[index]
            index += 1
            queued.remove(ObjectIdentifier(node))
            guard graph.nodes.contains(node) else { continue }
            changes.touched.removeAll(keepingCapacity: true)
            guard try applyFirst(rules, to: node, in: graph, context) != nil else { continue }
            budget -= 1
            if budget <= 0 { return }
            // Revisit the nodes the change created and the nodes whose inputs it changed.
            for n in changes.touched where graph.nodes.contains(n) && queued.insert(ObjectIdentifier(n)).inserted {
                work.append(n)
            }
        }
    }

    /// Offers `node` to each candidate rewrite; applies the first that returns replacements.
    /// Returns the replacement variables, or nil when none applied.
    private func applyFirst(_ rules: RewriteSet, to node: Apply, in graph: FunctionGraph, _ context: RewriteContext) throws -> [Variable]? {
        for rule in rules.candidates(for: node) {
            let result: [Variable?]?
            do {
                result = try rule.apply(graph, node)
            } catch {
                try context.ruleFailed(rule.name, node, error)
                continue
            }
            guard let replacements = result else { continue }
            let outputs = node.outputs
            guard replacements.count == outputs.count else {
                throw TheanoError.graph("rewrite '\(rule.name)' returned \(replacements.count) replacements for a node with \(outputs.count) outputs")
            }
            var changed: [Variable] = []
            for (old, new) in zip(outputs, replacements) {
                guard let new, new !== old, graph.contains(old) else { continue }
                if old.name != nil && new.name == nil && new.owner != nil { new.name = old.name }
                try graph.replace(old, with: new, reason: rule.name)
                context.trace?.record(rule.name, before: old, after: new)
                changed.append(new)
            }
            if !changed.isEmpty { return changed }
        }
        return nil
    }
}

/// An ordered list of passes: the optimiser's plan, readable top to bottom.
public struct RewritePipeline: Sendable, CustomStringConvertible {
    public var passes: [RewritePass]

    public init(_ passes: [RewritePass]) { self.passes = passes }

    /// This pipeline with the opt-in rewrites named in `names` (by rewrite name or group
    /// name) turned on: `StandardPipelines.fastRun.enabling(["mul_by_zero"])`.
    public func enabling(_ names: Set<String>) -> RewritePipeline {
        RewritePipeline(passes.map { $0.enabling(names) })
    }

    /// The opt-in rewrites of the pipeline that are still off (each name once, in order).
    public var optInRewrites: [Rewrite] {
        var seen = Set<String>()
        return passes.flatMap(\.optInRewrites).filter { seen.insert($0.name).inserted }
    }

    /// Runs every pass in order, then optimises the inner graphs of the nodes that carry
    /// them (``InnerGraphOp``) with the same pipeline, once per distinct op.
    public func run(_ graph: FunctionGraph, _ context: RewriteContext = RewriteContext()) throws {
        for pass in passes { try pass.run(graph, context) }
        if !passes.isEmpty { try optimizeInnerGraphs(graph, context) }
    }

    /// Replaces every ``InnerGraphOp`` node by one whose inner graphs went through this
    /// pipeline.
    private func optimizeInnerGraphs(_ graph: FunctionGraph, _ context: RewriteContext) throws {
        var optimized: [AnyHashable: any Op] = [:]
        for node in graph.toposort() {
            guard let op = node.op as? any InnerGraphOp, op.optimizesInnerGraphs else { continue }
            let key = AnyHashable(op)
            let newOp: any Op
            if let done = optimized[key] {
                newOp = done
            } else {
                newOp = try optimizingInnerGraphs(of: op, context)
                optimized[key] = newOp
            }
            let replacement = try newOp.makeNode(node.inputs)
            for (old, new) in zip(node.outputs, replacement.outputs) where graph.contains(old) {
                try graph.replace(old, with: new, reason: "optimize_inner_graphs")
            }
        }
    }

    private func optimizingInnerGraphs<O: InnerGraphOp>(of op: O, _ context: RewriteContext) throws -> O {
        let graphs = try op.innerGraphs.map { inner -> InnerGraph in
            let body = try FunctionGraph(inputs: inner.inputs, outputs: inner.outputs)
            try run(body, context)
            return InnerGraph(name: inner.name, inputs: body.inputs, outputs: body.outputs)
        }
        return try op.replacingInnerGraphs(graphs)
    }

    public var description: String { passes.map(\.name).joined(separator: " -> ") }
}

extension RewriteContext {
    /// Records a rule's error; rethrows it, naming the rule and node, when rules are strict.
    public func ruleFailed(_ rule: String, _ node: Apply, _ error: any Error) throws {
        let message = (error as? TheanoError)?.message ?? "\(error)"
        let entry = RewriteFailureLog.Entry(rewrite: rule, node: "\(node.op)", message: message)
        failures.record(entry)
        trace?.recordFailure(entry)
        if strictRules {
            throw TheanoError.graph("rewrite '\(rule)' threw on \(node.op)(\(node.inputs.map { describeVariable($0) }.joined(separator: ", "))): \(message)")
        }
    }
}

/// Collects the nodes a change imported or rewired, so the equilibrium driver revisits them.
final class ChangeRecorder: GraphFeature {
    var touched: [Apply] = []

    func onImport(_ graph: FunctionGraph, node: Apply, reason: String) { touched.append(node) }

    func onChangeInput(_ graph: FunctionGraph, client: FunctionGraph.Client, old: Variable, new: Variable, reason: String) {
        if let node = client.node { touched.append(node) }
    }
}
