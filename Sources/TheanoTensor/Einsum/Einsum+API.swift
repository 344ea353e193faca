import TheanoArray
import TheanoGraph

/// Einstein summation (NumPy's `einsum`): `subscripts` names each operand's axes with
/// letters, and the result is the sum, over every index not in the output, of the product of
/// the operands' elements.
///
/// ```swift
/// let c = try einsum("ij,jk->ik", a, b)           // matrix product
/// let t = try einsum("ii", m)                     // trace
/// let d = try einsum("ii->i", m)                  // diagonal
/// let g = try einsum("bij,bjk->bik", x, y)        // batched product
/// let e = try einsum("...ij,...j->...i", m, v)    // broadcast over leading axes
/// ```
///
/// - Without `->` the output is NumPy's implicit one: the `...` axes, then the letters used
///   exactly once, alphabetically.
/// - A letter repeated within one operand takes that operand's diagonal (`"ii->i"`).
/// - `...` stands for the axes not named by letters, aligned from the right and broadcast.
/// - An axis of static size 1 broadcasts against the same letter's other sizes.
///
/// Lowering: each operand's repeated letters become ``diagonal(_:offset:axis1:axis2:)``,
/// letters used by one operand only and not in the output are summed at once, and the
/// operands are contracted two at a time in a greedy order (see ``einsumPath(_:_:)``): a pair
/// without shared output letters is a ``tensordot``, a pair with shared output ("batch")
/// letters a batched ``matmul`` between reshapes, or an elementwise product when nothing is
/// summed. Everything is built from existing ops, so
/// gradients, shape inference and the BLAS rewrites apply as usual.
///
/// - Throws: `invalidArgument` for malformed subscripts (a term count that differs from the
///   operand count, a term that does not match its operand's rank, characters other than
///   letters, an output letter used by no operand or twice, `...` misused);
///   `shapeMismatch` when one letter has different static sizes (other than 1).
public func einsum(_ subscripts: String, _ operands: Tensor...) throws -> Tensor {
    try einsum(subscripts, operands)
}

/// Einstein summation over an array of operands; see ``einsum(_:_:)-(String,Tensor...)``.
public func einsum(_ subscripts: String, _ operands: [Tensor]) throws -> Tensor {
    var plan = try EinsumPlan(subscripts, operands)
    return try plan.run()
}

/// The greedy contraction order `einsum` would use for these operands, as opt_einsum reports a
/// path: each step contracts the operands at two positions of the current list, which then
/// holds the result at its end. Static sizes guide the choice (unknown sizes count as 64).
public func einsumPath(_ subscripts: String, _ operands: [Tensor]) throws -> [(Int, Int)] {
    var plan = try EinsumPlan(subscripts, operands)
    try plan.prepare()
    return plan.path().steps
}

/// An operand on its way through the contraction: a tensor and its axes' labels.
struct EinsumTerm {
    var tensor: Tensor
    var labels: [Character]
}

/// The work of one `einsum` call.
struct EinsumPlan {
    let subscripts: String
    let output: [Character]
    var terms: [EinsumTerm]
    /// The static size of each label (other than 1), where one is known.
    var sizes: [Character: Int] = [:]

    init(_ subscripts: String, _ operands: [Tensor]) throws {
        guard !operands.isEmpty else {
            throw TheanoError.invalidArgument("einsum: needs at least one operand for subscripts \"\(subscripts)\"")
        }
        let spec = try EinsumSubscripts(subscripts, ranks: operands.map(\.rank))
        self.subscripts = subscripts
        self.output = spec.output
        self.terms = zip(operands, spec.inputs).map { EinsumTerm(tensor: $0, labels: $1) }
        try checkSizes()
        try dropBroadcastAxes()
    }

