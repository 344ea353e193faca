/// Reductions of ``NDArray`` values over axes: the reference kernels behind the `Reduce` and
/// `ArgReduce` ops, usable on their own.
///
/// ```swift
/// let a = try NDArray([1, 2, 3, 4, 5, 6] as [Float], shape: [2, 3])
/// try a.reduce(.sum, axes: [1])                  // [6, 15] (float32)
/// try a.reduce(.max, axes: nil, keepdims: true)  // [[6]]
/// try a.argReduce(.argmax, axis: 0)              // [1, 1, 1] (int64)
/// ```

/// What a reduction computes over the reduced axes.
///
/// Dtypes follow NumPy: `sum` and `prod` of bool and integers accumulate in and return int64
/// (NumPy returns uint64 for uint8; there is no uint64 here), floats keep their dtype (float32 is
/// accumulated in double precision and rounded once); `max` and `min` keep the dtype and
/// propagate NaN; `all` and `any` return bool (NaN counts as true).
public enum ReduceKind: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case sum, prod, max, min, all, any

    public var description: String { rawValue }

    /// The dtype of the result for an input of dtype `input`.
    public func outputDType(for input: DType) -> DType {
        switch self {
        case .sum, .prod: return input.isFloatingPoint ? input : .int64
        case .max, .min: return input
        case .all, .any: return .bool
        }
    }

    /// Whether an empty reduction has a value (0 for sum, 1 for prod, true for all, false for
    /// any). `max` and `min` have none: reducing an empty axis throws.
    public var hasIdentity: Bool { self != .max && self != .min }
}

/// Which index an ``NDArray/argReduce(_:axis:keepdims:)`` finds.
public enum ArgReduceKind: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// The index of the largest value (the first NaN, if any; the first of equal values).
    case argmax
    /// The index of the smallest value (the first NaN, if any; the first of equal values).
    case argmin

    public var description: String { rawValue }
}

/// Normalises reduction axes against a rank: negative axes count from the end, the result is
/// sorted; `nil` means every axis. Throws ``TheanoError/Kind/outOfRange`` for an axis outside
/// `-rank..<rank` and ``TheanoError/Kind/invalidArgument`` for an axis named twice. `op` and
/// `input` name the operation and its input in messages (`"sum"`, `"x (float32[?, 3])"`).
public func normalizeReductionAxes(_ axes: [Int]?, rank: Int, op: String, input: String) throws -> [Int] {
    guard let axes else { return Array(0..<rank) }
    var seen: [Int: Int] = [:]
    for axis in axes {
        let a = axis < 0 ? axis + rank : axis
        guard a >= 0, a < rank else {
            let valid = rank == 0 ? "none: a rank-0 input can only be reduced with axis nil" : "\(-rank)...\(rank - 1)"
            throw TheanoError.outOfRange(
                "\(op): axis \(axis) is out of range for \(input) of rank \(rank) (valid axes: \(valid))")
        }
        if let first = seen[a] {
            throw TheanoError.invalidArgument(
                "\(op): axes \(axes) name axis \(a) of \(input) twice (as \(first) and \(axis)); each axis may be reduced once")
        }
        seen[a] = axis
    }
    return seen.keys.sorted()
}

extension NDArray {
    /// Reduces over `axes` (negative axes count from the end; `nil`: every axis), dropping them,
    /// or keeping them with size 1 when `keepdims` is true. See ``ReduceKind`` for the dtypes.
    ///
    /// Throws for an axis out of range or named twice, and for `max`/`min` over an axis of
    /// size 0 (they have no identity; NumPy raises ValueError).
    public func reduce(_ kind: ReduceKind, axes: [Int]? = nil, keepdims: Bool = false) throws -> NDArray {
        let reduced = try normalizeReductionAxes(axes, rank: rank, op: kind.rawValue, input: "an array of shape \(formatShape(shape))")
        if !kind.hasIdentity, let empty = reduced.first(where: { shape[$0] == 0 }) {
            throw TheanoError.invalidArgument(
                "\(kind): cannot reduce axis \(empty) of size 0 (array of shape \(formatShape(shape))): \(kind) of an empty set has no value")
        }
        var keptShape = shape
        for a in reduced { keptShape[a] = 1 }
        let result = try reduceKeepingDims(kind, reduced: reduced, keptShape: keptShape)
        return keepdims ? result : try result.reshaped(keptShape.enumerated().filter { !reduced.contains($0.offset) }.map(\.element))
    }

