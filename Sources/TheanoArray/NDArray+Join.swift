/// Joining, splitting and rolling arrays along an axis.
extension NDArray {
    /// The arrays joined along an existing `axis` (negative counts from the end), as NumPy's
    /// `concatenate`. Dtypes are promoted (``DType/promote(_:_:)``); every axis but `axis` must
    /// have the same size in all arrays. The result is a new C-contiguous array.
    public static func concatenate(_ arrays: [NDArray], axis: Int) throws -> NDArray {
        guard let first = arrays.first else {
            throw TheanoError.invalidArgument("concatenate: needs at least one array")
        }
        guard first.rank > 0 else {
            throw TheanoError.shapeMismatch("concatenate: zero-dimensional arrays cannot be concatenated (array 0 has shape [])")
        }
        let a = try normalizeAxis(axis, rank: first.rank, context: "concatenate")
        for (i, x) in arrays.enumerated() {
            guard x.rank == first.rank else {
                throw TheanoError.shapeMismatch(
                    "concatenate: all arrays must have the same rank; array 0 has shape \(formatShape(first.shape)) and array \(i) has shape \(formatShape(x.shape))")
            }
            for d in 0..<x.rank where d != a && x.shape[d] != first.shape[d] {
                throw TheanoError.shapeMismatch(
                    "concatenate: array 0 has shape \(formatShape(first.shape)) and array \(i) has shape \(formatShape(x.shape)); they differ at axis \(d) (\(first.shape[d]) vs \(x.shape[d])), and only the concatenation axis \(a) may differ")
            }
        }
        let dtype = DType.promote(arrays.map(\.dtype)) ?? first.dtype
        var shape = first.shape
        shape[a] = try checkedSum(arrays.map { $0.shape[a] }, context: "concatenate")
        let out = try NDArray(allocating: shape, dtype: dtype, zeroed: false, context: "concatenate")
        var start = 0
        for x in arrays {
            let n = x.shape[a]
            if n > 0 {
                var index = Array(repeating: ArrayIndex.all, count: shape.count)
                index[a] = .slice(start: start, stop: start + n, step: 1)
                try NDArray.assign(x, into: out.slice(index))
            }
            start += n
        }
        return out
    }

    /// Views of consecutive pieces along `axis` with the given sizes, which must add up to the
    /// size of `axis`.
    public func split(sizes: [Int], axis: Int) throws -> [NDArray] {
        let a = try normalizeAxis(axis, rank: rank, context: "split")
        if let bad = sizes.first(where: { $0 < 0 }) {
            throw TheanoError.invalidArgument("split: sizes must be non-negative, got \(bad) in \(sizes)")
        }
        let (sum, overflow) = sizes.reduce((0, false)) { acc, n in
            let r = acc.0.addingReportingOverflow(n)
            return (r.partialValue, acc.1 || r.overflow)
        }
        guard !overflow, sum == shape[a] else {
            throw TheanoError.shapeMismatch(
                "split: sizes \(sizes) add up to \(overflow ? "more than Int.max" : String(sum)) but axis \(a) of an array of shape \(formatShape(shape)) has size \(shape[a])")
        }
        var start = 0
        return try sizes.map { n in
            var index = Array(repeating: ArrayIndex.all, count: rank)
            index[a] = .slice(start: start, stop: start + n, step: 1)
            start += n
            return try slice(index)
        }
    }

    /// The elements shifted by `shift` positions along `axis`, wrapping around (NumPy's
    /// `roll`). With no axis the array is rolled as if flattened, then given its shape back.
    /// The result is a new C-contiguous array.
    public func rolled(_ shift: Int, axis: Int? = nil) throws -> NDArray {
        guard let axis else {
            return try reshaped([count]).rolled(shift, axis: 0).reshaped(shape)
        }
        let a = try normalizeAxis(axis, rank: rank, context: "roll")
        let n = shape[a]
        guard n > 0 else { return copy() }
        let k = ((shift % n) + n) % n
        guard k > 0 else { return copy() }
        let pieces = try split(sizes: [n - k, k], axis: a)
        return try NDArray.concatenate([pieces[1], pieces[0]], axis: a)
    }
}