    /// One static size per label: sizes other than 1 must agree.
    private mutating func checkSizes() throws {
        var seen: [Character: (size: Int, operand: Int)] = [:]
        for (position, term) in terms.enumerated() {
            for (axis, label) in term.labels.enumerated() {
                guard let s = term.tensor.staticShape[axis], s != 1 else { continue }
                if let previous = seen[label], previous.size != s {
                    throw TheanoError.shapeMismatch(
                        "einsum: index '\(labelName(label))' has size \(previous.size) in operand \(previous.operand) but \(s) in operand \(position) (\(describeVariable(term.tensor.variable))) for subscripts \"\(subscripts)\"")
                }
                seen[label] = (s, position)
            }
        }
        sizes = seen.mapValues(\.size)
    }

    /// Axes of static size 1 whose letter has another size elsewhere broadcast: they are
    /// dropped (indexed at 0), since their single value serves every position.
    private mutating func dropBroadcastAxes() throws {
        for position in terms.indices {
            var term = terms[position]
            for axis in (0..<term.labels.count).reversed() where term.tensor.staticShape[axis] == 1 {
                let label = term.labels[axis]
                let elsewhere = terms.indices.contains { other in
                    other != position && terms[other].labels.indices.contains { k in
                        terms[other].labels[k] == label && terms[other].tensor.staticShape[k] != 1
                    }
                }
                guard elsewhere else { continue }
                var index: [any TensorIndexConvertible] = Array(repeating: TensorIndex.all, count: term.labels.count)
                index[axis] = 0
                term.tensor = try term.tensor.indexed(index)
                term.labels.remove(at: axis)
            }
            terms[position] = term
        }
    }

    /// A label as users wrote it (ellipsis axes as "...").
    private func labelName(_ label: Character) -> String {
        EinsumSubscripts.isEllipsis(label) ? "..." : String(label)
    }

    /// The contraction order for the current terms.
    func path() -> EinsumPath {
        EinsumPath(labels: terms.map(\.labels), output: output) { label in
            sizes[label].map(Double.init) ?? EinsumPath.unknownSize
        }
    }

    /// Takes each operand's diagonals and sums the letters only it uses.
    mutating func prepare() throws {
        for position in terms.indices {
            terms[position] = try takeDiagonals(terms[position])
        }
        for position in terms.indices {
            let needed = neededLabels(excluding: [position])
            terms[position] = try sumOut(terms[position], keeping: needed)
        }
    }

    /// Builds the result graph.
    mutating func run() throws -> Tensor {
        try prepare()
        for (i, j) in path().steps {
            let kept = EinsumPath.keptLabels(terms.map { Set($0.labels) }, i, j, output: output)
            let result = try contract(terms[i], terms[j], keeping: kept)
            terms.remove(at: j)
            terms.remove(at: i)
            terms.append(result)
        }
        let last = try sumOut(terms[0], keeping: Set(output))
        let order = output.compactMap { last.labels.firstIndex(of: $0) }
        return try transpose(last.tensor, axes: order)
    }

    /// The labels the output and the terms other than `excluded` use.
    private func neededLabels(excluding excluded: Set<Int>) -> Set<Character> {
        var needed = Set(output)
        for (k, term) in terms.enumerated() where !excluded.contains(k) { needed.formUnion(term.labels) }
        return needed
    }

    /// A term whose repeated labels are replaced by diagonals (the diagonal axis goes last).
    private func takeDiagonals(_ term: EinsumTerm) throws -> EinsumTerm {
        var t = term
        while let first = t.labels.indices.first(where: { i in t.labels[(i + 1)...].contains(t.labels[i]) }) {
            let label = t.labels[first]
            guard let second = t.labels[(first + 1)...].firstIndex(of: label) else { break }
            if let n = t.tensor.staticShape[first], let m = t.tensor.staticShape[second], n != m {
                throw TheanoError.shapeMismatch(
                    "einsum: the repeated index '\(label)' of \(describeVariable(term.tensor.variable)) has sizes \(n) and \(m); a diagonal needs equal sizes (subscripts \"\(subscripts)\")")
            }
            t.tensor = try diagonal(t.tensor, axis1: first, axis2: second)
            t.labels = t.labels.enumerated().filter { $0.offset != first && $0.offset != second }.map(\.element) + [label]
        }
        return t
    }

