import TheanoArray
import TheanoGraph

/// A symbolic tensor: a value in an expression graph, with operators and methods that build
/// more of the graph.
///
/// Nothing is computed when an expression is written; ``function(_:_:updates:givens:mode:)``
/// compiles expressions, and ``eval(_:)`` evaluates one for a quick check.
///
/// ```swift
/// let x = Tensor.matrix("x")                 // float32, shape [?, ?]
/// let y = try (x * 2 + 1).sum(axis: 1)      // builds nodes, checks types
/// ```
///
/// Swift number literals become *weakly typed* constants that take the other operand's dtype:
/// `x * 2` stays float32 for a float32 `x`. Two tensors are equal (`==`) when they are the same
/// graph variable; elementwise comparisons are `.==`, `.<` and friends.
public class Tensor: Hashable, CustomStringConvertible, ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral, @unchecked Sendable {
    /// The graph variable this tensor stands for.
    public let variable: Variable

    /// Wraps a graph variable.
    public init(_ variable: Variable) {
        self.variable = variable
    }

    /// A weakly typed int64 constant (from a literal such as `2`).
    public required convenience init(integerLiteral value: Int) {
        self.init(Variable(constant: NDArray(scalar: Int64(value)), weak: true))
    }

    /// A weakly typed float64 constant (from a literal such as `0.5`).
    public required convenience init(floatLiteral value: Double) {
        self.init(Variable(constant: NDArray(scalar: value), weak: true))
    }

    /// The static type: dtype and static shape.
    public var type: TensorType { variable.type }
    public var dtype: DType { variable.type.dtype }
    /// Number of axes.
    public var rank: Int { variable.type.rank }
    /// The static shape (`nil` where unknown until run time).
    public var staticShape: [Int?] { variable.type.shape }

    /// The variable's name, used in printing and error messages.
    public var name: String? {
        get { variable.name }
        set { variable.name = newValue }
    }

    /// Gives the variable a name and returns it (for chaining).
    @discardableResult
    public func named(_ name: String) -> Self {
        variable.name = name
        return self
    }

    public var description: String { expressionText(variable) }

    /// Identity (the same graph variable). Disfavoured, so that comparisons of number
    /// literals (`1 == 1.0`) stay the standard library's.
    @_disfavoredOverload
    public static func == (a: Tensor, b: Tensor) -> Bool { a.variable === b.variable }
    public func hash(into hasher: inout Hasher) { hasher.combine(ObjectIdentifier(variable)) }
}

// MARK: - Making symbolic inputs

extension Tensor {
    /// A symbolic input of any rank: `shape` gives each axis's static size or `nil`.
    public static func variable(_ name: String? = nil, _ dtype: DType = .float32, shape: [Int?]) -> Tensor {
        Tensor(Variable(type: TensorType(dtype, shape: shape), name: name))
    }

    /// A rank-0 input.
    public static func scalar(_ name: String? = nil, _ dtype: DType = .float32) -> Tensor {
        variable(name, dtype, shape: [])
    }

    /// A rank-1 input of unknown size (or `size`).
    public static func vector(_ name: String? = nil, _ dtype: DType = .float32, size: Int? = nil) -> Tensor {
        variable(name, dtype, shape: [size])
    }

    /// A rank-2 input; sizes are unknown unless given in `shape`.
    public static func matrix(_ name: String? = nil, _ dtype: DType = .float32, shape: [Int?] = [nil, nil]) -> Tensor {
        variable(name, dtype, shape: shape)
    }

    /// A rank-3 input of unknown sizes.
    public static func tensor3(_ name: String? = nil, _ dtype: DType = .float32) -> Tensor {
        variable(name, dtype, shape: [nil, nil, nil])
    }

    /// A rank-4 input of unknown sizes.
    public static func tensor4(_ name: String? = nil, _ dtype: DType = .float32) -> Tensor {
        variable(name, dtype, shape: [nil, nil, nil, nil])
    }

    /// A constant with the given value.
    public static func constant(_ value: NDArray, name: String? = nil) -> Tensor {
        Tensor(Variable(constant: value, name: name))
    }

    /// A scalar constant of the given dtype.
    public static func constant(_ value: Double, _ dtype: DType) -> Tensor {
        Tensor(Variable(constant: NDArray(repeating: value, shape: [], dtype: dtype)))
    }

