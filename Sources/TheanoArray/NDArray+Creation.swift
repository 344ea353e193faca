import RealModule

/// Ways to make new arrays: filled, ranges, identity, and seeded random values.
extension NDArray {
    /// An array of zeros.
    public static func zeros(_ shape: [Int], _ dtype: DType = .float32) throws -> NDArray {
        try checkShape(shape, "zeros")
        return NDArray(zeros: shape, dtype: dtype)
    }

    /// An array of ones.
    public static func ones(_ shape: [Int], _ dtype: DType = .float32) throws -> NDArray {
        try checkShape(shape, "ones")
        return NDArray(repeating: 1, shape: shape, dtype: dtype)
    }

    /// An array with every element equal to `value` (converted to `dtype`).
    public static func full(_ shape: [Int], _ value: Double, _ dtype: DType = .float32) throws -> NDArray {
        try checkShape(shape, "full")
        return NDArray(repeating: value, shape: shape, dtype: dtype)
    }

    /// Values `start, start + step, ...` below `stop` (above, for a negative step).
    public static func arange(_ start: Double, _ stop: Double, step: Double = 1, _ dtype: DType = .int64) throws -> NDArray {
        guard step != 0, step.isFinite, start.isFinite, stop.isFinite else {
            throw TheanoError.invalidArgument("arange: start, stop and step must be finite and step non-zero (got \(start), \(stop), \(step))")
        }
        let length = ((stop - start) / step).rounded(.up)
        guard length < Double(Int.max / 8) else {  // n * byteSize must not overflow
            throw TheanoError.invalidArgument("arange: \(start) to \(stop) in steps of \(step) would have \(length) elements, too many")
        }
        let n = Swift.max(0, Int(length))
        let out = NDArray(allocating: [n], dtype: dtype, zeroed: false)
        func fill<T: NDArrayElement>(_: T.Type) {
            let p = out.storagePointer(as: T.self)
            for i in 0..<n { p[i] = T.element(fromDouble: start + Double(i) * step) }
        }
        fill(dtype.elementType)
        return out
    }

    /// The integers `0 ..< stop`.
    public static func arange(_ stop: Int, _ dtype: DType = .int64) -> NDArray {
        (try? arange(0, Double(stop), step: 1, dtype)) ?? NDArray(zeros: [0], dtype: dtype)
    }

    /// `count` evenly spaced values from `start` to `stop` (inclusive unless `endpoint` is false).
    public static func linspace(_ start: Double, _ stop: Double, count: Int, endpoint: Bool = true, _ dtype: DType = .float64) throws -> NDArray {
        guard count >= 0 else { throw TheanoError.invalidArgument("linspace: count must be non-negative, got \(count)") }
        let div = Double(endpoint ? count - 1 : count)
        let step = div > 0 ? (stop - start) / div : 0
        var values = (0..<count).map { start + Double($0) * step }
        if endpoint, count > 1 { values[count - 1] = stop }
        return NDArray(values).astype(dtype)
    }

    /// A matrix with ones on diagonal `k` (0: main, positive: above) and zeros elsewhere.
    public static func eye(_ rows: Int, _ columns: Int? = nil, k: Int = 0, _ dtype: DType = .float32) throws -> NDArray {
        let cols = columns ?? rows
        guard rows >= 0, cols >= 0 else { throw TheanoError.invalidArgument("eye: sizes must be non-negative, got \(rows)x\(cols)") }
        var out = NDArray(zeros: [rows, cols], dtype: dtype)
        func fill<T: NDArrayElement>(_: T.Type) {
            let p = out.storagePointer(as: T.self)
            for i in 0..<rows where i + k >= 0 && i + k < cols { p[i * cols + i + k] = T.element(fromInt64: 1) }
        }
        fill(dtype.elementType)
        _ = out.isUniquelyReferenced()
        return out
    }

    /// Uniform values in `[low, high)` from a generator seeded with `seed`.
    public static func randomUniform(_ shape: [Int], low: Double = 0, high: Double = 1, seed: UInt64, _ dtype: DType = .float32) throws -> NDArray {
        var rng = RandomGenerator(seed: seed)
        return try randomUniform(shape, low: low, high: high, using: &rng, dtype)
    }

    /// Uniform values in `[low, high)` drawn from `rng`.
    public static func randomUniform(_ shape: [Int], low: Double = 0, high: Double = 1, using rng: inout RandomGenerator, _ dtype: DType = .float32) throws -> NDArray {
        try checkShape(shape, "randomUniform")
        let values = (0..<shapeSize(shape)).map { _ in low + (high - low) * rng.nextUnit() }
        return try NDArray(values, shape: shape).astype(dtype)
    }

    /// Normal values with the given mean and standard deviation, seeded with `seed`.
    public static func randomNormal(_ shape: [Int], mean: Double = 0, std: Double = 1, seed: UInt64, _ dtype: DType = .float32) throws -> NDArray {
        var rng = RandomGenerator(seed: seed)
        return try randomNormal(shape, mean: mean, std: std, using: &rng, dtype)
    }

    /// Normal values with the given mean and standard deviation drawn from `rng`.
    public static func randomNormal(_ shape: [Int], mean: Double = 0, std: Double = 1, using rng: inout RandomGenerator, _ dtype: DType = .float32) throws -> NDArray {
        try checkShape(shape, "randomNormal")
        let values = (0..<shapeSize(shape)).map { _ in mean + std * rng.nextNormal() }
        return try NDArray(values, shape: shape).astype(dtype)
    }
}

/// Throws unless every size is non-negative and the element count fits in memory arithmetic.
func checkShape(_ shape: [Int], _ context: String) throws {
    if let bad = shape.firstIndex(where: { $0 < 0 }) {
        throw TheanoError.invalidArgument("\(context): shape \(formatShape(shape)) has a negative size at axis \(bad)")
    }
    var total = 1
    for n in shape {
        let (p, overflow) = total.multipliedReportingOverflow(by: n)
        guard !overflow, p <= Int.max / 8 else {
            throw TheanoError.invalidArgument("\(context): shape \(formatShape(shape)) has too many elements")
        }
        total = p
    }
}
