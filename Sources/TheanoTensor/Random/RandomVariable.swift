import TheanoArray
import TheanoGraph

/// A standard distribution drawn by ``RandomVariable``; affine parameters (low/high, mean/std)
/// are applied by the user-facing functions as ordinary graph arithmetic.
public enum RandomDistribution: Hashable, Sendable, CustomStringConvertible {
    /// Uniform on [0, 1): 24 random bits for float32, 53 for float64.
    case uniform
    /// Standard normal (Box-Muller, the cosine branch of one Philox block per element).
    case normal
    /// Standard normal restricted to [-2, 2], by rejection: an element whose cosine variate
    /// falls outside takes the sine variate of the same block, then the block of the next
    /// attempt (expected 1.002 blocks; after 64 failed attempts, 0).
    case truncatedNormal
    /// Uniform integers in [low, high): the high 64 bits of a 64-bit word times the range
    /// (bias below range / 2^64).
    case integers(low: Int, high: Int)

    public var description: String {
        switch self {
        case .uniform: "uniform"
        case .normal: "normal"
        case .truncatedNormal: "truncatedNormal"
        case .integers(let low, let high): "integers[\(low), \(high))"
        }
    }
}

/// A draw from a ``RandomDistribution`` as a functional op (PyTensor's `RandomVariable`): the
/// inputs are a random state (see ``RandomState``) and one int64 scalar per output axis; the
/// outputs are the sample and the next state. The sample depends only on the state and the
/// shape, so the same state gives the same numbers on every backend and thread count.
public struct RandomVariable: Op {
    public let distribution: RandomDistribution
    public let dtype: DType

    public init(_ distribution: RandomDistribution, dtype: DType) {
        self.distribution = distribution
        self.dtype = dtype
    }

    public var description: String { "RandomVariable{\(distribution), \(dtype)}" }

    public func makeNode(_ inputs: [Variable]) throws -> Apply {
        guard let state = inputs.first else {
            throw TheanoError.invalidArgument("\(self): expected a random state and one size per axis, got no inputs")
        }
        try RandomState.checkInput(state, opName: description)
        switch distribution {
        case .uniform, .normal, .truncatedNormal:
            guard dtype.isFloatingPoint else {
                throw TheanoError.typeMismatch("\(self): the \(distribution) distribution needs a floating-point dtype, got \(dtype)")
            }
        case .integers(let low, let high):
            guard dtype == .int64 || dtype == .int32 else {
                throw TheanoError.typeMismatch("\(self): integers need dtype int64 or int32, got \(dtype)")
            }
            guard low < high else {
                throw TheanoError.invalidArgument("\(self): integers need low < high, got low \(low) and high \(high)")
            }
            if dtype == .int32, low < Int(Int32.min) || high - 1 > Int(Int32.max) {
                throw TheanoError.invalidArgument("\(self): the range [\(low), \(high)) does not fit int32")
            }
        }
        let sizes = inputs.dropFirst()
        for (i, s) in sizes.enumerated() where s.type.rank != 0 || s.type.dtype != .int64 {
            throw TheanoError.typeMismatch("\(self): size \(i) must be an int64 scalar, got \(describeVariable(s))")
        }
        let shape = sizes.map(shapeConstantValue)
        if let bad = shape.firstIndex(where: { ($0 ?? 0) < 0 }) {
            throw TheanoError.invalidArgument("\(self): size \(shape[bad] ?? 0) at axis \(bad) is negative")
        }
        return Apply(op: self, inputs: inputs, outputTypes: [TensorType(dtype, shape: shape), RandomState.type])
    }

    public func perform(_ node: Apply, _ inputs: [NDArray]) throws -> [NDArray] {
        let (key, counter) = try RandomState.read(inputs[0], opName: description)
        let shape = try inputs.dropFirst().map { try $0.item(Int.self) }
        if let bad = shape.firstIndex(where: { $0 < 0 }) {
            throw TheanoError.invalidArgument("\(self): size \(shape[bad]) at axis \(bad) is negative (shape \(formatShape(shape)))")
        }
        let count = try checkedShapeSize(shape, context: description)
        guard count < 1 << 40 else {
            throw TheanoError.invalidArgument("\(self): a draw has at most 2^40 elements, got \(count)")
        }
        func block(_ i: Int) -> SIMD4<UInt32> { Philox4x32.block(key: key, stream: counter, index: UInt64(i)) }
        // Floats are made in one pass, straight in the output dtype for float32 and float64.
        func floats(_ value: (Int) -> Double) throws -> NDArray {
            switch dtype {
            case .float32: try NDArray((0..<count).map { Float(value($0)) }, shape: shape)
            case .float64: try NDArray((0..<count).map(value), shape: shape)
            default: try NDArray((0..<count).map(value), shape: shape).astype(dtype)
            }
        }
        let sample: NDArray
        switch distribution {
        case .uniform:
            sample = dtype == .float32
                ? try floats { PhiloxVariates.unit24(block($0).x) }
                : try floats { PhiloxVariates.unit53(PhiloxVariates.low64(block($0))) }
        case .normal:
            sample = try floats { PhiloxVariates.normals(block($0)).0 }
        case .truncatedNormal:
            sample = try floats { i in
                for attempt in 0..<64 {
                    let (a, b) = PhiloxVariates.normals(Philox4x32.block(key: key, stream: counter, index: UInt64(i) | UInt64(attempt) << 40))
                    if abs(a) <= 2 { return a }
                    if abs(b) <= 2 { return b }
                }
                return 0
            }
        case .integers(let low, let high):
            let range = UInt64(bitPattern: Int64(high) &- Int64(low))
            func value(_ i: Int) -> Int64 {
                Int64(low) &+ Int64(bitPattern: PhiloxVariates.low64(block(i)).multipliedFullWidth(by: range).high)
            }
            sample = dtype == .int32
                ? try NDArray((0..<count).map { Int32(truncatingIfNeeded: value($0)) }, shape: shape)
                : try NDArray((0..<count).map(value), shape: shape)
        }
        return [sample, RandomState.next(key, counter)]
    }

    public func inferShape(_ node: Apply, _ inputShapes: [[Variable]]) throws -> [[Variable]] {
        let sizes = node.outputTypes[0].shape.enumerated().map { axis, size in size.map(shapeConstant) ?? node.inputs[axis + 1] }
        return [sizes, [shapeConstant(2)]]
    }

    /// Samples do not depend differentiably on the state or the sizes.
    public func pullback(_ node: Apply, _ outputGradients: [Variable?]) throws -> [Variable?] {
        node.inputs.map { _ in nil }
    }
}
