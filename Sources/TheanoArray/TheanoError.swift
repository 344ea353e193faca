/// Every mistake a user can make, and every run-time failure, surfaces as a `TheanoError`.
///
/// Messages are written for people: they name the operation, the offending input, what was
/// expected and what was found, and, where known, the expression being built.
public struct TheanoError: Error, CustomStringConvertible, Sendable, Equatable {
    /// What kind of failure this is; tests and callers can switch on it.
    public enum Kind: String, Sendable, Equatable {
        /// A dtype did not match what an operation requires.
        case typeMismatch
        /// Shapes are incompatible (broadcasting, matmul, reshape, concatenation, ...).
        case shapeMismatch
        /// An axis, index or size is out of range.
        case outOfRange
        /// An argument is invalid for another reason.
        case invalidArgument
        /// A file could not be read or written, or its contents are malformed.
        case io
        /// The gradient of an operation is not defined.
        case notDifferentiable
        /// A graph is malformed (missing input, unknown variable, cycle).
        case graph
        /// A feature is not available in this build or on this machine.
        case unsupported
        /// Memory for an array could not be had: the system refused it, or it exceeds the
        /// machine's memory and swap (``ArrayStorage/maxByteCount``).
        case outOfMemory
    }

    public let kind: Kind
    public let message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }

    public static func typeMismatch(_ m: String) -> TheanoError { .init(.typeMismatch, m) }
    public static func shapeMismatch(_ m: String) -> TheanoError { .init(.shapeMismatch, m) }
    public static func outOfRange(_ m: String) -> TheanoError { .init(.outOfRange, m) }
    public static func invalidArgument(_ m: String) -> TheanoError { .init(.invalidArgument, m) }
    public static func io(_ m: String) -> TheanoError { .init(.io, m) }
    public static func graph(_ m: String) -> TheanoError { .init(.graph, m) }
    public static func unsupported(_ m: String) -> TheanoError { .init(.unsupported, m) }
    public static func notDifferentiable(_ m: String) -> TheanoError { .init(.notDifferentiable, m) }
    public static func outOfMemory(_ m: String) -> TheanoError { .init(.outOfMemory, m) }
}

/// Formats a shape as `[2, 3]` for error messages.
@inlinable
public func formatShape(_ shape: [Int]) -> String {
    "[" + shape.map(String.init).joined(separator: ", ") + "]"
}

/// Normalises a possibly negative axis against a rank, throwing a readable error when it is out
/// of range. `context` names the operation (for example `"sum"`).
public func normalizeAxis(_ axis: Int, rank: Int, context: String) throws -> Int {
    let a = axis < 0 ? axis + rank : axis
    guard a >= 0, a < rank else {
        throw TheanoError.outOfRange(
            "\(context): axis \(axis) is out of range for an input of rank \(rank) (valid axes: \(rank == 0 ? "none" : "\(-rank)...\(rank - 1)"))")
    }
    return a
}
