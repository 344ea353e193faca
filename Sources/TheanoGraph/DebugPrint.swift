import TheanoArray

/// Renders a graph as text, one node a line, as a tree from the outputs down.
///
/// Every node and root gets an id (`[id A]`); a node already printed is shown again only by its
/// id with `···`, so a shared subexpression appears once. With `types: true` each line ends with
/// the variable's type (dtype and static shape). `depth` limits how many levels below each
/// output are printed (deeper inputs are elided as `…`).
///
/// ```
/// add [id A] 'z'
///  ├─ mul [id B]
///  │   ├─ x [id C]
///  │   └─ 2.0 [id D]
///  └─ mul [id B] ···
/// ```
///
/// Nodes whose op carries inner graphs (``InnerGraphOp``) are followed by each inner graph,
/// indented under the node and introduced by its name:
/// ```
/// axpy [id A]
///  ├─ x [id B]
///  ├─ y [id C]
///  └─ inner graph 'body':
///        add [id D]
///         ├─ mul [id E] ...
/// ```
public func debugPrint(_ outputs: [Variable], types: Bool = false, depth: Int? = nil) -> String {
    var printer = GraphPrinter(types: types, maxDepth: depth ?? Int.max)
    for out in outputs { printer.print(out) }
    return printer.lines.joined(separator: "\n")
}

/// ``debugPrint(_:types:)`` of a ``FunctionGraph``'s outputs.
public func debugPrint(_ graph: FunctionGraph, types: Bool = false, depth: Int? = nil) -> String {
    debugPrint(graph.outputs, types: types, depth: depth)
}

private struct GraphPrinter {
    let types: Bool
    let maxDepth: Int
    var lines: [String] = []
    var ids: [ObjectIdentifier: String] = [:]
    var printed: Set<ObjectIdentifier> = []

    init(types: Bool, maxDepth: Int) {
        self.types = types
        self.maxDepth = maxDepth
    }

    mutating func id(for object: AnyObject) -> String {
        let key = ObjectIdentifier(object)
        if let id = ids[key] { return id }
        var n = ids.count
        var s = ""
        repeat {
            s = String(UnicodeScalar(UInt8(65 + n % 26))) + s
            n = n / 26 - 1
        } while n >= 0
        ids[key] = s
        return s
    }

    mutating func label(_ v: Variable) -> (text: String, key: AnyObject) {
        let typeSuffix = types ? " : \(v.type)" : ""
        if let node = v.owner {
            let outIndex = node.outputTypes.count > 1 ? ".\(v.index)" : ""
            let nameSuffix = v.name.map { " '\($0)'" } ?? ""
            return ("\(node.op)\(outIndex) [id \(id(for: node))]\(nameSuffix)\(typeSuffix)", node)
        }
        return ("\(v) [id \(id(for: v))]\(typeSuffix)", v)
    }

    /// One pending line: a variable (and its subtree), or the header of an inner graph.
    enum Item {
        case variable(Variable, head: String, childPrefix: String, level: Int)
        case inner(InnerGraph, head: String, childPrefix: String, level: Int)
    }

    /// Prints `root` and its inputs depth first, without recursion (graphs can be deep).
    mutating func print(_ root: Variable) {
        var stack: [Item] = [.variable(root, head: "", childPrefix: " ", level: 0)]
        while let item = stack.popLast() {
            switch item {
            case let .inner(graph, head, childPrefix, level):
                lines.append(head + "inner graph '\(graph.name)' (\(graph.inputs.map { label($0).text }.joined(separator: ", "))):")
                for out in graph.outputs.reversed() {
                    stack.append(.variable(out, head: childPrefix, childPrefix: childPrefix + " ", level: level + 1))
                }
            case let .variable(v, head, childPrefix, level):
                if level > maxDepth {
                    lines.append(head + "…")
                    continue
                }
                let (text, key) = label(v)
                let seen = printed.contains(ObjectIdentifier(key))
                let hasChildren = v.owner.map { !$0.inputs.isEmpty } ?? false
                lines.append(head + text + (seen && hasChildren ? " ···" : ""))
                guard let node = v.owner, !seen else { continue }
                printed.insert(ObjectIdentifier(node))
                let inner = (node.op as? any InnerGraphOp)?.innerGraphs ?? []
                let children = node.inputs.count + inner.count
                // Pushed in reverse: inner graphs print after the inputs.
                for (k, graph) in inner.enumerated().reversed() {
                    let last = node.inputs.count + k == children - 1
                    stack.append(.inner(graph, head: childPrefix + (last ? "└─ " : "├─ "),
                                        childPrefix: childPrefix + (last ? "    " : "│   ") + "  ", level: level + 1))
                }
                for (i, input) in node.inputs.enumerated().reversed() {
                    let last = i == children - 1
                    stack.append(.variable(input, head: childPrefix + (last ? "└─ " : "├─ "),
                                           childPrefix: childPrefix + (last ? "    " : "│   "), level: level + 1))
                }
            }
        }
    }
}
