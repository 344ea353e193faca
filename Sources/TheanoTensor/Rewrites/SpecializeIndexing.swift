import TheanoArray
import TheanoGraph

/// Specialisation of indexing: basic indexing moves below the ops that compute the indexed
/// array, so only the selected part is computed.
public enum SpecializeIndexing {
    /// `f(x, y)[index]` -> `f(x[index], y[index])` for an elementwise `f` read only by the
    /// indexing: `exp(x)[i]` -> `exp(x[i])`.
    ///
    /// An operand that broadcasts on an indexed axis (static size 1 where the result's size is
    /// not 1) is indexed at 0 for an integer index and kept whole for a slice, so it still
    /// broadcasts: `(x + row)[i]` with `row` of shape `[1, n]` -> `x[i] + row[0]`.
    public static let subtensorOfElemwise = rule("subtensor_of_elemwise", tracks: [Subtensor.self]) { graph, node in
        guard let op = node.op as? Subtensor, let inner = node.inputs[0].owner, let scalar = scalarOp(inner),
              hasSingleClient(node.inputs[0], in: graph) else { return nil }
        let x = node.inputs[0]
        let indexInputs = Array(node.inputs.dropFirst())
        var operands: [Variable] = []
        for input in inner.inputs {
            guard let (entries, inputs) = indexFor(input, of: x, op.entries, indexInputs),
                  let indexed = try? Subtensor(entries).makeNode([input] + inputs) else { return nil }
            operands.append(indexed.output)
        }
        guard let lifted = try? Elemwise(scalar).makeNode(operands) else { return nil }
        return satisfying(lifted.output, node.output)
    }

    /// `matmul(A, B)[rows]` -> `matmul(A[rows], B)` for a matrix `A` (and a matrix or vector
    /// `B`) when the index selects rows only (an integer or a slice on axis 0, whole slices
    /// after it) and the product is read only by the indexing: one row of a product costs a
    /// vector-matrix product.
    public static let subtensorOfMatMul = rule("subtensor_of_matmul", tracks: [Subtensor.self]) { graph, node in
        guard let op = node.op as? Subtensor, let product = node.inputs[0].owner, product.op is MatMul,
              hasSingleClient(node.inputs[0], in: graph) else { return nil }
        let (a, b) = (product.inputs[0], product.inputs[1])
        guard a.type.rank == 2, b.type.rank == 1 || b.type.rank == 2, let first = op.entries.first,
              op.entries.dropFirst().allSatisfy({ $0 == .all }) else { return nil }
        switch first {
        case .scalar, .slice: break
        default: return nil
        }
        guard let rows = try? Subtensor([first]).makeNode([a] + node.inputs.dropFirst()),
              let smaller = try? MatMul().makeNode([rows.output, b]) else { return nil }
        return satisfying(smaller.output, node.output)
    }

    /// The indexing specialisations, in the order they are tried on a node.
    public static let all: [Rewrite] = [subtensorOfElemwise, subtensorOfMatMul]
}

/// The index entries and index inputs that select from `operand` (an input of the
/// elementwise node computing `x`) what `entries` select from `x`: the same, except on axes
/// where `operand` broadcasts, where an integer becomes 0 and a slice the whole axis.
private func indexFor(_ operand: Variable, of x: Variable, _ entries: [IndexEntry], _ indexInputs: [Variable]) -> ([IndexEntry], [Variable])? {
    guard operand.type.rank == x.type.rank else { return nil }
    var result: [IndexEntry] = []
    var inputs: [Variable] = []
    var axis = 0
    var next = 0
    for entry in entries {
        let used = entry.inputCount
        guard next + used <= indexInputs.count else { return nil }
        let own = indexInputs[next..<(next + used)]
        next += used
        switch entry {
        case .newAxis:
            result.append(entry)
            continue
        case .scalar, .slice:
            let broadcasts = operand.type.shape[axis] == 1 && x.type.shape[axis] != 1
            if broadcasts {
                if case .scalar = entry { result.append(.scalar(.constant(0))) } else { result.append(.all) }
            } else {
                result.append(entry)
                inputs.append(contentsOf: own)
            }
            axis += 1
        case .array, .mask:
            return nil
        }
    }
    return (result, inputs)
}
