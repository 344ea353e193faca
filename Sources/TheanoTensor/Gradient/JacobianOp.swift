import TheanoArray
import TheanoGraph

/// The Jacobian of an expression whose size is known only at run time: one vector-Jacobian
/// product per element of the expression, computed by running an inner graph once per row.
/// The op behind ``jacobian(_:wrt:disconnected:)`` when the expression's size is not static
/// (or large).
///
/// The inner graph (`vjp`) maps a cotangent `v` (shaped like the expression `y`) to
/// `lop(y, wrt, v)`; run with `v = e_i` (1 at flat position `i`, 0 elsewhere) it gives row
/// `i` of the Jacobian. Everything that does not depend on `v` (the forward pass, the values
/// the backward pass reads) is computed once in the outer graph and passed in, so each row
/// costs one backward pass. Node inputs: `y` (its run-time shape gives the rows), `wrt` (its
/// shape gives each row's), then the hoisted values. Output: `y.shape + wrt.shape`, `wrt`'s
/// dtype.
///
/// The reference `perform` evaluates the inner graph node by node; the CPU backend compiles
/// it once into a nested program (fused C inside) and runs that per row. The op is an
/// ``InnerGraphOp``, so the optimiser optimises the inner graph once. It has no gradient of
/// its own: to differentiate a Jacobian again, give the expression a static size (see
/// ``specifyShape(_:_:)``) so ``jacobian(_:wrt:disconnected:)`` builds it row by row.
public struct JacobianOp: InnerGraphOp {
    final class Definition: @unchecked Sendable {
        let inputs: [Variable]
        let outputs: [Variable]
        init(inputs: [Variable], outputs: [Variable]) {
            self.inputs = inputs
            self.outputs = outputs
        }
    }

    let definition: Definition

    /// The op for the inner graph `inputs -> [gradient]`, whose last input is the cotangent.
    init(inputs: [Variable], gradient: Variable) {
        definition = Definition(inputs: inputs, outputs: [gradient])
    }

    private init(definition: Definition) { self.definition = definition }

    public var description: String { "Jacobian" }

    public static func == (a: JacobianOp, b: JacobianOp) -> Bool { a.definition === b.definition }
    public func hash(into hasher: inout Hasher) { hasher.combine(ObjectIdentifier(definition)) }

    public var innerGraphs: [InnerGraph] {
        [InnerGraph(name: "vjp", inputs: definition.inputs, outputs: definition.outputs)]
    }

    public func replacingInnerGraphs(_ graphs: [InnerGraph]) throws -> JacobianOp {
        guard graphs.count == 1, graphs[0].inputs.count == definition.inputs.count, graphs[0].outputs.count == 1 else {
            throw TheanoError.graph("Jacobian: the op has one inner graph with \(definition.inputs.count) inputs and 1 output")
        }
        for (old, new) in zip(definition.inputs + definition.outputs, graphs[0].inputs + graphs[0].outputs)
        where !old.type.isSatisfied(by: new.type) {
            throw TheanoError.typeMismatch("Jacobian: a replacement inner graph changes the type \(old.type) to \(new.type)")
        }
        return JacobianOp(definition: Definition(inputs: graphs[0].inputs, outputs: graphs[0].outputs))
    }

    /// The cotangent's type (the expression's).
    var cotangentType: TensorType { definition.inputs[definition.inputs.count - 1].type }

    public func makeNode(_ inputs: [Variable]) throws -> Apply {
        let context = definition.inputs.count - 1
        guard inputs.count == context + 2 else {
            throw TheanoError.invalidArgument("Jacobian: expected \(context + 2) inputs, got \(inputs.count)")
        }
        let (y, wrt) = (inputs[0], inputs[1])
        guard cotangentType.isSatisfied(by: y.type) else {
            throw TheanoError.typeMismatch("Jacobian: the expression must have type \(cotangentType), got \(describeVariable(y))")
        }
        for (i, (outer, inner)) in zip(inputs.dropFirst(2), definition.inputs).enumerated() where !inner.type.isSatisfied(by: outer.type) {
            throw TheanoError.typeMismatch("Jacobian: input \(i + 2) must have type \(inner.type), got \(describeVariable(outer))")
        }
        let gradient = definition.outputs[0].type
        let type = TensorType(gradient.dtype, shape: y.type.shape + wrt.type.shape)
        return Apply(op: self, inputs: inputs, outputTypes: [type])
    }

