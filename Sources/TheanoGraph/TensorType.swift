import TheanoArray

/// The static type of a symbolic value: a dtype and a static shape.
///
/// Each axis has a known size or `nil` (unknown until run time). A static size of 1 means the
/// axis broadcasts in elementwise operations; an unknown size never broadcasts, so which axes
/// broadcast is always decided when the graph is built (as in Theano and PyTensor). At run time
/// every unknown size must agree with its partners, or the call throws.
public struct TensorType: Hashable, Sendable, CustomStringConvertible {
    public let dtype: DType
    public let shape: [Int?]

    public init(_ dtype: DType, shape: [Int?]) {
        self.dtype = dtype
        self.shape = shape
    }

    /// A type whose every size is known: the type of a constant with this shape.
    public init(_ dtype: DType, exactShape: [Int]) {
        self.init(dtype, shape: exactShape.map { Optional($0) })
    }

    public var rank: Int { shape.count }

    /// Whether each axis broadcasts (its static size is 1).
    public var broadcastable: [Bool] { shape.map { $0 == 1 } }

    /// The shape when every size is known.
    public var staticShape: [Int]? {
        var out: [Int] = []
        for s in shape {
            guard let s else { return nil }
            out.append(s)
        }
        return out
    }

    /// `float32[?, 10]`: dtype, then sizes with `?` for unknown.
    public var description: String {
        "\(dtype)[" + shape.map { $0.map(String.init) ?? "?" }.joined(separator: ", ") + "]"
    }

    /// Explains why `value` is not of this type, or returns nil when it is.
    public func mismatch(with value: NDArray) -> String? {
        if value.dtype != dtype {
            return "expected dtype \(dtype), got \(value.dtype) (type \(self), value of shape \(formatShape(value.shape)))"
        }
        if value.rank != rank {
            return "expected rank \(rank) (type \(self)), got an array of rank \(value.rank) and shape \(formatShape(value.shape))"
        }
        for (axis, s) in shape.enumerated() {
            if let s, s != value.shape[axis] {
                return "expected size \(s) at axis \(axis) (type \(self)), got shape \(formatShape(value.shape))"
            }
        }
        return nil
    }

    /// True when a value of type `other` may stand where this type is expected: same dtype and
    /// rank, and every size this type knows is known and equal in `other`.
    public func isSatisfied(by other: TensorType) -> Bool {
        guard dtype == other.dtype, rank == other.rank else { return false }
        for (a, b) in zip(shape, other.shape) where a != nil && a != b { return false }
        return true
    }

    /// True when some value could have both types (same dtype and rank, no conflicting size).
    public func isCompatible(with other: TensorType) -> Bool {
        guard dtype == other.dtype, rank == other.rank else { return false }
        for (a, b) in zip(shape, other.shape) {
            if let a, let b, a != b { return false }
        }
        return true
    }

    /// The same shape with another dtype.
    public func with(dtype: DType) -> TensorType { TensorType(dtype, shape: shape) }
}
