import TheanoArray

/// A node in the symbolic graph: a value of a known ``TensorType`` that is either an input, a
/// constant, a shared variable, or output `index` of an ``Apply``.
///
/// Variables have reference identity: two variables with the same type and name are still
/// different values. An output variable keeps its ``Apply`` (and so its whole history) alive.
public final class Variable: CustomStringConvertible {
    /// What kind of value a variable stands for.
    public enum Role {
        /// A value given when a compiled function is called.
        case input
        /// A fixed value. `weak` marks a constant made from a Swift number literal, whose
        /// dtype yields to the other operand's (as JAX's weakly typed scalars do).
        case constant(NDArray, weak: Bool)
        /// A value that lives between calls, readable and updatable (see ``SharedValue``).
        case shared(SharedValue)
        /// Output `index` of the ``Variable/owner`` node.
        case output
    }

    public let type: TensorType
    /// An optional name, used when printing graphs and in error messages.
    public var name: String?
    public let role: Role
    /// The node that computes this variable, for outputs.
    public let owner: Apply?
    /// Which output of `owner` this is (0 for non-outputs).
    public let index: Int

    /// A new input variable.
    public init(type: TensorType, name: String? = nil) {
        self.type = type
        self.name = name
        self.role = .input
        self.owner = nil
        self.index = 0
    }

    /// A constant holding `value`; its type has the exact shape of `value`.
    public init(constant value: NDArray, name: String? = nil, weak: Bool = false) {
        self.type = TensorType(value.dtype, exactShape: value.shape)
        self.name = name
        self.role = .constant(value, weak: weak)
        self.owner = nil
        self.index = 0
    }

    /// A variable for a shared value.
    public init(shared: SharedValue, name: String? = nil) {
        self.type = shared.type
        self.name = name
        self.role = .shared(shared)
        self.owner = nil
        self.index = 0
    }

    /// An output of `owner` (called by ``Apply`` only).
    init(type: TensorType, owner: Apply, index: Int) {
        self.type = type
        self.name = nil
        self.role = .output
        self.owner = owner
        self.index = index
    }

    /// The constant value, when this is a constant.
    public var constantValue: NDArray? {
        if case .constant(let v, _) = role { return v }
        return nil
    }

    /// Whether this is a constant made from a Swift number literal (weakly typed).
    public var isWeakConstant: Bool {
        if case .constant(_, let weak) = role { return weak }
        return false
    }

    /// The shared value, when this is a shared variable.
    public var sharedValue: SharedValue? {
        if case .shared(let s) = role { return s }
        return nil
    }

    /// True for inputs, constants and shared variables (no owner).
    public var isRoot: Bool { owner == nil }

    public var description: String {
        if let name { return name }
        switch role {
        case .constant(let v, _):
            if v.count == 1, let x = try? v.item(Double.self) {
                return v.dtype.isFloatingPoint ? "\(x)" : "\(Int64(exactly: x).map(String.init) ?? "\(x)")"
            }
            return "Constant{\(type)}"
        case .shared: return "<shared \(type)>"
        case .input: return "<\(type)>"
        case .output: return "\(owner.map { "\($0.op)" } ?? "?").\(index)"
        }
    }
}

extension Variable: Hashable {
    public static func == (a: Variable, b: Variable) -> Bool { a === b }
    public func hash(into hasher: inout Hasher) { hasher.combine(ObjectIdentifier(self)) }
}
