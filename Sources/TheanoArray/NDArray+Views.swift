/// One entry of a basic (view-producing) index, as in NumPy's `a[1, 2:5:2, None, ...]`.
public enum ArrayIndex: Hashable, Sendable, CustomStringConvertible {
    /// One position (negative counts from the end); the axis is dropped.
    case index(Int)
    /// `start:stop:step` with NumPy's defaults and clamping; step may be negative, never 0.
    case slice(start: Int?, stop: Int?, step: Int?)
    /// Inserts a new axis of size 1 (`None` / `np.newaxis`).
    case newAxis
    /// Stands for as many full slices as needed (`...`).
    case ellipsis

    /// The full slice `:`.
    public static let all = ArrayIndex.slice(start: nil, stop: nil, step: nil)

    public var description: String {
        switch self {
        case .index(let i): return "\(i)"
        case .newAxis: return "newAxis"
        case .ellipsis: return "..."
        case let .slice(start, stop, step):
            let s = (start.map(String.init) ?? "") + ":" + (stop.map(String.init) ?? "")
            if let step { return s + ":\(step)" }
            return s
        }
    }
}

/// The start, step and length that a NumPy slice selects from an axis of size `size`.
///
/// Throws only for a zero step.
/// Any step is allowed but 0; `Int.min` counts as `-Int.max` (as in Python). The arithmetic
/// cannot overflow: `(e - b - 1) / step + 1` rather than `(e - b + step - 1) / step`.
public func resolveSlice(start: Int?, stop: Int?, step: Int?, size n: Int) throws -> (start: Int, step: Int, count: Int) {
    var step = step ?? 1
    guard step != 0 else { throw TheanoError.invalidArgument("slice step cannot be zero") }
    if step == Int.min { step = -Int.max }
    if step > 0 {
        var b = start ?? 0
        var e = stop ?? n
        if b < 0 { b += n }
        if e < 0 { e += n }
        b = Swift.min(Swift.max(b, 0), n)
        e = Swift.min(Swift.max(e, 0), n)
        return (b, step, e > b ? (e - b - 1) / step + 1 : 0)
    } else {
        var b = start ?? (n - 1)
        var e = stop ?? -n - 1
        if b < 0 { b += n }
        if e < 0 { e += n }
        b = Swift.min(Swift.max(b, -1), n - 1)
        e = Swift.min(Swift.max(e, -1), n - 1)
        return (b, step, b > e ? (b - e - 1) / -step + 1 : 0)
    }
}

extension NDArray {
    /// A view with axes permuted: output axis `i` is input axis `axes[i]`. With no argument,
    /// reverses the axes (a matrix transpose).
    public func transposed(_ axes: [Int]? = nil) throws -> NDArray {
        let perm = axes ?? Array((0..<rank).reversed())
        guard perm.count == rank, Set(perm.map { $0 < 0 ? $0 + rank : $0 }) == Set(0..<rank) else {
            throw TheanoError.invalidArgument("transpose: axes \(perm) are not a permutation of the \(rank) axes of an array of shape \(formatShape(shape))")
        }
        let p = perm.map { $0 < 0 ? $0 + rank : $0 }
        return NDArray(storage: storage, dtype: dtype, shape: p.map { shape[$0] }, strides: p.map { strides[$0] }, offset: offset)
    }

    /// The matrix transpose of a rank-2 array (a reversed-axes view for any rank).
    public var T: NDArray {
        NDArray(storage: storage, dtype: dtype, shape: shape.reversed(), strides: strides.reversed(), offset: offset)
    }

    /// The same elements in C order with a new shape; one size may be -1 (inferred). A view
    /// when the layout allows, else a copy.
    public func reshaped(_ newShape: [Int]) throws -> NDArray {
        let target = try resolveReshape(from: shape, to: newShape)
        if isContiguous {
            return NDArray(storage: storage, dtype: dtype, shape: target, strides: contiguousStrides(target), offset: offset)
        }
        let c = try copy(context: "reshape")
        return NDArray(storage: c.storage, dtype: dtype, shape: target, strides: contiguousStrides(target), offset: 0)
    }

