import TheanoArray
import TheanoGraph

/// The rewrites of ``Scan`` nodes (Theano's scan optimisations), run as one whole-graph pass
/// (`scan`) after canonicalisation, while loop bodies are still in the form the user and the
/// gradient built them. Each rule is tried on each scan node, in this order, until none
/// applies:
///
/// - `scan_prune`: outputs nobody reads (and that no other output's or `until`'s computation
///   reads through its taps) are not computed; sequences and non-sequences the body no longer
///   reads are not passed; an output that only copies a sequence's rows is that sequence; two
///   outputs without feedback that collect the same body value are one.
/// - `scan_pushout_nonseq`: computations that depend only on non-sequences (and constants)
///   run once before the loop and come in as new non-sequences.
/// - `scan_pushout_add`: an accumulator (`acc_t = acc_{t-1} + f_t`, with `acc` read nowhere
///   else in the body and only its last value used outside) is replaced by `f`'s values
///   collected over the steps and summed after the loop; when `f_t` is a matrix product of
///   values available per step (possibly transposed), the sum is one `tensordot` over the
///   steps and rows (the weight gradients of backpropagation through time become one large
///   product each). Tried before the next rule, which would move the transposes out.
/// - `scan_pushout_seq`: matrix products whose inputs are sequence rows and non-sequences run
///   once over whole sequences before the loop (the `x_t @ Wx` of an RNN becomes one product
///   of the `[T * B, I]` sequence by `Wx`) and come in as new sequences, with the elementwise
///   operations and axis shuffles on rows they read; so do such operations whose result is an
///   output of the body (the loop may then disappear). Elementwise work feeding only the
///   loop's own computation stays inside, fused with it. Not done in loops with `until` (the
///   loop may stop before the sequences end).
/// - `scan_save_mem`: an output whose only readers take one of its last rows (`out[-1]`,
///   `out[-2]`, ...), or that nobody outside reads, keeps a ring of rows instead of one row per
///   step.
///
/// - `scan_merge`: two loops over the same number of steps (the same variable), neither
///   reading the other's results, without `until` and with the same gradient truncation,
///   become one loop computing both bodies at each step.
///
/// Every rule builds a new node and swaps it in; the old one is pruned with its unused inputs.
public enum ScanRewrites {
    /// The pass (a whole-graph transformation named `scan`).
    public static let pass = RewritePass.custom("scan") { graph, context in try run(graph, context) }

    /// The rule names, in the order they are tried; each can be excluded by name.
    public static let ruleNames = rules.map(\.name)

    struct Rule: Sendable {
        let name: String
        /// Applies the rule to one scan node; returns whether it changed the graph.
        let apply: @Sendable (FunctionGraph, Apply, Scan, RewriteContext) throws -> Bool
    }

    static let rules: [Rule] = [
        Rule(name: "scan_prune", apply: prune),
        Rule(name: "scan_pushout_nonseq", apply: pushOutNonSequenceWork),
        Rule(name: "scan_pushout_add", apply: pushOutAccumulators),
        Rule(name: "scan_pushout_seq", apply: pushOutSequenceWork),
        Rule(name: "scan_save_mem", apply: saveMemory),
        Rule(name: "scan_merge", apply: merge),
    ]

    static func run(_ graph: FunctionGraph, _ context: RewriteContext) throws {
        let active = rules.filter { !context.excluded.contains($0.name) }
        guard !active.isEmpty else { return }
        var budget = 64 * Swift.max(1, graph.nodes.count)
        search: while budget > 0 {
            for node in graph.toposort() {
                guard let op = node.op as? Scan else { continue }
                for rule in active {
                    let changed: Bool
                    do { changed = try rule.apply(graph, node, op, context) } catch {
                        try context.ruleFailed(rule.name, node, error)
                        continue
                    }
                    if changed {
                        budget -= 1
                        continue search
                    }
                }
            }
            return
        }
    }

    // MARK: Helpers