    /// The reduction with reduced axes kept as size 1 (`reduced` is normalised).
    private func reduceKeepingDims(_ kind: ReduceKind, reduced: [Int], keptShape: [Int]) throws -> NDArray {
        switch kind {
        case .sum, .prod:
            let isSum = kind == .sum
            if dtype.isFloatingPoint {
                let acc = try NDArray(repeating: isSum ? 0 : 1, shape: keptShape, dtype: .float64, context: "\(kind)")
                func run<T: NDArrayElement>(_: T.Type) {
                    accumulate(T.self, into: acc, Double.self, reduced: reduced) { a, v in
                        isSum ? a + v.doubleValue : a * v.doubleValue
                    }
                }
                run(dtype.elementType)
                return acc.astype(dtype)
            }
            let acc = try NDArray(repeating: isSum ? 0 : 1, shape: keptShape, dtype: .int64, context: "\(kind)")
            func run<T: NDArrayElement>(_: T.Type) {
                // Integers wrap on overflow, as in NumPy.
                accumulate(T.self, into: acc, Int64.self, reduced: reduced) { a, v in
                    isSum ? a &+ v.int64Value : a &* v.int64Value
                }
            }
            run(dtype.elementType)
            return acc
        case .all, .any:
            let isAll = kind == .all
            let acc = try NDArray(repeating: isAll ? 1 : 0, shape: keptShape, dtype: .bool, context: "\(kind)")
            func run<T: NDArrayElement>(_: T.Type) {
                // A value is true when non-zero; NaN is non-zero.
                accumulate(T.self, into: acc, Bool.self, reduced: reduced) { a, v in
                    isAll ? (a && v.doubleValue != 0) : (a || v.doubleValue != 0)
                }
            }
            run(dtype.elementType)
            return acc
        case .max, .min:
            if dtype == .bool {
                // max of bools is any, min is all.
                return try reduceKeepingDims(kind == .max ? .any : .all, reduced: reduced, keptShape: keptShape)
            }
            return try withComparableType(dtype) { type in try extremum(type, isMax: kind == .max, reduced: reduced) }
        }
    }

    /// Largest or smallest value over `reduced` (every reduced axis has size >= 1), NaN winning.
    private func extremum<T: NDArrayElement & Comparable>(_: T.Type, isMax: Bool, reduced: [Int]) throws -> NDArray {
        // Start from the first element along the reduced axes; max and min are idempotent, so
        // visiting it again does no harm.
        var first = Array(repeating: ArrayIndex.all, count: rank)
        for a in reduced { first[a] = .slice(start: 0, stop: 1, step: 1) }
        // The result keeps every axis not reduced: a broadcast view may make it huge.
        let acc = try slice(first).copy(context: isMax ? "max" : "min")
        accumulate(T.self, into: acc, T.self, reduced: reduced) { a, v in
            if a != a { return a }          // already NaN
            if v != v { return v }          // NaN propagates
            return (isMax ? v > a : v < a) ? v : a
        }
        return acc
    }

    /// Walks every element of `self` (of dtype `T`) and folds it into the element of `acc` (a
    /// fresh contiguous array of dtype `A` with the reduced axes at size 1) that it reduces to.
    private func accumulate<T: NDArrayElement, A: NDArrayElement>(
        _: T.Type, into acc: NDArray, _: A.Type, reduced: [Int], _ combine: (A, T) -> A
    ) {
        var accStrides = acc.strides
        for a in reduced { accStrides[a] = 0 }
        let px = storagePointer(as: T.self)
        let pa = acc.storagePointer(as: A.self)
        let walk = StridedWalk(shape: shape, strides: [accStrides, strides], offsets: [acc.offset, offset])
        walk.forEachRow { offs, n, inner in
            let (oa, ox, sa, sx) = (offs[0], offs[1], inner[0], inner[1])
            if sa == 0 {
                var a = pa[oa]
                for i in 0..<n { a = combine(a, px[ox + i * sx]) }
                pa[oa] = a
            } else {
                for i in 0..<n { pa[oa + i * sa] = combine(pa[oa + i * sa], px[ox + i * sx]) }
            }
        }
    }

