/// NumPy indexing of every kind on ``NDArray``: basic indices (views), integer-array and
/// boolean-mask ("advanced") indices (copies), `take`, and the functional scatter behind
/// `setSubtensor`/`incSubtensor`.

/// One entry of a NumPy index of any kind, as in `a[1, idx, ::2, mask, None, ...]`.
public enum FancyIndex: Sendable {
    /// An integer, a slice, a new axis or the ellipsis.
    case basic(ArrayIndex)
    /// An array of integers (any integer dtype, any rank; negative values count from the end).
    /// A 0-d array behaves like an integer.
    case integers(NDArray)
    /// A bool array of rank k >= 1 covering the next k axes, whose shape it must equal; it
    /// selects the positions where it is true (as the k integer arrays of `nonzero(mask)`).
    case mask(NDArray)
}

/// Where the elements chosen by a NumPy index lie in an array's storage.
///
/// The selection's axes are split into groups: each basic axis (slice or new axis) is a group
/// of its own, and the axes of the broadcast integer arrays form one group. Each group gives
/// the storage offset (in elements) of each of its positions, so element `(i0, i1, ...)` of
/// the selection lies at `base + groups[0].offset(i0) + groups[1].offset(i1) + ...` (groups
/// in C order).
///
/// Integer indices alone keep NumPy's basic meaning (they drop their axis). When any array is
/// present, integers count as 0-d arrays and broadcast with the arrays; the arrays' axes take
/// the place of the first array when all array (and integer) entries are next to each other,
/// and go first otherwise (NumPy's rule).
public struct IndexSelection: Sendable {
    /// The positions of one group of selection axes.
    public enum Group: Sendable {
        /// `count` positions `stride` elements apart (a slice or a new axis).
        case strided(count: Int, stride: Int)
        /// The offsets of the positions of the broadcast index arrays, in C order.
        case offsets([Int])

        /// Number of positions.
        @inlinable public var count: Int {
            switch self {
            case .strided(let n, _): return n
            case .offsets(let o): return o.count
            }
        }

        /// Offset of position `i`, relative to the selection's base.
        @inlinable public func offset(_ i: Int) -> Int {
            switch self {
            case .strided(_, let s): return i * s
            case .offsets(let o): return o[i]
            }
        }
    }

    /// The shape of the selection (of `a[index]`).
    public let shape: [Int]
    /// Offset of the first selected element, in elements.
    public let base: Int
    /// The groups of selection axes, in order.
    public let groups: [Group]
    /// Number of selection axes in each group.
    public let groupRanks: [Int]
    /// The strides of the selection as a view, when the index was basic only (no arrays).
    public let viewStrides: [Int]?