    /// Swaps `new`'s outputs in for `old`'s: `mapping[k]` is the new index of old output `k`
    /// (nil for an output dropped, which nobody may read any more).
    static func swap(_ graph: FunctionGraph, _ old: Apply, _ new: Apply, _ mapping: [Int?], _ rule: String,
                     _ context: RewriteContext) throws {
        for (k, target) in mapping.enumerated() {
            guard let target, !graph.clients(of: old.outputs[k]).isEmpty else { continue }
            let replacement = new.outputs[target]
            if let name = old.outputs[k].name, replacement.name == nil { replacement.name = name }
            try graph.replace(old.outputs[k], with: replacement, reason: rule)
            context.trace?.record(rule, before: old.outputs[k], after: replacement)
        }
    }

    /// Whether `v`, read in a body, is a constant (a root that is not one of the body's inputs).
    static func isConstant(_ v: Variable, _ bodyInputs: Set<Variable>) -> Bool {
        v.owner == nil && !bodyInputs.contains(v)
    }

    /// The readers of a scan output that each take one row counted from the end: `out[-i]`
    /// (possibly with more index entries after it), or `out[d:][-i]` (the steps of a
    /// recurrent output, `d` its initial rows). The rows after the first `skipping` of which
    /// the last `last` are read, and the nodes that read them.
    struct LastRowReaders {
        var skipping: Int
        var last: Int
        var readers: [Apply]
    }

    /// The readers of output `v` when all take rows counted from the end (see
    /// ``LastRowReaders``), with at most `depth` rows skipped; nil otherwise.
    static func lastRowReaders(_ graph: FunctionGraph, _ v: Variable, depth: Int) -> LastRowReaders? {
        var result = LastRowReaders(skipping: 0, last: 0, readers: [])
        var skipping: Int?
        func fromEnd(_ client: FunctionGraph.Client) -> Int? {
            guard let reader = client.node, client.index == 0, let sub = reader.op as? Subtensor,
                  case .scalar(.constant(let i))? = sub.entries.first, i < 0 else { return nil }
            return -i
        }
        for client in graph.clients(of: v) {
            if let i = fromEnd(client) {
                guard skipping ?? 0 == 0 else { return nil }
                skipping = 0
                result.last = Swift.max(result.last, i)
                result.readers.append(client.node!)
                continue
            }
            guard let slice = client.node, client.index == 0, slice.inputs.count == 1, let sub = slice.op as? Subtensor,
                  sub.entries.count == 1, case .slice(.constant(let d)?, nil, nil) = sub.entries[0], d >= 0, d <= depth,
                  skipping ?? d == d else { return nil }
            skipping = d
            for inner in graph.clients(of: slice.outputs[0]) {
                guard let i = fromEnd(inner) else { return nil }
                result.last = Swift.max(result.last, i)
                result.readers.append(inner.node!)
            }
        }
        result.skipping = skipping ?? 0
        return result
    }

    /// Outer sequence `s` cut to the loop's steps, with the loop's checks (``LoopRows``).
    static func stepsOf(_ s: Variable, _ parts: ScanParts) throws -> Tensor {
        let index = parts.sequences.firstIndex { $0.outer === s } ?? 0
        let loop = parts.name == "scan" ? "Scan" : "Scan{\(parts.name)}"
        return try LoopRows.rows(of: s, steps: parts.steps, context: "\(loop): sequence \(index)")
    }

    /// A size of a body value as an outer scalar: the static size, or `outerAxis` of `outer`.
    static func size(_ inner: Variable, _ axis: Int, of outer: Tensor, axis outerAxis: Int) throws -> Tensor {
        if let n = inner.type.shape[axis] { return Tensor(integerLiteral: n) }
        return try outer.shape(outerAxis)
    }

    // MARK: scan_prune

