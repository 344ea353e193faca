import Synchronization
import TheanoArray
import TheanoGraph

/// A loop: Theano's `scan` as one node whose body is an inner graph, run once per step.
///
/// Built by ``scan(_:sequences:outputsInfo:nonSequences:nSteps:goBackwards:truncateGradient:name:)``,
/// which prepares the inputs so that the op itself is simple:
/// - node inputs: the number of steps (an int64 scalar), `sequenceCount` sequences (each read
///   at row `t` at step `t`: a sequence with several taps comes in once per tap, already
///   shifted), one initial buffer per recurrent output (`depth` rows: the values at times
///   `-depth ..< 0`), then the non-sequences (passed unchanged to every step);
/// - body inputs: one row per sequence, the value of every tap of every recurrent output (in
///   output order, each output's taps in order), then the non-sequences;
/// - body outputs: each output's value at this step, then the `until` condition if any (the
///   loop stops after a step whose condition is true);
/// - node outputs: for a recurrent output the initial rows followed by one row per step
///   (`depth + steps` rows, Theano's layout; ``scan`` returns the steps), for an output
///   without feedback one row per step.
///
/// The reference `perform` evaluates the body with the reference interpreter at every step;
/// the CPU backend compiles the body once into a nested program and runs it in a loop, writing
/// each step's outputs into buffers allocated once. The gradient is another (reverse) scan.
public struct Scan: InnerGraphOp {
    final class Definition: @unchecked Sendable {
        let name: String
        let body: InnerGraph
        let sequenceCount: Int
        /// Per output: its taps (negative, increasing), or [] for an output without feedback.
        let taps: [[Int]]
        let nonSequenceCount: Int
        let hasUntil: Bool
        let truncateGradient: Int?
        let outputTypes: [TensorType]
        /// Per output: the last rows the node returns (nil: all). Set by the `scan_save_mem`
        /// rewrite when only those rows are read; the loop then keeps a ring of rows instead
        /// of one row per step.
        let storedRows: [KeptRows?]

        init(name: String, body: InnerGraph, sequenceCount: Int, taps: [[Int]], nonSequenceCount: Int, hasUntil: Bool,
             truncateGradient: Int?, outputTypes: [TensorType], storedRows: [KeptRows?]? = nil) {
            self.name = name
            self.body = body
            self.sequenceCount = sequenceCount
            self.taps = taps
            self.nonSequenceCount = nonSequenceCount
            self.hasUntil = hasUntil
            self.truncateGradient = truncateGradient
            self.outputTypes = outputTypes
            self.storedRows = storedRows ?? Array(repeating: nil, count: taps.count)
        }
    }

    /// The rows an output returns when only its last rows are read: of its rows after the
    /// first `skipping` (initial rows, for readers of the steps only), the last `last` (fewer
    /// when there are fewer).
    public struct KeptRows: Hashable, Sendable, CustomStringConvertible {
        public let last: Int
        public let skipping: Int

        public init(last: Int, skipping: Int = 0) {
            self.last = last
            self.skipping = skipping
        }

        /// How many rows are returned out of `total`.
        func count(of total: Int) -> Int { Swift.max(0, Swift.min(last, total - skipping)) }

        public var description: String { skipping == 0 ? "last \(last)" : "last \(last) after \(skipping)" }
    }

    let definition: Definition

    init(definition: Definition) { self.definition = definition }

    public var description: String {
        let base = definition.name == "scan" ? "Scan" : "Scan{\(definition.name)}"
        let kept = definition.storedRows.enumerated().compactMap { k, m in m.map { "\(k): \($0)" } }
        return kept.isEmpty ? base : base + "[" + kept.joined(separator: ", ") + "]"
    }

    public static func == (a: Scan, b: Scan) -> Bool { a.definition === b.definition }
    public func hash(into hasher: inout Hasher) { hasher.combine(ObjectIdentifier(definition)) }

    public var innerGraphs: [InnerGraph] { [definition.body] }

    /// The loop body.
    public var body: InnerGraph { definition.body }
    /// How many outputs the loop has.
    public var outputCount: Int { definition.taps.count }
    /// Each output's taps ([] for an output without feedback).
    public var taps: [[Int]] { definition.taps }
    /// Whether the body computes an `until` condition.
    public var hasUntil: Bool { definition.hasUntil }
    /// How many steps back the gradient goes (nil: all).
    public var truncateGradient: Int? { definition.truncateGradient }
    /// Per output: how many of its last rows the node returns (nil: all rows).
    public var storedRows: [KeptRows?] { definition.storedRows }

