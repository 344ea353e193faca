import TheanoArray
import TheanoGraph

extension Scan {
    /// Backpropagation through time, as another scan that walks the steps backwards.
    ///
    /// At backward step `s` (forward step `s`, from the last to the first), the body's
    /// vector-Jacobian product is taken at that step's inputs (the sequences' rows, the states'
    /// values read from the forward outputs, the non-sequences) with, for each output, its
    /// own gradient at `s` plus what later steps sent back to it. The state carried backwards
    /// for a recurrent output with `depth` taps is the gradient collected so far for its
    /// values at `s - depth + 1 ... s`; after the first step it is the initial value's
    /// gradient. Non-sequences' gradients are summed over the steps; sequences get one row per
    /// step. With `truncateGradient: k`, only the last `k` steps are walked.
    public func pullback(_ node: Apply, _ outputGradients: [Variable?]) throws -> [Variable?] {
        let d = definition
        if let k = d.storedRows.firstIndex(where: { $0 != nil }) {
            throw TheanoError.graph("\(self): output \(k) keeps only its last rows (the scan_save_mem rewrite made it so while compiling); differentiate the graph before compiling it")
        }
        let outputCount = d.taps.count
        let seqs = node.inputs[sequenceRange].map(Tensor.init)
        let inits = node.inputs[initialRange].map(Tensor.init)
        let nonSeqs = node.inputs[nonSequenceRange].map(Tensor.init)
        let full = node.outputs.map(Tensor.init)
        let isFloat = d.outputTypes.map(\.dtype.isFloatingPoint)
        let grads: [Tensor?] = outputGradients.enumerated().map { k, g in isFloat[k] ? g.map(Tensor.init) : nil }
        let none = [Variable?](repeating: nil, count: node.inputs.count)
        guard grads.contains(where: { $0 != nil }) else { return none }

        // The steps that ran, and the ones the gradient walks: [start, steps).
        let steps: Tensor
        if !d.hasUntil {
            steps = Tensor(node.inputs[0])
        } else if let k = d.taps.indices.first(where: { d.taps[$0].isEmpty }) {
            steps = try full[k].shape(0)
        } else {
            steps = try full[recurrent[0]].shape(0) - Tensor(integerLiteral: depth(recurrent[0]))
        }
        let walked = try d.truncateGradient.map { try minimum(steps, Tensor(integerLiteral: $0)) } ?? steps
        let start = try steps - walked
        func window(_ x: Tensor, _ offset: Int) throws -> Tensor {
            if offset == 0 { return try x[.symbolicSlice(start, steps)] }
            let o = Tensor(integerLiteral: offset)
            return try x[.symbolicSlice(start + o, steps + o)]
        }

        // The backward scan's sequences: the forward sequences, every state tap's values, the
        // output gradients.
        var tapOffsets: [Int: Int] = [:]
        var totalTaps = 0
        var backwardSequences: [Tensor] = try seqs.map { try window($0, 0) }
        for k in recurrent {
            tapOffsets[k] = totalTaps
            totalTaps += d.taps[k].count
            for tap in d.taps[k] { backwardSequences.append(try window(full[k], depth(k) + tap)) }
        }
        let gradOutputs = (0..<outputCount).filter { grads[$0] != nil }
        // The gradient of the steps ``scan`` returns (`full[depth...]`) is zeros with the steps'
        // gradient added after the initial rows: read the steps' gradient itself (the initial
        // rows then get nothing directly), not a full-size copy of it.
        var stepGradients: [Int: Tensor] = [:]
        for k in gradOutputs { stepGradients[k] = Scan.stepsPart(grads[k]!, depth: depth(k)) }
        for k in gradOutputs {
            backwardSequences.append(try stepGradients[k].map { try window($0, 0) } ?? window(grads[k]!, depth(k)))
        }
        // The step's own outputs, read back as well: a gradient that uses an output (tanh's
        // reads its result) takes the stored value instead of computing the body again.
        let recordedOutputs = (0..<outputCount).filter { isFloat[$0] && d.body.outputs[$0].owner != nil }
        for k in recordedOutputs { backwardSequences.append(try window(full[k], depth(k))) }

        // Its outputs: the carried gradients of float states, the sums for float
        // non-sequences, the rows for float sequences.
        let floatRecurrent = recurrent.filter { isFloat[$0] }
        let floatNonSeqs = nonSeqs.indices.filter { nonSeqs[$0].dtype.isFloatingPoint }
        let floatSeqs = seqs.indices.filter { seqs[$0].dtype.isFloatingPoint }
        var infos: [ScanOutput] = []
        for k in floatRecurrent {
            guard let r = recurrent.firstIndex(of: k) else { continue }
            infos.append(ScanOutput(initial: try zerosLike(inits[r])))
        }
        for j in floatNonSeqs { infos.append(ScanOutput(initial: try zerosLike(nonSeqs[j]))) }
        for _ in floatSeqs { infos.append(ScanOutput.none) }

        let body = d.body
        let sequenceCount = d.sequenceCount
        let built = try buildScan({ a in
            var i = 0
            func take(_ n: Int) -> [Tensor] {
                defer { i += n }
                return Array(a[i..<(i + n)])
            }
            let rows = take(sequenceCount), states = take(totalTaps), gradRows = take(gradOutputs.count)
            let recorded = take(recordedOutputs.count)
            let carried = take(floatRecurrent.count), sums = take(floatNonSeqs.count), fixed = take(nonSeqs.count)
            let stepInputs = rows + states + fixed
            let mapping = Dictionary(uniqueKeysWithValues: zip(body.inputs, stepInputs.map(\.variable)))
            let outs = substituting(Array(body.outputs[0..<outputCount]), mapping).map(Tensor.init)
            var known: [Tensor: Tensor] = [:]
            func seed(_ k: Int, _ g: Tensor) throws {
                guard isFloat[k] else { return }
                known[outs[k]] = try known[outs[k]].map { try $0 + g } ?? g
            }
            for (j, k) in gradOutputs.enumerated() { try seed(k, gradRows[j]) }
            for (r, k) in floatRecurrent.enumerated() { try seed(k, try carried[r][depth(k) - 1]) }
            let wrt = stepInputs.filter { $0.dtype.isFloatingPoint }
            var g = known.isEmpty || wrt.isEmpty ? try wrt.map { try zerosLike($0) }
                : try grad(nil, wrt: wrt, disconnected: .zero, knownGrads: known)
            let stored = Dictionary(zip(recordedOutputs.map { outs[$0].variable }, recorded.map(\.variable)),
                                    uniquingKeysWith: { a, _ in a })
            g = substituting(g.map(\.variable), stored).map(Tensor.init)
            let gradientOf = Dictionary(uniqueKeysWithValues: zip(wrt, g))
            func gradient(_ v: Tensor) throws -> Tensor { try gradientOf[v] ?? zerosLike(v) }

            var results: [Tensor] = []
            for (r, k) in floatRecurrent.enumerated() {
                let depth = depth(k), acc = carried[r]
                var newRows: [Tensor] = []
                for row in 0..<depth {
                    var value = row >= 1 ? try acc[row - 1] : try zerosLike(acc[0])
                    if let t = d.taps[k].firstIndex(of: row - depth), let offset = tapOffsets[k] {
                        value = try value + gradient(states[offset + t])
                    }
                    newRows.append(value)
                }
                results.append(depth == 1 ? try expandDims(newRows[0], axis: 0) : try stack(newRows, axis: 0))
            }
            for (m, j) in floatNonSeqs.enumerated() { results.append(try sums[m] + gradient(fixed[j])) }
            for i in floatSeqs { results.append(try gradient(rows[i])) }
            return ScanStep(results)
        }, sequences: backwardSequences.map { ScanSequence($0) }, outputsInfo: infos, nonSequences: nonSeqs,
           nSteps: walked, goBackwards: true, truncateGradient: nil, name: d.name == "scan" ? "scan_grad" : d.name + "_grad")

        var result = none
        let back = built.full
        for (m, i) in floatSeqs.enumerated() {
            // Rows in backward order, for the forward steps start ..< steps.
            let back = back[floatRecurrent.count + floatNonSeqs.count + m]
            let rows = try flip(back, axis: 0)
            let placed = try setSubtensor(zerosLike(seqs[i])[.symbolicSlice(start, steps)], rows)
            // Without steps the collected rows have no row shape to go by: zeros then (lazily,
            // so the placement never runs on them).
            let zeros = try zerosLike(seqs[i])
            result[sequenceRange.lowerBound + i] = try IfElse.build(
                condition: (walked .> Tensor(integerLiteral: 0)).variable, then: [placed.variable], else: [zeros.variable],
                stop: [back.variable, seqs[i].variable, start.variable, steps.variable], name: "scan_grad_rows")[0]
        }
        for (r, k) in recurrent.enumerated() {
            guard let m = floatRecurrent.firstIndex(of: k) else { continue }
            var g = try back[m][-1]
            if d.truncateGradient != nil {
                // Truncated before the first step: the initial value gets nothing through the loop.
                g = try `where`(start .== Tensor(integerLiteral: 0), g, zerosLike(g))
            }
            if let direct = grads[k], stepGradients[k] == nil { g = try g + direct[..<depth(k)] }
            result[initialRange.lowerBound + r] = g.variable
        }
        for (m, j) in floatNonSeqs.enumerated() {
            result[nonSequenceRange.lowerBound + j] = try back[floatRecurrent.count + m][-1].variable
        }
        return result
    }

    /// `y` when `g` is `IncSubtensor{depth:}(zeros, y)` with `y` covering every row after the
    /// first `depth` (no broadcasting), else nil.
    static func stepsPart(_ g: Tensor, depth: Int) -> Tensor? {
        guard depth > 0, let node = g.variable.owner, let inc = node.op as? IncSubtensor, node.inputs.count == 2,
              inc.entries == [.slice(start: .constant(depth), stop: nil, step: nil)],
              let zero = node.inputs[0].owner, zero.op is Alloc, uniformConstant(zero.inputs[0]) == 0 else { return nil }
        let y = node.inputs[1]
        guard y.type.dtype == g.dtype, y.type.rank == g.rank, y.type.shape[0] != 1 else { return nil }
        for axis in 1..<g.rank where y.type.shape[axis] == 1 && g.staticShape[axis] != 1 { return nil }
        return Tensor(y)
    }
}