    static func prune(_ graph: FunctionGraph, _ node: Apply, _ op: Scan, _ context: RewriteContext) throws -> Bool {
        var parts = ScanParts(node, op)
        // An output that only copies a sequence's rows is that sequence (cut to the steps).
        if parts.until == nil {
            let sequenceOf = Dictionary(parts.sequences.map { ($0.inner, $0.outer) }, uniquingKeysWith: { a, _ in a })
            for (k, output) in parts.outputs.enumerated() where output.taps.isEmpty && output.storedRows == nil {
                guard let s = sequenceOf[output.value], !graph.clients(of: node.outputs[k]).isEmpty else { continue }
                let rows = try stepsOf(s, parts)
                guard node.outputs[k].type.isSatisfied(by: rows.type) else { continue }
                try graph.replace(node.outputs[k], with: rows.variable, reason: "scan_prune")
                context.trace?.record("scan_prune", before: node.outputs[k], after: rows.variable)
                return true
            }
        }
        // Outputs without feedback that collect the same body value are one output (the two
        // weight gradients of an RNN each collected the per-step gradient `g_t`).
        for (j, output) in parts.outputs.enumerated() where output.taps.isEmpty && !graph.clients(of: node.outputs[j]).isEmpty {
            guard let k = (0..<j).first(where: { i in
                let other = parts.outputs[i]
                return other.taps.isEmpty && other.value === output.value && other.storedRows == output.storedRows
                    && node.outputs[i].type == node.outputs[j].type
            }) else { continue }
            try graph.replace(node.outputs[j], with: node.outputs[k], reason: "scan_prune")
            context.trace?.record("scan_prune", before: node.outputs[j], after: node.outputs[k])
            return true
        }
        let count = parts.outputs.count
        var needed = (0..<count).map { !graph.clients(of: node.outputs[$0]).isEmpty }
        guard needed.contains(true) else { return false }
        var ownerOfTap: [Variable: Int] = [:]
        for (k, output) in parts.outputs.enumerated() {
            for v in output.tapInputs { ownerOfTap[v] = k }
        }
        let bodyInputs = Set(parts.bodyInputs)
        var work = (0..<count).filter { needed[$0] }.map { parts.outputs[$0].value } + (parts.until.map { [$0] } ?? [])
        var read = Set<Variable>()
        while let v = work.popLast() {
            for input in graphRoots(outputs: [v], stoppingAt: bodyInputs) where bodyInputs.contains(input) {
                guard read.insert(input).inserted else { continue }
                if let k = ownerOfTap[input], !needed[k] {
                    needed[k] = true
                    work.append(parts.outputs[k].value)
                }
            }
        }
        let keptSequences = parts.sequences.filter { read.contains($0.inner) }
        let keptNonSequences = parts.nonSequences.filter { read.contains($0.inner) }
        guard needed.contains(false) || keptSequences.count < parts.sequences.count
                || keptNonSequences.count < parts.nonSequences.count else { return false }
        var mapping: [Int?] = []
        var next = 0
        for k in 0..<count {
            mapping.append(needed[k] ? next : nil)
            if needed[k] { next += 1 }
        }
        parts.outputs = (0..<count).filter { needed[$0] }.map { parts.outputs[$0] }
        parts.sequences = keptSequences
        parts.nonSequences = keptNonSequences
        try swap(graph, node, try parts.build(), mapping, "scan_prune", context)
        return true
    }

    // MARK: scan_pushout_nonseq

