import TheanoArray
import TheanoGraph

/// A sequence ``scan(_:sequences:outputsInfo:nonSequences:nSteps:goBackwards:truncateGradient:name:)``
/// walks over, with the taps each step reads: tap `k` at step `t` is row `t + k` (shifted so
/// that the smallest tap reads row 0). A plain ``Tensor`` is a sequence with the tap `[0]`.
public struct ScanSequence: ScanSequenceConvertible {
    public let tensor: Tensor
    public let taps: [Int]

    public init(_ tensor: Tensor, taps: [Int] = [0]) {
        self.tensor = tensor
        self.taps = taps
    }

    public var scanSequence: ScanSequence { self }
}

/// What can be given as a sequence of a scan: a ``Tensor`` (tap 0) or a ``ScanSequence``.
public protocol ScanSequenceConvertible {
    var scanSequence: ScanSequence { get }
}

extension Tensor: ScanSequenceConvertible {
    public var scanSequence: ScanSequence { ScanSequence(self) }
}

/// How a scan output is fed back (Theano's `outputs_info` entries).
///
/// - a ``Tensor`` (or `ScanOutput(initial: x)`): a single recurrent state (*sit-sot*): the
///   step receives the previous value, `x` at the first step;
/// - `ScanOutput(initial: x, taps: [-2, -1])`: several previous values (*mit-sot*): `x` has
///   one row per time before the first step (`x[0]` is time `-2`, `x[1]` time `-1`);
/// - ``none``: no feedback (*nit-sot*): the step's results are only collected.
public struct ScanOutput: ScanOutputConvertible {
    public let initial: Tensor?
    public let taps: [Int]

    public init(initial: Tensor, taps: [Int] = [-1]) {
        self.initial = initial
        self.taps = taps
    }

    init() {
        initial = nil
        taps = []
    }

    public var scanOutput: ScanOutput { self }
}

/// What can describe a scan output: a ``Tensor`` (its initial state) or a ``ScanOutput``.
public protocol ScanOutputConvertible {
    var scanOutput: ScanOutput { get }
}

extension Tensor: ScanOutputConvertible {
    public var scanOutput: ScanOutput { ScanOutput(initial: self) }
}

extension ScanOutputConvertible where Self == ScanOutput {
    /// An output without feedback (Theano's `None`).
    public static var none: ScanOutput { ScanOutput() }
    /// A recurrent output starting from `initial`, reading `taps` previous values.
    public static func initial(_ initial: Tensor, taps: [Int] = [-1]) -> ScanOutput {
        ScanOutput(initial: initial, taps: taps)
    }
}

/// What a scan's step function returns: the step's outputs, in the order of `outputsInfo`;
/// optionally new values for shared variables (each step sees the value the previous step
/// gave; the last one is in ``ScanResult/updates``); and optionally a scalar condition that
/// ends the loop after this step when true (Theano's `until`).
public struct ScanStep {
    public var outputs: [Tensor]
    public var updates: [Shared: Tensor]
    public var until: Tensor?

    public init(_ outputs: [Tensor], updates: [Shared: Tensor] = [:], until: Tensor? = nil) {
        self.outputs = outputs
        self.updates = updates
        self.until = until
    }
}

/// The result of a scan: each output's values stacked over the steps (for a recurrent output,
/// without the initial values), and the shared variables' values after the last step (for
/// the variables the step updates): pass them to `function(_:_:updates:)` to store them.
public struct ScanResult {
    public let outputs: [Tensor]
    public let updates: [Shared: Tensor]

    public subscript(_ k: Int) -> Tensor { outputs[k] }

    /// The only (or first) output.
    public var output: Tensor { outputs[0] }
}

