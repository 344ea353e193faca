/// Tensor contractions built on ``NDArray/matmul(_:_:)``: `tensordot` and `outer`, each with
/// a reference form built on ``NDArray/matmulReference(_:_:)``.
extension NDArray {
    /// Sums the products of `a` and `b` over pairs of axes, as NumPy's
    /// `tensordot(a, b, axes=(axesA, axesB))`: axis `axesA[i]` of `a` pairs with axis
    /// `axesB[i]` of `b` (negative axes count from the end). The result's axes are `a`'s other
    /// axes in order, then `b`'s.
    ///
    /// Both operands must have the same dtype. The operands are viewed as matrices (copied only
    /// when their layout needs it) and multiplied with ``matmul(_:_:)``.
    public static func tensordot(_ a: NDArray, _ b: NDArray, axes: ([Int], [Int])) throws -> NDArray {
        try contract(a, b, axes: axes, multiply: matmul)
    }

    /// ``tensordot(_:_:axes:)`` whose dense copies of operands that do not merge into a matrix
    /// (a time-reversed sequence) come from `allocate` (a recycler's buffers: no fresh pages
    /// per call) and are given back to `release` after the product.
    package static func tensordot(_ a: NDArray, _ b: NDArray, axes: ([Int], [Int]),
                                  allocate: ([Int], DType) throws -> NDArray,
                                  release: (inout NDArray?) -> Void) throws -> NDArray {
        var copies: [NDArray?] = []
        defer { for i in copies.indices { release(&copies[i]) } }
        return try contract(a, b, axes: axes, multiply: matmul) { x in
            let dense = try allocate(x.shape, x.dtype)
            try NDArray.assign(x, into: dense)
            copies.append(dense)
            return dense
        }
    }

    /// ``tensordot(_:_:axes:)`` through the plain loops of ``matmulReference(_:_:)``.
    public static func tensordotReference(_ a: NDArray, _ b: NDArray, axes: ([Int], [Int])) throws -> NDArray {
        try contract(a, b, axes: axes, multiply: matmulReference)
    }

    private static func contract(_ a: NDArray, _ b: NDArray, axes: ([Int], [Int]),
                                 multiply: (NDArray, NDArray) throws -> NDArray,
                                 dense: (NDArray) throws -> NDArray = { $0.contiguous() }) throws -> NDArray {
        guard axes.0.count == axes.1.count else {
            throw TheanoError.invalidArgument(
                "tensordot: the two axis lists must have the same length, got \(axes.0) for shape \(formatShape(a.shape)) and \(axes.1) for shape \(formatShape(b.shape))")
        }
        let summedA = try axes.0.map { try normalizeAxis($0, rank: a.rank, context: "tensordot: first operand of shape \(formatShape(a.shape))") }
        let summedB = try axes.1.map { try normalizeAxis($0, rank: b.rank, context: "tensordot: second operand of shape \(formatShape(b.shape))") }
        guard Set(summedA).count == summedA.count, Set(summedB).count == summedB.count else {
            throw TheanoError.invalidArgument("tensordot: an axis is repeated in \(axes.0) or \(axes.1)")
        }
        for (i, j) in zip(summedA, summedB) where a.shape[i] != b.shape[j] {
            throw TheanoError.shapeMismatch(
                "tensordot: shapes \(formatShape(a.shape)) and \(formatShape(b.shape)) are not aligned: axis \(i) of the first operand has size \(a.shape[i]) but axis \(j) of the second has size \(b.shape[j])")
        }
        let freeA = (0..<a.rank).filter { !summedA.contains($0) }
        let freeB = (0..<b.rank).filter { !summedB.contains($0) }
        let product = try multiply(
            try a.matrixView(rowAxes: freeA, columnAxes: summedA, dense: dense),
            try b.matrixView(rowAxes: summedB, columnAxes: freeB, dense: dense))
        return try product.reshaped(freeA.map { a.shape[$0] } + freeB.map { b.shape[$0] })
    }

    /// The outer product of the flattened operands, as NumPy's `outer`: element `[i, j]` is
    /// `a.flat[i] * b.flat[j]`. Both operands must have the same dtype (bool gives and).
    public static func outer(_ a: NDArray, _ b: NDArray) throws -> NDArray {
        try matmul(try a.reshaped([a.count, 1]), try b.reshaped([1, b.count]))
    }

    /// ``outer(_:_:)`` through the plain loops of ``matmulReference(_:_:)``.
    public static func outerReference(_ a: NDArray, _ b: NDArray) throws -> NDArray {
        try matmulReference(try a.reshaped([a.count, 1]), try b.reshaped([1, b.count]))
    }

    /// A `[rows, columns]` matrix whose rows enumerate `rowAxes` and columns enumerate
    /// `columnAxes` (each in C order): a view when each group of axes merges into one stride,
    /// else a copy (`makeDense` makes the C-ordered one). The copy keeps the array's own axis order when the groups then merge (the
    /// matrix is a possibly transposed view of it, which BLAS reads with a transpose flag), so
    /// it copies whole contiguous rows: a time-reversed `[T, B, H]` contracted over `T` and
    /// `B` had been copied as its transpose, element by element (a tenth of an RNN's gradient
    /// step).
    func matrixView(rowAxes: [Int], columnAxes: [Int], dense makeDense: (NDArray) throws -> NDArray = { $0.contiguous() }) throws -> NDArray {
        let rows = shapeSize(rowAxes.map { shape[$0] })
        let columns = shapeSize(columnAxes.map { shape[$0] })
        if let rs = mergedStride(rowAxes), let cs = mergedStride(columnAxes) {
            return NDArray(storage: storage, dtype: dtype, shape: [rows, columns], strides: [rs, cs], offset: offset)
        }
        if !isContiguous {
            let dense = try makeDense(self)
            if let rs = dense.mergedStride(rowAxes), let cs = dense.mergedStride(columnAxes) {
                return NDArray(storage: dense.storage, dtype: dtype, shape: [rows, columns], strides: [rs, cs], offset: dense.offset)
            }
        }
        return try transposed(rowAxes + columnAxes).reshaped([rows, columns])
    }

    /// The single stride that steps through `axes` in C order, or nil when they do not merge.
    private func mergedStride(_ axes: [Int]) -> Int? {
        let kept = axes.filter { shape[$0] != 1 }
        guard let last = kept.last else { return 1 }
        for (outer, inner) in zip(kept, kept.dropFirst()) where strides[outer] != strides[inner] * shape[inner] {
            return nil
        }
        return strides[last]
    }
}