    static func pushOutNonSequenceWork(_ graph: FunctionGraph, _ node: Apply, _ op: Scan, _ context: RewriteContext) throws -> Bool {
        var parts = ScanParts(node, op)
        let bodyInputs = Set(parts.bodyInputs)
        let roots = Set(parts.nonSequences.map(\.inner))
        let outputs = parts.bodyOutputs
        let nodes = toposort(outputs: outputs, stoppingAt: bodyInputs)
        // Values computable before the loop, and which of them depend on a non-sequence.
        var invariant = Set<Variable>()
        var fromNonSequence = Set<Variable>()
        for n in nodes where n.inputs.allSatisfy({ roots.contains($0) || invariant.contains($0) || isConstant($0, bodyInputs) }) {
            let reads = n.inputs.contains { roots.contains($0) || fromNonSequence.contains($0) }
            for out in n.outputs {
                invariant.insert(out)
                if reads { fromNonSequence.insert(out) }
            }
        }
        // The invariant values the rest of the body reads.
        var boundary: [Variable] = []
        var seen = Set<Variable>()
        func add(_ v: Variable) {
            if fromNonSequence.contains(v), seen.insert(v).inserted { boundary.append(v) }
        }
        for n in nodes where !n.outputs.contains(where: invariant.contains) { n.inputs.forEach(add) }
        outputs.forEach(add)
        guard !boundary.isEmpty else { return false }
        let toOuter = Dictionary(parts.nonSequences.map { ($0.inner, $0.outer) }, uniquingKeysWith: { a, _ in a })
        let outside = substituting(boundary, toOuter)
        let fresh = boundary.map { Variable(type: $0.type, name: $0.name) }
        let newOutputs = substituting(outputs, Dictionary(uniqueKeysWithValues: zip(boundary, fresh)))
        for k in parts.outputs.indices { parts.outputs[k].value = newOutputs[k] }
        if parts.until != nil { parts.until = newOutputs.last }
        parts.nonSequences += zip(outside, fresh).map { ScanParts.NonSequence(outer: $0, inner: $1) }
        try swap(graph, node, try parts.build(), Array(0..<parts.outputs.count), "scan_pushout_nonseq", context)
        return true
    }

    // MARK: scan_pushout_seq

    static func pushOutSequenceWork(_ graph: FunctionGraph, _ node: Apply, _ op: Scan, _ context: RewriteContext) throws -> Bool {
        var parts = ScanParts(node, op)
        guard parts.until == nil else { return false }
        let bodyInputs = Set(parts.bodyInputs)
        let sequenceOf = Dictionary(parts.sequences.map { ($0.inner, $0.outer) }, uniquingKeysWith: { a, _ in a })
        let nonSequenceOf = Dictionary(parts.nonSequences.map { ($0.inner, $0.outer) }, uniquingKeysWith: { a, _ in a })
        let outputs = parts.bodyOutputs
        let nodes = toposort(outputs: outputs, stoppingAt: bodyInputs)
        let wanted = worthMoving(nodes, outputs, sequences: Set(sequenceOf.keys), nonSequences: Set(nonSequenceOf.keys),
                                 bodyInputs: bodyInputs)
        for n in nodes where wanted.contains(ObjectIdentifier(n)) {
            guard n.inputs.contains(where: { sequenceOf[$0] != nil }),
                  n.inputs.allSatisfy({ sequenceOf[$0] != nil || nonSequenceOf[$0] != nil || isConstant($0, bodyInputs) }),
                  let whole = try batched(n, parts, sequenceOf, nonSequenceOf) else { continue }
            let row = n.outputs[0]
            guard whole.rank == row.type.rank + 1,
                  row.type.isSatisfied(by: TensorType(whole.dtype, shape: Array(whole.staticShape.dropFirst()))) else { continue }
            let fresh = Variable(type: row.type, name: row.name)
            let newOutputs = substituting(outputs, [row: fresh])
            for k in parts.outputs.indices { parts.outputs[k].value = newOutputs[k] }
            parts.sequences.append(ScanParts.Sequence(outer: whole.variable, inner: fresh))
            try swap(graph, node, try parts.build(), Array(0..<parts.outputs.count), "scan_pushout_seq", context)
            return true
        }
        return false
    }

