/// Repeating arrays: whole copies (`tile`) and element by element (`repeat`).
extension NDArray {
    /// The array repeated `reps[i]` times along each axis `i` (NumPy's `tile`). When `reps` is
    /// shorter than the rank it is padded with leading 1s; when longer, the array gains leading
    /// axes of size 1. The result is a new C-contiguous array.
    public func tiled(_ reps: [Int]) throws -> NDArray {
        if let bad = reps.first(where: { $0 < 0 }) {
            throw TheanoError.invalidArgument("tile: repetitions must be non-negative, got \(bad) in \(reps)")
        }
        let r = max(rank, reps.count)
        let counts = Array(repeating: 1, count: r - reps.count) + reps
        let base = Array(repeating: 1, count: r - rank) + shape
        let baseStrides = Array(repeating: 0, count: r - rank) + strides
        let outShape = try zip(base, counts).map { try checkedProduct([$0, $1], context: "tile") }
        if try checkedShapeSize(outShape, context: "tile") == 0 {
            return try NDArray(allocating: outShape, dtype: dtype, context: "tile")
        }
        // View the input as [1, s0, 1, s1, ...], broadcast the 1s to the repetition counts,
        // copy, and merge each pair of axes.
        var pairedShape: [Int] = [], pairedStrides: [Int] = [], broadcastShape: [Int] = []
        for i in 0..<r {
            pairedShape += [1, base[i]]
            pairedStrides += [0, baseStrides[i]]
            broadcastShape += [counts[i], base[i]]
        }
        let paired = NDArray(storage: storage, dtype: dtype, shape: pairedShape, strides: pairedStrides, offset: offset)
        return try paired.broadcast(to: broadcastShape).copy(context: "tile").reshaped(outShape)
    }

    /// Each element repeated `repeats` times along `axis` (NumPy's `repeat`); with no axis, the
    /// flattened array's elements. The result is a new C-contiguous array.
    public func repeated(_ repeats: Int, axis: Int? = nil) throws -> NDArray {
        guard repeats >= 0 else {
            throw TheanoError.invalidArgument("repeat: repeats must be non-negative, got \(repeats)")
        }
        guard let axis else {
            return try reshaped([count]).repeated(repeats, axis: 0)
        }
        let a = try normalizeAxis(axis, rank: rank, context: "repeat")
        var outShape = shape
        outShape[a] = try checkedProduct([shape[a], repeats], context: "repeat")
        if try checkedShapeSize(outShape, context: "repeat") == 0 {
            return try NDArray(allocating: outShape, dtype: dtype, context: "repeat")
        }
        // View the input with a size-1 axis after `axis`, broadcast it to `repeats`, copy, and
        // merge it into `axis`.
        var s = shape, st = strides
        s.insert(1, at: a + 1)
        st.insert(0, at: a + 1)
        var target = s
        target[a + 1] = repeats
        let spread = NDArray(storage: storage, dtype: dtype, shape: s, strides: st, offset: offset)
        return try spread.broadcast(to: target).copy(context: "repeat").reshaped(outShape)
    }
}
