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
        let draw = try prepare(inputs)
        let count = draw.count
        let sample: NDArray
        switch dtype {
        case .float32: sample = try NDArray((0..<count).map { Float(floatValue($0, draw)) }, shape: draw.shape)
        case .float64: sample = try NDArray((0..<count).map { floatValue($0, draw) }, shape: draw.shape)
        case .int32: sample = try NDArray((0..<count).map { Int32(truncatingIfNeeded: integerValue($0, draw)) }, shape: draw.shape)
        case .int64: sample = try NDArray((0..<count).map { integerValue($0, draw) }, shape: draw.shape)
        default: sample = try NDArray((0..<count).map { floatValue($0, draw) }, shape: draw.shape).astype(dtype)
        }
        return [sample, draw.nextState]
    }

    /// What one run of a draw needs: the state's key and counter and the sample's shape.
    package struct Draw: Sendable {
        package let key: UInt64
        package let counter: UInt64
        package let shape: [Int]
        package let count: Int
        /// The state after this draw.
        package var nextState: NDArray { RandomState.next(key, counter) }
    }

    /// Reads and checks the inputs of a run (the state and the sizes).
    package func prepare(_ inputs: [NDArray]) throws -> Draw {
        let (key, counter) = try RandomState.read(inputs[0], opName: description)
        let shape = try inputs.dropFirst().map { try $0.item(Int.self) }
        if let bad = shape.firstIndex(where: { $0 < 0 }) {
            throw TheanoError.invalidArgument("\(self): size \(shape[bad]) at axis \(bad) is negative (shape \(formatShape(shape)))")
        }
        let count = try checkedShapeSize(shape, context: description)
        guard count < 1 << 40 else {
            throw TheanoError.invalidArgument("\(self): a draw has at most 2^40 elements, got \(count)")
        }
        return Draw(key: key, counter: counter, shape: shape, count: count)
    }

    /// Element `i` of a floating-point draw (before rounding to float32).
    @inline(__always)
    package func floatValue(_ i: Int, _ draw: Draw) -> Double {
        let block = Philox4x32.block(key: draw.key, stream: draw.counter, index: UInt64(i))
        switch distribution {
        case .uniform:
            return dtype == .float32 ? PhiloxVariates.unit24(block.x) : PhiloxVariates.unit53(PhiloxVariates.low64(block))
        case .normal:
            return PhiloxVariates.normals(block).0
        case .truncatedNormal:
            var (a, b) = PhiloxVariates.normals(block)
            for attempt in 1...64 {
                if abs(a) <= 2 { return a }
                if abs(b) <= 2 { return b }
                guard attempt < 64 else { break }
                (a, b) = PhiloxVariates.normals(Philox4x32.block(key: draw.key, stream: draw.counter, index: UInt64(i) | UInt64(attempt) << 40))
            }
            return 0
        case .integers:
            return Double(integerValue(i, draw))
        }
    }

    /// Element `i` of an integer draw.
    @inline(__always)
    package func integerValue(_ i: Int, _ draw: Draw) -> Int64 {
        guard case .integers(let low, let high) = distribution else { return Int64(floatValue(i, draw)) }
        let range = UInt64(bitPattern: Int64(high) &- Int64(low))
        let bits = PhiloxVariates.low64(Philox4x32.block(key: draw.key, stream: draw.counter, index: UInt64(i)))
        return Int64(low) &+ Int64(bitPattern: bits.multipliedFullWidth(by: range).high)
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