    /// The body nodes worth running over whole sequences: the ones that can (elementwise
    /// operations, axis shuffles and matrix products on sequence rows, non-sequences,
    /// constants and one another's results) and lead to a matrix product (which becomes one
    /// large product) or to a body output (which then needs no loop), with what they read
    /// among the movable nodes. Elementwise work feeding only the loop's own computation
    /// stays inside, fused with it: moving it out would only add a pass over the sequences.
    static func worthMoving(_ nodes: [Apply], _ outputs: [Variable], sequences: Set<Variable>, nonSequences: Set<Variable>,
                            bodyInputs: Set<Variable>) -> Set<ObjectIdentifier> {
        var perRow = Set<Variable>()  // values computed from rows, non-sequences and constants
        var movable: [Apply] = []
        for n in nodes where n.outputs.count == 1 && (n.op is Elemwise || n.op is DimShuffle || n.op is MatMul) {
            let reads = n.inputs.allSatisfy {
                sequences.contains($0) || nonSequences.contains($0) || perRow.contains($0) || isConstant($0, bodyInputs)
            }
            guard reads, n.inputs.contains(where: { sequences.contains($0) || perRow.contains($0) }) else { continue }
            perRow.insert(n.outputs[0])
            movable.append(n)
        }
        let results = Set(outputs)
        var wanted = Set<ObjectIdentifier>()
        var work = movable.filter { $0.op is MatMul || results.contains($0.outputs[0]) }
        while let n = work.popLast() {
            guard wanted.insert(ObjectIdentifier(n)).inserted else { continue }
            for v in n.inputs where perRow.contains(v) {
                if let owner = v.owner { work.append(owner) }
            }
        }
        return wanted
    }

    /// Node `n` of a body applied to whole sequences at once (rows in step order), or nil for
    /// a node this rule does not batch.
    static func batched(_ n: Apply, _ parts: ScanParts, _ sequenceOf: [Variable: Variable],
                        _ nonSequenceOf: [Variable: Variable]) throws -> Tensor? {
        // An input with a leading axis over the steps: the sequence cut to the steps, or the
        // value broadcast along a new axis.
        func stacked(_ v: Variable) throws -> Variable {
            if let s = sequenceOf[v] { return try stepsOf(s, parts).variable }
            return try expandDims(Tensor(nonSequenceOf[v] ?? v), axis: 0).variable
        }
        switch n.op {
        case let e as Elemwise:
            return Tensor(try e.makeNode(try n.inputs.map(stacked)).outputs[0])
        case let shuffle as DimShuffle:
            guard let s = sequenceOf[n.inputs[0]] else { return nil }
            let order = [0] + shuffle.order.map { $0 == DimShuffle.newAxis ? DimShuffle.newAxis : $0 + 1 }
            return Tensor(try DimShuffle(inputRank: shuffle.inputRank + 1, order: order).makeNode([s]).outputs[0])
        case is MatMul:
            let (a, b) = (n.inputs[0], n.inputs[1])
            guard a.type.rank == 2, b.type.rank == 2 else { return nil }
            if let s = sequenceOf[a], sequenceOf[b] == nil {
                // Rows of all steps in one product: [T * M, K] @ [K, N], then [T, M, N].
                let x = try stepsOf(s, parts)
                let w = Tensor(nonSequenceOf[b] ?? b)
                let flat = try reshape(x, [Tensor(integerLiteral: -1), try size(a, 1, of: x, axis: 2)])
                let product = try matmul(flat, w)
                return try reshape(product, [Tensor(parts.steps), try size(a, 0, of: x, axis: 1), try size(b, 1, of: w, axis: 1)])
            }
            if let s = sequenceOf[b], sequenceOf[a] == nil {
                return try matmul(Tensor(nonSequenceOf[a] ?? a), try stepsOf(s, parts))
            }
            return nil
        default:
            return nil
        }
    }

    // MARK: scan_pushout_add

