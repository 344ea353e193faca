import TheanoArray
import TheanoGraph

/// Elementwise loop fusion with the default bound of 32 inputs per fused node: see
/// ``elementwiseFusionPass(maxInputs:)``.
public let fusionPass = elementwiseFusionPass()

/// Elementwise loop fusion: connected ``Elemwise`` and ``Composite`` nodes become one
/// ``Composite`` node, which a backend runs as a single loop without storing intermediate
/// results; an elementwise group read only by a ``Reduce`` becomes one ``CompositeReduce``.
///
/// What fuses:
/// - A node joins the group of a fusable node it reads when both have the same static output
///   shape, so every fused node computes each element once (a `[1, n]` intermediate feeding a
///   `[m, n]` one stays outside and is read broadcast, not recomputed `m` times). Inputs of the
///   fused node may broadcast (axes of static size 1), as ``Elemwise`` inputs do.
/// - Existing ``Composite`` nodes are inlined into the group's program.
/// - Several outputs: a member's result that is read outside the group, or is a graph
///   output, becomes an extra output of the fused node; nothing is computed twice, so a diamond
///   (`a = exp(x); out = (a * 2) * (a + 1)`) is one node computing `exp` once.
/// - Inputs are deduplicated; constants whose elements are all equal (literals such as `2` in
///   `x * 2`) become `.constant` operands of the program instead of inputs, unless they alone
///   fix the static size of an axis.
/// - A group (even one node) whose only result is read only by a ``Reduce`` (sum, prod, max,
///   min, all, any) becomes a ``CompositeReduce``: `sum((x - y) ** 2)` never stores
///   `(x - y) ** 2`. Excluding the name `"fusion_reduce"` turns this part off.
///
/// What does not fuse:
/// - Non-elementwise nodes (``DimShuffle``, dot products, reductions other than the final
///   one, indexing, ...) and nodes that overwrite an input (`destroyMap`) stay as they are and
///   separate groups.
/// - A single ``Elemwise`` or ``Composite`` node that does not feed a reduction stays as it
///   is: fusing one node saves nothing, and the graph stays readable.
/// - A node that reads a group's result through an outside node (`a = exp(x); b = dot(a, w);
///   c = a * b`) never joins that group: the fused node would read its own output. Groups
///   never form a cycle. This is checked with a conservative summary that keeps the pass
///   linear (see `FusionGrouping`); in rare graphs it refuses a join that would have been
///   safe.
///
/// Bounds: a fused node has at most `maxInputs` inputs (one-element constants do not count);
/// a group that would exceed it is split, the rest starting a new group. Programs have no
/// step limit: a chain of any length of same-shaped elementwise nodes becomes one node.
///
/// Cost: one topological sort and one walk over the nodes with union-find over groups; every
/// step per node is bounded by the input bound, so the pass is linear in the graph's size
/// (up to the inverse Ackermann function).
///
/// Every replacement keeps the replaced variables' types exactly (dtype and static shape).
public func elementwiseFusionPass(maxInputs: Int = 32) -> RewritePass {
    RewritePass.custom("fusion") { graph, context in
        var grouping = FusionGrouping(maxInputs: maxInputs)
        let groups = grouping.groups(of: graph.toposort())
        let fuseReductions = !context.excluded.contains("fusion_reduce")
        for members in groups {
            let builder = FusedGroupBuilder(members)
            guard let (replacements, rule) = try fusedReplacements(builder, graph, fuseReductions: fuseReductions) else { continue }
            for (old, new) in replacements where graph.contains(old) {
                if old.name != nil && new.name == nil { new.name = old.name }
                try graph.replace(old, with: new, reason: rule)
                context.trace?.record(rule, before: old, after: new)
            }
        }
    }
}

/// The replacements that fuse one group, and the rule's name; nil to leave the group alone.
private func fusedReplacements(
    _ builder: FusedGroupBuilder, _ graph: FunctionGraph, fuseReductions: Bool
) throws -> ([(Variable, Variable)], String)? {
    let exposed = builder.exposedOutputs(in: graph)
    guard !exposed.isEmpty else { return nil }
    var replacements: [(Variable, Variable)]
    let rule: String
    if fuseReductions, exposed.count == 1, let reduce = onlyReducer(of: exposed[0], graph) {
        let (program, inputs) = try builder.program(computing: exposed)
        let fused = try CompositeReduce(program, kind: reduce.kind, axes: reduce.axes, keepdims: reduce.keepdims).makeNode(inputs)
        replacements = [(reduce.node.output, fused.output)]
        rule = "fusion_reduce"
    } else {
        guard builder.members.count > 1 else { return nil }
        let (program, inputs) = try builder.program(computing: exposed)
        let fused = try Composite(program).makeNode(inputs)
        replacements = Array(zip(exposed, fused.outputs))
        rule = "fusion"
    }
    // The fused node must have exactly the replaced types; a group whose shape cannot be
    // reproduced (which the grouping rules exclude) is left alone rather than failing.
    guard replacements.allSatisfy({ old, new in old.type.isSatisfied(by: new.type) && new.type.isSatisfied(by: old.type) }) else { return nil }
    return (replacements, rule)
}

/// The ``Reduce`` node that is the only reader of `v`, when there is exactly one.
private func onlyReducer(of v: Variable, _ graph: FunctionGraph) -> (node: Apply, kind: ReduceKind, axes: [Int], keepdims: Bool)? {
    let clients = graph.clients(of: v)
    guard clients.count == 1, let node = clients[0].node, let reduce = node.op as? Reduce else { return nil }
    return (node, reduce.kind, reduce.axes, reduce.keepdims)
}
