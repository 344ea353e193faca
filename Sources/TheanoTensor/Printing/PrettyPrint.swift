import TheanoArray
import TheanoGraph

/// An expression in infix form, as a person would write it: `exp((-(x * x)))`,
/// `((a @ W) + b)`, `sum(x, axes=[1])`.
///
/// Every binary operation is parenthesised, so the text is unambiguous without precedence
/// rules. Named variables print by name, constants by value, other roots by type. Shared
/// subexpressions are printed in full wherever they occur; use ``debugPrint(_:types:depth:)``
/// to see sharing. Text longer than `limit` characters is cut with `…`.
public func pp(_ tensor: Tensor, limit: Int = 10_000) -> String {
    pp(tensor.variable, limit: limit)
}

/// ``pp(_:limit:)`` of a graph variable.
public func pp(_ variable: Variable, limit: Int = 10_000) -> String {
    var text: [Variable: String] = [:]
    func cut(_ s: String) -> String { s.count > limit ? String(s.prefix(limit)) + "…" : s }
    func show(_ v: Variable) -> String {
        if let s = text[v] { return s }
        if let name = v.name { return name }
        if v.owner == nil { return v.description }
        return "?"
    }
    // Bottom-up, without recursion: deep graphs are fine.
    for node in toposort(outputs: [variable]) {
        let args = node.inputs.map(show)
        let rendered = cut(render(node, args))
        for out in node.outputs {
            text[out] = node.outputTypes.count > 1 ? "\(rendered)[\(out.index)]" : rendered
        }
    }
    if let name = variable.name, variable.owner != nil, let body = text[variable] {
        return cut("\(name) = \(body)")
    }
    return show(variable)
}

/// The infix text of one node given its arguments' texts.
private func render(_ node: Apply, _ args: [String]) -> String {
    if let e = node.op as? Elemwise {
        if let symbol = infixSymbol(e.scalar), args.count == 2 { return "(\(args[0]) \(symbol) \(args[1]))" }
        switch e.scalar {
        case .neg: return "(-\(args[0]))"
        case .not: return "(!\(args[0]))"
        case .cast(let t): return "\(t)(\(args[0]))"
        case .identity: return args[0]
        default: return "\(e.scalar.name)(\(args.joined(separator: ", ")))"
        }
    }
    if node.op is MatMul { return "(\(args[0]) @ \(args[1]))" }
    if let d = node.op as? DimShuffle {
        if d.isTranspose && d.order == Array((0..<d.inputRank).reversed()) { return "\(args[0]).T" }
        let order = d.order.map { $0 == DimShuffle.newAxis ? "x" : String($0) }.joined(separator: ",")
        return "\(args[0]).dimshuffle(\(order))"
    }
    if let r = node.op as? Reduce {
        return "\(r.kind)(\(args[0]), axes=\(r.axes)\(r.keepdims ? ", keepdims" : ""))"
    }
    return "\(node.op)(\(args.joined(separator: ", ")))"
}

private func infixSymbol(_ op: ScalarOp) -> String? {
    switch op {
    case .add: return "+"
    case .sub: return "-"
    case .mul: return "*"
    case .trueDiv: return "/"
    case .floorDiv: return "//"
    case .mod: return "%"
    case .pow: return "**"
    case .eq: return "=="
    case .neq: return "!="
    case .lt: return "<"
    case .le: return "<="
    case .gt: return ">"
    case .ge: return ">="
    case .and: return "&"
    case .or: return "|"
    case .xor: return "^"
    default: return nil
    }
}
