import TheanoArray
import TheanoGraph

/// A loop whose gradient keeps only every `saveEveryN`-th state and recomputes the steps in
/// between (Theano's `scan_checkpoints`): memory for the stored states falls from `T` rows to
/// about `T / N + N` (the checkpoints, plus one block recomputed at a time while
/// differentiating), for about one more forward pass of work.
///
/// It is a scan over blocks of `saveEveryN` steps whose body is a scan over the block's steps
/// (the last block may be shorter). `fn` receives, as with ``scan(_:sequences:outputsInfo:nonSequences:nSteps:goBackwards:truncateGradient:name:)``,
/// one row per sequence, the previous value of each output, then the non-sequences; every
/// output is recurrent with the tap -1 and every sequence has the tap 0.
///
/// Returns each output's values after every `saveEveryN`-th step, and after the last step
/// (`ceil(T / saveEveryN)` rows): the last row is the final state.
///
/// ```swift
/// let states = try scanCheckpoints({ a in [try tanh(a[0].matmul(wx) + a[1].matmul(wh))] },
///                                  sequences: [x], outputsInfo: [h0], saveEveryN: 10)
/// let loss = try (states.output[-1] ** 2).sum()   // gradients recompute 10 steps at a time
/// ```
///
/// - Throws: at build time when `saveEveryN < 1`, no output is given, or the step function
///   returns a different number of outputs than `outputsInfo` has (as `scan`).
public func scanCheckpoints(
    _ fn: ([Tensor]) throws -> [Tensor],
    sequences: [Tensor] = [],
    outputsInfo: [Tensor],
    nonSequences: [Tensor] = [],
    nSteps: Tensor? = nil,
    saveEveryN: Int,
    name: String = "scan_checkpoints"
) throws -> ScanResult {
    guard saveEveryN >= 1 else {
        throw TheanoError.invalidArgument("\(name): saveEveryN must be at least 1, got \(saveEveryN)")
    }
    guard !outputsInfo.isEmpty else {
        throw TheanoError.invalidArgument("\(name): give at least one recurrent output (an initial value in outputsInfo)")
    }
    for (i, s) in sequences.enumerated() where s.rank < 1 {
        throw TheanoError.invalidArgument("\(name): sequence \(i) must have at least one axis to iterate over, got \(describeVariable(s.variable))")
    }
    // The number of steps and of blocks.
    var steps: Tensor
    if let nSteps {
        guard nSteps.rank == 0, nSteps.dtype.isInteger else {
            throw TheanoError.typeMismatch("\(name): nSteps must be an integer scalar, got \(describeVariable(nSteps.variable))")
        }
        steps = nSteps.dtype == .int64 ? nSteps : try cast(nSteps, .int64)
    } else {
        guard let first = sequences.first else {
            throw TheanoError.invalidArgument("\(name): give nSteps or at least one sequence (the number of steps is the shortest sequence's length)")
        }
        steps = try first.shape(0)
        for s in sequences.dropFirst() { steps = try minimum(steps, s.shape(0)) }
    }
    let n = Tensor(integerLiteral: saveEveryN)
    let blocks = try floorDivide(steps + (n - 1), n)

    // Each block reads its rows of the sequences (cut to the steps, with the loop's checks)
    // as views: no padded copy.
    let whole: [Tensor] = try sequences.enumerated().map { i, s in
        try LoopRows.rows(of: s.variable, steps: steps.variable, context: "\(name): sequence \(i)")
    }
    let sequenceCount = sequences.count
    let outputCount = outputsInfo.count
    return try scan({ a in
        let block = a[0]
        let states = Array(a[1..<(1 + outputCount)])
        let fixed = Array(a[(1 + outputCount)..<(1 + outputCount + nonSequences.count)])
        let all = Array(a[(1 + outputCount + nonSequences.count)...])
        let start = try block * n
        let inBlock = try minimum(n, steps - start)
        let rows = try all.prefix(sequenceCount).map { try $0[.symbolicSlice(start, start + inBlock)] }
        let inner = try scan({ b in try fn(b) }, sequences: rows, outputsInfo: states, nonSequences: fixed,
                             nSteps: inBlock, name: name + "_block")
        return try inner.outputs.map { try $0[-1] }
    }, sequences: [try arange(blocks)], outputsInfo: outputsInfo, nonSequences: nonSequences + whole, name: name)
}
