import TheanoArray
import TheanoGraph

/// An integer in an index (a position or a slice bound): fixed when the graph is built, or
/// symbolic, in which case it is the next index input of the node (an integer scalar).
public enum IndexBound: Hashable, Sendable, CustomStringConvertible {
    case constant(Int)
    case symbolic

    public var description: String {
        switch self {
        case .constant(let n): return "\(n)"
        case .symbolic: return "?"
        }
    }
}

/// One entry of an indexing op's index, after the ellipsis has been expanded. Entries that
/// read a node input (symbolic bounds, arrays, masks) read the node's index inputs in order.
///
/// Axes after the last entry are taken whole, as in NumPy.
public enum IndexEntry: Hashable, Sendable, CustomStringConvertible {
    /// One position; drops the axis (or, beside arrays, broadcasts with them as a 0-d array).
    case scalar(IndexBound)
    /// `start:stop:step` with NumPy's defaults, negative values and clamping.
    case slice(start: IndexBound?, stop: IndexBound?, step: IndexBound?)
    /// A new axis of size 1.
    case newAxis
    /// An integer array input (any rank, any integer dtype).
    case array
    /// A bool array input of the given rank, covering that many axes.
    case mask(rank: Int)

    /// The full slice `:`.
    public static let all = IndexEntry.slice(start: nil, stop: nil, step: nil)

    /// Axes of the indexed tensor this entry consumes.
    public var consumedAxes: Int {
        switch self {
        case .scalar, .slice, .array: return 1
        case .newAxis: return 0
        case .mask(let rank): return rank
        }
    }

    /// Number of node inputs this entry reads.
    public var inputCount: Int {
        switch self {
        case .scalar(let b): return b == .symbolic ? 1 : 0
        case let .slice(start, stop, step): return [start, stop, step].filter { $0 == .symbolic }.count
        case .newAxis: return 0
        case .array, .mask: return 1
        }
    }

    /// Whether this is an integer array or a mask.
    public var isArray: Bool {
        switch self {
        case .array, .mask: return true
        default: return false
        }
    }

    public var description: String {
        switch self {
        case .scalar(let b): return b.description
        case let .slice(start, stop, step):
            let text = (start?.description ?? "") + ":" + (stop?.description ?? "")
            return step.map { text + ":\($0)" } ?? text
        case .newAxis: return "newAxis"
        case .array: return "array"
        case .mask(let rank): return "mask\(rank)d"
        }
    }
}

/// Formats entries for an op's description: `1:3, ?, newAxis`.
func describeEntries(_ entries: [IndexEntry]) -> String {
    entries.map(\.description).joined(separator: ", ")
}

/// What a list of ``IndexEntry`` selects from a tensor, worked out from static types: checks
/// the index inputs, computes the static shape of the selection, and remembers where each
/// selection axis comes from (for `inferShape` and run-time checks).
struct IndexAnalysis {
    /// Where one axis of the selection comes from.
    enum Dim {
        /// A slice of input axis `axis`; `entry` is its position in the entries and
        /// `firstInput` the position (among index inputs) of its first symbolic bound.
        case slice(axis: Int, entry: Int, firstInput: Int, staticSize: Int?)
        case newAxis
        /// Axis `index` of the broadcast shape of the index arrays.
        case block(Int)
    }

    /// An index array (or mask, or scalar beside arrays) taking part in broadcasting.
    struct Item {
        /// Its position among the index inputs (nil: a constant scalar).
        let input: Int?
        let isMask: Bool
        /// Static shape: the array's shape, `[count]` for a mask, `[]` for a scalar.
        let shape: [Int?]
    }

    let entries: [IndexEntry]
    /// Whether any array or mask is present (NumPy's advanced indexing).
    let isAdvanced: Bool
    let dims: [Dim]
    let items: [Item]
    let blockShape: [Int?]
    /// The static shape of the selection.
    let shape: [Int?]

