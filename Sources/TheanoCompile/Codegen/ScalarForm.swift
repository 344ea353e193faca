/// How one application of a scalar op is written, before a dialect is chosen.
enum ScalarForm {
    /// A plain expression, the same in every dialect.
    case text(String)
    /// A computation that binds its arguments to typed temporaries.
    case temporaries(ScalarHelper)

    /// The expression in `dialect`: a statement expression where the dialect has them (the
    /// body stays inline in the loop, where the vectoriser sees it), else a helper call.
    func text(in dialect: CodegenDialect) -> String {
        switch self {
        case .text(let text): return text
        case .temporaries(let helper): return dialect.statementExpressions ? helper.statementExpression : helper.call
        }
    }
}

/// A computation over temporaries: `parameters` bound to `arguments` (all of one C type),
/// then `locals` (declarations), then the value `result`. Written inline as
/// `({ T _a = a, _b = b; locals; result; })`, or as a call of the helper function `name`.
struct ScalarHelper {
    /// The helper function's name, unique per op and dtype (`th_maximum_float32`).
    let name: String
    /// The C type of the parameters and of the result.
    let type: String
    let parameters: [String]
    let arguments: [String]
    let locals: [String]
    let result: String

    var statementExpression: String {
        let bindings = zip(parameters, arguments).map { "\($0) = \($1)" }.joined(separator: ", ")
        return "({ \(type) \(bindings); " + locals.map { "\($0); " }.joined() + "\(result); })"
    }

    var call: String { "\(name)(\(arguments.joined(separator: ", ")))" }

    func definition(specifiers: String) -> String {
        let list = parameters.map { "\(type) \($0)" }.joined(separator: ", ")
        return "\(specifiers) \(type) \(name)(\(list)) { " + locals.map { "\($0); " }.joined() + "return \(result); }"
    }
}