    static func pushOutAccumulators(_ graph: FunctionGraph, _ node: Apply, _ op: Scan, _ context: RewriteContext) throws -> Bool {
        let parts = ScanParts(node, op)
        guard parts.until == nil else { return false }
        let bodyInputs = Set(parts.bodyInputs)
        let sequenceOf = Dictionary(parts.sequences.map { ($0.inner, $0.outer) }, uniquingKeysWith: { a, _ in a })
        for (k, output) in parts.outputs.enumerated() {
            guard output.taps == [-1], output.storedRows == nil, let initial = output.initial,
                  let read = lastRowReaders(graph, node.outputs[k], depth: 1),
                  read.skipping == 0, read.last == 1, !read.readers.isEmpty else { continue }
            let acc = output.tapInputs[0]
            guard let add = output.value.owner, let e = add.op as? Elemwise, e.scalar == .add, add.inputs.count == 2,
                  let side = add.inputs.firstIndex(where: { $0 === acc }) else { continue }
            let f = add.inputs[1 - side]
            guard f !== acc, f.type.dtype == output.value.type.dtype, f.type.rank == output.value.type.rank else { continue }
            // `acc` is read by this addition only.
            let others = parts.bodyOutputs.enumerated().filter { $0.offset != k }.map(\.element) + [f]
            guard !others.contains(where: { parts.depends($0, on: [acc]) }) else { continue }

            // What the loop collects instead, and how the total is formed from it after the loop.
            var collected: [Variable] = []
            enum Piece { case sequence(Tensor), collected(Int) }
            func perStep(_ v: Variable) throws -> Piece? {
                if let s = sequenceOf[v] { return .sequence(try stepsOf(s, parts)) }
                // Collected values need static shapes: a loop that runs no step must still
                // return rows of the right size.
                guard !bodyInputs.contains(v), !isConstant(v, bodyInputs), !v.type.shape.contains(nil) else { return nil }
                collected.append(v)
                return .collected(collected.count - 1)
            }
            // A product of two per-step matrices sums over the steps as one contraction.
            var product: (p: Piece, pAxis: Int, q: Piece, qAxis: Int)?
            if let mm = f.owner, mm.op is MatMul, mm.inputs[0].type.rank == 2, mm.inputs[1].type.rank == 2 {
                var (p, pAxis) = (mm.inputs[0], 2)
                var (q, qAxis) = (mm.inputs[1], 1)
                if let t = p.owner, let s = t.op as? DimShuffle, s.inputRank == 2, s.order == [1, 0] { (p, pAxis) = (t.inputs[0], 1) }
                if let t = q.owner, let s = t.op as? DimShuffle, s.inputRank == 2, s.order == [1, 0] { (q, qAxis) = (t.inputs[0], 2) }
                let saved = collected
                if let pp = try perStep(p), let qq = try perStep(q) {
                    product = (pp, pAxis, qq, qAxis)
                } else {
                    collected = saved
                }
            }
            var single: Piece?
            if product == nil {
                guard let piece = try perStep(f) else { continue }
                single = piece
            }

            let types = collected.map { parts.stackedType($0) }
            var newParts = parts
            newParts.outputs.remove(at: k)
            newParts.outputs += zip(collected, types).map {
                ScanParts.Output(taps: [], initial: nil, tapInputs: [], value: $0, type: $1, storedRows: nil)
            }
            let newNode = try newParts.build()
            let firstCollected = parts.outputs.count - 1
            func value(_ piece: Piece) -> Tensor {
                switch piece {
                case .sequence(let t): return t
                case .collected(let i): return Tensor(newNode.outputs[firstCollected + i])
                }
            }
            let total: Tensor
            if let product {
                total = try tensordot(value(product.p), value(product.q), axes: ([0, product.pAxis], [0, product.qAxis]))
            } else if let single {
                total = try sum(value(single), axis: 0)
            } else {
                continue
            }
            let final = try Tensor(initial)[0] + total
            guard final.dtype == output.value.type.dtype else { continue }
            // The readers of the last row get the total; the other outputs move to the new node.
            for reader in read.readers {
                let whole = (reader.op as? Subtensor)?.entries.count == 1
                let replacement = whole ? final
                    : Tensor(try reader.op.makeNode([try expandDims(final, axis: 0).variable] + reader.inputs.dropFirst()).outputs[0])
                try graph.replace(reader.outputs[0], with: replacement.variable, reason: "scan_pushout_add")
                context.trace?.record("scan_pushout_add", before: reader.outputs[0], after: replacement.variable)
            }
            let mapping: [Int?] = (0..<parts.outputs.count).map { $0 == k ? nil : ($0 < k ? $0 : $0 - 1) }
            try swap(graph, node, newNode, mapping, "scan_pushout_add", context)
            return true
        }
        return false
    }

