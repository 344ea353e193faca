/// Writes a graph in Graphviz DOT: ops as boxes, variables as ellipses labelled with their
/// name (or kind) and type, constants as grey notes, edges from producers to consumers.
///
/// Render with `dot -Tsvg graph.dot -o graph.svg` (or `theano graph`).
public func toDOT(_ outputs: [Variable], name: String = "theano") -> String {
    var lines = ["digraph \"\(escape(name))\" {", "  rankdir=TB;", "  node [fontname=\"Helvetica\", fontsize=10];", "  edge [fontname=\"Helvetica\", fontsize=9];"]
    var ids: [ObjectIdentifier: String] = [:]
    func id(_ object: AnyObject, prefix: String) -> String {
        let key = ObjectIdentifier(object)
        if let s = ids[key] { return s }
        let s = "\(prefix)\(ids.count)"
        ids[key] = s
        return s
    }
    var declared = Set<ObjectIdentifier>()
    func declare(_ v: Variable) -> String {
        let vid = id(v, prefix: "v")
        guard declared.insert(ObjectIdentifier(v)).inserted else { return vid }
        let label: String
        let style: String
        switch v.role {
        case .constant:
            label = escape("\(v)") + "\\n" + escape("\(v.type)")
            style = "shape=note, style=filled, fillcolor=\"#eeeeee\""
        case .shared:
            label = escape(v.name ?? "shared") + "\\n" + escape("\(v.type)")
            style = "shape=ellipse, style=filled, fillcolor=\"#cfe8ff\""
        case .input:
            label = escape(v.name ?? "input") + "\\n" + escape("\(v.type)")
            style = "shape=ellipse, style=filled, fillcolor=\"#d8f5d0\""
        case .output:
            label = (v.name.map { escape($0) + "\\n" } ?? "") + escape("\(v.type)")
            style = "shape=ellipse"
        }
        lines.append("  \(vid) [label=\"\(label)\", \(style)];")
        return vid
    }
    for node in toposort(outputs: outputs) {
        let nid = id(node, prefix: "n")
        lines.append("  \(nid) [label=\"\(escape("\(node.op)"))\", shape=box, style=filled, fillcolor=\"#fff2cc\"];")
        for (i, input) in node.inputs.enumerated() {
            let vid = declare(input)
            lines.append("  \(vid) -> \(nid)" + (node.inputs.count > 1 ? " [label=\"\(i)\"];" : ";"))
        }
        for out in node.outputs {
            let vid = declare(out)
            lines.append("  \(nid) -> \(vid);")
        }
    }
    for out in outputs { _ = declare(out) }
    lines.append("}")
    return lines.joined(separator: "\n")
}

private func escape(_ s: String) -> String {
    var out = ""
    for c in s {
        switch c {
        case "\\": out += "\\\\"
        case "\"": out += "\\\""
        case "\n": out += "\\n"
        default: out.append(c)
        }
    }
    return out
}