/// A loop over sequences with recurrent state: Theano's `scan`.
///
/// At each step `t` (from 0 to the number of steps), `fn` receives, in this order:
/// 1. for each sequence, for each of its taps `k`: the row `t + k` (shifted so the smallest tap
///    reads row 0; a plain tensor has the tap 0);
/// 2. for each recurrent output (`outputsInfo` entry with an initial value), for each of its
///    taps `k` (negative): the output's value at step `t + k` (the initial value before the
///    first step);
/// 3. the `nonSequences`, unchanged.
///
/// It returns one value per output (the same order as `outputsInfo`; with an empty
/// `outputsInfo` every output is collected without feedback), and optionally an `until`
/// condition (``ScanStep``). `fn` builds a graph once: it runs at build time on symbolic
/// stand-ins, and the loop runs the graph it built. Tensors it reads from outside (weights,
/// shared variables) are passed to the loop as non-sequences automatically.
///
/// Random draws made in the body (``RandomStreams``) give new numbers at every step: the
/// loop carries their states from step to step, and functions compiled from its results store
/// the state after the last step (it becomes the draws' default update), so the next call
/// draws new numbers too. The gradient replays each step's numbers.
///
/// The number of steps is `nSteps` if given (every sequence must be at least that long),
/// else the shortest sequence's length. `goBackwards` walks the sequences from their end
/// (outputs are still stacked in step order). `truncateGradient: k` stops the gradient `k`
/// steps back from the last step (truncated backpropagation through time).
///
/// ```swift
/// // A**k by repeated multiplication.
/// let result = try scan({ a in [a[0] * a[1]] }, outputsInfo: [onesLike(A)], nonSequences: [A], nSteps: k)
/// let power = result.output[-1]
/// ```
///
/// - Throws: at build time, when a sequence has rank 0 or bad taps, an output's taps are not
///   negative, the step returns the wrong number of outputs, or an output's type differs from
///   its initial value's (the error names the output and both types).
public func scan(
    _ fn: ([Tensor]) throws -> ScanStep,
    sequences: [any ScanSequenceConvertible] = [],
    outputsInfo: [any ScanOutputConvertible] = [],
    nonSequences: [Tensor] = [],
    nSteps: Tensor? = nil,
    goBackwards: Bool = false,
    truncateGradient: Int? = nil,
    name: String = "scan"
) throws -> ScanResult {
    let built = try buildScan(fn, sequences: sequences.map(\.scanSequence), outputsInfo: outputsInfo.map(\.scanOutput),
                              nonSequences: nonSequences, nSteps: nSteps, goBackwards: goBackwards,
                              truncateGradient: truncateGradient, name: name)
    return ScanResult(outputs: built.outputs, updates: built.updates)
}

/// ``scan(_:sequences:outputsInfo:nonSequences:nSteps:goBackwards:truncateGradient:name:)``
/// with a step function that returns its outputs only (no `until`).
public func scan(
    _ fn: ([Tensor]) throws -> [Tensor],
    sequences: [any ScanSequenceConvertible] = [],
    outputsInfo: [any ScanOutputConvertible] = [],
    nonSequences: [Tensor] = [],
    nSteps: Tensor? = nil,
    goBackwards: Bool = false,
    truncateGradient: Int? = nil,
    name: String = "scan"
) throws -> ScanResult {
    try scan({ ScanStep(try fn($0)) }, sequences: sequences, outputsInfo: outputsInfo, nonSequences: nonSequences,
             nSteps: nSteps, goBackwards: goBackwards, truncateGradient: truncateGradient, name: name)
}

/// Applies `fn` to every row of the sequences (Theano's `map`): `fn` receives one row per
/// sequence, then the non-sequences, and returns the rows of the results.
public func map(
    _ fn: ([Tensor]) throws -> [Tensor], sequences: [any ScanSequenceConvertible], nonSequences: [Tensor] = [],
    goBackwards: Bool = false, name: String = "map"
) throws -> ScanResult {
    try scan(fn, sequences: sequences, nonSequences: nonSequences, goBackwards: goBackwards, name: name)
}

/// Folds the sequences into the outputs' final values (Theano's `reduce`): a scan that keeps
/// only the last step (the initial value when there is none).
public func reduce(
    _ fn: ([Tensor]) throws -> [Tensor], sequences: [any ScanSequenceConvertible], outputsInfo: [any ScanOutputConvertible],
    nonSequences: [Tensor] = [], goBackwards: Bool = false, name: String = "reduce"
) throws -> ScanResult {
    let built = try buildScan({ ScanStep(try fn($0)) }, sequences: sequences.map(\.scanSequence),
                              outputsInfo: outputsInfo.map(\.scanOutput), nonSequences: nonSequences, nSteps: nil,
                              goBackwards: goBackwards, truncateGradient: nil, name: name)
    return ScanResult(outputs: try built.full.prefix(built.outputs.count).map { try $0[-1] }, updates: built.updates)
}

