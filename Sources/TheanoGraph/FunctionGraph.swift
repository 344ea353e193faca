import TheanoArray

/// A private, mutable copy of a graph that rewrites work on: inputs, outputs, the nodes
/// between them, and who reads each variable.
///
/// ``replace(_:with:reason:)`` swaps one variable for another everywhere it is read, after
/// checking that the types agree, imports the new variable's nodes, and prunes nodes nobody
/// reads any more. Features (``GraphFeature``) observe every change.
public final class FunctionGraph {
    /// Where a variable is read: input `index` of `node`, or graph output `index` when `node`
    /// is nil.
    public struct Client: Hashable {
        public let node: Apply?
        public let index: Int
    }

    public private(set) var inputs: [Variable]
    public private(set) var outputs: [Variable]
    /// Output index -> the shared variable whose new value that output is (a compiled
    /// function's updates). The in-place rewrite may then overwrite the shared variable's
    /// buffer with that output.
    public var updateTargets: [Int: Variable] = [:]
    /// Every node currently in the graph.
    public private(set) var nodes: Set<Apply> = []
    private var clientMap: [Variable: [Client]] = [:]
    private var features: [any GraphFeature] = []

    /// Builds a graph from `inputs` to `outputs`. With `clone` (the default) it works on a copy,
    /// so rewrites never touch the caller's graph. Throws when an output depends on an input
    /// variable that is not listed in `inputs`.
    public init(inputs: [Variable], outputs: [Variable], clone: Bool = true) throws {
        if clone {
            let c = try cloneGraph(inputs: inputs, outputs: outputs)
            self.inputs = c.inputs
            self.outputs = c.outputs
        } else {
            self.inputs = inputs
            self.outputs = outputs
        }
        for v in self.inputs { clientMap[v] = clientMap[v] ?? [] }
        for (i, out) in self.outputs.enumerated() {
            try importVariable(out, reason: "init")
            clientMap[out, default: []].append(Client(node: nil, index: i))
        }
    }

    // MARK: Queries

    /// The places that read `variable`.
    public func clients(of variable: Variable) -> [Client] { clientMap[variable] ?? [] }

    /// Whether `variable` belongs to this graph.
    public func contains(_ variable: Variable) -> Bool { clientMap[variable] != nil }

    /// Every variable in the graph.
    public var variables: [Variable] { Array(clientMap.keys) }

    /// The nodes in an order where each comes after the nodes that compute its inputs.
    public func toposort() -> [Apply] {
        // Inputs are nearly always roots (no owner), and traversal never passes a root, so the
        // per-edge check against the input set is needed only when some input has an owner.
        let ownedInputs = Set(inputs.filter { $0.owner != nil })
        var order: [Apply] = []
        order.reserveCapacity(nodes.count)
        var visited = Set<ObjectIdentifier>(minimumCapacity: nodes.count)
        var stack: [(Apply, Int)] = []
        for out in outputs {
            guard let root = out.owner, !ownedInputs.contains(out), visited.insert(ObjectIdentifier(root)).inserted else { continue }
            stack.append((root, 0))
            while let (node, next) = stack.last {
                let inputs = node.inputs
                if next < inputs.count {
                    stack[stack.count - 1].1 = next + 1
                    let input = inputs[next]
                    if let owner = input.owner, ownedInputs.isEmpty || !ownedInputs.contains(input),
                       visited.insert(ObjectIdentifier(owner)).inserted {
                        stack.append((owner, 0))
                    }
                } else {
                    stack.removeLast()
                    order.append(node)
                }
            }
        }
        return order
    }

    // MARK: Features

    /// Attaches a feature; it is told about the current nodes at once.
    public func attach(_ feature: any GraphFeature) {
        features.append(feature)
        feature.onAttach(self)
    }

    /// Detaches a feature attached earlier.
    public func detach(_ feature: any GraphFeature) {
        features.removeAll { $0 === feature }
    }

    /// The attached feature of a given type, if any.
    public func feature<F: GraphFeature>(_ type: F.Type) -> F? {
        features.lazy.compactMap { $0 as? F }.first
    }

    // MARK: Changes