    /// How many rows output `k`'s buffer needs for a loop of `steps` steps: every row, or a
    /// ring holding the rows returned and (for a recurrent output) the rows the taps read plus
    /// the one being written, so a step never overwrites a row it reads.
    func bufferRows(_ k: Int, steps: Int) -> Int {
        let all = depth(k) + steps
        guard let kept = definition.storedRows[k] else { return all }
        return Swift.min(Swift.max(kept.last, depth(k) + 1), all)
    }

    /// The outputs with feedback, in order.
    var recurrent: [Int] { definition.taps.indices.filter { !definition.taps[$0].isEmpty } }
    /// How many initial rows output `k` has (0 without feedback).
    func depth(_ k: Int) -> Int { -(definition.taps[k].min() ?? 0) }

    var sequenceRange: Range<Int> { 1..<(1 + definition.sequenceCount) }
    var initialRange: Range<Int> { sequenceRange.upperBound..<(sequenceRange.upperBound + recurrent.count) }
    package var nonSequenceRange: Range<Int> { initialRange.upperBound..<(initialRange.upperBound + definition.nonSequenceCount) }

    public func replacingInnerGraphs(_ graphs: [InnerGraph]) throws -> Scan {
        let old = definition.body
        guard graphs.count == 1, graphs[0].inputs.count == old.inputs.count, graphs[0].outputs.count == old.outputs.count else {
            throw TheanoError.graph("\(self): the op has one inner graph with \(old.inputs.count) inputs and \(old.outputs.count) outputs")
        }
        for (a, b) in zip(old.inputs + old.outputs, graphs[0].inputs + graphs[0].outputs) where !a.type.isSatisfied(by: b.type) {
            throw TheanoError.typeMismatch("\(self): a replacement body changes the type \(a.type) to \(b.type)")
        }
        let d = definition
        return Scan(definition: Definition(name: d.name, body: graphs[0], sequenceCount: d.sequenceCount, taps: d.taps,
                                           nonSequenceCount: d.nonSequenceCount, hasUntil: d.hasUntil,
                                           truncateGradient: d.truncateGradient, outputTypes: d.outputTypes,
                                           storedRows: d.storedRows))
    }

    public func makeNode(_ inputs: [Variable]) throws -> Apply {
        let expected = nonSequenceRange.upperBound
        guard inputs.count == expected else {
            throw TheanoError.invalidArgument("\(self): expected \(expected) inputs (steps, \(definition.sequenceCount) sequences, \(recurrent.count) initial values, \(definition.nonSequenceCount) non-sequences), got \(inputs.count)")
        }
        guard inputs[0].type.rank == 0, inputs[0].type.dtype == .int64 else {
            throw TheanoError.typeMismatch("\(self): the number of steps must be an int64 scalar, got \(describeVariable(inputs[0]))")
        }
        let bodyInputs = definition.body.inputs
        // Sequences: their rows are the body's first inputs.
        for (i, s) in inputs[sequenceRange].enumerated() {
            let row = bodyInputs[i].type
            guard row.isSatisfied(by: TensorType(s.type.dtype, shape: Array(s.type.shape.dropFirst()))), s.type.rank == row.rank + 1 else {
                throw TheanoError.typeMismatch("\(self): sequence \(i) must have rows of type \(row), got \(describeVariable(s))")
            }
        }
        // Initial buffers: rows of the state's type.
        var tapInput = definition.sequenceCount
        for (r, k) in recurrent.enumerated() {
            let state = bodyInputs[tapInput].type
            let initial = inputs[initialRange.lowerBound + r]
            guard initial.type.rank == state.rank + 1,
                  state.isSatisfied(by: TensorType(initial.type.dtype, shape: Array(initial.type.shape.dropFirst()))) else {
                throw TheanoError.typeMismatch("\(self): the initial value of output \(k) must have rows of type \(state), got \(describeVariable(initial))")
            }
            tapInput += definition.taps[k].count
        }
        for (j, v) in inputs[nonSequenceRange].enumerated() {
            let inner = bodyInputs[tapInput + j].type
            guard inner.isSatisfied(by: v.type) else {
                throw TheanoError.typeMismatch("\(self): non-sequence \(j) must have type \(inner), got \(describeVariable(v))")
            }
        }
        return Apply(op: self, inputs: inputs, outputTypes: definition.outputTypes)
    }