/// ``reduce(_:sequences:outputsInfo:nonSequences:goBackwards:name:)`` from the first row.
public func foldl(
    _ fn: ([Tensor]) throws -> [Tensor], sequences: [any ScanSequenceConvertible], outputsInfo: [any ScanOutputConvertible],
    nonSequences: [Tensor] = [], name: String = "foldl"
) throws -> ScanResult {
    try reduce(fn, sequences: sequences, outputsInfo: outputsInfo, nonSequences: nonSequences, goBackwards: false, name: name)
}

/// ``reduce(_:sequences:outputsInfo:nonSequences:goBackwards:name:)`` from the last row.
public func foldr(
    _ fn: ([Tensor]) throws -> [Tensor], sequences: [any ScanSequenceConvertible], outputsInfo: [any ScanOutputConvertible],
    nonSequences: [Tensor] = [], name: String = "foldr"
) throws -> ScanResult {
    try reduce(fn, sequences: sequences, outputsInfo: outputsInfo, nonSequences: nonSequences, goBackwards: true, name: name)
}

/// A scan node and its outputs: `full` are the node's outputs (initial rows included),
/// `outputs` the steps only.
struct BuiltScan {
    let node: Apply
    let full: [Tensor]
    let outputs: [Tensor]
    /// Shared variables' values after the last step.
    let updates: [Shared: Tensor]
}

