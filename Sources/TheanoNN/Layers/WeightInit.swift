import Theano

/// How a layer draws its initial weights, through ``Initializer`` (fan-in and fan-out as
/// Glorot and He define them: for a dense weight `[in, out]`, `in` and `out`; for a
/// convolution filter `[O, I, kh, kw]`, `I * kh * kw` and `O * kh * kw`).
public enum WeightInit: Sendable {
    /// N(0, 2 / fanIn).
    case heNormal
    /// U(-a, a) with a = sqrt(6 / fanIn).
    case heUniform
    /// N(0, 2 / (fanIn + fanOut)).
    case glorotNormal
    /// U(-a, a) with a = sqrt(6 / (fanIn + fanOut)).
    case glorotUniform
    /// A (semi-)orthogonal matrix (of the weight flattened to `[shape[0], rest]`).
    case orthogonal
    /// Every weight equal to the value.
    case constant(Double)

    /// A float32 array of `shape` drawn with `seed`.
    public func array(_ shape: [Int], seed: UInt64) throws -> NDArray {
        switch self {
        case .heNormal: return try Initializer.heNormal(shape, seed: seed)
        case .heUniform: return try Initializer.heUniform(shape, seed: seed)
        case .glorotNormal: return try Initializer.glorotNormal(shape, seed: seed)
        case .glorotUniform: return try Initializer.glorotUniform(shape, seed: seed)
        case .orthogonal: return try Initializer.orthogonal(shape, seed: seed)
        case .constant(let value): return try Initializer.constant(shape, value: value)
        }
    }
}
