import Synchronization
import TheanoArray
import TheanoGraph

/// A source of symbolic random draws (Theano's `RandomStreams`, PyTensor's
/// `RandomStream`): each draw gets its own shared state variable (a Philox key derived from
/// the seed and the draw's index, and a counter), whose default update is the draw's next
/// state. A compiled function that uses a draw therefore gives new numbers at every call,
/// unless compiled with `noDefaultUpdates: true`.
///
/// ```swift
/// let streams = RandomStreams(seed: 42)
/// let noise = try streams.normal([3, 4], std: 0.1)
/// let f = try function([], [noise])
/// let a = try f(), b = try f()          // different numbers
/// streams.seed(42)                      // back to the first numbers
/// ```
///
/// The numbers depend only on the seed, the draw's index in this stream, how many times the
/// draw ran before, and the shape: not on the backend or the thread count (see
/// docs/RANDOM.md).
public final class RandomStreams: @unchecked Sendable {
    private struct State {
        var seed: UInt64
        var states: [Shared] = []
    }
    private let state: Mutex<State>

    /// A stream whose draws are fixed by `seed`.
    public init(seed: UInt64 = 0) {
        state = Mutex(State(seed: seed))
    }

    /// The seed the draws' keys were derived from.
    public var currentSeed: UInt64 { state.withLock { $0.seed } }

    /// The shared state variables of the draws made so far, in draw order.
    public var stateVariables: [Shared] { state.withLock { $0.states } }

    /// Reseeds every draw made so far (and those made later): draw `i` gets the key derived
    /// from `(seed, i)` and counter 0, so functions replay the numbers of a fresh stream.
    public func seed(_ seed: UInt64) {
        let states = state.withLock { s in
            s.seed = seed
            return s.states
        }
        for (i, shared) in states.enumerated() {
            shared.storage.setUnchecked(RandomState.initial(seed: seed, draw: UInt64(i)))
        }
    }

    /// A new state variable for the next draw.
    private func newState() -> Shared {
        state.withLock { s in
            let index = s.states.count
            let shared = Shared(RandomState.initial(seed: s.seed, draw: UInt64(index)), name: "rng_state_\(index)")
            s.states.append(shared)
            return shared
        }
    }

    /// Makes a draw of `op` on a new state (inputs after the state are `rest`) and registers
    /// the next state as the state's default update.
    func draw(_ op: some Op, _ rest: [Tensor]) throws -> Tensor {
        _ = try op.makeNode([Variable(type: RandomState.type)] + rest.map(\.variable))  // check before using a draw index
        let state = newState()
        let outputs = try op.applyAll([state] + rest)
        let restVariables = rest.map(\.variable)
        state.storage.defaultUpdate = SharedValue.DefaultUpdate { s in
            try op.makeNode([s] + restVariables).outputs[1]
        }
        return outputs[0]
    }

    // MARK: Distributions

    /// Uniform numbers in [low, high) (with float32, rounding may give `high`): `low` and
    /// `high` are tensors that broadcast against the shape.
    @_disfavoredOverload
    public func uniform(_ shape: [Tensor], low: Tensor = 0, high: Tensor = 1, dtype: DType = .float32) throws -> Tensor {
        let u = try draw(RandomVariable(.uniform, dtype: dtype), randomShape(shape, "uniform"))
        if isConstant(low, 0), isConstant(high, 1) { return u }
        let (l, h) = (try parameter(low, dtype), try parameter(high, dtype))
        return try u * (h - l) + l
    }

    /// Normal numbers with mean `mean` and standard deviation `std` (Box-Muller).
    @_disfavoredOverload
    public func normal(_ shape: [Tensor], mean: Tensor = 0, std: Tensor = 1, dtype: DType = .float32) throws -> Tensor {
        let z = try draw(RandomVariable(.normal, dtype: dtype), randomShape(shape, "normal"))
        return try affine(z, mean: mean, std: std, dtype)
    }