    /// The constant value, when this tensor is a constant.
    public var constantValue: NDArray? { variable.constantValue }
}

/// A constant tensor holding `value`.
public func constant(_ value: NDArray, name: String? = nil) -> Tensor {
    Tensor.constant(value, name: name)
}

// MARK: - Shared variables

/// A shared variable: a symbolic value whose current value lives between calls of compiled
/// functions, read by every function that uses it and replaced by their `updates`.
///
/// ```swift
/// let w = Shared(try NDArray.zeros([64, 10]), name: "w")
/// let step = try function([x], [loss], updates: [w: w - 0.1 * gw])
/// print(w.value)
/// ```
///
/// Its type has the initial value's dtype and exact shape unless `shape` says otherwise
/// (`nil` sizes may change with later values).
public final class Shared: Tensor, @unchecked Sendable {
    /// The storage behind the variable.
    public let storage: SharedValue

    /// A shared variable holding `value`, typed by its dtype and exact shape.
    public init(_ value: NDArray, name: String? = nil) {
        let storage = SharedValue(value)
        self.storage = storage
        super.init(Variable(shared: storage, name: name))
    }

    /// A shared variable with a declared static shape; throws when `value` does not fit it.
    public init(_ value: NDArray, name: String? = nil, shape: [Int?]) throws {
        let storage = try SharedValue(value, shape: shape)
        self.storage = storage
        super.init(Variable(shared: storage, name: name))
    }

    /// The shared variable of an existing graph variable (role `.shared`); used by
    /// `function` to turn a graph's shared variables back into update targets.
    package init(sharedVariable variable: Variable) throws {
        guard let storage = variable.sharedValue else {
            throw TheanoError.invalidArgument("\(describeVariable(variable)) is not a shared variable")
        }
        self.storage = storage
        super.init(variable)
    }

    /// A scalar int64 shared variable (from a literal).
    public required convenience init(integerLiteral value: Int) {
        self.init(NDArray(scalar: Int64(value)))
    }

    /// A scalar float64 shared variable (from a literal).
    public required convenience init(floatLiteral value: Double) {
        self.init(NDArray(scalar: value))
    }

    /// The current value, in host memory (a value a device's function left in device memory
    /// is copied; see ``SharedValue/value``).
    public var value: NDArray { storage.value }

    /// The current value in host memory, or the device's error when a value in device memory
    /// cannot be copied (Theano's `get_value`).
    public func getValue() throws -> NDArray { try storage.hostValue() }

    /// The expression stored into this variable after each call of a compiled function that
    /// reads it and gives it no explicit update (Theano's `default_update`); random streams use
    /// it to advance their state. `nil` when there is none; setting `nil` removes it.
    ///
    /// An expression that reads the variable itself keeps it alive through its storage (a
    /// reference cycle); for such updates prefer ``setDefaultUpdate(_:)``, which builds the
    /// expression when a function is compiled.
    ///
    /// ```swift
    /// let calls = Shared(NDArray(scalar: Int64(0)), name: "calls")
    /// calls.setDefaultUpdate { c in try c + 1 }
    /// let f = try function([x], [x * calls.cast(.float32)])   // each call adds 1 to calls
    /// ```
    public var defaultUpdate: Tensor? {
        get { storage.defaultUpdate.flatMap { try? Tensor($0.build(variable)) } }
        set { storage.defaultUpdate = newValue.map { update in SharedValue.DefaultUpdate { _ in update.variable } } }
    }

    /// Sets the default update to the expression `build` makes from this variable, built
    /// anew for each function compiled (see ``defaultUpdate``).
    public func setDefaultUpdate(_ build: @escaping (Tensor) throws -> Tensor) {
        storage.defaultUpdate = SharedValue.DefaultUpdate { variable in try build(Tensor(variable)).variable }
    }

    /// Replaces the value; throws when `newValue`'s dtype or shape does not fit the type.
    public func setValue(_ newValue: NDArray) throws {
        try storage.set(newValue, name: name)
    }
}

/// A shared variable holding `value` (Theano's `theano.shared`).
public func shared(_ value: NDArray, name: String? = nil) -> Shared {
    Shared(value, name: name)
}
