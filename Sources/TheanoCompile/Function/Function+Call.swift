import TheanoArray
import TheanoGraph

// Calling a compiled function: binding positional and named arguments to inputs, defaults,
// conversion (see `FunctionArgument`), then one run of the program.

extension Function {
    /// `f(a, b)`: one argument per input, in order; trailing inputs with default values
    /// (``In``) may be left out.
    public func dynamicallyCall(withArguments arguments: [any FunctionArgument]) throws -> [NDArray] {
        try program.run(bind(arguments, named: []))
    }

    /// `f(a, b)` with arrays only: the fast path (no conversion, no boxing of the arguments).
    public func dynamicallyCall(withArguments arguments: [NDArray]) throws -> [NDArray] {
        try call(arguments)
    }

    /// `f(a, w: 3)`: positional arguments first, then arguments named by their input's
    /// keyword (``In``'s `name`, else the tensor's name).
    public func dynamicallyCall(withKeywordArguments arguments: KeyValuePairs<String, any FunctionArgument>) throws -> [NDArray] {
        var positional: [any FunctionArgument] = []
        var named: [(String, any FunctionArgument)] = []
        for (key, value) in arguments {
            if key.isEmpty {
                guard named.isEmpty else {
                    throw TheanoError.invalidArgument(
                        "function call: a positional argument follows the named argument '\(named[named.count - 1].0)'; give positional arguments first")
                }
                positional.append(value)
            } else {
                named.append((key, value))
            }
        }
        return try program.run(bind(positional, named: named))
    }

    /// Calls the function with one ``NDArray`` per input (trailing inputs with defaults may
    /// be left out).
    public func call(_ arguments: [NDArray]) throws -> [NDArray] {
        if arguments.count == inputs.count {
            // The common case: no defaults, no conversion.
            var values = arguments
            for (i, slot) in inputs.enumerated() where slot.type.mismatch(with: values[i]) != nil {
                values[i] = try slot.accept(values[i])
            }
            return try program.run(values)
        }
        return try program.run(bind(arguments, named: []))
    }

    /// Calls the function with positional arguments followed by named ones (the form behind
    /// `f(a, w: 3)`, for code that builds argument lists).
    public func call(_ positional: [any FunctionArgument], named: [(String, any FunctionArgument)]) throws -> [NDArray] {
        try program.run(bind(positional, named: named))
    }

    /// The names calls may use for inputs, in input order (nil for an unnamed input).
    public var inputNames: [String?] { inputs.map(\.keyword) }

    /// One value per input: the arguments converted, defaults for the rest.
    func bind(_ positional: [any FunctionArgument], named: [(String, any FunctionArgument)]) throws -> [NDArray] {
        let n = inputs.count
        var list: String { inputs.map(\.shortName).joined(separator: ", ") }
        guard positional.count <= n else {
            throw TheanoError.invalidArgument(
                "function call: expected \(n) argument\(n == 1 ? "" : "s")\(n == 0 ? "" : " (\(list))"), got \(positional.count)")
        }
        var values = [NDArray?](repeating: nil, count: n)
        var givenBy = [String?](repeating: nil, count: n)
        for (i, argument) in positional.enumerated() {
            values[i] = try inputs[i].accept(argument)
            givenBy[i] = "position \(i)"
        }
        for (name, argument) in named {
            let matches = inputs.indices.filter { inputs[$0].keyword == name }
            guard let i = matches.first else {
                throw TheanoError.invalidArgument(
                    "function call: no input is named '\(name)'; the inputs are \(list) (name an input with In(_:name:) or by naming its tensor)")
            }
            guard matches.count == 1 else {
                throw TheanoError.invalidArgument(
                    "function call: inputs \(matches.map(String.init).joined(separator: " and ")) are both named '\(name)'; give them distinct names with In(_:name:) to pass them by name")
            }
            if let earlier = givenBy[i] {
                throw TheanoError.invalidArgument(
                    "function call: input \(i) ('\(name)') is given twice (at \(earlier) and as '\(name):')")
            }
            values[i] = try inputs[i].accept(argument)
            givenBy[i] = "'\(name):'"
        }
        return try values.enumerated().map { i, value in
            if let value { return value }
            if let value = inputs[i].defaultValue { return value }
            let labelled = named.isEmpty ? "" : " and \(named.count) named"
            throw TheanoError.invalidArgument(
                "function call: no value for \(inputs[i].label), which has no default; expected \(n) argument\(n == 1 ? "" : "s") (\(list)), got \(positional.count)\(labelled)")
        }
    }
}