    public func perform(_ node: Apply, _ inputs: [NDArray]) throws -> [NDArray] {
        try run(inputs, allocate: { try NDArray.zeros($0, $1) }) { _, arguments in
            try evaluateGraph(inputs: definition.body.inputs, outputs: definition.body.outputs, values: arguments)
        }
    }

    /// The loop, shared by every backend: `step` runs the body on step `t`'s arguments (values
    /// of the body's input types, with the same shapes at every step once the first step
    /// passed) and returns its outputs (which may be views of the arguments: they are copied
    /// into the output buffers before the next step); `allocate` provides the output buffers,
    /// filled row by row; `recycle` receives each step's results once they are copied (so the
    /// next step can reuse their storage).
    ///
    /// `direct` (optional, loops without `until`) runs the steps after the first on row
    /// addresses instead of arrays, when it accepts the first step's arguments and rows; a step
    /// it declines runs through `step`.
    public func run(_ inputs: [NDArray], allocate: ([Int], DType) throws -> NDArray,
                    recycle: (inout NDArray?) -> Void = { _ in },
                    direct: (any ScanDirectSteps)? = nil,
                    step: (_ t: Int, _ arguments: [NDArray]) throws -> [NDArray]) throws -> [NDArray] {
        let d = definition
        let n = Int(try inputs[0].item(Int64.self))
        guard n >= 0 else {
            throw TheanoError.invalidArgument("\(self): the number of steps must not be negative, got \(n)")
        }
        // Every buffer holds up to `depth + n` rows: that count must fit (sizes come from users).
        _ = try checkedSum([recurrent.map(depth).max() ?? 0, n], context: "\(self): the initial rows plus \(n) steps")
        let sequences = Array(inputs[sequenceRange])
        for (i, s) in sequences.enumerated() where s.shape[0] < n {
            throw TheanoError.shapeMismatch("\(self): sequence \(i) has \(s.shape[0]) rows (shape \(formatShape(s.shape))) but the loop runs \(n) steps")
        }
        let nonSequences = Array(inputs[nonSequenceRange])
        let outputs = d.taps.count
        // Each output's buffer: one row per time, or (outputs whose last rows only are
        // returned) a ring where absolute row `a` lives at `a % rows`.
        let rows = (0..<outputs).map { bufferRows($0, steps: n) }
        func slot(_ k: Int, _ a: Int) -> Int { d.storedRows[k] == nil ? a : a % rows[k] }
        var buffers: [NDArray?] = Array(repeating: nil, count: outputs)
        for (r, k) in recurrent.enumerated() {
            let initial = inputs[initialRange.lowerBound + r]
            let depth = depth(k)
            guard initial.shape[0] == depth else {
                throw TheanoError.shapeMismatch("\(self): the initial value of output \(k) has \(initial.shape[0]) rows (shape \(formatShape(initial.shape))); taps \(d.taps[k]) need \(depth)")
            }
            let buffer = try allocate([rows[k]] + initial.shape.dropFirst(), d.outputTypes[k].dtype)
            try NDArray.assign(initial, into: buffer.slice([.slice(start: 0, stop: depth, step: 1)]))
            buffers[k] = buffer
        }
        var steps = n
        var arguments: [NDArray] = []
        arguments.reserveCapacity(d.body.inputs.count)
        // Per tap of each recurrent output: the output and the tap's offset from the step's row.
        let tapReads: [(k: Int, offset: Int)] = recurrent.flatMap { k in d.taps[k].map { (k, depth(k) + $0) } }
        let depths = (0..<outputs).map(depth)
        var rowAddresses: ScanRowAddresses?
        defer { rowAddresses?.deallocate() }
        var directSteps = 0
        let counter = ScanStepCounter.current
        defer { counter?.add(direct: directSteps, general: steps - directSteps) }
        let direct = counter?.allowsDirectSteps == false ? nil : direct
        for t in 0..<n {
            if let addresses = rowAddresses, let direct {
                addresses.fill(step: t, sequences: sequences, tapReads: tapReads, nonSequences: nonSequences,
                               buffers: buffers, outputRows: { k in slot(k, depths[k] + t) }, slot: slot)
                if direct.run(arguments: UnsafePointer(addresses.arguments.baseAddress!),
                              rows: UnsafePointer(addresses.rows.baseAddress!)) {
                    directSteps += 1
                    continue
                }
            }
            arguments.removeAll(keepingCapacity: true)
            for s in sequences { arguments.append(try s.row(t)) }
            for (k, offset) in tapReads { arguments.append(try buffers[k]!.row(slot(k, t + offset))) }
            for v in nonSequences { arguments.append(v) }
            var results = try step(t, arguments)
            for k in 0..<outputs {
                let value = results[k]
                if buffers[k] == nil {
                    buffers[k] = try allocate([rows[k]] + value.shape, d.outputTypes[k].dtype)
                }
                guard let buffer = buffers[k] else { continue }
                let row = try buffer.row(slot(k, depths[k] + t))
                guard value.shape == row.shape else {
                    throw TheanoError.shapeMismatch("\(self): step \(t): output \(k) has shape \(formatShape(value.shape)), but \(d.taps[k].isEmpty ? "the first step's" : "the state's") rows have shape \(formatShape(row.shape)); every step must produce the same shape")
                }
                try NDArray.assign(value, into: row)
            }
            let stop = d.hasUntil && isTrue(results[outputs])
            if t == 0, n > 1, let direct, !d.hasUntil, rowAddresses == nil,
               (0..<outputs).allSatisfy({ buffers[$0] != nil && rows[$0] > depths[$0] }) {
                let outputRows = try (0..<outputs).map { k in try buffers[k]!.row(slot(k, depths[k])) }
                if direct.prepare(arguments: arguments, rows: outputRows) {
                    rowAddresses = ScanRowAddresses(arguments: arguments.count, rows: outputs)
                }
            }
            while !results.isEmpty {
                var done: NDArray? = results.removeLast()
                recycle(&done)
            }
            if stop {
                steps = t + 1
                break
            }
        }
        return try (0..<outputs).map { k in
            let total = depth(k) + steps
            guard let buffer = buffers[k] else {
                // No step ran: an empty output, unknown sizes taken as 0.
                return try NDArray.zeros([0] + d.outputTypes[k].shape.dropFirst().map { $0 ?? 0 }, d.outputTypes[k].dtype)
            }
            guard let kept = d.storedRows[k] else {
                return buffer.shape[0] == total ? buffer : try buffer.slice([.slice(start: 0, stop: total, step: 1)])
            }
            // The last `count` rows, in order: one slice of the ring, or two pieces copied.
            let count = kept.count(of: total)
            let first = count == 0 ? 0 : slot(k, total - count)
            if first + count <= rows[k] {
                return try buffer.slice([.slice(start: first, stop: first + count, step: 1)])
            }
            let out = try allocate([count] + buffer.shape.dropFirst(), d.outputTypes[k].dtype)
            let head = rows[k] - first
            try NDArray.assign(try buffer.slice([.slice(start: first, stop: rows[k], step: 1)]),
                               into: try out.slice([.slice(start: 0, stop: head, step: 1)]))
            try NDArray.assign(try buffer.slice([.slice(start: 0, stop: count - head, step: 1)]),
                               into: try out.slice([.slice(start: head, stop: count, step: 1)]))
            return out
        }
    }