    /// Resolves `indices` against an array of the given layout. `context` names the operation
    /// in error messages. Throws for too many indices, integers out of range, masks whose shape
    /// does not match the axes they index, arrays that do not broadcast together and a zero
    /// slice step.
    public init(shape: [Int], strides: [Int], offset: Int, indices: [FancyIndex], context: String) throws {
        let rank = shape.count
        func consumes(_ i: FancyIndex) -> Int {
            switch i {
            case .basic(.index), .basic(.slice), .integers: return 1
            case .basic(.newAxis), .basic(.ellipsis): return 0
            case .mask(let m): return m.rank
            }
        }
        func isEllipsis(_ i: FancyIndex) -> Bool {
            if case .basic(.ellipsis) = i { return true }
            return false
        }
        let consumed = indices.map(consumes).reduce(0, +)
        let ellipses = indices.filter(isEllipsis).count
        guard ellipses <= 1 else {
            throw TheanoError.invalidArgument("\(context): an index can have only one ellipsis (...), got \(ellipses)")
        }
        guard consumed <= rank else {
            throw TheanoError.outOfRange("\(context): too many indices for an array of rank \(rank) and shape \(formatShape(shape)): \(consumed) axes were indexed")
        }
        var entries: [FancyIndex] = []
        for i in indices {
            if isEllipsis(i) {
                entries.append(contentsOf: Array(repeating: .basic(.all), count: rank - consumed))
            } else {
                entries.append(i)
            }
        }
        if ellipses == 0 {
            entries.append(contentsOf: Array(repeating: .basic(.all), count: rank - consumed))
        }

        let advancedMode = entries.contains { entry in
            switch entry {
            case .integers, .mask: return true
            case .basic: return false
            }
        }

        // Integer arrays to broadcast, each with the axis it indexes.
        var arrays: [(axis: Int, values: NDArray)] = []
        var advancedEntries: [Int] = []
        var basicBefore = 0   // basic output axes made by entries before the first array
        var basicSizes: [Int] = []
        var basicStrides: [Int] = []
        var base = offset
        var axis = 0
        for (position, entry) in entries.enumerated() {
            switch entry {
            case .basic(.index(let i)):
                if advancedMode {
                    arrays.append((axis, NDArray(scalar: Int64(i))))
                    advancedEntries.append(position)
                } else {
                    let j = try normalizeIndex(i, axis: axis, size: shape[axis], context: context)
                    base += j * strides[axis]
                }
                axis += 1
            case let .basic(.slice(start, stop, step)):
                let r: (start: Int, step: Int, count: Int)
                do {
                    r = try resolveSliceOfAnyStep(start: start, stop: stop, step: step, size: shape[axis])
                } catch {
                    throw TheanoError.invalidArgument("\(context): slice step cannot be zero (axis \(axis))")
                }
                if r.count > 0 { base += r.start * strides[axis] }
                if advancedEntries.isEmpty { basicBefore += 1 }
                basicSizes.append(r.count)
                basicStrides.append(r.count > 1 ? strides[axis] * r.step : strides[axis])
                axis += 1
            case .basic(.newAxis):
                if advancedEntries.isEmpty { basicBefore += 1 }
                basicSizes.append(1)
                basicStrides.append(0)
            case .basic(.ellipsis):
                break
            case .integers(let values):
                guard values.dtype.isInteger else {
                    throw TheanoError.typeMismatch("\(context): index arrays must have an integer dtype, got \(values.dtype) (shape \(formatShape(values.shape)))")
                }
                arrays.append((axis, values))
                advancedEntries.append(position)
                axis += 1
            case .mask(let mask):
                guard mask.dtype == .bool else {
                    throw TheanoError.typeMismatch("\(context): a mask must have dtype bool, got \(mask.dtype)")
                }
                guard mask.rank > 0 else {
                    throw TheanoError.unsupported("\(context): a 0-d boolean mask is not supported; use a mask of rank 1 or more")
                }
                let covered = Array(shape[axis..<(axis + mask.rank)])
                guard mask.shape == covered else {
                    throw TheanoError.shapeMismatch(
                        "\(context): boolean mask of shape \(formatShape(mask.shape)) does not match axes \(axis)...\(axis + mask.rank - 1) of the indexed array, which have sizes \(formatShape(covered)) (array shape \(formatShape(shape)))")
                }
                for (k, positions) in nonzeroPositions(mask).enumerated() {
                    arrays.append((axis + k, NDArray(positions)))
                }
                advancedEntries.append(position)
                axis += mask.rank
            }
        }

        if arrays.isEmpty {
            self.shape = basicSizes
            self.base = base
            self.groups = zip(basicSizes, basicStrides).map { Group.strided(count: $0, stride: $1) }
            self.groupRanks = Array(repeating: 1, count: basicSizes.count)
            self.viewStrides = basicStrides
            return
        }

        let blockShape: [Int]
        do {
            blockShape = try broadcastShapes(arrays.map(\.values.shape), context: context)
        } catch let error as TheanoError where error.kind == .shapeMismatch {
            throw TheanoError.shapeMismatch(
                "\(context): index arrays of shapes \(arrays.map { formatShape($0.values.shape) }.joined(separator: ", ")) cannot be broadcast together")
        }
        // The offsets are held in memory: index arrays broadcast (as views) to a huge shape
        // must fail here with an error, not in the allocation.
        _ = try checkedAllocation(blockShape, dtype: .int64, context: context)
        var blockOffsets = Array(repeating: 0, count: shapeSize(blockShape))
        for (a, values) in arrays {
            let flat = try values.broadcast(to: blockShape).toArray(of: Int.self)
            let (n, s) = (shape[a], strides[a])
            for k in flat.indices {
                blockOffsets[k] += try normalizeIndex(flat[k], axis: a, size: n, context: context) * s
            }
        }
        let first = advancedEntries.first ?? 0, last = advancedEntries.last ?? 0
        let adjacent = last - first + 1 == advancedEntries.count
        let at = adjacent ? basicBefore : 0
        var groups = zip(basicSizes, basicStrides).map { Group.strided(count: $0, stride: $1) }
        var ranks = Array(repeating: 1, count: basicSizes.count)
        groups.insert(.offsets(blockOffsets), at: at)
        ranks.insert(blockShape.count, at: at)
        var outShape = basicSizes
        outShape.insert(contentsOf: blockShape, at: at)
        _ = try checkedShapeSize(outShape, context: context)
        self.shape = outShape
        self.base = base
        self.groups = groups
        self.groupRanks = ranks
        self.viewStrides = nil
    }

