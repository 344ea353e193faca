import TheanoArray
import TheanoGraph

extension Tensor {
    /// NumPy indexing: `x[0]`, `x[-1]`, `x[1..<3]`, `x[.slice(nil, nil, -1)]`, `x[.all, 0]`,
    /// `x[1..<3, .newAxis, .ellipsis]`, `x[idx]`, `x[rows, cols]`, `x[mask]`, `x[i]`.
    ///
    /// Integers, ranges, slices and new axes (and integer scalar tensors) give a view
    /// (``Subtensor``); integer arrays and bool masks give a gather (``AdvancedSubtensor``),
    /// with NumPy's broadcasting and placement rules. `x.shape[k]` with a constant `k` is the
    /// size of axis `k` (a constant when static).
    ///
    /// Throws at build time for too many indices, more than one ellipsis, non-integer index
    /// arrays, masks whose static shape does not match, and static indices out of range; at
    /// run time for indices out of range and mask shape mismatches.
    public subscript(_ indices: any TensorIndexConvertible...) -> Tensor {
        get throws { try indexed(indices) }
    }

    /// `self[indices]` with the indices in an array (see ``subscript(_:)``).
    public func indexed(_ indices: [any TensorIndexConvertible]) throws -> Tensor {
        let entries = indices.map(\.tensorIndex)
        if entries.count == 1, case .integer(let k) = entries[0].kind, let node = variable.owner, node.op is Shape {
            return try Tensor(node.inputs[0]).shape(k)
        }
        return try indexNode(entries)
    }

    /// Builds the indexing node for `entries` (never short-cut, so its owner gives back `self`
    /// and the index, as ``setSubtensor(_:_:)`` needs).
    func indexNode(_ entries: [TensorIndex]) throws -> Tensor {
        let (lowered, inputs) = try lowerIndex(entries)
        let op: any Op = lowered.contains(where: \.isArray) ? AdvancedSubtensor(lowered) : Subtensor(lowered)
        return Tensor(try op.makeNode([variable] + inputs).output)
    }

    /// Turns user index entries into op entries and index inputs: expands the ellipsis, folds
    /// constant scalar indices and bounds, and classifies tensors (integer scalar, integer
    /// array, bool mask). Checks are left to the op's `makeNode`, except the ellipsis count.
    func lowerIndex(_ indices: [TensorIndex]) throws -> (entries: [IndexEntry], inputs: [Variable]) {
        let ellipses = indices.filter { if case .ellipsis = $0.kind { return true }; return false }.count
        guard ellipses <= 1 else {
            throw TheanoError.invalidArgument("index of \(describeVariable(variable)): an index can have only one ellipsis (...), got \(ellipses)")
        }
        let consumed = indices.map { index -> Int in
            switch index.kind {
            case .integer, .slice, .symbolicSlice: return 1
            case .newAxis, .ellipsis: return 0
            case .tensor(let t): return t.dtype == .bool ? t.rank : 1
            }
        }.reduce(0, +)

        var entries: [IndexEntry] = []
        var inputs: [Variable] = []
        func bound(_ t: Tensor?) -> IndexBound? {
            guard let t else { return nil }
            if let v = t.constantValue, v.rank == 0, v.dtype.isInteger, let n = try? v.item(Int.self) {
                return .constant(n)
            }
            inputs.append(t.variable)
            return .symbolic
        }
        for index in indices {
            switch index.kind {
            case .integer(let i):
                entries.append(.scalar(.constant(i)))
            case let .slice(start, stop, step):
                entries.append(.slice(start: start.map { .constant($0) }, stop: stop.map { .constant($0) }, step: step.map { .constant($0) }))
            case let .symbolicSlice(start, stop, step):
                let (a, b, c) = (bound(start), bound(stop), bound(step))
                entries.append(.slice(start: a, stop: b, step: c))
            case .newAxis:
                entries.append(.newAxis)
            case .ellipsis:
                entries.append(contentsOf: Array(repeating: IndexEntry.all, count: Swift.max(0, rank - consumed)))
            case .tensor(let t):
                if t.dtype == .bool {
                    entries.append(.mask(rank: t.rank))
                    inputs.append(t.variable)
                } else if t.rank == 0 {
                    if let b = bound(t) { entries.append(.scalar(b)) }
                } else {
                    entries.append(.array)
                    inputs.append(t.variable)
                }
            }
        }
        while entries.last == IndexEntry.all { entries.removeLast() }
        return (entries, inputs)
    }
}
