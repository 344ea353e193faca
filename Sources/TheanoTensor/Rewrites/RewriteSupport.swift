import TheanoArray
import TheanoGraph

// Small helpers the rule sets share: reading elementwise nodes and constants cheaply, and
// making a replacement fit the type of the variable it replaces.

/// Constants with more elements than this are not inspected by rules (keeps rules O(1)).
let ruleConstantLimit = 1 << 12

/// Constants built by rules (folded sums, products) stay below this many elements.
let ruleFoldLimit = 1 << 16

/// The scalar op of an elementwise node, or nil.
@inline(__always)
func scalarOp(_ node: Apply) -> ScalarOp? {
    (node.op as? Elemwise)?.scalar
}

/// The scalar op of the elementwise node computing `v`, or nil.
@inline(__always)
func scalarOp(of v: Variable) -> ScalarOp? {
    guard let node = v.owner else { return nil }
    return scalarOp(node)
}

/// The elementwise node computing `v` when its scalar op is `op`.
func elemwiseNode(_ v: Variable, _ op: ScalarOp) -> Apply? {
    guard let node = v.owner, scalarOp(node) == op else { return nil }
    return node
}

/// The value of a small constant whose elements are all equal, or nil.
func uniformConstant(_ v: Variable) -> Double? {
    guard let value = v.constantValue, value.count <= ruleConstantLimit else { return nil }
    return uniformValue(value)
}

/// For a two-input node: the operand that is not a constant, and the other operand, a
/// constant whose elements all equal a value satisfying `accept`. Tries input 1 as the
/// constant first, then input 0 when `commutative`.
func operandAndConstant(_ node: Apply, commutative: Bool, _ accept: (Double) -> Bool) -> (operand: Variable, constant: Variable)? {
    guard node.inputs.count == 2 else { return nil }
    let (a, b) = (node.inputs[0], node.inputs[1])
    if let c = uniformConstant(b), accept(c) { return (a, b) }
    if commutative, let c = uniformConstant(a), accept(c) { return (b, a) }
    return nil
}

/// An elementwise node of `op` on `inputs` (which must already share a dtype and rank).
func applyScalar(_ op: ScalarOp, _ inputs: [Variable]) throws -> Variable {
    try Elemwise(op).makeNode(inputs).output
}

/// The symbolic size of each axis of `node`'s elementwise output: a constant where static,
/// else the size of an input that does not broadcast on that axis. Nil when some axis has
/// no such input (cannot happen for a well-formed elementwise node).
func elemwiseOutputSizes(_ node: Apply) throws -> [Variable]? {
    let out = node.outputTypes[0]
    var sizes: [Variable] = []
    for (axis, size) in out.shape.enumerated() {
        if let size {
            sizes.append(shapeConstant(size))
            continue
        }
        guard let input = node.inputs.first(where: { $0.type.rank == out.rank && $0.type.shape[axis] == nil }) else { return nil }
        sizes.append(try ShapeIndex(axis).makeNode([input]).output)
    }
    return sizes
}

/// `replacement` made to stand where `old`, the output of the elementwise `node`, stands:
/// cast to `old`'s dtype where they differ, and broadcast (``Alloc``) to `old`'s shape where
/// it has a lower rank, broadcasts an axis that `old` does not, or knows fewer sizes.
///
/// The caller promises that `replacement`, broadcast to the output's shape, has the output's
/// values. Returns nil when the result would not satisfy `old`'s type.
func fit(_ replacement: Variable, to old: Variable, from node: Apply) throws -> Variable? {
    var r = replacement
    if r.type.dtype != old.type.dtype {
        r = try applyScalar(.cast(old.type.dtype), [r])
    }
    if r.type.shape == old.type.shape { return r }
    guard r.type.rank <= old.type.rank, let sizes = try elemwiseOutputSizes(node) else { return nil }
    let filled = try Alloc().makeNode([r] + sizes).output
    return old.type.isSatisfied(by: filled.type) ? filled : nil
}

/// An array of `old`'s shape and dtype (the output of the elementwise `node`) filled with
/// `value`: an ``Alloc`` of a scalar constant (constant folding turns small static ones into
/// constants).
func filled(_ value: Double, like old: Variable, from node: Apply) throws -> Variable? {
    let scalar = Variable(constant: NDArray(repeating: value, shape: [], dtype: old.type.dtype))
    return try fit(scalar, to: old, from: node)
}

/// `replacement` when its type is exactly `old`'s (same dtype, rank and static sizes), else
/// nil. For rules whose result has the right values but maybe less static knowledge.
func sameType(_ replacement: Variable, as old: Variable) -> Variable? {
    replacement.type == old.type ? replacement : nil
}

/// `replacement` when it satisfies `old`'s type (same dtype and rank, every size `old` knows),
/// else nil.
func satisfying(_ replacement: Variable, _ old: Variable) -> Variable? {
    old.type.isSatisfied(by: replacement.type) ? replacement : nil
}

/// `v` with leading axes of size 1 added up to `rank`: a reshaped constant, or a
/// ``DimShuffle``.
func padToRank(_ v: Variable, _ rank: Int) throws -> Variable {
    let lead = rank - v.type.rank
    if lead <= 0 { return v }
    if let value = v.constantValue {
        return Variable(constant: try value.reshaped(Array(repeating: 1, count: lead) + value.shape))
    }
    let order = Array(repeating: DimShuffle.newAxis, count: lead) + Array(0..<v.type.rank)
    return try DimShuffle(inputRank: v.type.rank, order: order).makeNode([v]).output
}

/// Evaluates `op` on constant values at compile time with the op's own semantics (NumPy
/// broadcasting, integer wrapping). Nil when it fails or the result is too large.
func foldConstants(_ op: ScalarOp, _ inputs: [Variable]) -> Variable? {
    guard inputs.allSatisfy({ $0.constantValue != nil }),
          let node = try? Elemwise(op).makeNode(inputs),
          let size = try? checkedShapeSize(known: node.outputTypes[0].shape, context: "fold"), size <= ruleFoldLimit,
          let result = try? node.op.perform(node, inputs.compactMap(\.constantValue)).first
    else { return nil }
    return Variable(constant: result)
}

/// Whether a node's single output has exactly one reader (so rewriting the reader does not
/// duplicate the node's work).
func hasSingleClient(_ v: Variable, in graph: FunctionGraph) -> Bool {
    graph.clients(of: v).count == 1
}

/// A single-output rewrite. A body that cannot build a well-typed replacement for an
/// unusual node declines by returning nil; one that throws is recorded as a failure (see
/// ``RewriteContext``), never silently ignored.
func rule(_ name: String, tracks ops: [any Op.Type],
          _ body: @escaping @Sendable (FunctionGraph, Apply) throws -> Variable?) -> Rewrite {
    Rewrite.single(name, tracks: ops, body)
}
