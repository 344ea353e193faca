import TheanoArray
import TheanoGraph

/// A lazy conditional: the outputs of one of two inner graphs, chosen by a scalar condition at
/// run time; only the chosen graph runs (Theano's `ifelse`).
///
/// Built by ``ifelse(_:_:_:)``. The node's inputs are the condition followed by the variables
/// both branches read (the *captured* variables); each branch is an inner graph of those
/// variables. The reference `perform` evaluates only the chosen inner graph; the CPU backend
/// compiles both into nested programs and runs the chosen one. Gradients are an `IfElse` of
/// the branches' gradients (the condition gets none).
public struct IfElse: InnerGraphOp {
    final class Definition: @unchecked Sendable {
        let name: String
        let thenGraph: InnerGraph
        let elseGraph: InnerGraph
        let outputTypes: [TensorType]

        init(name: String, thenGraph: InnerGraph, elseGraph: InnerGraph, outputTypes: [TensorType]) {
            self.name = name
            self.thenGraph = thenGraph
            self.elseGraph = elseGraph
            self.outputTypes = outputTypes
        }
    }

    let definition: Definition

    private init(definition: Definition) { self.definition = definition }

    public var description: String { definition.name == "ifelse" ? "IfElse" : "IfElse{\(definition.name)}" }

    public static func == (a: IfElse, b: IfElse) -> Bool { a.definition === b.definition }
    public func hash(into hasher: inout Hasher) { hasher.combine(ObjectIdentifier(definition)) }

    /// The branch run when the condition is true, then the other.
    public var innerGraphs: [InnerGraph] { [definition.thenGraph, definition.elseGraph] }

    /// How many outputs each branch has.
    public var outputCount: Int { definition.outputTypes.count }

    public func replacingInnerGraphs(_ graphs: [InnerGraph]) throws -> IfElse {
        guard graphs.count == 2 else { throw TheanoError.graph("IfElse: the op has two inner graphs, got \(graphs.count)") }
        for (old, new) in zip(innerGraphs, graphs) {
            guard old.inputs.count == new.inputs.count, old.outputs.count == new.outputs.count else {
                throw TheanoError.graph("IfElse: a replacement \(old.name) graph has \(new.inputs.count) inputs and \(new.outputs.count) outputs, expected \(old.inputs.count) and \(old.outputs.count)")
            }
            for (a, b) in zip(old.inputs + old.outputs, new.inputs + new.outputs) where !a.type.isSatisfied(by: b.type) {
                throw TheanoError.typeMismatch("IfElse: a replacement \(old.name) graph changes the type \(a.type) to \(b.type)")
            }
        }
        return IfElse(definition: Definition(name: definition.name, thenGraph: graphs[0], elseGraph: graphs[1],
                                             outputTypes: definition.outputTypes))
    }

    /// Builds the node: `then` and `else` (same count, matching dtypes and ranks) become inner
    /// graphs of the variables they read, stopping at `stop` (and at constants, which stay
    /// inside). Returns the node's outputs.
    static func build(condition: Variable, then: [Variable], else: [Variable], stop: Set<Variable>,
                      name: String) throws -> [Variable] {
        guard condition.type.rank == 0 else {
            throw TheanoError.invalidArgument("\(name): the condition must be a scalar (rank 0), got \(describeVariable(condition))")
        }
        guard then.count == `else`.count else {
            throw TheanoError.invalidArgument("\(name): the then branch has \(then.count) outputs but the else branch has \(`else`.count); give both the same number")
        }
        guard !then.isEmpty else { throw TheanoError.invalidArgument("\(name): give at least one output per branch") }
        var types: [TensorType] = []
        for (k, (a, b)) in zip(then, `else`).enumerated() {
            guard a.type.dtype == b.type.dtype, a.type.rank == b.type.rank else {
                throw TheanoError.typeMismatch(
                    "\(name): output \(k): the then branch has type \(a.type) (\(describeVariable(a))) but the else branch has type \(b.type) (\(describeVariable(b))); both branches must have the same dtype and rank")
            }
            types.append(TensorType(a.type.dtype, shape: zip(a.type.shape, b.type.shape).map { $0 == $1 ? $0 : nil }))
        }
        let captured = graphRoots(outputs: then + `else`, stoppingAt: stop).filter { $0.constantValue == nil }
        let thenClone = try cloneGraph(inputs: captured, outputs: then)
        let elseClone = try cloneGraph(inputs: captured, outputs: `else`)
        let op = IfElse(definition: Definition(
            name: name,
            thenGraph: InnerGraph(name: "then", inputs: thenClone.inputs, outputs: thenClone.outputs),
            elseGraph: InnerGraph(name: "else", inputs: elseClone.inputs, outputs: elseClone.outputs),
            outputTypes: types))
        return try op.makeNode([condition] + captured).outputs
    }

