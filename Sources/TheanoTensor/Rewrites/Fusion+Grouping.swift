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
/// - Every group has a *label*, a number; a group made later, or a group that nobody
///   outside has read yet, may take a fresh label larger than all before.
/// - Every node has a *taint*: an upper bound on the labels of the groups whose results reach
///   it. An outside node's taint is the largest taint or label among its inputs' producers;
///   reading a group's result this way marks the group as *read*.
/// - Every group has an *input taint*: the largest taint flowing into any of its members from
///   outside. Invariant: a group's input taint is below its label; so anything that reads a
///   group (and records its label) has a taint above everything that reaches the group.
/// - A node may join a group that nobody outside has read yet (it reaches nothing, so no
///   path can come back), or a read group whose label exceeds everything that reaches the
///   node from outside (taints of outside producers, input taints of the groups it reads).
///   The joined group keeps the smallest label of its read parts (readers recorded at least
///   that much), or takes a fresh label when none was read; it must exceed the labels of
///   the groups the node reads without joining, which keeps the invariant.
///
/// A path out of a group and back would carry the group's label into the taint of whatever
/// it reaches and forbid the join. The price is that some safe joins are refused when an
/// unrelated group with a larger label taints a node; that costs fusion, never correctness.
struct FusionGrouping {
    let maxInputs: Int

    /// Topological order and each node's position in it.
    private(set) var nodes: [Apply] = []
    private var position: [ObjectIdentifier: Int] = [:]
    /// Per node: its taint, and the group slot it joined (0 for none).
    private var taint: [Int] = []
    private var groupOf: [Int] = []
    /// Per group slot (index 0 unused): union-find parent, label, input taint, whether
    /// something outside read it, the variables its members read from outside it (not
    /// counting foldable scalar constants), and the static output shape its members share.
    private var parent: [Int] = [0]
    private var label: [Int] = [0]
    private var inputTaint: [Int] = [0]
    private var isRead: [Bool] = [false]
    private var groupInputs: [Set<Variable>] = [[]]
    private var groupShape: [[Int?]] = [[]]
    private var lastLabel = 0

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

        var bySlot: [Int: Int] = [:]
        var result: [[Apply]] = []
        for (i, node) in order.enumerated() where groupOf[i] != 0 {
            let g = find(groupOf[i])
            if let k = bySlot[g] {
                result[k].append(node)
            } else {
                bySlot[g] = result.count
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

    private mutating func freshLabel() -> Int {
        lastLabel += 1
        return lastLabel
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
                if groupOf[p] != 0 {
                    let g = find(groupOf[p])
                    t = max(t, label[g])
                    isRead[g] = true
                }
            }
            taint[i] = t
            return
        }
        let shape = node.outputTypes[0].shape
        // The groups the node reads: those it could join (same static shape) and the others;
        // and the largest taint of its outside producers.
        var outside = 0
        var candidates: [Int] = []
        var others: [Int] = []
        for v in node.inputs {
            guard let p = producer(v) else { continue }
            guard groupOf[p] != 0 else {
                outside = max(outside, taint[p])
                continue
            }
            let g = find(groupOf[p])
            if groupShape[g] == shape {
                if !candidates.contains(g) { candidates.append(g) }
            } else if !others.contains(g) {
                others.append(g)
            }
        }
        defer {
            // Whatever the node reads without joining now records that group's label.
            for g in candidates + others where find(g) != groupOf[i] { isRead[g] = true }
        }
        let reach = (candidates + others).reduce(outside) { max($0, inputTaint[$1]) }
        let unread = candidates.filter { !isRead[$0] }
        let readSafe = candidates.filter { isRead[$0] && label[$0] > reach }.sorted { label[$0] > label[$1] }
        let othersLabel = others.reduce(0) { max($0, label[$1]) }
        // Join the unread groups and the k read ones with the largest labels; leaving a read
        // group out puts its label into the node's taint, so the rest must be larger still.
        for k in stride(from: readSafe.count, through: 0, by: -1) {
            let joined = unread + readSafe[..<k]
            guard !joined.isEmpty else { continue }
            let excludedLabel = candidates.reduce(othersLabel) { joined.contains($1) ? $0 : max($0, label[$1]) }
            let nodeTaint = max(outside, excludedLabel)
            guard k == 0 || label[readSafe[k - 1]] > nodeTaint,
                  let inputs = inputsAfterJoining(node, joined) else { continue }
            let root = joined[0]
            var merged = nodeTaint
            for g in joined {
                merged = max(merged, inputTaint[g])
                if g != root {
                    parent[g] = root
                    groupInputs[g] = []
                }
            }
            label[root] = k == 0 ? freshLabel() : label[readSafe[k - 1]]
            isRead[root] = k > 0
            inputTaint[root] = merged
            groupInputs[root] = inputs
            groupOf[i] = root
            taint[i] = nodeTaint
            return
        }
        // A new group of its own.
        let slot = parent.count
        let nodeTaint = candidates.reduce(max(outside, othersLabel)) { max($0, label[$1]) }
        parent.append(slot)
        label.append(freshLabel())
        inputTaint.append(nodeTaint)
        isRead.append(false)
        groupInputs.append(Set(node.inputs.filter { !FusionGrouping.isFreeConstant($0) }))
        groupShape.append(shape)
        groupOf[i] = slot
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