    /// Number of selected elements.
    public var count: Int { shapeSize(shape) }

    /// Calls `body` with the storage offset of every selected element, in C order of the
    /// selection.
    @inlinable
    public func forEachOffset(_ body: (Int) throws -> Void) rethrows {
        if groups.contains(where: { $0.count == 0 }) { return }
        let g = groups.count
        var position = Array(repeating: 0, count: g)
        var offset = base + groups.reduce(0) { $0 + $1.offset(0) }
        while true {
            try body(offset)
            var d = g - 1
            while d >= 0 {
                let group = groups[d]
                offset -= group.offset(position[d])
                position[d] += 1
                if position[d] < group.count {
                    offset += group.offset(position[d])
                    break
                }
                position[d] = 0
                offset += group.offset(0)
                d -= 1
            }
            if d < 0 { return }
        }
    }
}

/// ``resolveSlice(start:stop:step:size:)`` for steps of any magnitude: a step longer than the
/// axis selects at most one element, so it is shortened to the axis size first (which keeps
/// the result and avoids arithmetic overflow for steps such as `Int.max`).
public func resolveSliceOfAnyStep(start: Int?, stop: Int?, step: Int?, size n: Int) throws -> (start: Int, step: Int, count: Int) {
    let limit = Swift.max(n, 1)
    let shortened = step.map { Swift.min(Swift.max($0, -limit), limit) }
    return try resolveSlice(start: start, stop: stop, step: shortened, size: n)
}

/// `i` as a position in `0..<size` (negative counts from the end), or a thrown error naming the
/// operation, the index, the axis and its size.
package func normalizeIndex(_ i: Int, axis: Int, size: Int, context: String) throws -> Int {
    let j = i < 0 ? i + size : i
    guard j >= 0, j < size else {
        throw TheanoError.outOfRange("\(context): index \(i) is out of bounds for axis \(axis) with size \(size)")
    }
    return j
}

/// For a bool array of rank k, the k lists of coordinates of its true elements in C order
/// (NumPy's `nonzero`).
public func nonzeroPositions(_ mask: NDArray) -> [[Int]] {
    let flags = mask.toArray(of: Bool.self)
    let strides = contiguousStrides(mask.shape)
    var out = Array(repeating: [Int](), count: mask.rank)
    for (flat, flag) in flags.enumerated() where flag {
        var rest = flat
        for axis in 0..<mask.rank {
            out[axis].append(rest / strides[axis])
            rest %= strides[axis]
        }
    }
    return out
}

extension NDArray {
    /// NumPy's `a[indices]`: a view for basic indices (integers, slices, new axes, ellipsis),
    /// a new array when an integer array or a mask is present. `context` names the operation in
    /// error messages.
    public func indexed(_ indices: [FancyIndex], context: String = "index") throws -> NDArray {
        let selection = try IndexSelection(shape: shape, strides: strides, offset: offset, indices: indices, context: context)
        if let viewStrides = selection.viewStrides {
            return NDArray(storage: storage, dtype: dtype, shape: selection.shape, strides: viewStrides, offset: selection.base)
        }
        return try gather(selection, into: NDArray(allocating: selection.shape, dtype: dtype, zeroed: false, context: context))
    }

    /// The elements at `selection` (resolved against this array's layout) as a new C-contiguous
    /// array of the selection's shape.
    public func gather(_ selection: IndexSelection) -> NDArray {
        gather(selection, into: NDArray(allocating: selection.shape, dtype: dtype, zeroed: false))
    }

