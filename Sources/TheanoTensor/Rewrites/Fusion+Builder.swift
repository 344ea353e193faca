import TheanoArray
import TheanoGraph

/// Turns one group of elementwise nodes (found by ``FusionGrouping``) into the fused node
/// that replaces it: the ``ScalarProgram`` of its members, its deduplicated inputs, and the
/// variables it replaces.
struct FusedGroupBuilder {
    /// The group's nodes, in topological order; they share one static output shape.
    let members: [Apply]
    private let memberIDs: Set<ObjectIdentifier>

    init(_ members: [Apply]) {
        self.members = members
        self.memberIDs = Set(members.map(ObjectIdentifier.init))
    }

    private func isInternal(_ v: Variable) -> Bool {
        v.owner.map { memberIDs.contains(ObjectIdentifier($0)) } ?? false
    }

    /// The members' outputs that something outside the group reads (an outside node or the
    /// graph's outputs), in topological order.
    func exposedOutputs(in graph: FunctionGraph) -> [Variable] {
        var exposed: [Variable] = []
        for node in members {
            for v in node.outputs where graph.contains(v) {
                let readOutside = graph.clients(of: v).contains { client in
                    client.node.map { !memberIDs.contains(ObjectIdentifier($0)) } ?? true
                }
                if readOutside { exposed.append(v) }
            }
        }
        return exposed
    }

    /// The variables read from outside the group, deduplicated, in order of first use.
    private func externalVariables() -> [Variable] {
        var seen = Set<Variable>()
        var result: [Variable] = []
        for node in members {
            for v in node.inputs where !isInternal(v) && seen.insert(v).inserted { result.append(v) }
        }
        return result
    }

    /// Chooses the constants that become program constants instead of inputs: every constant
    /// whose elements are all equal, as long as the remaining inputs still give the group's
    /// static shape (a constant of shape [3] sets the size of an axis another input leaves
    /// unknown); failing that, only one-element constants. At least one input stays.
    private func foldedConstants(_ external: [Variable], shape: [Int?]) -> [Variable: Double] {
        var folded: [Variable: Double] = [:]
        for v in external {
            if let value = v.constantValue, let scalar = scalarConstantValue(value) { folded[v] = scalar }
        }
        func givesShape(_ folded: [Variable: Double]) -> Bool {
            let kept = external.filter { folded[$0] == nil }
            guard !kept.isEmpty else { return false }
            return (try? Elemwise.broadcastStaticShape(kept, opName: "fusion")) == shape
        }
        if givesShape(folded) { return folded }
        folded = folded.filter { v, _ in v.constantValue?.count == 1 }
        if givesShape(folded) { return folded }
        // Everything left is a one-element constant: keep the first as the input.
        if let first = external.first { folded[first] = nil }
        return folded
    }

    /// The fused program computing `outputs` from the group's inputs, and those inputs.
    func program(computing outputs: [Variable]) throws -> (ScalarProgram, inputs: [Variable]) {
        let shape = members[0].outputTypes[0].shape
        let external = externalVariables()
        let folded = foldedConstants(external, shape: shape)
        let inputs = external.filter { folded[$0] == nil }
        let inputIndex = Dictionary(uniqueKeysWithValues: inputs.enumerated().map { ($0.element, $0.offset) })
        var computed: [Variable: ScalarProgram.Operand] = [:]
        var steps: [ScalarProgram.Step] = []

        func operand(_ v: Variable) throws -> ScalarProgram.Operand {
            if let o = computed[v] { return o }
            if let c = folded[v] { return .constant(c, v.type.dtype) }
            if let i = inputIndex[v] { return .input(i) }
            throw TheanoError.graph("fusion: \(describeVariable(v)) is neither an input of the fused group nor computed by it")
        }

        for node in members {
            if let elemwise = node.op as? Elemwise {
                steps.append(ScalarProgram.Step(op: elemwise.scalar, operands: try node.inputs.map(operand), dtype: node.outputTypes[0].dtype))
                computed[node.outputs[0]] = .step(steps.count - 1)
            } else if let composite = node.op as? Composite {
                // Inline the program: its inputs become this group's operands, its steps are
                // renumbered after the steps so far.
                let inner = composite.program
                let outer = try node.inputs.map(operand)
                let base = steps.count
                func remap(_ o: ScalarProgram.Operand) -> ScalarProgram.Operand {
                    switch o {
                    case .input(let i): return outer[i]
                    case .step(let s): return .step(base + s)
                    case .constant: return o
                    }
                }
                for step in inner.steps {
                    steps.append(ScalarProgram.Step(op: step.op, operands: step.operands.map(remap), dtype: step.dtype))
                }
                for (v, o) in zip(node.outputs, inner.outputs) { computed[v] = remap(o) }
            } else {
                throw TheanoError.graph("fusion: \(node.op) is not elementwise and cannot be fused")
            }
        }
        let program = ScalarProgram(inputTypes: inputs.map(\.type.dtype), steps: steps, outputs: try outputs.map(operand))
        return (withoutDeadSteps(program), inputs)
    }
}

/// `program` without the steps no output depends on (results of inlined ``Composite`` nodes
/// that nothing reads), the rest renumbered.
func withoutDeadSteps(_ program: ScalarProgram) -> ScalarProgram {
    var live = Array(repeating: false, count: program.steps.count)
    for case .step(let s) in program.outputs { live[s] = true }
    for s in program.steps.indices.reversed() where live[s] {
        for case .step(let k) in program.steps[s].operands { live[k] = true }
    }
    guard live.contains(false) else { return program }
    var newIndex = Array(repeating: 0, count: program.steps.count)
    var steps: [ScalarProgram.Step] = []
    func renumber(_ o: ScalarProgram.Operand) -> ScalarProgram.Operand {
        if case .step(let s) = o { return .step(newIndex[s]) }
        return o
    }
    for (s, step) in program.steps.enumerated() where live[s] {
        newIndex[s] = steps.count
        steps.append(ScalarProgram.Step(op: step.op, operands: step.operands.map(renumber), dtype: step.dtype))
    }
    return ScalarProgram(inputTypes: program.inputTypes, steps: steps, outputs: program.outputs.map(renumber))
}
