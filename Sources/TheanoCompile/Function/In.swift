import TheanoArray
import TheanoGraph
import TheanoTensor

/// What ``function(_:_:updates:givens:mode:options:trace:allowInputDowncast:)`` accepts as an
/// input: a ``Tensor``, or an ``In`` that adds a default value, a keyword name or its own
/// conversion rule.
public protocol FunctionInput {
    /// The input's description.
    var functionInput: In { get }
}

/// An input of a compiled function with a default value, a keyword name, or its own
/// conversion rule (Theano's `In`).
///
/// ```swift
/// let x = Tensor.vector("x"), w = Tensor.scalar("w")
/// let f = try function([x, In(w, value: 3)], [x * w])
/// try f([1, 2])           // w = 3
/// try f([1, 2], 4)        // positional
/// try f([1, 2], w: 4)     // by name
/// ```
///
/// A call takes positional arguments first, then arguments labelled with input names (the
/// `name` given here, else the tensor's name); an input without a value takes its default.
/// Unknown names, an input given twice and a missing value without default are errors.
public struct In: FunctionInput {
    /// The symbolic input.
    public let tensor: Tensor
    /// The keyword that names this input in calls (`nil`: the tensor's name).
    public let name: String?
    /// The value used when a call gives none; converted to the input's type when the
    /// function is compiled, by the rules of ``FunctionArgument``.
    public let value: (any FunctionArgument)?
    /// Whether arguments for this input convert with any cast (`nil`: the function's
    /// `allowInputDowncast`).
    public let allowDowncast: Bool?

    /// An input `tensor` with an optional default `value`, keyword `name` (default: the
    /// tensor's name) and conversion rule (`allowDowncast`, default: the function's).
    public init(_ tensor: Tensor, value: (any FunctionArgument)? = nil, name: String? = nil, allowDowncast: Bool? = nil) {
        self.tensor = tensor
        self.value = value
        self.name = name
        self.allowDowncast = allowDowncast
    }

    /// Itself.
    public var functionInput: In { self }
}

extension Tensor: FunctionInput {
    /// A plain input: no default, named by the tensor's name.
    public var functionInput: In { In(self) }
}

/// One input of a compiled function as calls see it.
struct InputSlot: Sendable {
    let type: TensorType
    /// The keyword that names it in calls, if any.
    let keyword: String?
    /// How errors name it: `argument 1 ('w')`.
    let label: String
    /// The name alone, for lists of inputs (`w`, or `argument 1`).
    let shortName: String
    let defaultValue: NDArray?
    let allowDowncast: Bool

    init(_ input: In, position: Int, allowInputDowncast: Bool) throws {
        let name = input.name ?? input.tensor.name
        type = input.tensor.type
        keyword = name
        shortName = name ?? "argument \(position)"
        label = "argument \(position)" + (name.map { " ('\($0)')" } ?? "")
        allowDowncast = input.allowDowncast ?? allowInputDowncast
        if let value = input.value {
            let converted = try value.functionArgumentValue().converted(to: type.dtype, allowDowncast: allowDowncast, input: label)
            if let problem = type.mismatch(with: converted) {
                throw TheanoError.typeMismatch("function: the default value of input \(position) (\(shortName)) does not fit: \(problem)")
            }
            defaultValue = converted
        } else {
            defaultValue = nil
        }
    }

    /// `argument` converted to this input's dtype and checked against its type.
    func accept(_ argument: any FunctionArgument) throws -> NDArray {
        if let array = argument as? NDArray, array.dtype == type.dtype {
            return try check(array)
        }
        return try check(argument.functionArgumentValue().converted(to: type.dtype, allowDowncast: allowDowncast, input: label))
    }

    /// `value` when it fits this input's type.
    func check(_ value: NDArray) throws -> NDArray {
        if let problem = type.mismatch(with: value) {
            throw TheanoError.typeMismatch("function call: \(label): \(problem)")
        }
        return value
    }
}