    public func inferShape(_ node: Apply, _ inputShapes: [[Variable]]) throws -> [[Variable]] {
        let d = definition
        // The body's input shapes in terms of the node's inputs.
        var bodyShapes: [[Variable]] = inputShapes[sequenceRange].map { Array($0.dropFirst()) }
        for (r, k) in recurrent.enumerated() {
            let row = Array(inputShapes[initialRange.lowerBound + r].dropFirst())
            bodyShapes += Array(repeating: row, count: d.taps[k].count)
        }
        bodyShapes += inputShapes[nonSequenceRange]
        let inner = innerOutputShapes(d.body, bodyShapes)
        let steps = node.inputs[0]
        return try node.outputs.enumerated().map { k, out in
            var first: Variable = d.hasUntil ? try ShapeIndex(0).makeNode([out]).output
                : (depth(k) == 0 ? steps : try ShapeMath.add(steps, shapeConstant(depth(k))))
            if let kept = d.storedRows[k], !d.hasUntil {
                let after = kept.skipping == 0 ? Tensor(first) : try maximum(Tensor(first) - Tensor(integerLiteral: kept.skipping), Tensor(integerLiteral: 0))
                first = try minimum(after, Tensor(shapeConstant(kept.last))).variable
            }
            var dims = [first]
            if let r = recurrent.firstIndex(of: k) {
                dims += inputShapes[initialRange.lowerBound + r].dropFirst()
            } else {
                for (axis, dim) in inner[k].enumerated() {
                    dims.append(try dim ?? ShapeIndex(axis + 1).makeNode([out]).output)
                }
            }
            return withStaticSizes(dims, of: out.type)
        }
    }
}