    private func gather(_ selection: IndexSelection, into out: NDArray) -> NDArray {
        func run<T: NDArrayElement>(_: T.Type) {
            let source = storagePointer(as: T.self)
            let target = out.storagePointer(as: T.self)
            var k = 0
            selection.forEachOffset { offset in
                target[k] = source[offset]
                k += 1
            }
        }
        run(dtype.elementType)
        return out
    }

    /// NumPy's `take`: elements at `indices` along `axis` (of the flattened array when `axis`
    /// is nil). The result has shape `shape[..<axis] + indices.shape + shape[(axis+1)...]`.
    /// Negative indices count from the end; out-of-range ones throw.
    public func take(_ indices: NDArray, axis: Int?, context: String = "take") throws -> NDArray {
        guard indices.dtype.isInteger else {
            throw TheanoError.typeMismatch("\(context): indices must have an integer dtype, got \(indices.dtype)")
        }
        guard let axis else {
            return try reshaped([count]).indexed([.integers(indices)], context: context)
        }
        let a = try normalizeAxis(axis, rank: rank, context: context)
        return try indexed(Array(repeating: .basic(.all), count: a) + [.integers(indices)], context: context)
    }

    /// A new array equal to this one except at the elements selected by `indices`, which are
    /// set to `values` (or, with `accumulate`, incremented by them). `values` is converted to
    /// this dtype and broadcast to the selection's shape (NumPy's rules). Positions selected
    /// several times (repeated integer indices) keep the last value when setting and add every
    /// value when accumulating (like NumPy's `np.add.at`). This array is never changed.
    public func scattering(_ indices: [FancyIndex], values: NDArray, accumulate: Bool, context: String = "index") throws -> NDArray {
        var out = copy()
        let selection = try IndexSelection(shape: out.shape, strides: out.strides, offset: out.offset, indices: indices, context: context)
        try out.scatter(selection, values: values, accumulate: accumulate, context: context)
        return out
    }

    /// Writes `values` into the elements at `selection`, in place (or adds them, with
    /// `accumulate`; repeated positions add every value). `values` is converted to this dtype
    /// and broadcast to the selection's shape.
    ///
    /// `selection` must have been resolved against this array's current layout, and this array
    /// must own its storage alone (a fresh ``copy()``); otherwise the call throws rather than
    /// write into storage another value shares.
    public mutating func scatter(_ selection: IndexSelection, values: NDArray, accumulate: Bool, context: String = "index") throws {
        guard isUniquelyReferenced() else {
            throw TheanoError.invalidArgument("\(context): scatter needs an array that owns its storage alone; scatter into a copy()")
        }
        try scatterIntoStorage(selection, values: values, accumulate: accumulate, context: context)
    }

    /// ``scatter(_:values:accumulate:context:)`` into this array's storage even when other
    /// values share it: for in-place ops, whose destroyed input nothing reads afterwards (the
    /// in-place rewrite's rule). `values` are read in full before the first write, so they may
    /// be a view of this array.
    public func scatterIntoStorage(_ selection: IndexSelection, values: NDArray, accumulate: Bool, context: String = "index") throws {
        let source: NDArray
        do {
            source = try values.astype(dtype).broadcast(to: selection.shape)
        } catch {
            throw TheanoError.shapeMismatch(
                "\(context): a value of shape \(formatShape(values.shape)) cannot be broadcast to the indexed shape \(formatShape(selection.shape))")
        }
        func run<T: NDArrayElement>(_: T.Type, _ combine: (T, T) -> T) {
            let items = source.toArray(of: T.self)
            let target = storagePointer(as: T.self)
            var k = 0
            selection.forEachOffset { offset in
                target[offset] = accumulate ? combine(target[offset], items[k]) : items[k]
                k += 1
            }
        }
        switch dtype {
        case .bool: run(Bool.self) { $0 || $1 }
        case .uint8: run(UInt8.self, &+)
        case .int8: run(Int8.self, &+)
        case .int16: run(Int16.self, &+)
        case .int32: run(Int32.self, &+)
        case .int64: run(Int64.self, &+)
        case .float32: run(Float.self, +)
        case .float64: run(Double.self, +)
        }
    }
}