    public func makeNode(_ inputs: [Variable]) throws -> Apply {
        let captured = definition.thenGraph.inputs
        guard inputs.count == captured.count + 1 else {
            throw TheanoError.invalidArgument("\(self): expected \(captured.count + 1) inputs (the condition and \(captured.count) captured variables), got \(inputs.count)")
        }
        guard inputs[0].type.rank == 0 else {
            throw TheanoError.invalidArgument("\(self): the condition must be a scalar (rank 0), got \(describeVariable(inputs[0]))")
        }
        for (i, (outer, inner)) in zip(inputs.dropFirst(), captured).enumerated() where !inner.type.isSatisfied(by: outer.type) {
            throw TheanoError.typeMismatch("\(self): input \(i + 1) must have type \(inner.type), got \(describeVariable(outer))")
        }
        return Apply(op: self, inputs: inputs, outputTypes: definition.outputTypes)
    }

    /// The node with the inner nodes `a` (then) and `b` (else), which compute the same
    /// values, computed outside and passed in as new captured inputs; returns its outputs.
    func lifting(_ a: Apply, _ b: Apply, _ node: Apply) throws -> [Variable] {
        let (t, e) = (definition.thenGraph, definition.elseGraph)
        let captured = Array(node.inputs.dropFirst())
        let outside = substituting(a.outputs, Dictionary(uniqueKeysWithValues: zip(t.inputs, captured)))
        let thenNew = a.outputs.map { Variable(type: $0.type, name: $0.name) }
        let elseNew = b.outputs.map { Variable(type: $0.type, name: $0.name) }
        let thenOutputs = substituting(t.outputs, Dictionary(uniqueKeysWithValues: zip(a.outputs, thenNew)))
        let elseOutputs = substituting(e.outputs, Dictionary(uniqueKeysWithValues: zip(b.outputs, elseNew)))
        let lifted = IfElse(definition: Definition(
            name: definition.name,
            thenGraph: InnerGraph(name: t.name, inputs: t.inputs + thenNew, outputs: thenOutputs),
            elseGraph: InnerGraph(name: e.name, inputs: e.inputs + elseNew, outputs: elseOutputs),
            outputTypes: definition.outputTypes))
        return try lifted.makeNode(node.inputs + outside).outputs
    }

    /// The node with the inner variables `inner` of branch `branch` replaced by new inputs
    /// bound to the outer `values` (the other branch gets inputs it does not read); returns
    /// its outputs.
    func passingIn(_ inner: [Variable], values: [Variable], branch: Int, _ node: Apply) throws -> [Variable] {
        var graphs = innerGraphs
        for g in graphs.indices {
            let fresh = inner.map { Variable(type: $0.type, name: $0.name) }
            let outputs = g == branch ? substituting(graphs[g].outputs, Dictionary(uniqueKeysWithValues: zip(inner, fresh)))
                : graphs[g].outputs
            graphs[g] = InnerGraph(name: graphs[g].name, inputs: graphs[g].inputs + fresh, outputs: outputs)
        }
        let op = IfElse(definition: Definition(name: definition.name, thenGraph: graphs[0], elseGraph: graphs[1],
                                               outputTypes: definition.outputTypes))
        return try op.makeNode(node.inputs + values).outputs
    }

    /// The graph the condition's value selects.
    func branch(_ condition: NDArray) -> InnerGraph {
        isTrue(condition) ? definition.thenGraph : definition.elseGraph
    }

    /// Evaluates only the chosen branch (node by node, on the reference).
    public func perform(_ node: Apply, _ inputs: [NDArray]) throws -> [NDArray] {
        let chosen = branch(inputs[0])
        let arguments = Array(inputs.dropFirst())
        return unaliasedOutputs(try evaluateGraph(inputs: chosen.inputs, outputs: chosen.outputs, values: arguments), from: arguments)
    }

    /// The chosen branch's outputs written on `arguments` (outer variables): what the
    /// rewrites put in place of the node.
    func expand(_ graph: InnerGraph, _ arguments: [Variable]) -> [Variable] {
        substituting(graph.outputs, Dictionary(uniqueKeysWithValues: zip(graph.inputs, arguments)))
    }

