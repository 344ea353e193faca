import RealModule

/// Ways to make new arrays: filled, ranges, identity, and seeded random values.
extension NDArray {
    /// An array of zeros.
    public static func zeros(_ shape: [Int], _ dtype: DType = .float32) throws -> NDArray {
        try NDArray(allocating: shape, dtype: dtype, zeroed: true, context: "zeros")
    }

    /// An array of ones.
    public static func ones(_ shape: [Int], _ dtype: DType = .float32) throws -> NDArray {
        try NDArray(repeating: 1, shape: shape, dtype: dtype, context: "ones")
    }

    /// An array with every element equal to `value` (converted to `dtype`).
    public static func full(_ shape: [Int], _ value: Double, _ dtype: DType = .float32) throws -> NDArray {
        try NDArray(repeating: value, shape: shape, dtype: dtype, context: "full")
    }

    /// Values `start, start + step, ...` below `stop` (above, for a negative step).
    public static func arange(_ start: Double, _ stop: Double, step: Double = 1, _ dtype: DType = .int64) throws -> NDArray {
        guard step != 0, step.isFinite, start.isFinite, stop.isFinite else {
            throw TheanoError.invalidArgument("arange: start, stop and step must be finite and step non-zero (got \(start), \(stop), \(step))")
        }
        let length = ((stop - start) / step).rounded(.up)
        guard length <= Double(maxElementCount) else {
            throw TheanoError.invalidArgument(
                "arange: \(start) to \(stop) in steps of \(step) would have \(length) elements, too many (at most \(maxElementCount) = 2^60 - 1)")
        }
        let n = Swift.max(0, Int(length))
        let out = try NDArray(allocating: [n], dtype: dtype, zeroed: false, context: "arange")
        func fill<T: NDArrayElement>(_: T.Type) {
            let p = out.storagePointer(as: T.self)
            for i in 0..<n { p[i] = T.element(fromDouble: start + Double(i) * step) }
        }
        fill(dtype.elementType)
        return out
    }

    /// The integers `0 ..< stop` (empty for a negative `stop`).
    ///
    /// - Throws: `.invalidArgument` when `stop` is more than ``maxElementCount``;
    ///   `.outOfMemory` when the memory cannot be had.
    public static func arange(_ stop: Int, _ dtype: DType = .int64) throws -> NDArray {
        guard stop <= maxElementCount else {
            throw TheanoError.invalidArgument("arange: \(stop) elements are too many (at most \(maxElementCount) = 2^60 - 1)")
        }
        return try arange(0, Double(Swift.max(stop, 0)), step: 1, dtype)
    }

    /// `count` evenly spaced values from `start` to `stop` (inclusive unless `endpoint` is false).
    public static func linspace(_ start: Double, _ stop: Double, count: Int, endpoint: Bool = true, _ dtype: DType = .float64) throws -> NDArray {
        guard count >= 0 else { throw TheanoError.invalidArgument("linspace: count must be non-negative, got \(count)") }
        let div = Double(endpoint ? count - 1 : count)
        let step = div > 0 ? (stop - start) / div : 0
        return try NDArray(filling: [count], dtype, context: "linspace") { i in
            endpoint && count > 1 && i == count - 1 ? stop : start + Double(i) * step
        }
    }

    /// A matrix with ones on diagonal `k` (0: main, positive: above) and zeros elsewhere.
    public static func eye(_ rows: Int, _ columns: Int? = nil, k: Int = 0, _ dtype: DType = .float32) throws -> NDArray {
        let cols = columns ?? rows
        guard rows >= 0, cols >= 0 else { throw TheanoError.invalidArgument("eye: sizes must be non-negative, got \(rows)x\(cols)") }
        let out = try NDArray(allocating: [rows, cols], dtype: dtype, zeroed: true, context: "eye")
        out.fillDiagonal(k)
        return out
    }

    /// Uniform values in `[low, high)` from a generator seeded with `seed`.
    public static func randomUniform(_ shape: [Int], low: Double = 0, high: Double = 1, seed: UInt64, _ dtype: DType = .float32) throws -> NDArray {
        var rng = RandomGenerator(seed: seed)
        return try randomUniform(shape, low: low, high: high, using: &rng, dtype)
    }

    /// Uniform values in `[low, high)` drawn from `rng`.
    public static func randomUniform(_ shape: [Int], low: Double = 0, high: Double = 1, using rng: inout RandomGenerator, _ dtype: DType = .float32) throws -> NDArray {
        try NDArray(filling: shape, dtype, context: "randomUniform") { _ in low + (high - low) * rng.nextUnit() }
    }

    /// Normal values with the given mean and standard deviation, seeded with `seed`.
    public static func randomNormal(_ shape: [Int], mean: Double = 0, std: Double = 1, seed: UInt64, _ dtype: DType = .float32) throws -> NDArray {
        var rng = RandomGenerator(seed: seed)
        return try randomNormal(shape, mean: mean, std: std, using: &rng, dtype)
    }

    /// Normal values with the given mean and standard deviation drawn from `rng`.
    public static func randomNormal(_ shape: [Int], mean: Double = 0, std: Double = 1, using rng: inout RandomGenerator, _ dtype: DType = .float32) throws -> NDArray {
        try NDArray(filling: shape, dtype, context: "randomNormal") { _ in mean + std * rng.nextNormal() }
    }
}

extension NDArray {
    /// A new array of `shape` whose element `i` (in C order) is `value(i)` converted to `dtype`.
    private init(filling shape: [Int], _ dtype: DType, context: String, _ value: (Int) -> Double) throws {
        self = try NDArray(allocating: shape, dtype: dtype, zeroed: false, context: context)
        func fill<T: NDArrayElement>(_: T.Type) {
            let p = storagePointer(as: T.self)
            for i in 0..<count { p[i] = T.element(fromDouble: value(i)) }
        }
        fill(dtype.elementType)
    }

    /// Writes 1 on diagonal `k` of this freshly allocated, zeroed C-contiguous matrix.
    package func fillDiagonal(_ k: Int) {
        let (rows, columns) = (shape[0], shape[1])
        // Row i holds its one at column i + k, for the rows where that column exists; the
        // bounds are compared without forming i + k, which may overflow.
        guard k > -rows, k < columns else { return }
        func fill<T: NDArrayElement>(_: T.Type) {
            let p = storagePointer(as: T.self)
            for i in Swift.max(0, -k)..<Swift.min(rows, columns - k) { p[i * columns + i + k] = T.element(fromInt64: 1) }
        }
        fill(dtype.elementType)
    }
}