    public func perform(_ node: Apply, _ inputs: [NDArray]) throws -> [NDArray] {
        [try JacobianOp.rows(of: inputs) { arguments in
            try evaluateGraph(inputs: definition.inputs, outputs: definition.outputs, values: arguments)[0]
        }]
    }

    /// The Jacobian from the node's input values: `row(context + [e_i])` for every flat
    /// position `i` of the expression, stacked and shaped `y.shape + wrt.shape`.
    public static func rows(of inputs: [NDArray], _ row: ([NDArray]) throws -> NDArray) throws -> NDArray {
        let (y, wrt) = (inputs[0], inputs[1])
        let context = Array(inputs.dropFirst(2))
        let n = y.count
        var rows: [NDArray] = []
        rows.reserveCapacity(n)
        for i in 0..<Swift.max(n, 1) {
            let g = try row(context + [basisArray(y.shape, y.dtype, position: n == 0 ? nil : i)])
            guard g.shape == wrt.shape else {
                throw TheanoError.shapeMismatch("Jacobian: a row has shape \(formatShape(g.shape)), expected the variable's shape \(formatShape(wrt.shape))")
            }
            if n > 0 { rows.append(try g.expandingDims(0)) }
        }
        let shape = y.shape + wrt.shape
        if rows.isEmpty { return try NDArray.zeros(shape, wrt.dtype) }
        return try NDArray.concatenate(rows, axis: 0).reshaped(shape)
    }

    public func inferShape(_ node: Apply, _ inputShapes: [[Variable]]) throws -> [[Variable]] {
        [withStaticSizes(inputShapes[0] + inputShapes[1], of: node.outputTypes[0])]
    }

    public func pullback(_ node: Apply, _ outputGradients: [Variable?]) throws -> [Variable?] {
        throw TheanoError.notDifferentiable(
            "Jacobian: a Jacobian computed at run time (of \(describeVariable(node.inputs[0]))) cannot be differentiated again; give the expression a static size (specifyShape) of at most \(jacobianUnrollLimit) elements so jacobian builds it row by row")
    }
}

/// A zero array with 1 at flat `position` (all zeros for nil).
private func basisArray(_ shape: [Int], _ dtype: DType, position: Int?) -> NDArray {
    func make<T: NDArrayElement>(_: T.Type) -> NDArray {
        var values = [T](repeating: T.element(fromInt64: 0), count: shapeSize(shape))
        if let position { values[position] = T.element(fromInt64: 1) }
        return (try? NDArray(values, shape: shape)) ?? NDArray(values)
    }
    return make(dtype.elementType)
}

/// Expressions with a static size up to this are differentiated row by row into one graph
/// (fused and optimised with the rest); larger or dynamic ones use ``JacobianOp``.
let jacobianUnrollLimit = 16

/// The Jacobian of `y` with respect to `wrt` as a ``JacobianOp`` node.
func runtimeJacobian(_ y: Tensor, wrt: Tensor, disconnected: DisconnectedInputs) throws -> Tensor {
    let v = Tensor.variable("v", y.dtype, shape: y.staticShape)
    let g = try lop([y], wrt: [wrt], vectors: [v], disconnected: disconnected)[0]
    // The values the v-dependent part reads that do not depend on v: computed once outside.
    let nodes = toposort(outputs: [g.variable])
    var dependsOnV: Set<Variable> = [v.variable]
    for node in nodes where node.inputs.contains(where: dependsOnV.contains) {
        dependsOnV.formUnion(node.outputs)
    }
    var hoisted: [Variable] = []
    var seen = Set<Variable>()
    func hoist(_ x: Variable) {
        if x.constantValue == nil, !dependsOnV.contains(x), seen.insert(x).inserted { hoisted.append(x) }
    }
    for node in nodes where node.outputs.contains(where: dependsOnV.contains) {
        node.inputs.forEach(hoist)
    }
    hoist(g.variable)
    let inner = try cloneGraph(inputs: hoisted + [v.variable], outputs: [g.variable])
    let op = JacobianOp(inputs: inner.inputs, gradient: inner.outputs[0])
    return Tensor(try op.makeNode([y.variable, wrt.variable] + hoisted).output)
}
