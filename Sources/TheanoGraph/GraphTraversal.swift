import TheanoArray

/// The nodes that compute `outputs`, in an order where every node comes after the nodes that
/// compute its inputs. Traversal stops at `stop` variables (and at roots). Iterative, so a chain
/// of any length is fine.
public func toposort(outputs: [Variable], stoppingAt stop: Set<Variable> = []) -> [Apply] {
    stop.isEmpty ? toposort(outputs: outputs, isStop: { _ in false }) : toposort(outputs: outputs, isStop: stop.contains)
}

/// ``toposort(outputs:stoppingAt:)`` with the stopping variables given by a predicate.
public func toposort(outputs: [Variable], isStop: (Variable) -> Bool) -> [Apply] {
    var order: [Apply] = []
    var visited = Set<ObjectIdentifier>()
    // Each stack entry is a node and the index of the next input to visit.
    var stack: [(Apply, Int)] = []
    for out in outputs {
        guard let root = out.owner, !isStop(out), !visited.contains(ObjectIdentifier(root)) else { continue }
        visited.insert(ObjectIdentifier(root))
        stack.append((root, 0))
        while let (node, next) = stack.last {
            if next < node.inputs.count {
                stack[stack.count - 1].1 = next + 1
                let input = node.inputs[next]
                if let owner = input.owner, !isStop(input), !visited.contains(ObjectIdentifier(owner)) {
                    visited.insert(ObjectIdentifier(owner))
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

/// The root variables (inputs, constants, shared variables) that `outputs` depend on, in first
/// visited order, plus any `stop` variables reached.
public func graphRoots(outputs: [Variable], stoppingAt stop: Set<Variable> = []) -> [Variable] {
    var seen = Set<Variable>()
    var roots: [Variable] = []
    func visit(_ v: Variable) {
        if (v.owner == nil || stop.contains(v)) && seen.insert(v).inserted { roots.append(v) }
    }
    for out in outputs { visit(out) }
    for node in toposort(outputs: outputs, stoppingAt: stop) {
        for input in node.inputs { visit(input) }
    }
    return roots
}

/// A copy of the graph between `inputs` and `outputs`, with new ``Apply`` nodes and new input
/// variables. Constants and shared variables are kept (they are immutable or shared by design).
/// `replacements` substitutes variables anywhere in the graph (Theano's `givens`); a
/// replacement must have a type that satisfies the replaced variable's type.
///
/// Returns the new inputs and outputs, and the map from old to new variables.
public func cloneGraph(
    inputs: [Variable], outputs: [Variable], replacements: [Variable: Variable] = [:]
) throws -> (inputs: [Variable], outputs: [Variable], map: [Variable: Variable]) {
    var map: [Variable: Variable] = [:]
    for v in inputs {
        let c = Variable(type: v.type, name: v.name)
        map[v] = c
    }
    for (old, new) in replacements {
        guard old.type.isSatisfied(by: new.type) else {
            throw TheanoError.typeMismatch(
                "givens: the replacement for '\(old)' has type \(new.type), which does not match the type \(old.type) of the variable it replaces")
        }
    }
    // Replacement graphs are themselves cloned (sharing the map), so their inputs stay roots.
    let replacementOutputs = Array(replacements.values)
    let stop = Set(inputs).union(replacements.keys)
    let nodes = toposort(outputs: replacementOutputs + outputs, stoppingAt: stop)
    func mapped(_ v: Variable) -> Variable {
        if let m = map[v] { return m }
        if let r = replacements[v] { return map[r] ?? r }
        return v
    }
    for node in nodes {
        let newNode = Apply(op: node.op, inputs: node.inputs.map(mapped), outputTypes: node.outputTypes)
        let newOuts = newNode.outputs
        for (old, new) in zip(node.outputs, newOuts) {
            new.name = old.name
            map[old] = new
        }
    }
    for (old, new) in replacements where map[old] == nil { map[old] = map[new] ?? new }
    return (inputs.map(mapped), outputs.map(mapped), map)
}