    // MARK: scan_save_mem

    static func saveMemory(_ graph: FunctionGraph, _ node: Apply, _ op: Scan, _ context: RewriteContext) throws -> Bool {
        var parts = ScanParts(node, op)
        var changed: [Int: [Apply]] = [:]
        for (k, output) in parts.outputs.enumerated() where output.storedRows == nil {
            guard let read = lastRowReaders(graph, node.outputs[k], depth: output.depth) else { continue }
            var kept = Scan.KeptRows(last: read.last, skipping: read.skipping)
            if read.readers.isEmpty {
                // Read only by the loop itself (through its taps).
                guard !output.taps.isEmpty else { continue }
                kept = Scan.KeptRows(last: 1)
            }
            let rows = output.type.shape[0]
            if let rows, rows - kept.skipping <= kept.last { continue }
            parts.outputs[k].storedRows = kept
            parts.outputs[k].type = TensorType(output.type.dtype, shape: [rows.map { kept.count(of: $0) }] + output.type.shape.dropFirst())
            changed[k] = read.readers
        }
        guard !changed.isEmpty else { return false }
        let newNode = try parts.build()
        for (k, readers) in changed {
            for reader in readers {
                let read = try reader.op.makeNode([newNode.outputs[k]] + reader.inputs.dropFirst())
                for (old, new) in zip(reader.outputs, read.outputs) where graph.contains(old) {
                    try graph.replace(old, with: new, reason: "scan_save_mem")
                    context.trace?.record("scan_save_mem", before: old, after: new)
                }
            }
        }
        let mapping: [Int?] = (0..<parts.outputs.count).map { changed[$0] == nil ? $0 : nil }
        try swap(graph, node, newNode, mapping, "scan_save_mem", context)
        return true
    }

    // MARK: scan_merge

    static func merge(_ graph: FunctionGraph, _ node: Apply, _ op: Scan, _ context: RewriteContext) throws -> Bool {
        guard !op.hasUntil else { return false }
        for other in graph.toposort() where other !== node {
            guard let second = other.op as? Scan, !second.hasUntil, other.inputs[0] === node.inputs[0],
                  second.truncateGradient == op.truncateGradient else { continue }
            // Neither may read the other's results.
            let beforeOther = toposort(outputs: other.inputs)
            let beforeNode = toposort(outputs: node.inputs)
            guard !beforeOther.contains(where: { $0 === node }), !beforeNode.contains(where: { $0 === other }) else { continue }
            var parts = ScanParts(node, op)
            let more = ScanParts(other, second)
            // Sequences both read come in once: the second body's row is the first's.
            var rename: [Variable: Variable] = [:]
            for s in more.sequences {
                if let same = parts.sequences.first(where: { $0.outer === s.outer }) {
                    rename[s.inner] = same.inner
                } else {
                    parts.sequences.append(s)
                }
            }
            var added = more.outputs
            if !rename.isEmpty {
                let values = substituting(added.map(\.value), rename)
                for k in added.indices { added[k].value = values[k] }
            }
            let firstCount = parts.outputs.count
            parts.outputs += added
            parts.nonSequences += more.nonSequences
            if op.definition.name != second.definition.name { parts.name = op.definition.name + "+" + second.definition.name }
            let merged = try parts.build()
            try swap(graph, node, merged, Array(0..<firstCount), "scan_merge", context)
            try swap(graph, other, merged, Array(firstCount..<(firstCount + added.count)), "scan_merge", context)
            return true
        }
        return false
    }
}