    /// A term with its labels outside `keeping` summed out.
    private func sumOut(_ term: EinsumTerm, keeping: Set<Character>) throws -> EinsumTerm {
        let axes = term.labels.indices.filter { !keeping.contains(term.labels[$0]) }
        guard !axes.isEmpty else { return term }
        return EinsumTerm(tensor: try sum(term.tensor, axes: axes), labels: term.labels.filter { keeping.contains($0) })
    }

    /// The contraction of two terms, keeping the labels in `kept`.
    private func contract(_ first: EinsumTerm, _ second: EinsumTerm, keeping kept: Set<Character>) throws -> EinsumTerm {
        let a = try sumOut(first, keeping: kept.union(second.labels))
        let b = try sumOut(second, keeping: kept.union(first.labels))
        let shared = a.labels.filter { b.labels.contains($0) }
        let batch = shared.filter { kept.contains($0) }
        let summed = shared.filter { !kept.contains($0) }
        let aOnly = a.labels.filter { !b.labels.contains($0) }
        let bOnly = b.labels.filter { !a.labels.contains($0) }
        func axes(_ term: EinsumTerm, _ labels: [Character]) -> [Int] {
            labels.compactMap { term.labels.firstIndex(of: $0) }
        }
        if batch.isEmpty {
            let product = try tensordot(a.tensor, b.tensor, axes: (axes(a, summed), axes(b, summed)))
            return EinsumTerm(tensor: product, labels: aOnly + bOnly)
        }
        if summed.isEmpty {
            // Nothing to sum: an elementwise product, each side given the other's letters as
            // new axes of size 1 (fusable with its neighbours, unlike a matmul with K = 1).
            let left = try transpose(a.tensor, axes: axes(a, batch + aOnly))
            let right = try transpose(b.tensor, axes: axes(b, batch + bOnly))
            let nb = batch.count, na = aOnly.count, nr = bOnly.count
            let leftOrder = Array(0..<(nb + na)) + Array(repeating: DimShuffle.newAxis, count: nr)
            let rightOrder = Array(0..<nb) + Array(repeating: DimShuffle.newAxis, count: na) + Array(nb..<(nb + nr))
            let product = try mul(dimshuffle(left, leftOrder), dimshuffle(right, rightOrder))
            return EinsumTerm(tensor: product, labels: batch + aOnly + bOnly)
        }
        // Batched: [batch, M, K] @ [batch, K, N] with the letters of each group merged.
        let left = try transpose(a.tensor, axes: axes(a, batch + aOnly + summed))
        let right = try transpose(b.tensor, axes: axes(b, batch + summed + bOnly))
        let leftSizes = try left.shapeList()
        let rightSizes = try right.shapeList()
        let nb = batch.count, na = aOnly.count, ns = summed.count
        let batchSizes = Array(leftSizes[..<nb])
        let m = try mergedSize(Array(leftSizes[nb..<(nb + na)]))
        let k = try mergedSize(Array(leftSizes[(nb + na)...]))
        let n = try mergedSize(Array(rightSizes[(nb + ns)...]))
        let product = try matmul(reshape(left, batchSizes + [m, k]), reshape(right, batchSizes + [k, n]))
        let resultSizes = batchSizes + Array(leftSizes[nb..<(nb + na)]) + Array(rightSizes[(nb + ns)...])
        return EinsumTerm(tensor: try reshape(product, resultSizes), labels: batch + aOnly + bOnly)
    }

    /// The product of symbolic sizes, folded to a constant where they are static.
    private func mergedSize(_ sizes: [Tensor]) throws -> Tensor {
        Tensor(try ShapeMath.product(sizes.map(\.variable)))
    }
}
