import TheanoArray
import TheanoGraph

/// What ``grad(_:wrt:disconnected:integers:considerConstant:knownGrads:)`` does with a
/// variable the cost does not depend on.
public enum DisconnectedInputs: Sendable {
    /// Throw an error naming the variable (the default: usually a bug in the model).
    case raise
    /// Return zeros of the variable's shape and dtype.
    case zero
}

/// What `grad` returns for an integer or bool variable, whose gradient is not defined.
public enum IntegerInputs: Sendable {
    /// Zeros of the variable's shape, as float64 (Theano's choice).
    case zero
    /// Treat the variable as disconnected (then `DisconnectedInputs` decides).
    case disconnected
}

/// The symbolic gradient of a scalar `cost` with respect to each variable in `wrt`.
///
/// `grad` is a graph-to-graph transformation: it walks the graph backwards from the cost,
/// calling each op's ``Op/pullback(_:_:)``, and sums the contributions of every path. The
/// result is a graph like any other, so it is optimised and compiled with the rest.
///
/// ```swift
/// let gw = try grad(loss, wrt: w)
/// let step = try function([x, y], [loss], updates: [w: w - 0.1 * gw])
/// ```
///
/// - Parameters:
///   - cost: a floating-point scalar (rank 0). For other outputs use `knownGrads` or ``lop``.
///   - wrt: inputs, shared variables or intermediate variables of the graph.
///   - disconnected: what to do when the cost does not depend on a variable.
///   - integers: what to return for integer variables.
///   - considerConstant: variables treated as constants (no gradient flows through them).
///   - knownGrads: gradients already known for some variables (start the backward pass from
///     them as well as, or instead of, the cost).
/// - Throws: when the cost is not a float scalar, when a variable is disconnected and
///   `disconnected` is `.raise`, or when an op on the path is not differentiable (the error
///   names the op).
public func grad(
    _ cost: Tensor?, wrt: [Tensor],
    disconnected: DisconnectedInputs = .raise, integers: IntegerInputs = .zero,
    considerConstant: [Tensor] = [], knownGrads: [Tensor: Tensor] = [:]
) throws -> [Tensor] {
    var seeds: [(Variable, Variable)] = []
    if let cost {
        guard cost.rank == 0 else {
            throw TheanoError.invalidArgument(
                "grad: the cost must be a scalar (rank 0), got \(describeVariable(cost.variable)); reduce it with sum() or mean(), or use lop / knownGrads for a non-scalar output")
        }
        guard cost.dtype.isFloatingPoint else {
            throw TheanoError.typeMismatch("grad: the cost must have a floating-point dtype, got \(describeVariable(cost.variable))")
        }
        seeds.append((cost.variable, Tensor.constant(1, cost.dtype).variable))
    }
    for (v, g) in knownGrads {
        guard v.rank == g.rank else {
            throw TheanoError.shapeMismatch("grad: the known gradient for \(describeVariable(v.variable)) has rank \(g.rank), expected \(v.rank)")
        }
        seeds.append((v.variable, try conform(g, to: v).variable))
    }
    guard !seeds.isEmpty else {
        throw TheanoError.invalidArgument("grad: give a cost or at least one known gradient")
    }
    let gradients = try backpropagate(seeds: seeds, wrt: wrt.map(\.variable), blocked: Set(considerConstant.map(\.variable)))
    return try wrt.map { v in
        if !v.dtype.isFloatingPoint {
            switch integers {
            case .zero: return try zerosLike(v, .float64)
            case .disconnected: break
            }
        } else if let g = gradients[v.variable] {
            return Tensor(g)
        }
        switch disconnected {
        case .zero:
            return try zerosLike(v, v.dtype.isFloatingPoint ? v.dtype : .float64)
        case .raise:
            throw TheanoError.notDifferentiable(
                "grad: the cost does not depend on \(describeVariable(v.variable)) (it is disconnected); pass disconnected: .zero to get zeros instead")
        }
    }
}

/// The gradient of a scalar `cost` with respect to one variable; see
/// ``grad(_:wrt:disconnected:integers:considerConstant:knownGrads:)``.
public func grad(
    _ cost: Tensor, wrt: Tensor,
    disconnected: DisconnectedInputs = .raise, integers: IntegerInputs = .zero,
    considerConstant: [Tensor] = []
) throws -> Tensor {
    try grad(cost, wrt: [wrt], disconnected: disconnected, integers: integers, considerConstant: considerConstant)[0]
}

/// Runs the backward pass from `seeds` (variable, gradient) and returns the summed gradient of
/// every variable that received one. Only nodes between the seeds and `wrt` are visited;
/// gradients do not flow above `blocked` variables.
func backpropagate(seeds: [(Variable, Variable)], wrt: [Variable], blocked: Set<Variable>) throws -> [Variable: Variable] {
    let targets = Set(wrt)
    let nodes = toposort(outputs: seeds.map(\.0), isStop: { blocked.contains($0) })
    // Which variables depend on a target: only those need gradients.
    var reaches = targets
    for node in nodes where node.inputs.contains(where: { reaches.contains($0) && (!blocked.contains($0) || targets.contains($0)) }) {
        for out in node.outputs { reaches.insert(out) }
    }
    var contributions: [Variable: [Variable]] = [:]
    for (v, g) in seeds where reaches.contains(v) {
        contributions[v, default: []].append(g)
    }
    var total: [Variable: Variable] = [:]
    func summed(_ v: Variable) throws -> Variable? {
        if let t = total[v] { return t }
        guard let parts = contributions[v], var sum = parts.first.map(Tensor.init) else { return nil }
        for p in parts.dropFirst() { sum = try sum + Tensor(p) }
        total[v] = sum.variable
        return sum.variable
    }
    for node in nodes.reversed() {
        let outputs = node.outputs
        guard outputs.contains(where: { reaches.contains($0) }) else { continue }
        // Integer and bool outputs carry no gradient: their inputs are disconnected through
        // this node (argmax, shapes, comparisons).
        guard outputs.contains(where: { $0.type.dtype.isFloatingPoint }) else { continue }
        let outGrads = try outputs.map(summed)
        guard outGrads.contains(where: { $0 != nil }) else { continue }
        guard node.inputs.contains(where: { reaches.contains($0) && !blocked.contains($0) || targets.contains($0) }) else { continue }
        let inGrads = try node.op.pullback(node, outGrads)
        guard inGrads.count == node.inputs.count else {
            throw TheanoError.graph("internal error: the gradient of \(node.op) returned \(inGrads.count) values for \(node.inputs.count) inputs")
        }
        for (input, g) in zip(node.inputs, inGrads) {
            guard let g, reaches.contains(input), input.type.dtype.isFloatingPoint else { continue }
            let conformed = try conform(Tensor(g), to: Tensor(input), op: "\(node.op)")
            contributions[input, default: []].append(conformed.variable)
        }
    }
    var result: [Variable: Variable] = [:]
    for v in wrt { if let g = try summed(v) { result[v] = g } }
    return result
}

/// Gives a gradient the dtype of the variable it belongs to and checks the shapes agree.
func conform(_ g: Tensor, to v: Tensor, op: String = "knownGrads") throws -> Tensor {
    guard TensorType(g.dtype, shape: v.staticShape).isCompatible(with: g.type) else {
        throw TheanoError.shapeMismatch(
            "grad: the gradient computed by \(op) for \(describeVariable(v.variable)) has type \(g.type); expected a \(v.dtype) tensor of shape \(v.type)")
    }
    return v.dtype.isFloatingPoint ? try cast(g, v.dtype) : g
}