    /// Replaces every read of `old` by `new`. `new`'s type must satisfy `old`'s (same dtype and
    /// rank, every static size of `old` known and equal), or the change is refused with an
    /// error naming `reason` (the rewrite that asked for it).
    public func replace(_ old: Variable, with new: Variable, reason: String) throws {
        if old === new { return }
        guard old.type.isSatisfied(by: new.type) else {
            throw TheanoError.typeMismatch(
                "rewrite '\(reason)' would replace \(old) of type \(old.type) by \(new) of type \(new.type); the types must agree")
        }
        guard contains(old) else {
            throw TheanoError.graph("rewrite '\(reason)': the variable \(old) being replaced is not in the graph")
        }
        try importVariable(new, reason: reason)
        for client in clients(of: old) {
            changeInput(client, from: old, to: new, reason: reason)
        }
        pruneIfUnused(old, reason: reason)
    }

    /// Replaces several variables, in order.
    public func replaceAll(_ pairs: [(Variable, Variable)], reason: String) throws {
        for (old, new) in pairs { try replace(old, with: new, reason: reason) }
    }

    private func changeInput(_ client: Client, from old: Variable, to new: Variable, reason: String) {
        if let node = client.node {
            node.inputs[client.index] = new
        } else {
            outputs[client.index] = new
        }
        clientMap[old]?.removeAll { $0 == client }
        clientMap[new, default: []].append(client)
        for f in features { f.onChangeInput(self, client: client, old: old, new: new, reason: reason) }
    }

    /// Adds `variable` and the nodes that compute it, stopping at variables already present.
    private func importVariable(_ variable: Variable, reason: String) throws {
        if clientMap[variable] != nil { return }
        let newNodes = TheanoGraph.toposort(outputs: [variable], isStop: { self.clientMap[$0] != nil })
        var roots = newNodes.flatMap(\.inputs).filter { $0.owner == nil && clientMap[$0] == nil }
        if variable.owner == nil { roots.append(variable) }
        for root in roots where clientMap[root] == nil {
            if case .input = root.role {
                throw TheanoError.graph(
                    "the graph needs the input variable \(root) (type \(root.type)) but it was not given as an input; add it to the function's inputs or give a value for it in givens")
            }
            clientMap[root] = []
        }
        for node in newNodes where !nodes.contains(node) {
            nodes.insert(node)
            for (i, input) in node.inputs.enumerated() {
                clientMap[input, default: []].append(Client(node: node, index: i))
            }
            for out in node.outputs where clientMap[out] == nil { clientMap[out] = [] }
            for f in features { f.onImport(self, node: node, reason: reason) }
        }
    }

    /// Removes the node computing `variable` (and then its unused ancestors) once nothing
    /// reads any of its outputs.
    private func pruneIfUnused(_ variable: Variable, reason: String) {
        var work = [variable]
        while let v = work.popLast() {
            guard let node = v.owner, nodes.contains(node) else {
                if v.owner == nil, clientMap[v]?.isEmpty == true, !inputs.contains(v) {
                    clientMap[v] = nil
                }
                continue
            }
            let outs = node.outputs
            guard outs.allSatisfy({ clientMap[$0]?.isEmpty ?? true }) else { continue }
            nodes.remove(node)
            for out in outs { clientMap[out] = nil }
            for f in features { f.onPrune(self, node: node, reason: reason) }
            for (i, input) in node.inputs.enumerated() {
                clientMap[input]?.removeAll { $0.node === node && $0.index == i }
                if clientMap[input]?.isEmpty == true { work.append(input) }
            }
        }
    }

    /// A copy of this graph with new nodes and inputs, and the map from this graph's variables
    /// to the copy's.
    public func clone() throws -> (FunctionGraph, [Variable: Variable]) {
        let c = try cloneGraph(inputs: inputs, outputs: outputs)
        let graph = try FunctionGraph(inputs: c.inputs, outputs: c.outputs, clone: false)
        return (graph, c.map)
    }
}

/// An observer of a ``FunctionGraph``'s changes: the shape feature, the destroy handler and
/// trace recorders are features.
public protocol GraphFeature: AnyObject {
    func onAttach(_ graph: FunctionGraph)
    func onImport(_ graph: FunctionGraph, node: Apply, reason: String)
    func onPrune(_ graph: FunctionGraph, node: Apply, reason: String)
    func onChangeInput(_ graph: FunctionGraph, client: FunctionGraph.Client, old: Variable, new: Variable, reason: String)
}

extension GraphFeature {
    public func onAttach(_ graph: FunctionGraph) {}
    public func onImport(_ graph: FunctionGraph, node: Apply, reason: String) {}
    public func onPrune(_ graph: FunctionGraph, node: Apply, reason: String) {}
    public func onChangeInput(_ graph: FunctionGraph, client: FunctionGraph.Client, old: Variable, new: Variable, reason: String) {}
}