    /// Checks `entries` against `x` and its index inputs; errors name `opName`.
    init(entries: [IndexEntry], x: Variable, indexInputs: [Variable], opName: String) throws {
        self.entries = entries
        let xShape = x.type.shape
        let needed = entries.map(\.inputCount).reduce(0, +)
        guard needed == indexInputs.count else {
            throw TheanoError.invalidArgument(
                "\(opName): the index [\(describeEntries(entries))] reads \(needed) index inputs, got \(indexInputs.count)")
        }
        let consumed = entries.map(\.consumedAxes).reduce(0, +)
        guard consumed <= x.type.rank else {
            throw TheanoError.outOfRange(
                "\(opName): too many indices for \(describeVariable(x)): \(consumed) axes indexed, but it has rank \(x.type.rank)")
        }
        let advanced = entries.contains(where: \.isArray)
        isAdvanced = advanced

        func scalarInput(_ k: Int, role: String) throws {
            let v = indexInputs[k]
            guard v.type.rank == 0, v.type.dtype.isInteger else {
                throw TheanoError.typeMismatch(
                    "\(opName): \(role) must be an integer scalar, got \(describeVariable(v))")
            }
        }

        var dims: [Dim] = []
        var items: [Item] = []
        var advancedPositions: [Int] = []
        var basicBefore = 0
        var axis = 0
        var k = 0
        for (position, entry) in entries.enumerated() {
            switch entry {
            case .scalar(let bound):
                let size = xShape[axis]
                if case .constant(let i) = bound, let size, i >= size || i < -size {
                    throw TheanoError.outOfRange(
                        "\(opName): index \(i) is out of bounds for axis \(axis) with size \(size) of \(describeVariable(x))")
                }
                var input: Int? = nil
                if bound == .symbolic {
                    try scalarInput(k, role: "the index for axis \(axis)")
                    input = k
                    k += 1
                }
                if advanced {
                    items.append(Item(input: input, isMask: false, shape: []))
                    advancedPositions.append(position)
                }
                axis += 1
            case let .slice(start, stop, step):
                let first = k
                for (bound, name) in [(start, "start"), (stop, "stop"), (step, "step")] where bound == .symbolic {
                    try scalarInput(k, role: "the slice \(name) for axis \(axis)")
                    k += 1
                }
                if step == .constant(0) {
                    throw TheanoError.invalidArgument("\(opName): slice step cannot be zero (axis \(axis) of \(describeVariable(x)))")
                }
                var size: Int? = nil
                if let n = xShape[axis], let s = IndexAnalysis.staticSlice(start, stop, step, size: n) { size = s }
                dims.append(.slice(axis: axis, entry: position, firstInput: first, staticSize: size))
                if advancedPositions.isEmpty { basicBefore += 1 }
                axis += 1
            case .newAxis:
                dims.append(.newAxis)
                if advancedPositions.isEmpty { basicBefore += 1 }
            case .array:
                let v = indexInputs[k]
                guard v.type.dtype.isInteger else {
                    throw TheanoError.typeMismatch(
                        "\(opName): index arrays must have an integer dtype (bool arrays are masks), got \(describeVariable(v)) for axis \(axis)")
                }
                items.append(Item(input: k, isMask: false, shape: v.type.shape))
                advancedPositions.append(position)
                k += 1
                axis += 1
            case .mask(let rank):
                let v = indexInputs[k]
                guard v.type.dtype == .bool else {
                    throw TheanoError.typeMismatch("\(opName): a mask must have dtype bool, got \(describeVariable(v))")
                }
                guard rank >= 1, v.type.rank == rank else {
                    throw TheanoError.invalidArgument(
                        "\(opName): mask entry of rank \(rank) got \(describeVariable(v)); masks must have rank 1 or more")
                }
                for j in 0..<rank {
                    if let m = v.type.shape[j], let n = xShape[axis + j], m != n {
                        throw TheanoError.shapeMismatch(
                            "\(opName): boolean mask \(describeVariable(v)) does not match \(describeVariable(x)) at axis \(axis + j): mask size \(m), axis size \(n)")
                    }
                }
                let count = v.constantValue.map { $0.toArray(of: Bool.self).filter { $0 }.count }
                items.append(Item(input: k, isMask: true, shape: [count]))
                advancedPositions.append(position)
                k += 1
                axis += rank
            }
        }
        for _ in axis..<xShape.count {
            dims.append(.slice(axis: axis, entry: -1, firstInput: k, staticSize: xShape[axis]))
            axis += 1
        }

        var blockShape: [Int?] = []
        if advanced {
            blockShape = try IndexAnalysis.broadcastStatic(items.map(\.shape), opName: opName, indexInputs: indexInputs, items: items)
            let first = advancedPositions.first ?? 0, last = advancedPositions.last ?? 0
            let at = last - first + 1 == advancedPositions.count ? basicBefore : 0
            dims.insert(contentsOf: blockShape.indices.map { Dim.block($0) }, at: at)
        }
        self.dims = dims
        self.items = items
        self.blockShape = blockShape
        self.shape = dims.map { dim in
            switch dim {
            case .slice(_, _, _, let size): return size
            case .newAxis: return 1
            case .block(let j): return blockShape[j]
            }
        }
    }