    /// A view in which every broadcast axis (stride 0) has size 1: each stored element once.
    /// A broadcast view may stand for far more elements than it stores (or than memory
    /// holds); this one has the same distinct values and at most as many elements as storage.
    public var collapsingBroadcastAxes: NDArray {
        NDArray(storage: storage, dtype: dtype, shape: zip(shape, strides).map { $1 == 0 ? Swift.min($0, 1) : $0 },
                strides: strides, offset: offset)
    }

    /// A view that repeats size-1 axes (and prepends axes) to reach `target`, with NumPy's
    /// broadcasting rules. No data is copied: broadcast axes get stride 0.
    public func broadcast(to target: [Int]) throws -> NDArray {
        _ = try checkedShapeSize(target, context: "broadcast")
        guard target.count >= rank else {
            throw TheanoError.shapeMismatch("broadcast: cannot broadcast shape \(formatShape(shape)) to the lower-rank shape \(formatShape(target))")
        }
        let lead = target.count - rank
        var newStrides = Array(repeating: 0, count: target.count)
        for i in 0..<rank {
            if shape[i] == target[lead + i] {
                newStrides[lead + i] = strides[i]
            } else if shape[i] == 1 {
                newStrides[lead + i] = 0
            } else {
                throw TheanoError.shapeMismatch("broadcast: cannot broadcast shape \(formatShape(shape)) to \(formatShape(target)): axis \(i) has size \(shape[i]), expected 1 or \(target[lead + i])")
            }
        }
        return NDArray(storage: storage, dtype: dtype, shape: target, strides: newStrides, offset: offset)
    }

    /// A view with a new axis of size 1 inserted at `axis` (negative counts from the end of the
    /// result).
    public func expandingDims(_ axis: Int) throws -> NDArray {
        let a = try normalizeAxis(axis, rank: rank + 1, context: "expandDims")
        var s = shape, st = strides
        s.insert(1, at: a)
        st.insert(0, at: a)
        return NDArray(storage: storage, dtype: dtype, shape: s, strides: st, offset: offset)
    }

    /// A view without the given size-1 axes (all size-1 axes when `axes` is nil).
    public func squeezed(_ axes: [Int]? = nil) throws -> NDArray {
        let drop: Set<Int>
        if let axes {
            drop = Set(try axes.map { try normalizeAxis($0, rank: rank, context: "squeeze") })
            for a in drop where shape[a] != 1 {
                throw TheanoError.shapeMismatch("squeeze: axis \(a) has size \(shape[a]), only axes of size 1 can be removed (shape \(formatShape(shape)))")
            }
        } else {
            drop = Set(shape.indices.filter { shape[$0] == 1 })
        }
        let keep = shape.indices.filter { !drop.contains($0) }
        return NDArray(storage: storage, dtype: dtype, shape: keep.map { shape[$0] }, strides: keep.map { strides[$0] }, offset: offset)
    }

    /// A view selected by basic indices: integers, slices (any step), new axes and one
    /// ellipsis, with NumPy's meaning. Integer indices out of range throw.
    public func slice(_ indices: [ArrayIndex]) throws -> NDArray {
        let consumed = indices.filter { if case .index = $0 { return true }; if case .slice = $0 { return true }; return false }.count
        let ellipses = indices.filter { $0 == .ellipsis }.count
        guard ellipses <= 1 else { throw TheanoError.invalidArgument("index: at most one ellipsis (...) is allowed, got \(ellipses)") }
        guard consumed <= rank else {
            throw TheanoError.outOfRange("index: too many indices (\(consumed)) for an array of rank \(rank) and shape \(formatShape(shape))")
        }
        var expanded: [ArrayIndex] = []
        for idx in indices {
            if idx == .ellipsis {
                expanded.append(contentsOf: Array(repeating: .all, count: rank - consumed))
            } else {
                expanded.append(idx)
            }
        }
        if ellipses == 0 { expanded.append(contentsOf: Array(repeating: .all, count: rank - consumed)) }

        var newShape: [Int] = [], newStrides: [Int] = []
        var newOffset = offset
        var axis = 0
        for idx in expanded {
            switch idx {
            case .index(let i):
                let n = shape[axis]
                let j = i < 0 ? i + n : i
                guard j >= 0, j < n else {
                    throw TheanoError.outOfRange("index \(i) is out of bounds for axis \(axis) with size \(n) (array shape \(formatShape(shape)))")
                }
                newOffset += j * strides[axis]
                axis += 1
            case let .slice(start, stop, step):
                let r = try resolveSlice(start: start, stop: stop, step: step, size: shape[axis])
                if r.count > 0 { newOffset += r.start * strides[axis] }
                newShape.append(r.count)
                // With two or more elements the step is less than the axis size, so the new
                // stride stays within the storage; with fewer the stride is never used.
                newStrides.append(r.count > 1 ? strides[axis] * r.step : strides[axis])
                axis += 1
            case .newAxis:
                newShape.append(1)
                newStrides.append(0)
            case .ellipsis:
                break
            }
        }
        return NDArray(storage: storage, dtype: dtype, shape: newShape, strides: newStrides, offset: newOffset)
    }