/// A backend's way to run a loop's steps after the first on raw row addresses, without
/// building arrays or walking the body's graph: a body that is one compiled elementwise kernel
/// (a counter, an exponential average) costs a kernel call per step.
public protocol ScanDirectSteps: AnyObject {
    /// Called once, after the first step ran the general way, with that step's arguments and
    /// the output rows it filled (contiguous rows of the loop's buffers). Later steps have the
    /// same shapes and layouts. Returns whether ``run(arguments:rows:)`` can run them.
    func prepare(arguments: [NDArray], rows: [NDArray]) -> Bool

    /// Runs one step: `arguments[i]` is the address of element 0 of the body's argument `i`
    /// for this step, `rows[k]` of output `k`'s row to write. Returns false to have the step
    /// run the general way instead (which then reports the run-time problem).
    func run(arguments: UnsafePointer<UnsafeMutableRawPointer>, rows: UnsafePointer<UnsafeMutableRawPointer>) -> Bool
}

/// Counts how the steps of the loops run while it is bound (`ScanStepCounter.$current.withValue`):
/// on row addresses (``ScanDirectSteps``) or through the general step. For tests and
/// diagnostics; a loop reads the binding once per call.
public final class ScanStepCounter: Sendable {
    @TaskLocal public static var current: ScanStepCounter?

    /// Whether the loops may run steps on row addresses while this counter is bound; false
    /// sends every step the general way (the same kernels, node by node), to compare the two.
    public let allowsDirectSteps: Bool

    private let counts = Mutex((direct: 0, general: 0, plans: 0))

    /// A counter; `allowsDirectSteps: false` also keeps the loops on their general path.
    public init(allowsDirectSteps: Bool = true) {
        self.allowsDirectSteps = allowsDirectSteps
    }

    /// Steps run on row addresses so far.
    public var direct: Int { counts.withLock { $0.direct } }
    /// Steps run the general way so far.
    public var general: Int { counts.withLock { $0.general } }
    /// Plans for direct steps made so far (each traces the body once more on a first step);
    /// a loop called again on the same layouts reuses its plan.
    public var plans: Int { counts.withLock { $0.plans } }

    /// Counts a plan made by a backend's ``ScanDirectSteps``.
    public func addPlan() {
        counts.withLock { $0.plans += 1 }
    }

    func add(direct: Int, general: Int) {
        counts.withLock {
            $0.direct += direct
            $0.general += general
        }
    }
}

/// The row addresses of one step, in memory owned by the loop (no allocation per step).
struct ScanRowAddresses {
    let arguments: UnsafeMutableBufferPointer<UnsafeMutableRawPointer>
    let rows: UnsafeMutableBufferPointer<UnsafeMutableRawPointer>

    init(arguments count: Int, rows outputs: Int) {
        arguments = .allocate(capacity: Swift.max(count, 1))
        rows = .allocate(capacity: Swift.max(outputs, 1))
    }

    func deallocate() {
        arguments.deallocate()
        rows.deallocate()
    }

    /// The addresses of step `t`'s arguments (sequence rows, tap rows, non-sequences, in the
    /// body's order) and output rows.
    func fill(step t: Int, sequences: [NDArray], tapReads: [(k: Int, offset: Int)], nonSequences: [NDArray],
              buffers: [NDArray?], outputRows: (Int) -> Int, slot: (Int, Int) -> Int) {
        var i = 0
        for s in sequences {
            arguments[i] = s.storage.baseAddress + (s.offset + t * s.strides[0]) * s.dtype.byteSize
            i += 1
        }
        for (k, offset) in tapReads {
            let b = buffers[k]!
            arguments[i] = b.storage.baseAddress + (b.offset + slot(k, t + offset) * b.strides[0]) * b.dtype.byteSize
            i += 1
        }
        for v in nonSequences {
            arguments[i] = v.storage.baseAddress + v.offset * v.dtype.byteSize
            i += 1
        }
        for k in buffers.indices {
            let b = buffers[k]!
            rows[k] = b.storage.baseAddress + (b.offset + outputRows(k) * b.strides[0]) * b.dtype.byteSize
        }
    }
}