    /// NumPy broadcasting of static shapes with the project's rule: only a static size of 1
    /// broadcasts; two different known sizes are an error.
    static func broadcastStatic(_ shapes: [[Int?]], opName: String, indexInputs: [Variable], items: [Item]) throws -> [Int?] {
        let rank = shapes.map(\.count).max() ?? 0
        var out: [Int?] = Array(repeating: 1, count: rank)
        for s in shapes {
            let lead = rank - s.count
            for (i, n) in s.enumerated() where n != 1 {
                let j = lead + i
                if let n, let known = out[j], known != 1, known != n {
                    let described = items.map { $0.input.map { describeVariable(indexInputs[$0]) } ?? "a constant index" }
                    throw TheanoError.shapeMismatch(
                        "\(opName): index arrays cannot be broadcast together (axis \(j): \(known) vs \(n)); indices: \(described.joined(separator: ", "))")
                }
                if out[j] == 1 || n != nil { out[j] = n }
            }
        }
        return out
    }

    /// The static length of a slice with constant bounds over an axis of known size.
    static func staticSlice(_ start: IndexBound?, _ stop: IndexBound?, _ step: IndexBound?, size: Int) -> Int? {
        func value(_ b: IndexBound?) -> Int?? {
            switch b {
            case nil: return .some(nil)
            case .constant(let v): return .some(v)
            case .symbolic: return nil
            }
        }
        guard let a = value(start), let b = value(stop), let c = value(step) else { return nil }
        return try? resolveSliceOfAnyStep(start: a, stop: b, step: c, size: size).count
    }

    /// The run-time index for `x`'s kernel, reading symbolic bounds, arrays and masks from
    /// `indexValues` (the node's index inputs, in order).
    func resolve(_ indexValues: [NDArray]) throws -> [FancyIndex] {
        var k = 0
        func bound(_ b: IndexBound?) throws -> Int? {
            switch b {
            case nil: return nil
            case .constant(let v): return v
            case .symbolic:
                defer { k += 1 }
                return try indexValues[k].item(Int.self)
            }
        }
        var out: [FancyIndex] = []
        for entry in entries {
            switch entry {
            case .scalar(let b):
                out.append(.basic(.index(try bound(b) ?? 0)))
            case let .slice(start, stop, step):
                out.append(.basic(.slice(start: try bound(start), stop: try bound(stop), step: try bound(step))))
            case .newAxis:
                out.append(.basic(.newAxis))
            case .array:
                out.append(.integers(indexValues[k]))
                k += 1
            case .mask:
                out.append(.mask(indexValues[k]))
                k += 1
            }
        }
        return out
    }

    /// Enforces the static broadcasting rule on run-time index arrays: an axis of the broadcast
    /// shape may differ between arrays only where an array's static size is 1 (so the shape
    /// that `inferShape` predicts is the one computed).
    func checkBroadcast(_ indexValues: [NDArray], opName: String) throws {
        guard isAdvanced else { return }
        let runtime: [[Int]] = items.map { item in
            guard let k = item.input else { return [] }
            let v = indexValues[k]
            if item.isMask { return [v.toArray(of: Bool.self).filter { $0 }.count] }
            return v.shape
        }
        let rank = blockShape.count
        for j in 0..<rank {
            var seen: (size: Int, item: Int)? = nil
            for (i, item) in items.enumerated() {
                let axis = j - (rank - item.shape.count)
                guard axis >= 0, item.shape[axis] != 1 else { continue }
                let n = runtime[i][axis]
                if let s = seen, s.size != n {
                    throw TheanoError.shapeMismatch(
                        "\(opName): index arrays of run-time shapes \(formatShape(runtime[s.item])) and \(formatShape(runtime[i])) differ at broadcast axis \(j) (\(s.size) vs \(n)), and neither is declared broadcastable there (static size 1)")
                }
                if seen == nil { seen = (n, i) }
            }
        }
    }

    /// The symbolic shape of the selection, given the symbolic shape of `x` and the node's
    /// index input variables.
    func symbolicShape(xShape: [Variable], indexInputs: [Variable], indexShapes: [[Variable]]) throws -> [Variable] {
        try dims.map { dim in
            switch dim {
            case .newAxis:
                return shapeConstant(1)
            case let .slice(axis, entry, first, size):
                if let size { return shapeConstant(size) }
                guard entry >= 0, case let .slice(start, stop, step) = entries[entry] else { return xShape[axis] }
                let count = [start, stop, step].filter { $0 == .symbolic }.count
                let bounds = Array(indexInputs[first..<(first + count)])
                return try SliceLength(start: start, stop: stop, step: step).makeNode([xShape[axis]] + bounds).output
            case .block(let j):
                if let size = blockShape[j] { return shapeConstant(size) }
                let rank = blockShape.count
                for item in items {
                    let axis = j - (rank - item.shape.count)
                    guard axis >= 0, item.shape[axis] != 1, let k = item.input else { continue }
                    if item.isMask { return try MaskCount().makeNode([indexInputs[k]]).output }
                    return indexShapes[k][axis]
                }
                return shapeConstant(1)
            }
        }
    }
}
