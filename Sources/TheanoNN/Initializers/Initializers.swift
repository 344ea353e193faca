import Theano

/// Weight initialisers: seeded host arrays for `Shared(...)` parameters. The same seed gives
/// the same array on every machine (the generator is ``RandomGenerator``).
///
/// ```swift
/// let w = Shared(try Initializer.heNormal([784, 256], seed: 1), name: "w")
/// let b = Shared(try Initializer.constant([256], value: 0), name: "b")
/// ```
///
/// Fan-in and fan-out (``fans(of:)``):
/// - rank 1 `[n]`: both `n`;
/// - rank 2, dense weights `[in, out]` (as `x.matmul(w)` uses them): `in` and `out`;
/// - rank 3 or more, convolution filters `[out, in, k...]` (OIHW): `in·∏k` and `out·∏k`.
public enum Initializer {

    /// The fan-in and fan-out of a weight of `shape` (see the conventions above).
    ///
    /// - Throws: when `shape` is empty (a scalar has no fans) or has a zero size.
    public static func fans(of shape: [Int]) throws -> (fanIn: Int, fanOut: Int) {
        guard !shape.isEmpty else {
            throw TheanoError.invalidArgument("initializer: a weight needs at least one axis to have a fan-in and fan-out, got shape []")
        }
        guard shape.allSatisfy({ $0 > 0 }) else {
            throw TheanoError.invalidArgument("initializer: every size must be positive, got shape \(shape)")
        }
        switch shape.count {
        case 1: return (shape[0], shape[0])
        case 2: return (shape[0], shape[1])
        default:
            let receptive = shape.dropFirst(2).reduce(1, *)
            return (shape[1] * receptive, shape[0] * receptive)
        }
    }

    /// Glorot (Xavier) uniform: U(−a, a) with `a = gain·√(6 / (fanIn + fanOut))`, so the variance
    /// is `gain²·2 / (fanIn + fanOut)`.
    public static func glorotUniform(_ shape: [Int], gain: Double = 1, seed: UInt64, dtype: DType = .float32) throws -> NDArray {
        let (fanIn, fanOut) = try fans(of: shape)
        let limit = gain * (6 / Double(fanIn + fanOut)).squareRoot()
        return try NDArray.randomUniform(shape, low: -limit, high: limit, seed: seed, dtype)
    }

    /// Glorot (Xavier) normal: N(0, σ²) with `σ = gain·√(2 / (fanIn + fanOut))` (not truncated).
    public static func glorotNormal(_ shape: [Int], gain: Double = 1, seed: UInt64, dtype: DType = .float32) throws -> NDArray {
        let (fanIn, fanOut) = try fans(of: shape)
        return try NDArray.randomNormal(shape, std: gain * (2 / Double(fanIn + fanOut)).squareRoot(), seed: seed, dtype)
    }

    /// He (Kaiming) uniform for ReLU layers: U(−a, a) with `a = √(6 / fanIn)` (variance `2 / fanIn`).
    public static func heUniform(_ shape: [Int], seed: UInt64, dtype: DType = .float32) throws -> NDArray {
        let (fanIn, _) = try fans(of: shape)
        let limit = (6 / Double(fanIn)).squareRoot()
        return try NDArray.randomUniform(shape, low: -limit, high: limit, seed: seed, dtype)
    }

    /// He (Kaiming) normal for ReLU layers: N(0, 2 / fanIn) (not truncated).
    public static func heNormal(_ shape: [Int], seed: UInt64, dtype: DType = .float32) throws -> NDArray {
        let (fanIn, _) = try fans(of: shape)
        return try NDArray.randomNormal(shape, std: (2 / Double(fanIn)).squareRoot(), seed: seed, dtype)
    }

    /// A (semi-)orthogonal matrix times `gain` (Saxe et al. 2014), for `shape` seen as a matrix
    /// of `shape[0]` rows and `∏shape[1...]` columns (Lasagne's convention; for conv filters
    /// `[out, in, k...]` the rows are the output channels): the rows are orthonormal when there
    /// are no more rows than columns, otherwise the columns are. Built by Gram-Schmidt (twice, for
    /// accuracy) on a seeded normal matrix, with the signs of Householder QR (R's diagonal
    /// positive), so the result is uniformly distributed.
    public static func orthogonal(_ shape: [Int], gain: Double = 1, seed: UInt64, dtype: DType = .float32) throws -> NDArray {
        guard shape.count >= 2 else {
            throw TheanoError.invalidArgument("orthogonal: the shape needs at least two axes, got \(shape)")
        }
        guard shape.allSatisfy({ $0 > 0 }) else {
            throw TheanoError.invalidArgument("orthogonal: every size must be positive, got shape \(shape)")
        }
        let rows = shape[0], cols = shape.dropFirst().reduce(1, *)
        // Orthonormalise the columns of a tall (long × short) matrix.
        let long = max(rows, cols), short = min(rows, cols)
        var rng = RandomGenerator(seed: seed)
        var q = (0..<short).map { _ in (0..<long).map { _ in rng.nextNormal() } }
        for j in 0..<short {
            for _ in 0..<2 {
                for k in 0..<j {
                    var dot = 0.0
                    for i in 0..<long { dot += q[k][i] * q[j][i] }
                    for i in 0..<long { q[j][i] -= dot * q[k][i] }
                }
            }
            var norm = 0.0
            for i in 0..<long { norm += q[j][i] * q[j][i] }
            norm = norm.squareRoot()
            guard norm > 1e-12 else {
                throw TheanoError.invalidArgument("orthogonal: the random matrix is rank-deficient (seed \(seed)); try another seed")
            }
            for i in 0..<long { q[j][i] /= norm }
        }
        var values = [Double](repeating: 0, count: rows * cols)
        for r in 0..<rows {
            for c in 0..<cols {
                values[r * cols + c] = gain * (rows >= cols ? q[c][r] : q[r][c])
            }
        }
        return try NDArray(values, shape: shape).astype(dtype)
    }

    /// An array of `shape` filled with `value`.
    public static func constant(_ shape: [Int], value: Double, dtype: DType = .float32) throws -> NDArray {
        try NDArray.full(shape, value, dtype)
    }
}
