import TheanoArray

/// Evaluates `outputs` by running each node's reference `perform` in topological order, with
/// `values` for the input variables (constants and shared variables supply their own).
///
/// This is the simplest possible interpreter: the definition of what a graph means. Compiled
/// functions schedule and run graphs far more carefully; ops that hold an inner graph
/// (``OpFromGraph``) use this to run it.
public func evaluateGraph(inputs: [Variable], outputs: [Variable], values: [NDArray]) throws -> [NDArray] {
    guard inputs.count == values.count else {
        throw TheanoError.invalidArgument("evaluateGraph: \(inputs.count) inputs but \(values.count) values")
    }
    var known: [Variable: NDArray] = [:]
    for (v, value) in zip(inputs, values) {
        if let problem = v.type.mismatch(with: value) {
            throw TheanoError.typeMismatch("evaluateGraph: the value for \(describeVariable(v)) does not fit: \(problem)")
        }
        known[v] = value
    }
    func value(of v: Variable) throws -> NDArray {
        if let x = known[v] { return x }
        switch v.role {
        case .constant(let c, _): return c
        case .shared(let s): return s.value
        default: throw TheanoError.graph("evaluateGraph: no value for \(describeVariable(v)); add it to the inputs")
        }
    }
    for node in toposort(outputs: outputs, stoppingAt: Set(inputs)) {
        let results = try node.op.perform(node, try node.inputs.map(value))
        for (out, r) in zip(node.outputs, results) { known[out] = r }
    }
    return try outputs.map(value)
}

/// `outputs` with every value that shares storage with one of `inputs`, or with an earlier
/// output, replaced by a copy: what an op that runs an inner graph returns, so that each
/// output is a new value the outer graph may overwrite in place (the op declares no views).
public func unaliasedOutputs(_ outputs: [NDArray], from inputs: [NDArray]) -> [NDArray] {
    var result = outputs
    for k in result.indices {
        let aliased = inputs.contains { result[k].sharesStorage(with: $0) }
            || result[..<k].contains { result[k].sharesStorage(with: $0) }
        if aliased { result[k] = result[k].copy() }
    }
    return result
}
