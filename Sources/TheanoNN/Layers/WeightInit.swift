import Foundation
import Theano

/// How a layer draws its initial weights (fan-in and fan-out as Glorot and He define them: for
/// a dense weight `[in, out]`, `in` and `out`; for a convolution filter `[O, I, kh, kw]`,
/// `I * kh * kw` and `O * kh * kw`).
public enum WeightInit: Sendable {
    /// N(0, 2 / fanIn).
    case heNormal
    /// U(-a, a) with a = sqrt(6 / fanIn).
    case heUniform
    /// N(0, 2 / (fanIn + fanOut)).
    case glorotNormal
    /// U(-a, a) with a = sqrt(6 / (fanIn + fanOut)).
    case glorotUniform
    /// Every weight equal to the value.
    case constant(Double)

    /// A float32 array of `shape` drawn with `seed`.
    public func array(_ shape: [Int], fanIn: Int, fanOut: Int, seed: UInt64) throws -> NDArray {
        var rng = RandomGenerator(seed: seed)
        switch self {
        case .heNormal:
            return try NDArray.randomNormal(shape, std: (2 / Double(fanIn)).squareRoot(), using: &rng)
        case .glorotNormal:
            return try NDArray.randomNormal(shape, std: (2 / Double(fanIn + fanOut)).squareRoot(), using: &rng)
        case .heUniform:
            let a = (6 / Double(fanIn)).squareRoot()
            return try NDArray.randomUniform(shape, low: -a, high: a, using: &rng)
        case .glorotUniform:
            let a = (6 / Double(fanIn + fanOut)).squareRoot()
            return try NDArray.randomUniform(shape, low: -a, high: a, using: &rng)
        case .constant(let value):
            return try NDArray.full(shape, value, .float32)
        }
    }

}