func buildScan(
    _ fn: ([Tensor]) throws -> ScanStep, sequences: [ScanSequence], outputsInfo: [ScanOutput], nonSequences: [Tensor],
    nSteps: Tensor?, goBackwards: Bool, truncateGradient: Int?, name: String
) throws -> BuiltScan {
    if let t = truncateGradient, t < 1 {
        throw TheanoError.invalidArgument("\(name): truncateGradient must be at least 1 (or nil for the full gradient), got \(t)")
    }
    // Sequences: one shifted slice per tap; the body gets a row of each.
    var slices: [Tensor] = []
    var rows: [Variable] = []
    for (i, s) in sequences.enumerated() {
        guard s.tensor.rank >= 1 else {
            throw TheanoError.invalidArgument("\(name): sequence \(i) must have at least one axis to iterate over, got \(describeVariable(s.tensor.variable))")
        }
        guard !s.taps.isEmpty, Set(s.taps).count == s.taps.count else {
            throw TheanoError.invalidArgument("\(name): sequence \(i) must have distinct taps, got \(s.taps)")
        }
        let seq = goBackwards ? try flip(s.tensor, axis: 0) : s.tensor
        let low = Swift.min(s.taps.min() ?? 0, 0), high = Swift.max(s.taps.max() ?? 0, 0)
        for tap in s.taps {
            let start = tap - low
            let slice = try high == tap ? seq[start...] : seq[.slice(start, tap - high)]
            slices.append(slice)
            let rowType = TensorType(s.tensor.dtype, shape: Array(s.tensor.staticShape.dropFirst()))
            rows.append(Variable(type: rowType, name: "\(s.tensor.name ?? "seq\(i)")[t\(tap == 0 ? "" : tap > 0 ? "+\(tap)" : "\(tap)")]"))
        }
    }
    // Recurrent outputs: an initial buffer of `depth` rows; the body gets each tap's value.
    var initials: [Tensor] = []
    var states: [Variable] = []
    var stateTypes: [Int: TensorType] = [:]
    for (k, info) in outputsInfo.enumerated() {
        guard let initial = info.initial else { continue }
        guard !info.taps.isEmpty, info.taps.allSatisfy({ $0 < 0 }), zip(info.taps, info.taps.dropFirst()).allSatisfy({ $0 < $1 }) else {
            throw TheanoError.invalidArgument("\(name): output \(k) must have negative, increasing taps (such as [-1] or [-2, -1]), got \(info.taps)")
        }
        let depth = -info.taps[0]
        let buffer: Tensor
        if info.taps == [-1] {
            buffer = try expandDims(initial, axis: 0)
        } else {
            guard initial.rank >= 1 else {
                throw TheanoError.invalidArgument("\(name): output \(k) has taps \(info.taps), so its initial value needs one row per time before the first step (\(depth) rows); got \(describeVariable(initial.variable))")
            }
            if let rows = initial.staticShape[0], rows < depth {
                throw TheanoError.shapeMismatch("\(name): output \(k) has taps \(info.taps), so its initial value needs \(depth) rows; got \(describeVariable(initial.variable))")
            }
            buffer = try initial[..<depth]
        }
        initials.append(buffer)
        let stateType = TensorType(initial.dtype, shape: Array(buffer.staticShape.dropFirst()))
        stateTypes[k] = stateType
        for tap in info.taps {
            states.append(Variable(type: stateType, name: "\(initial.name ?? "out\(k)")[t\(tap)]"))
        }
    }
    let explicit = nonSequences.map { Variable(type: $0.type, name: $0.name) }

    // The body, built once on the stand-ins.
    let step = try fn((rows + states + explicit).map(Tensor.init))
    var outputs = step.outputs.map(\.variable)
    // Shared variables with a default update that the body reads (the states of random
    // draws): the loop advances them from step to step, as Theano's scan does, so each step
    // draws new numbers; after the loop, their default update is the last step's value.
    var stepUpdates = step.updates
    var advanced: [Shared] = []
    let userStandIns = Set(rows + states + explicit)
    var frontier = outputs + stepUpdates.values.map(\.variable) + (step.until.map { [$0.variable] } ?? [])
    while !frontier.isEmpty {
        let roots = graphRoots(outputs: frontier, stoppingAt: userStandIns)
        frontier = []
        for root in roots {
            guard let storage = root.sharedValue, let builder = storage.defaultUpdate,
                  !stepUpdates.keys.contains(where: { $0.storage === storage }) else { continue }
            let shared = try Shared(sharedVariable: root)
            let update = Tensor(try builder.build(root))
            stepUpdates[shared] = update
            advanced.append(shared)
            frontier.append(update.variable)
        }
    }
    guard !outputs.isEmpty || !stepUpdates.isEmpty else {
        throw TheanoError.invalidArgument("\(name): the step function must return at least one output or update")
    }
    let infos = outputsInfo.isEmpty ? Array(repeating: ScanOutput.none, count: outputs.count) : outputsInfo
    guard infos.count == outputs.count else {
        throw TheanoError.invalidArgument("\(name): the step function returns \(outputs.count) outputs but outputsInfo describes \(infos.count); give one entry per output (ScanOutput.none for an output without feedback)")
    }
    for (k, out) in outputs.enumerated() {
        guard let expected = stateTypes[k] else { continue }
        if out.type.dtype != expected.dtype, out.isWeakConstant {
            outputs[k] = try cast(Tensor(out), expected.dtype).variable
        }
        let got = outputs[k].type
        guard got.dtype == expected.dtype, got.rank == expected.rank, expected.isCompatible(with: got) else {
            throw TheanoError.typeMismatch(
                "\(name): output \(k): the step returns \(got) (\(describeVariable(outputs[k]))) but the initial value in outputsInfo has type \(expected); at every step a recurrent output must keep its initial value's dtype, rank and sizes (cast the initial value or the step's result)")
        }
    }
    // Shared variables the step updates: recurrent states read through the variable itself,
    // carried as extra outputs after the user's.
    let updated = stepUpdates.sorted { ($0.key.name ?? "") < ($1.key.name ?? "") }
    var hiddenStates: [Variable] = []
    for (w, value) in updated {
        let expected = w.type
        let v = value.dtype != expected.dtype && value.variable.isWeakConstant ? try cast(value, expected.dtype) : value
        guard v.dtype == expected.dtype, v.rank == expected.rank, expected.isCompatible(with: v.type) else {
            throw TheanoError.typeMismatch(
                "\(name): the update of shared variable '\(w.name ?? "?")' has type \(v.type) (\(describeVariable(v.variable))) but the variable has type \(expected)")
        }
        stateTypes[outputs.count] = expected
        outputs.append(v.variable)
        initials.append(try expandDims(w, axis: 0))
        hiddenStates.append(w.variable)
    }
    let userOutputs = outputs.count - updated.count
    var until = step.until?.variable
    if let u = until {
        guard u.type.rank == 0 else {
            throw TheanoError.invalidArgument("\(name): the until condition must be a scalar (rank 0), got \(describeVariable(u))")
        }
        if u.isWeakConstant { until = try cast(Tensor(u), .bool).variable }
    }
    let bodyOutputs = outputs + (until.map { [$0] } ?? [])

    // Outer values the body reads (other than constants): implicit non-sequences.
    let standIns = Set(rows + states + hiddenStates + explicit)
    var dependent = standIns
    var free: [Variable] = []
    var seen = Set<Variable>()
    func capture(_ v: Variable) {
        if !dependent.contains(v), v.constantValue == nil, seen.insert(v).inserted { free.append(v) }
    }
    for node in toposort(outputs: bodyOutputs, isStop: { standIns.contains($0) }) {
        if node.inputs.contains(where: dependent.contains) {
            node.outputs.forEach { dependent.insert($0) }
            node.inputs.forEach(capture)
        }
    }
    bodyOutputs.forEach(capture)
    let cloned = try cloneGraph(inputs: rows + states + hiddenStates + explicit + free, outputs: bodyOutputs)
    let body = InnerGraph(name: "body", inputs: cloned.inputs, outputs: cloned.outputs)

    // The number of steps.
    var steps: Tensor
    if let nSteps {
        guard nSteps.rank == 0, nSteps.dtype.isInteger || nSteps.dtype == .bool else {
            throw TheanoError.typeMismatch("\(name): nSteps must be an integer scalar, got \(describeVariable(nSteps.variable))")
        }
        steps = nSteps.dtype == .int64 ? nSteps : try cast(nSteps, .int64)
    } else {
        guard let first = slices.first else {
            throw TheanoError.invalidArgument("\(name): give nSteps or at least one sequence (the number of steps is the shortest sequence's length)")
        }
        steps = try first.shape(0)
        for s in slices.dropFirst() { steps = try minimum(steps, s.shape(0)) }
    }
    let staticSteps: Int? = until == nil ? steps.constantValue.flatMap { try? Int($0.item(Int64.self)) } : nil

    var outputTypes: [TensorType] = []
    var taps: [[Int]] = []
    for (k, out) in outputs.enumerated() {
        if let state = stateTypes[k] {
            let depth = k < userOutputs ? -infos[k].taps[0] : 1
            outputTypes.append(TensorType(state.dtype, shape: [staticSteps.map { $0 + depth }] + state.shape))
            taps.append(k < userOutputs ? infos[k].taps : [-1])
        } else {
            outputTypes.append(TensorType(out.type.dtype, shape: [staticSteps] + out.type.shape))
            taps.append([])
        }
    }
    let op = Scan(definition: Scan.Definition(
        name: name, body: body, sequenceCount: slices.count, taps: taps, nonSequenceCount: explicit.count + free.count,
        hasUntil: until != nil, truncateGradient: truncateGradient, outputTypes: outputTypes))
    let node = try op.makeNode([steps.variable] + slices.map(\.variable) + initials.map(\.variable)
                               + nonSequences.map(\.variable) + free)
    let full = node.outputs.map(Tensor.init)
    let stepsOnly = try full.prefix(userOutputs).enumerated().map { k, t in taps[k].isEmpty ? t : try t[(-taps[k][0])...] }
    var updates: [Shared: Tensor] = [:]
    for (i, (w, _)) in updated.enumerated() { updates[w] = try full[userOutputs + i][-1] }
    for shared in advanced {
        guard let last = updates[shared]?.variable else { continue }
        shared.storage.defaultUpdate = SharedValue.DefaultUpdate { _ in last }
    }
    return BuiltScan(node: node, full: full, outputs: stepsOnly, updates: updates)
}