    /// A size both branches agree on (structurally), else the size of the output itself.
    public func inferShape(_ node: Apply, _ inputShapes: [[Variable]]) throws -> [[Variable]] {
        let captured = Array(inputShapes.dropFirst())
        let thenShapes = innerOutputShapes(definition.thenGraph, captured)
        let elseShapes = innerOutputShapes(definition.elseGraph, captured)
        var comparator = ExpressionComparator()
        return try node.outputs.enumerated().map { k, out in
            try out.type.shape.enumerated().map { axis, size in
                if let size { return shapeConstant(size) }
                if let a = thenShapes[k][axis], let b = elseShapes[k][axis], comparator.same(a, b) { return a }
                return try ShapeIndex(axis).makeNode([out]).output
            }
        }
    }

    /// An `IfElse` of the two branches' gradients with respect to every captured
    /// floating-point variable; the condition and integer inputs get none.
    public func pullback(_ node: Apply, _ outputGradients: [Variable?]) throws -> [Variable?] {
        let captured = Array(node.inputs.dropFirst())
        let floats = captured.filter { $0.type.dtype.isFloatingPoint }
        guard !floats.isEmpty, outputGradients.contains(where: { $0 != nil }) else { return node.inputs.map { _ in nil } }
        func branchGradients(_ graph: InnerGraph) throws -> [Variable] {
            let outputs = expand(graph, captured)
            var known: [Tensor: Tensor] = [:]
            for (out, g) in zip(outputs, outputGradients) where out.type.dtype.isFloatingPoint {
                guard let g else { continue }
                let t = Tensor(out)
                known[t] = try known[t].map { try $0 + Tensor(g) } ?? Tensor(g)
            }
            if known.isEmpty { return try floats.map { try zerosLike(Tensor($0)).variable } }
            return try grad(nil, wrt: floats.map(Tensor.init), disconnected: .zero, knownGrads: known).map(\.variable)
        }
        let thenGrads = try branchGradients(definition.thenGraph)
        let elseGrads = try branchGradients(definition.elseGraph)
        // The gradient branches read the captured variables and the output gradients.
        let stop = Set(captured + outputGradients.compactMap { $0 })
        let grads = try IfElse.build(condition: node.inputs[0], then: thenGrads, else: elseGrads, stop: stop,
                                     name: definition.name == "ifelse" ? "ifelse_grad" : definition.name + "_grad")
        var byInput: [Variable: Variable] = [:]
        for (v, g) in zip(floats, grads) { byInput[v] = g }
        return [nil] + captured.map { byInput[$0] }
    }
}

/// Lazy choice between two lists of values (Theano's `ifelse`): `then` when `condition` (a
/// scalar of any dtype; nonzero is true) holds at run time, else `else`. Only the chosen
/// branch is computed.
///
/// Everything each branch computes (down to the function's inputs, shared variables and
/// constants) goes into that branch's inner graph, except what the condition itself needs,
/// which is computed once outside. The branches must have as many outputs, with equal dtypes
/// and ranks (a Swift number literal takes the other branch's dtype); a static size is kept
/// where both branches have it.
///
/// ```swift
/// let (small, large) = (x * 2, log(x))
/// let y = try ifelse(x.sum() .< 10, [small], [large])[0]
/// ```
///
/// - Throws: when the condition is not a scalar, the branches have different lengths, or an
///   output's dtypes or ranks differ (the error names the output and both types).
public func ifelse(_ condition: Tensor, _ then: [Tensor], _ otherwise: [Tensor], name: String = "ifelse") throws -> [Tensor] {
    var thenValues = then.map(\.variable), elseValues = otherwise.map(\.variable)
    for k in 0..<Swift.min(then.count, otherwise.count) where then[k].dtype != otherwise[k].dtype {
        if otherwise[k].variable.isWeakConstant {
            elseValues[k] = try cast(otherwise[k], then[k].dtype).variable
        } else if then[k].variable.isWeakConstant {
            thenValues[k] = try cast(then[k], otherwise[k].dtype).variable
        }
    }
    var stop: Set<Variable> = [condition.variable]
    for node in toposort(outputs: [condition.variable]) { stop.formUnion(node.outputs) }
    return try IfElse.build(condition: condition.variable, then: thenValues, else: elseValues, stop: stop, name: name)
        .map(Tensor.init)
}

/// Lazy choice between two values; see ``ifelse(_:_:_:name:)``.
public func ifelse(_ condition: Tensor, _ then: Tensor, _ otherwise: Tensor, name: String = "ifelse") throws -> Tensor {
    try ifelse(condition, [then], [otherwise], name: name)[0]
}

/// The rewrites of ``IfElse`` nodes (in the canonicalisation set).
public enum IfElseRewrites {
    /// A constant condition: the node becomes the chosen branch.
    public static let constantCondition = Rewrite("ifelse_constant_condition", tracks: [IfElse.self]) { _, node in
        guard let op = node.op as? IfElse, let c = node.inputs[0].constantValue else { return nil }
        return op.expand(op.branch(c), Array(node.inputs.dropFirst()))
    }