    /// Normal numbers restricted to within two standard deviations of the mean (resampled;
    /// see ``RandomDistribution/truncatedNormal``).
    @_disfavoredOverload
    public func truncatedNormal(_ shape: [Tensor], mean: Tensor = 0, std: Tensor = 1, dtype: DType = .float32) throws -> Tensor {
        let z = try draw(RandomVariable(.truncatedNormal, dtype: dtype), randomShape(shape, "truncatedNormal"))
        return try affine(z, mean: mean, std: std, dtype)
    }

    /// 1 with probability `p`, else 0 (`p` broadcasts against the shape): a float64 uniform
    /// compared with `p`, cast to `dtype`. A constant `p` outside [0, 1] is an error (a
    /// symbolic one is used as it is: below 0 never, above 1 always).
    @_disfavoredOverload
    public func bernoulli(_ shape: [Tensor], p: Tensor, dtype: DType = .int64) throws -> Tensor {
        if let c = p.constantValue, let bad = c.doubles.first(where: { !($0 >= 0 && $0 <= 1) }) {
            throw TheanoError.invalidArgument("bernoulli: p must be in [0, 1], got \(bad)")
        }
        let u = try draw(RandomVariable(.uniform, dtype: .float64), randomShape(shape, "bernoulli"))
        return try cast(u .< p, dtype)
    }

    /// The number of successes in `n` independent trials of probability `p`: the sum of `n`
    /// Bernoulli draws along a new last axis (time and memory grow with `n`).
    @_disfavoredOverload
    public func binomial(_ shape: [Tensor], n: Int, p: Tensor, dtype: DType = .int64) throws -> Tensor {
        guard n >= 0 else { throw TheanoError.invalidArgument("binomial: n must be non-negative, got \(n)") }
        let trials = try bernoulli(shape + [Tensor(shapeConstant(n))], p: p, dtype: .int64)
        return try cast(trials.sum(axis: shape.count), dtype)
    }

    /// Uniform integers in [low, high).
    @_disfavoredOverload
    public func integers(_ shape: [Tensor], low: Int, high: Int, dtype: DType = .int64) throws -> Tensor {
        try draw(RandomVariable(.integers(low: low, high: high), dtype: dtype), randomShape(shape, "integers"))
    }

    /// Indices drawn from `0..<n` (int64), with or without replacement, uniformly or with
    /// probabilities `p` (a vector of length `n`, normalised); see ``RandomChoice``.
    public func choice(_ n: Tensor, size: [Tensor], replace: Bool = true, p: Tensor? = nil) throws -> Tensor {
        let count = try shapeSizeVariable(n, opName: "choice", position: 0)
        var rest = [Tensor(count)] + (try randomShape(size, "choice"))
        if let p { rest.append(p) }
        return try draw(RandomChoice(replace: replace, weighted: p != nil), rest)
    }

    /// Entries of `a` along its first axis drawn with or without replacement (NumPy's
    /// `choice(a, size, replace, p)`): `a.take(choice(a.shape[0], ...), axis: 0)`.
    public func choice(from a: Tensor, size: [Tensor], replace: Bool = true, p: Tensor? = nil) throws -> Tensor {
        guard a.rank >= 1 else { throw TheanoError.invalidArgument("choice(from:): a must have at least one axis, got \(describeVariable(a.variable))") }
        let indices = try choice(a.shapeList()[0], size: size, replace: replace, p: p)
        return try a.take(indices, axis: 0)
    }

    /// A uniform random permutation of `0..<n` (int64).
    public func permutation(_ n: Tensor) throws -> Tensor {
        try choice(n, size: [n], replace: false)
    }

    // MARK: Static shapes