    /// The index of the largest (``ArgReduceKind/argmax``) or smallest value along `axis`
    /// (negative counts from the end), as int64; with `axis` nil, the index into the flattened
    /// array in C order. The first NaN counts as the extreme value; among equal values the
    /// first wins. `keepdims` keeps the reduced axis (every axis, for `axis` nil) with size 1.
    ///
    /// Throws for an axis out of range, and when the axis (or the array, for `axis` nil) is
    /// empty (NumPy raises ValueError).
    public func argReduce(_ kind: ArgReduceKind, axis: Int? = nil, keepdims: Bool = false) throws -> NDArray {
        guard let axis else {
            guard count > 0 else {
                throw TheanoError.invalidArgument(
                    "\(kind): the array of shape \(formatShape(shape)) is empty; \(kind) of an empty array has no value")
            }
            let flat = try contiguous().reshaped([count]).argReduce(kind, axis: 0)
            return try flat.reshaped(keepdims ? Array(repeating: 1, count: rank) : [])
        }
        let a = try normalizeReductionAxes([axis], rank: rank, op: kind.rawValue, input: "an array of shape \(formatShape(shape))")[0]
        guard shape[a] > 0 else {
            throw TheanoError.invalidArgument(
                "\(kind): cannot reduce axis \(a) of size 0 (array of shape \(formatShape(shape))): \(kind) of an empty set has no value")
        }
        var keptShape = shape
        keptShape[a] = 1
        let out = try NDArray(allocating: keptShape, dtype: .int64, zeroed: false, context: "\(kind)")
        let source = dtype == .bool ? astype(.uint8) : self
        withComparableType(source.dtype) { type in
            source.argIndices(type, isMax: kind == .argmax, axis: a, into: out)
        }
        if keepdims { return out }
        var dropped = shape
        dropped.remove(at: a)
        return try out.reshaped(dropped)
    }

    /// Fills `out` (contiguous int64, `axis` at size 1) with the index of the extreme value
    /// along `axis` for each position.
    private func argIndices<T: NDArrayElement & Comparable>(_: T.Type, isMax: Bool, axis: Int, into out: NDArray) {
        let n = shape[axis]
        let step = strides[axis]
        let px = storagePointer(as: T.self)
        let po = out.storagePointer(as: Int64.self)
        var outerStrides = strides
        outerStrides[axis] = 0
        let walk = StridedWalk(shape: out.shape, strides: [out.strides, outerStrides], offsets: [0, offset])
        walk.forEachRow { offs, rows, inner in
            for r in 0..<rows {
                let base = offs[1] + r * inner[1]
                var best = 0
                var bestValue = px[base]
                if bestValue == bestValue {
                    for k in 1..<Swift.max(n, 1) {
                        let v = px[base + k * step]
                        if v != v { best = k; break }       // the first NaN wins
                        if isMax ? v > bestValue : v < bestValue { best = k; bestValue = v }
                    }
                }
                po[offs[0] + r * inner[0]] = Int64(best)
            }
        }
    }
}

/// Calls `body` with the Swift type of a dtype as a `Comparable` element type (bool, stored as
/// one byte holding 0 or 1, is read as uint8; callers convert bool arrays first).
private func withComparableType<R>(_ dtype: DType, _ body: (any (NDArrayElement & Comparable).Type) throws -> R) rethrows -> R {
    switch dtype {
    case .bool, .uint8: return try body(UInt8.self)
    case .int8: return try body(Int8.self)
    case .int16: return try body(Int16.self)
    case .int32: return try body(Int32.self)
    case .int64: return try body(Int64.self)
    case .float32: return try body(Float.self)
    case .float64: return try body(Double.self)
    }
}
