/// A one-line text of the expression that computes `variable`, for error messages:
/// `add(mul(x, 2.0), y)`. Subexpressions deeper than `depth` are shown as `…`, and the text is
/// cut at `limit` characters.
public func expressionText(_ variable: Variable, depth: Int = 4, limit: Int = 160) -> String {
    func render(_ v: Variable, _ d: Int) -> String {
        if let name = v.name { return name }
        guard let node = v.owner else { return v.description }
        if d == 0 { return "…" }
        let args = node.inputs.map { render($0, d - 1) }.joined(separator: ", ")
        let out = node.outputTypes.count > 1 ? "[\(v.index)]" : ""
        return "\(node.op)(\(args))\(out)"
    }
    let text = render(variable, depth)
    return text.count > limit ? String(text.prefix(limit)) + "…" : text
}

/// `'x' (float32[?, 3])`: a variable as error messages name it.
public func describeVariable(_ variable: Variable) -> String {
    "\(expressionText(variable, depth: 2, limit: 60)) (\(variable.type))"
}
