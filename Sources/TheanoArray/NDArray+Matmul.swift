/// Matrix products of arrays with NumPy's `matmul` semantics.
extension NDArray {
    /// The matrix product of two arrays of the same dtype, as NumPy's `matmul`.
    ///
    /// - A 1-D `a` is treated as a row `[1, k]` and a 1-D `b` as a column `[k, 1]`; the added
    ///   axis is removed from the result (so vector x vector is a scalar).
    /// - Arrays of rank > 2 are stacks of matrices in their last two axes; the leading (batch)
    ///   axes broadcast as in NumPy.
    /// - float32 and float64 use BLAS (transposed views are read in place); other dtypes use
    ///   ``matmulReference(_:_:)``: integers accumulate in their own dtype with wrapping, and
    ///   bool gives bool (or of ands).
    /// - A contracted size of 0 gives zeros.
    ///
    /// Throws a shape error when the contracted sizes differ or the batch axes do not
    /// broadcast, a type error when the dtypes differ, and an error for rank-0 operands.
    public static func matmul(_ a: NDArray, _ b: NDArray) throws -> NDArray {
        let plan = try MatmulPlan(a, b)
        let full: NDArray
        switch a.dtype {
        case .float32 where plan.fitsBLAS: full = try plan.blasProduct(Float.self)
        case .float64 where plan.fitsBLAS: full = try plan.blasProduct(Double.self)
        default: full = try referenceMatmul(plan)
        }
        return try plan.removingAddedAxes(full)
    }

    /// The matrix product computed by a plain triple loop, for every dtype: the reference that
    /// the BLAS path of ``matmul(_:_:)`` is tested against. Same semantics and errors as
    /// ``matmul(_:_:)``; float32 accumulates in double (rounded once at the end), float64 in
    /// double, integers wrap, bool gives bool.
    public static func matmulReference(_ a: NDArray, _ b: NDArray) throws -> NDArray {
        let plan = try MatmulPlan(a, b)
        return try plan.removingAddedAxes(try referenceMatmul(plan))
    }
}

/// The shapes of one `matmul`: operands promoted to rank >= 2 and broadcast to one batch shape.
struct MatmulPlan {
    /// The operands with 1-D inputs promoted to matrices (not yet broadcast).
    let a: NDArray, b: NDArray
    /// The broadcast batch shape.
    let batch: [Int]
    let m: Int, n: Int, k: Int
    /// Whether a row axis was added to `a` or a column axis to `b`.
    let addedRow: Bool, addedColumn: Bool

    init(_ a: NDArray, _ b: NDArray) throws {
        guard a.dtype == b.dtype else {
            throw TheanoError.typeMismatch(
                "matmul: the operands must have the same dtype, got \(a.dtype) and \(b.dtype); convert one with astype(_:) first")
        }
        guard a.rank >= 1, b.rank >= 1 else {
            throw TheanoError.invalidArgument(
                "matmul: operands must have rank 1 or more, got shapes \(formatShape(a.shape)) and \(formatShape(b.shape)); multiply elementwise to scale by a scalar")
        }
        addedRow = a.rank == 1
        addedColumn = b.rank == 1
        self.a = addedRow ? try a.expandingDims(0) : a
        self.b = addedColumn ? try b.expandingDims(1) : b
        m = self.a.shape[self.a.rank - 2]
        k = self.a.shape[self.a.rank - 1]
        n = self.b.shape[self.b.rank - 1]
        let kb = self.b.shape[self.b.rank - 2]
        guard k == kb else {
            let axisB = b.rank == 1 ? 0 : b.rank - 2
            throw TheanoError.shapeMismatch(
                "matmul: shapes \(formatShape(a.shape)) and \(formatShape(b.shape)) are not aligned: axis \(a.rank - 1) of the first operand has size \(k) but axis \(axisB) of the second has size \(kb)")
        }
        batch = try broadcastShapes(
            [Array(self.a.shape.dropLast(2)), Array(self.b.shape.dropLast(2))],
            context: "matmul: batch axes of shapes \(formatShape(a.shape)) and \(formatShape(b.shape))")
        // Operands may be broadcast views: the result must be checked before it is allocated.
        _ = try checkedAllocation(batch + [m, n], dtype: a.dtype, context: "matmul of shapes \(formatShape(a.shape)) and \(formatShape(b.shape))")
    }

    /// Whether BLAS can take these sizes (its integers are 32-bit).
    var fitsBLAS: Bool { Swift.max(m, n, k) <= blasMaxDimension }

    /// The result without the axes that 1-D operands gained.
    func removingAddedAxes(_ full: NDArray) throws -> NDArray {
        var shape = batch
        if !addedRow { shape.append(m) }
        if !addedColumn { shape.append(n) }
        return shape == full.shape ? full : try full.reshaped(shape)
    }
}

/// The plain triple loop over broadcast batches, any dtype and layout.
private func referenceMatmul(_ plan: MatmulPlan) throws -> NDArray {
    func run<T: NDArrayElement, A>(_: T.Type, zero: A, _ multiplyAdd: (A, T, T) -> A, _ finish: (A) -> T) throws -> NDArray {
        let (m, n, k) = (plan.m, plan.n, plan.k)
        let out = try NDArray(allocating: plan.batch + [m, n], dtype: T.dtype, zeroed: false, context: "matmul")
        let a = try plan.a.broadcast(to: plan.batch + [m, k])
        let b = try plan.b.broadcast(to: plan.batch + [k, n])
        let (pa, pb, po) = (a.storagePointer(as: T.self), b.storagePointer(as: T.self), out.storagePointer(as: T.self))
        let r = plan.batch.count
        let (sam, sak) = (a.strides[r], a.strides[r + 1])
        let (sbk, sbn) = (b.strides[r], b.strides[r + 1])
        func matrix(_ oa: Int, _ ob: Int, _ oc: Int) {
            for i in 0..<m {
                for j in 0..<n {
                    var acc = zero
                    for p in 0..<k {
                        acc = multiplyAdd(acc, pa[oa + i * sam + p * sak], pb[ob + p * sbk + j * sbn])
                    }
                    po[oc + i * n + j] = finish(acc)
                }
            }
        }
        let walk = StridedWalk(
            shape: plan.batch,
            strides: [Array(a.strides.prefix(r)), Array(b.strides.prefix(r)), Array(out.strides.prefix(r))],
            offsets: [a.offset, b.offset, 0])
        walk.forEachRow { offs, count, inner in
            for i in 0..<count {
                matrix(offs[0] + i * inner[0], offs[1] + i * inner[1], offs[2] + i * inner[2])
            }
        }
        return out
    }
    switch plan.a.dtype {
    case .bool: return try run(Bool.self, zero: false, { $0 || ($1 && $2) }, { $0 })
    case .uint8: return try run(UInt8.self, zero: 0, { $0 &+ $1 &* $2 }, { $0 })
    case .int8: return try run(Int8.self, zero: 0, { $0 &+ $1 &* $2 }, { $0 })
    case .int16: return try run(Int16.self, zero: 0, { $0 &+ $1 &* $2 }, { $0 })
    case .int32: return try run(Int32.self, zero: 0, { $0 &+ $1 &* $2 }, { $0 })
    case .int64: return try run(Int64.self, zero: 0, { $0 &+ $1 &* $2 }, { $0 })
    case .float32: return try run(Float.self, zero: 0.0, { $0 + Double($1) * Double($2) }, { Float($0) })
    case .float64: return try run(Double.self, zero: 0.0, { $0 + $1 * $2 }, { $0 })
    }
}
