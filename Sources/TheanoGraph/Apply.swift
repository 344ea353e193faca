import TheanoArray

/// The application of an ``Op`` to input variables, producing output variables.
///
/// Outputs hold their node strongly; the node refers back to its outputs weakly, so graphs
/// have no reference cycles and are freed when no variable is held.
public final class Apply: CustomStringConvertible {
    public let op: any Op
    /// The inputs. Only a ``FunctionGraph`` changes them, and only on its private clone.
    public internal(set) var inputs: [Variable]
    /// The static types of the outputs.
    public let outputTypes: [TensorType]
    private var outputRefs: [WeakVariable]

    /// Creates a node; `op.makeNode` is the usual way (it checks the inputs).
    public init(op: any Op, inputs: [Variable], outputTypes: [TensorType]) {
        self.op = op
        self.inputs = inputs
        self.outputTypes = outputTypes
        self.outputRefs = []
        self.pendingOutputs = nil
        let made = outputTypes.indices.map { i in Variable(type: outputTypes[i], owner: self, index: i) }
        self.outputRefs = made.map(WeakVariable.init)
        // The new outputs are held only weakly by this node; keep them alive until the caller
        // reads them through `outputs`.
        self.pendingOutputs = made
    }

    /// Strong references to freshly made outputs until ``outputs`` is first read.
    private var pendingOutputs: [Variable]?

    /// The output variables. An output nobody holds is recreated on demand (it had no users).
    public var outputs: [Variable] {
        if let pending = pendingOutputs {
            pendingOutputs = nil
            return pending
        }
        return outputTypes.indices.map { i in
            if let v = outputRefs[i].variable { return v }
            let v = Variable(type: outputTypes[i], owner: self, index: i)
            outputRefs[i] = WeakVariable(v)
            return v
        }
    }

    /// Releases the graph above this node iteratively. Letting Swift release a long chain
    /// (`e = e + 1` ten thousand times) recursively would overflow the stack; instead, each
    /// input that dies with this node hands its own node's inputs to this loop first.
    deinit {
        var pending = inputs
        inputs = []
        while !pending.isEmpty {
            var variable: Variable? = pending.removeLast()
            guard isKnownUniquelyReferenced(&variable) else { continue }
            var owner = variable?.owner
            variable = nil
            if isKnownUniquelyReferenced(&owner), let node = owner {
                pending.append(contentsOf: node.inputs)
                node.inputs = []
            }
            owner = nil
        }
    }

    /// The first output (most ops have one).
    public var output: Variable { outputs[0] }

    public var description: String {
        "\(op)(" + inputs.map(\.description).joined(separator: ", ") + ")"
    }
}

private struct WeakVariable {
    weak var variable: Variable?
    init(_ v: Variable) { variable = v }
}

extension Apply: Hashable {
    public static func == (a: Apply, b: Apply) -> Bool { a === b }
    public func hash(into hasher: inout Hasher) { hasher.combine(ObjectIdentifier(self)) }
}
