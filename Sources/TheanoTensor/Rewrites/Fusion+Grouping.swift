import TheanoArray
import TheanoGraph

/// Partitions a graph's elementwise nodes into groups that can each become one fused node,
/// in one walk over the nodes in topological order (see ``fusionPass`` for the rules).
///
/// **Acyclicity.** Replacing a group by one node must not create a cycle: if a path leaves
/// the group through an outside node and comes back into it, the fused node would read its
/// own result. Exact reachability costs quadratic time, so the grouping keeps a conservative
/// summary instead, which keeps the walk linear:
///
/// - Groups are numbered in the order they are created (ids 1, 2, ...); merged groups take
///   the smallest id of their parts.
/// - Every node has a *taint*: an upper bound on the ids of the groups whose result reaches
///   it. An outside node's taint is the largest taint or group id among its inputs' producers.
/// - Every group has an *input taint*: the largest taint that flows into any of its members
///   from outside. Invariant: a group's input taint is below its id.
/// - A node joins groups only if each of their ids exceeds everything that reaches the node
///   from outside them (taints of outside producers, ids of groups it reads but does not
///   join) and their input taints.
///
/// So a group can only absorb work that depends on older groups, never on itself; a path
/// out of a group and back would carry the group's id (or a larger one) into the node's
/// taint and forbid the join. The price is that some safe joins are refused when an
/// unrelated, newer group taints the node; that costs fusion, never correctness.
struct FusionGrouping {
    let maxInputs: Int

    /// Topological order and each node's position in it.
    private(set) var nodes: [Apply] = []
    private var position: [ObjectIdentifier: Int] = [:]
    /// Per node: its taint, and the group it joined (0 for none).
    private var taint: [Int] = []
    private var groupOf: [Int] = []
    /// Per group id (index 0 unused): union-find parent, input taint, the variables its
    /// members read from outside it (not counting foldable scalar constants), and the static
    /// output shape all its members share.
    private var parent: [Int] = [0]
    private var inputTaint: [Int] = [0]
    private var groupInputs: [Set<Variable>] = [[]]
    private var groupShape: [[Int?]] = [[]]

    init(maxInputs: Int) { self.maxInputs = max(1, maxInputs) }

    /// Whether a node may join a fused group: an elementwise node (single or already fused)
    /// that overwrites none of its inputs.
    static func isFusable(_ node: Apply) -> Bool {
        guard node.op is Elemwise || node.op is Composite else { return false }
        return node.op.destroyMap.isEmpty && !node.outputTypes.isEmpty
    }

    /// Groups every fusable node of `order` (a topological order); returns the groups, each
    /// with its members in topological order, in the order of their first member. Singleton
    /// groups are included.
    mutating func groups(of order: [Apply]) -> [[Apply]] {
        nodes = order
        position.reserveCapacity(order.count)
        for (i, node) in order.enumerated() { position[ObjectIdentifier(node)] = i }
        taint = Array(repeating: 0, count: order.count)
        groupOf = Array(repeating: 0, count: order.count)
        for i in order.indices { visit(i) }

        var byGroup: [Int: Int] = [:]
        var result: [[Apply]] = []
        for (i, node) in order.enumerated() where groupOf[i] != 0 {
            let g = find(groupOf[i])
            if let k = byGroup[g] {
                result[k].append(node)
            } else {
                byGroup[g] = result.count
                result.append([node])
            }
        }
        return result
    }

    private mutating func find(_ g: Int) -> Int {
        var root = g
        while parent[root] != root { root = parent[root] }
        var x = g
        while parent[x] != root {
            let next = parent[x]
            parent[x] = root
            x = next
        }
        return root
    }

    /// The producer's position of `v`, or nil for roots (inputs, constants, shared values).
    private func producer(_ v: Variable) -> Int? {
        v.owner.flatMap { position[ObjectIdentifier($0)] }
    }