    /// Uniform numbers of a static shape; see ``uniform(_:low:high:dtype:)``.
    public func uniform(_ shape: [Int], low: Tensor = 0, high: Tensor = 1, dtype: DType = .float32) throws -> Tensor {
        try uniform(try staticShape(shape, "uniform"), low: low, high: high, dtype: dtype)
    }

    /// Normal numbers of a static shape; see ``normal(_:mean:std:dtype:)``.
    public func normal(_ shape: [Int], mean: Tensor = 0, std: Tensor = 1, dtype: DType = .float32) throws -> Tensor {
        try normal(try staticShape(shape, "normal"), mean: mean, std: std, dtype: dtype)
    }

    /// Truncated normal numbers of a static shape; see ``truncatedNormal(_:mean:std:dtype:)``.
    public func truncatedNormal(_ shape: [Int], mean: Tensor = 0, std: Tensor = 1, dtype: DType = .float32) throws -> Tensor {
        try truncatedNormal(try staticShape(shape, "truncatedNormal"), mean: mean, std: std, dtype: dtype)
    }

    /// Bernoulli numbers of a static shape; see ``bernoulli(_:p:dtype:)``.
    public func bernoulli(_ shape: [Int], p: Tensor, dtype: DType = .int64) throws -> Tensor {
        try bernoulli(try staticShape(shape, "bernoulli"), p: p, dtype: dtype)
    }

    /// Binomial numbers of a static shape; see ``binomial(_:n:p:dtype:)``.
    public func binomial(_ shape: [Int], n: Int, p: Tensor, dtype: DType = .int64) throws -> Tensor {
        try binomial(try staticShape(shape, "binomial"), n: n, p: p, dtype: dtype)
    }

    /// Integers of a static shape; see ``integers(_:low:high:dtype:)``.
    public func integers(_ shape: [Int], low: Int, high: Int, dtype: DType = .int64) throws -> Tensor {
        try integers(try staticShape(shape, "integers"), low: low, high: high, dtype: dtype)
    }

    // MARK: Helpers

    private func randomShape(_ shape: [Tensor], _ opName: String) throws -> [Tensor] {
        try shapeSizeVariables(shape, opName: opName).map(Tensor.init)
    }

    private func staticShape(_ shape: [Int], _ opName: String) throws -> [Tensor] {
        try shapeConstantVariables(shape, opName: opName).map(Tensor.init)
    }

    private func isConstant(_ t: Tensor, _ value: Double) -> Bool {
        guard let c = t.constantValue, c.count == 1, let x = try? c.item(Double.self) else { return false }
        return x == value
    }

    /// `mean + std * z`, leaving out a zero mean and a unit std.
    private func affine(_ z: Tensor, mean: Tensor, std: Tensor, _ dtype: DType) throws -> Tensor {
        var y = z
        if !isConstant(std, 1) { y = try y * parameter(std, dtype) }
        if !isConstant(mean, 0) { y = try y + parameter(mean, dtype) }
        return y
    }

    /// A distribution parameter in the draw's dtype: constants converted, other tensors cast.
    private func parameter(_ t: Tensor, _ dtype: DType) throws -> Tensor {
        if let c = t.constantValue { return Tensor.constant(c.astype(dtype)) }
        return t.dtype == dtype ? t : try cast(t, dtype)
    }
}

/// A functional draw: the sample of `distribution` of `shape` from `state` and the next
/// state (no shared variable, no default update): thread the state yourself, as with JAX keys.
///
/// ```swift
/// let s = Tensor.vector("s", .int64, size: 2)
/// let (u, next) = try randomDraw(.uniform, state: s, shape: [3])
/// ```
public func randomDraw(_ distribution: RandomDistribution, state: Tensor, shape: [Tensor], dtype: DType = .float32) throws -> (sample: Tensor, state: Tensor) {
    let outputs = try RandomVariable(distribution, dtype: dtype).applyAll([state] + shapeSizeVariables(shape, opName: "randomDraw").map(Tensor.init))
    return (outputs[0], outputs[1])
}