    /// Outputs both branches compute the same way are computed outside, unconditionally (the
    /// node disappears when all are).
    public static let sameBranches = Rewrite("ifelse_same_branches", tracks: [IfElse.self]) { graph, node in
        guard let op = node.op as? IfElse else { return nil }
        let (t, e) = (op.definition.thenGraph, op.definition.elseGraph)
        var comparator = ExpressionComparator(pairs: Dictionary(uniqueKeysWithValues: zip(t.inputs, e.inputs)))
        let used = node.outputs.map { !graph.clients(of: $0).isEmpty }
        let same = zip(zip(t.outputs, e.outputs), used).map { pair, used in used && comparator.same(pair.0, pair.1) }
        guard same.contains(true) else { return nil }
        let expanded = op.expand(t, Array(node.inputs.dropFirst()))
        return zip(expanded, same).map { $1 ? $0 : nil }
    }

    /// A computation both branches do the same way (by structure, on the same captured
    /// values) is computed once outside and passed in: it runs whichever branch is taken, so
    /// lifting it changes no laziness. The largest such computation goes first; the rule
    /// repeats until none is left.
    public static let liftCommon = Rewrite("ifelse_lift_common", tracks: [IfElse.self]) { _, node in
        guard let op = node.op as? IfElse else { return nil }
        let (t, e) = (op.definition.thenGraph, op.definition.elseGraph)
        let thenNodes = toposort(outputs: t.outputs, stoppingAt: Set(t.inputs))
        let elseNodes = toposort(outputs: e.outputs, stoppingAt: Set(e.inputs))
        let pairs = Dictionary(uniqueKeysWithValues: zip(t.inputs, e.inputs))
        for a in thenNodes.reversed() {
            // Nodes on constants only are left to constant folding.
            guard a.inputs.contains(where: { $0.constantValue == nil }) else { continue }
            for b in elseNodes where b.op.isEqual(to: a.op) && b.inputs.count == a.inputs.count {
                var comparator = ExpressionComparator(pairs: pairs)
                guard zip(a.outputs, b.outputs).allSatisfy({ comparator.same($0, $1) }) else { continue }
                return try op.lifting(a, b, node)
            }
        }
        return nil
    }

    /// A computation a branch does that the function also does outside the branches (on the
    /// same captured values) is not done again inside: the outer value is passed in. Outer
    /// nodes run unconditionally, so laziness is unchanged.
    public static let reuseOuter = Rewrite("ifelse_reuse_outer", tracks: [IfElse.self]) { graph, node in
        guard let op = node.op as? IfElse else { return nil }
        let captured = Array(node.inputs.dropFirst())
        for (b, inner) in op.innerGraphs.enumerated() {
            var outer: [Variable: Variable] = Dictionary(uniqueKeysWithValues: zip(inner.inputs, captured))
            let nodes = toposort(outputs: inner.outputs, stoppingAt: Set(inner.inputs))
            var matched = Set<ObjectIdentifier>()
            for n in nodes {
                // Every input known outside (or a constant), and an outer node doing the same.
                let ins = n.inputs.map { outer[$0] ?? $0 }
                guard n.inputs.allSatisfy({ outer[$0] != nil || $0.constantValue != nil }),
                      let anchor = ins.first(where: { $0.constantValue == nil }) else { continue }
                let match = graph.clients(of: anchor).compactMap(\.node).first { m in
                    m !== node && m.op.isEqual(to: n.op) && m.inputs.count == ins.count
                        && zip(m.inputs, ins).allSatisfy { x, y in
                            x === y || (x.constantValue != nil && y.constantValue != nil && x.type == y.type
                                        && x.constantValue?.doubles == y.constantValue?.doubles)
                        }
                }
                guard let m = match else { continue }
                for (x, y) in zip(n.outputs, m.outputs) { outer[x] = y }
                matched.insert(ObjectIdentifier(n))
            }
            guard !matched.isEmpty else { continue }
            // Pass in the matched values the rest of the branch reads.
            var needed: [Variable] = []
            var seen = Set<Variable>()
            func need(_ v: Variable) {
                if let owner = v.owner, matched.contains(ObjectIdentifier(owner)), seen.insert(v).inserted { needed.append(v) }
            }
            for n in nodes where !matched.contains(ObjectIdentifier(n)) { n.inputs.forEach(need) }
            inner.outputs.forEach(need)
            guard !needed.isEmpty else { continue }
            return try op.passingIn(needed, values: needed.compactMap { outer[$0] }, branch: b, node)
        }
        return nil
    }

    public static let all: [Rewrite] = [constantCondition, sameBranches, liftCommon, reuseOuter]
}