    private mutating func visit(_ i: Int) {
        let node = nodes[i]
        guard FusionGrouping.isFusable(node) else {
            var t = 0
            for v in node.inputs {
                guard let p = producer(v) else { continue }
                t = max(t, taint[p])
                if groupOf[p] != 0 { t = max(t, find(groupOf[p])) }
            }
            taint[i] = t
            return
        }
        let shape = node.outputTypes[0].shape
        // What reaches the node from outside any group it could join, and the groups it
        // could join (those of its fusable producers with the same static shape).
        var outside = 0
        var candidates: [Int] = []
        for v in node.inputs {
            guard let p = producer(v) else { continue }
            guard groupOf[p] != 0 else {
                outside = max(outside, taint[p])
                continue
            }
            let g = find(groupOf[p])
            if groupShape[g] == shape {
                if !candidates.contains(g) { candidates.append(g) }
            } else {
                outside = max(outside, g)
            }
        }
        candidates.sort(by: >)
        // A feasible set of groups to join is always the k newest candidates: leaving out a
        // newer group puts its id above the older ones' (see the type's documentation).
        for k in stride(from: candidates.count, through: 1, by: -1) {
            let joined = candidates[..<k]
            let excluded = k < candidates.count ? candidates[k] : 0
            let reach = max(outside, excluded, joined.map { inputTaint[$0] }.max() ?? 0)
            let oldest = candidates[k - 1]
            guard oldest > reach, let inputs = inputsAfterJoining(node, Array(joined)) else { continue }
            for g in joined where g != oldest {
                parent[g] = oldest
                groupInputs[g] = []
            }
            let nodeTaint = max(outside, excluded)
            inputTaint[oldest] = max(reach, nodeTaint)
            groupInputs[oldest] = inputs
            groupOf[i] = oldest
            taint[i] = nodeTaint
            return
        }
        // A new group of its own.
        let id = parent.count
        let nodeTaint = max(outside, candidates.first ?? 0)
        parent.append(id)
        inputTaint.append(nodeTaint)
        groupInputs.append(Set(node.inputs.filter { !FusionGrouping.isFreeConstant($0) }))
        groupShape.append(shape)
        groupOf[i] = id
        taint[i] = nodeTaint
    }

    /// The outside inputs of `groups` plus `node`, or nil when there would be more than
    /// `maxInputs`.
    private mutating func inputsAfterJoining(_ node: Apply, _ groups: [Int]) -> Set<Variable>? {
        var result: Set<Variable>
        if groups.count == 1 {
            result = groupInputs[groups[0]]
        } else {
            // Reads of one joined group by another become internal.
            result = []
            for g in groups {
                for v in groupInputs[g] where !isMember(v, of: groups) { result.insert(v) }
            }
        }
        for v in node.inputs where !FusionGrouping.isFreeConstant(v) && !isMember(v, of: groups) {
            result.insert(v)
            if result.count > maxInputs { return nil }
        }
        return result.count > maxInputs ? nil : result
    }

    private mutating func isMember(_ v: Variable, of groups: [Int]) -> Bool {
        guard let p = producer(v), groupOf[p] != 0 else { return false }
        return groups.contains(find(groupOf[p]))
    }

    /// Constants that always fold into the program (one element), so they do not count
    /// towards the input bound.
    static func isFreeConstant(_ v: Variable) -> Bool {
        guard let value = v.constantValue, value.count == 1 else { return false }
        return scalarConstantValue(value) != nil
    }
}

/// The value every element of `value` holds, as a Double that converts back exactly, or nil
/// when the elements differ (NaNs count as equal) or the value is not exact as a Double
/// (int64 beyond 2^53). Constants of more than 2^16 elements are not inspected (nil).
func scalarConstantValue(_ value: NDArray) -> Double? {
    guard value.count > 0, value.count <= 1 << 16 else { return nil }
    let doubles = value.toArray(of: Double.self)
    let first = doubles[0]
    for d in doubles.dropFirst() where !(d == first || (d.isNaN && first.isNaN)) { return nil }
    if value.dtype == .int64 {
        guard abs(first) <= 9_007_199_254_740_992 else { return nil }
        for n in value.toArray(of: Int64.self) where Double(n) != first { return nil }
    }
    return first
}
