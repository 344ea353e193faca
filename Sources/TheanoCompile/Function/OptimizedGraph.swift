import TheanoArray
import TheanoGraph

/// The graph a compiled function runs, after optimisation, as a value: its nodes in run
/// order with their ops, types and implementations (``Function/graph``).
///
/// Tests and users inspect what the optimiser did without parsing text:
/// ```swift
/// let f = try function([x], [exp(x).sum()])
/// f.graph.count("CompositeReduce")   // 1: the exp fused into the sum
/// f.graph.count("exp")               // 0
/// f.graph.opCounts                   // ["CompositeReduce": 1]
/// print(f.graph)                     // one line per node
/// ```
public struct OptimizedGraph: Sendable, CustomStringConvertible {
    /// A value the graph reads or computes.
    public struct Value: Sendable, Hashable, CustomStringConvertible {
        /// Where a value comes from.
        public enum Source: Sendable, Hashable {
            /// The function's input at this argument position.
            case input(Int)
            /// A constant.
            case constant
            /// A shared variable's value, read at each call.
            case shared
            /// Output `output` of the node at this index of ``OptimizedGraph/nodes``.
            case node(Int, output: Int)
        }

        public let source: Source
        public let type: TensorType
        /// The variable's name, or for constants their value (as ``Variable/description``).
        public let name: String?

        public var description: String {
            switch source {
            case .input(let i): return name ?? "input \(i)"
            case .constant: return name ?? "constant"
            case .shared: return name ?? "shared"
            case let .node(i, output): return output == 0 ? "%\(i)" : "%\(i).\(output)"
            }
        }
    }

    /// One node of the schedule.
    public struct Node: Sendable, CustomStringConvertible {
        /// The op itself (cast it to inspect its parameters: `node.op as? Gemm`).
        public let op: any Op
        /// The op as printed: `add`, `Gemm{N,N}`, `Softmax{axis=1}`.
        public let name: String
        /// The op's Swift type: `Elemwise`, `Gemm`, `Softmax`, `Composite`.
        public let typeName: String
        public let inputs: [Value]
        public let outputTypes: [TensorType]
        /// What runs it on the function's backend (`generated C`, `OpenBLAS`, `reference`...).
        public let implementation: String

        /// The input types, in order.
        public var inputTypes: [TensorType] { inputs.map(\.type) }

        /// Whether `name` is this node's op type (`Gemm`), its printed name (`add`,
        /// `Softmax{axis=1}`) or that name up to its parameters (`Softmax`, `Composite`).
        public func matches(_ name: String) -> Bool {
            name == typeName || name == self.name || name == opTypeName(op)
        }

        public var description: String {
            "\(name)(\(inputs.map(\.description).joined(separator: ", "))) -> \(outputTypes.map(\.description).joined(separator: ", "))"
        }
    }

    /// The nodes in the order they run.
    public let nodes: [Node]
    /// The function's outputs, then one value per shared-variable update.
    public let outputs: [Value]
    /// How many of ``outputs`` are the function's outputs (the rest are updates).
    public let outputCount: Int

    /// How many nodes match `name`: an op type (`"Gemm"`, `"Elemwise"`), an op as printed
    /// (`"add"`, `"Softmax{axis=1}"`) or a printed name up to its parameters
    /// (`"Composite"`).
    public func count(_ name: String) -> Int {
        nodes.filter { $0.matches(name) }.count
    }

    /// How many nodes have an op of type `type`.
    public func count<O: Op>(_ type: O.Type) -> Int {
        nodes.filter { $0.op is O }.count
    }

    /// The number of nodes of each op type (``Node/typeName``).
    public var opCounts: [String: Int] {
        nodes.reduce(into: [:]) { $0[$1.typeName, default: 0] += 1 }
    }

    /// The nodes whose op is of type `type`.
    public func nodes<O: Op>(of type: O.Type) -> [Node] {
        nodes.filter { $0.op is O }
    }

    /// One line per node, `%i = op(inputs) -> types [implementation]`, then the outputs.
    public var description: String {
        var lines = nodes.enumerated().map { i, node in
            "%\(i) = \(node) [\(node.implementation)]"
        }
        let outs = outputs.prefix(outputCount).map(\.description).joined(separator: ", ")
        lines.append("outputs: \(outs)")
        if outputs.count > outputCount {
            lines.append("updates: \(outputs.dropFirst(outputCount).map(\.description).joined(separator: ", "))")
        }
        return lines.joined(separator: "\n")
    }
}

extension OptimizedGraph {
    /// The graph of `program`, whose instructions are in run order.
    init(_ program: Program, outputCount: Int) {
        var position: [Variable: Value.Source] = [:]
        for (i, v) in program.graph.inputs.enumerated() { position[v] = .input(i) }
        for (i, inst) in program.instructions.enumerated() {
            for (k, out) in inst.node.outputs.enumerated() { position[out] = .node(i, output: k) }
        }
        func value(_ v: Variable) -> Value {
            let source: Value.Source
            if let known = position[v] {
                source = known
            } else if v.constantValue != nil {
                source = .constant
            } else {
                source = .shared
            }
            let name: String? = switch source {
            case .constant: v.description
            default: v.name
            }
            return Value(source: source, type: v.type, name: name)
        }
        let report = program.kernelReport.entries
        nodes = program.instructions.enumerated().map { i, inst in
            Node(op: inst.node.op, name: "\(inst.node.op)", typeName: String(describing: type(of: inst.node.op)),
                 inputs: inst.node.inputs.map(value), outputTypes: inst.node.outputTypes,
                 implementation: i < report.count ? report[i].implementation : "reference")
        }
        outputs = program.graph.outputs.map(value)
        self.outputCount = outputCount
    }
}

extension Function {
    /// The optimised graph this function runs, as a value: nodes in run order with their
    /// ops, types and implementations (see ``OptimizedGraph``).
    public var graph: OptimizedGraph { OptimizedGraph(program, outputCount: program.outputSlots.count) }
}