    /// Row `t` along axis 0, as a view (`slice([.index(t)])` for a valid non-negative `t`,
    /// without its general index handling: the loops read one row per step).
    public func row(_ t: Int) throws -> NDArray {
        guard rank >= 1, t >= 0, t < shape[0] else {
            throw TheanoError.outOfRange("row \(t) is out of range for an array of shape \(formatShape(shape))")
        }
        return NDArray(storage: storage, dtype: dtype, shape: Array(shape.dropFirst()), strides: Array(strides.dropFirst()),
                       offset: offset + t * strides[0])
    }

    /// A view with the order of elements along `axis` reversed.
    public func flipped(axis: Int) throws -> NDArray {
        let a = try normalizeAxis(axis, rank: rank, context: "flip")
        var idx = Array(repeating: ArrayIndex.all, count: rank)
        idx[a] = .slice(start: nil, stop: nil, step: -1)
        return try slice(idx)
    }
}

/// Resolves a reshape target (with at most one -1) against the source shape, throwing when
/// the sizes do not agree.
///
/// Every size is checked (``checkedShapeSize(_:context:)``): a target such as
/// `[0, 2^62, 2^62]` holds as few elements as an empty source but is refused, since its
/// strides would not fit.
public func resolveReshape(from shape: [Int], to newShape: [Int]) throws -> [Int] {
    let size = try checkedShapeSize(shape, context: "reshape")
    let unknown = newShape.indices.filter { newShape[$0] == -1 }
    guard unknown.count <= 1 else {
        throw TheanoError.invalidArgument("reshape: at most one size can be -1, got \(formatShape(newShape))")
    }
    if let bad = newShape.first(where: { $0 < -1 }) {
        throw TheanoError.invalidArgument("reshape: invalid size \(bad) in \(formatShape(newShape))")
    }
    var target = newShape
    if let u = unknown.first {
        var others = newShape
        others.remove(at: u)
        let known = try checkedShapeSize(others, context: "reshape")
        guard known != 0, size % known == 0 else {
            throw TheanoError.shapeMismatch("reshape: cannot reshape an array of shape \(formatShape(shape)) (\(size) elements) into \(formatShape(newShape))")
        }
        target[u] = size / known
    }
    let targetSize = try checkedShapeSize(target, context: "reshape")
    guard targetSize == size else {
        throw TheanoError.shapeMismatch("reshape: cannot reshape an array of shape \(formatShape(shape)) (\(size) elements) into \(formatShape(newShape)) (\(targetSize) elements)")
    }
    return target
}

/// The NumPy broadcast of several shapes, or a thrown error naming the clashing axis.
public func broadcastShapes(_ shapes: [[Int]], context: String = "broadcast") throws -> [Int] {
    let rank = shapes.map(\.count).max() ?? 0
    var out = Array(repeating: 1, count: rank)
    for s in shapes {
        let lead = rank - s.count
        for (i, n) in s.enumerated() {
            let j = lead + i
            if out[j] == 1 { out[j] = n } else if n != 1 && n != out[j] {
                throw TheanoError.shapeMismatch(
                    "\(context): shapes \(shapes.map(formatShape).joined(separator: " and ")) cannot be broadcast together (axis \(j): \(out[j]) vs \(n))")
            }
        }
    }
    // Valid shapes can broadcast to one that is not: [2^40, 1] with [1, 2^40].
    _ = try checkedShapeSize(out, context: context)
    return out
}
