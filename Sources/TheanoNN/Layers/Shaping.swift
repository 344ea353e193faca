import Theano

/// Merges every axis after the first: `[batch, d1, d2, ...]` to `[batch, d1 * d2 * ...]`.
public final class Flatten: Layer {
    public let name: String

    public init(name: String = "flatten") {
        self.name = name
    }

    public var parameters: [(name: String, value: Shared)] { [] }

    public func forward(_ x: Tensor, _ context: inout ForwardContext) throws -> Tensor {
        guard x.rank >= 2 else {
            throw TheanoError.typeMismatch("\(name) (Flatten): expected a batch of rank 2 or more, got rank \(x.rank) with shape \(formatStaticShape(x.staticShape))")
        }
        return try flatten(x, ndim: 2)
    }
}

/// Gives each example a new shape: `[batch, ...]` to `[batch] + shape` (e.g. the 64 pixels
/// of a digit to `[1, 8, 8]`).
public final class Reshape: Layer {
    public let name: String
    public let shape: [Int]

    public init(_ shape: [Int], name: String = "reshape") throws {
        guard shape.allSatisfy({ $0 > 0 }) else {
            throw TheanoError.invalidArgument("Reshape: every size must be positive, got \(shape)")
        }
        self.name = name
        self.shape = shape
    }

    public var parameters: [(name: String, value: Shared)] { [] }

    public func forward(_ x: Tensor, _ context: inout ForwardContext) throws -> Tensor {
        guard x.rank >= 1 else {
            throw TheanoError.typeMismatch("\(name) (Reshape): expected a batch, got a scalar")
        }
        let perExample = x.staticShape.dropFirst().reduce(Optional(1)) { a, b in a.flatMap { a in b.map { a * $0 } } }
        if let n = perExample, n != shape.reduce(1, *) {
            throw TheanoError.shapeMismatch("\(name) (Reshape): each example has \(n) elements (input shape \(formatStaticShape(x.staticShape))) but \(formatShape(shape)) holds \(shape.reduce(1, *))")
        }
        return try reshape(x, [x.shape(0)] + shape.map { Tensor(integerLiteral: $0) })
    }
}

/// A table of learned vectors: integer indices `[batch, ...]` to `[batch, ..., dimension]`.
public final class Embedding: Layer {
    public let name: String
    /// `[count, dimension]`.
    public let weight: Shared

    public init(count: Int, dimension: Int, initializer: WeightInit = .glorotUniform, seed: UInt64 = 0, name: String = "embedding") throws {
        guard count > 0, dimension > 0 else {
            throw TheanoError.invalidArgument("Embedding: count and dimension must be positive, got \(count) and \(dimension)")
        }
        self.name = name
        weight = Shared(try initializer.array([count, dimension], seed: seed), name: "\(name).W")
    }

    public var parameters: [(name: String, value: Shared)] { [("W", weight)] }

    public func forward(_ x: Tensor, _ context: inout ForwardContext) throws -> Tensor {
        guard x.dtype.isInteger else {
            throw TheanoError.typeMismatch("\(name) (Embedding): indices must be integers, got \(x.dtype)")
        }
        return try take(weight, x, axis: 0)
    }
}
