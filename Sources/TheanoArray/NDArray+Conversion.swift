/// Conversions between ``NDArray`` and Swift arrays and scalars, and between dtypes.
extension NDArray {
    /// An array of `values` in C order with the given shape; the dtype comes from `T`.
    ///
    /// Throws when the number of values does not match the shape.
    public init<T: NDArrayElement>(_ values: [T], shape: [Int]) throws {
        let size = try checkedShapeSize(shape, context: "NDArray")
        guard values.count == size else {
            throw TheanoError.shapeMismatch(
                "NDArray: \(values.count) values cannot fill shape \(formatShape(shape)), which holds \(size)")
        }
        try self.init(allocating: shape, dtype: T.dtype, zeroed: false, context: "NDArray")
        NDArray.store(values, into: self)
    }

    /// A one-dimensional array of `values`.
    public init<T: NDArrayElement>(_ values: [T]) {
        self.init(allocating: [values.count], dtype: T.dtype, zeroed: false)
        NDArray.store(values, into: self)
    }

    /// A two-dimensional array from rows of equal length; throws on ragged rows.
    public init<T: NDArrayElement>(_ rows: [[T]]) throws {
        let width = rows.first?.count ?? 0
        if let bad = rows.firstIndex(where: { $0.count != width }) {
            throw TheanoError.shapeMismatch("NDArray: row \(bad) has \(rows[bad].count) values, row 0 has \(width)")
        }
        try self.init(rows.flatMap { $0 }, shape: [rows.count, width])
    }

    /// A zero-dimensional array holding one value.
    public init<T: NDArrayElement>(scalar value: T) {
        self.init(allocating: [], dtype: T.dtype, zeroed: false)
        NDArray.store([value], into: self)
    }

    private static func store<T: NDArrayElement>(_ values: [T], into array: NDArray) {
        if T.self == Int.self {
            // Int is stored as Int64; convert explicitly rather than reinterpret.
            let p = array.storagePointer(as: Int64.self)
            for (i, v) in values.enumerated() { p[i] = v.int64Value }
        } else {
            values.withUnsafeBufferPointer { src in
                guard let base = src.baseAddress else { return }
                array.storagePointer(as: T.self).update(from: base, count: values.count)
            }
        }
    }

    /// The elements in C order, converted to `T` with the casting rules of ``NDArrayElement``.
    public func toArray<T: NDArrayElement>(of type: T.Type = T.self) -> [T] {
        // The same element type in C order: one block copy (the general path below walks
        // element by element through generic conversions).
        if T.dtype == dtype, MemoryLayout<T>.stride == dtype.byteSize, !isContiguous, count > 0,
           let ordered = try? copy(context: "toArray") {
            // A strided view: a C-order copy first (copied as words of the element's width).
            return ordered.toArray(of: T.self)
        }
        if T.dtype == dtype, MemoryLayout<T>.stride == dtype.byteSize, isContiguous {
            let n = count
            return [T](unsafeUninitializedCapacity: n) { buffer, initialized in
                if n > 0, let base = buffer.baseAddress {
                    UnsafeMutableRawPointer(base).copyMemory(from: storage.baseAddress + offset * dtype.byteSize,
                                                             byteCount: n * dtype.byteSize)
                }
                initialized = n
            }
        }
        func read<S: NDArrayElement>(_: S.Type) -> [T] {
            var out: [T] = []
            out.reserveCapacity(count)
            let p = storagePointer(as: S.self)
            let identical = S.self == T.self
            let walk = StridedWalk(shape: shape, strides: [strides], offsets: [offset])
            walk.forEachRow { offs, n, inner in
                for i in 0..<n {
                    let v = p[offs[0] + i * inner[0]]
                    out.append(identical ? unsafeBitCast(v, to: T.self) : T.element(converting: v))
                }
            }
            return out
        }
        return read(dtype.elementType)
    }

    /// The elements as Doubles in C order.
    public var doubles: [Double] { toArray(of: Double.self) }

    /// The single element of a size-1 array, converted to `T`; throws for other sizes.
    public func item<T: NDArrayElement>(_ type: T.Type = T.self) throws -> T {
        guard count == 1 else {
            throw TheanoError.shapeMismatch("item(): the array has shape \(formatShape(shape)) (\(count) elements); only an array of one element converts to a scalar")
        }
        return toArray(of: T.self)[0]
    }

    /// The element at a full index (negative indices count from the end), converted to `T`.
    public func element<T: NDArrayElement>(_ index: [Int], as type: T.Type = T.self) throws -> T {
        guard index.count == rank else {
            throw TheanoError.invalidArgument("element(): index \(index) has \(index.count) entries for an array of rank \(rank)")
        }
        var flat = offset
        for (axis, i) in index.enumerated() {
            let j = i < 0 ? i + shape[axis] : i
            guard j >= 0, j < shape[axis] else {
                throw TheanoError.outOfRange("element(): index \(i) is out of bounds for axis \(axis) with size \(shape[axis])")
            }
            flat += j * strides[axis]
        }
        func read<S: NDArrayElement>(_: S.Type) -> T { T.element(converting: storagePointer(as: S.self)[flat]) }
        return read(dtype.elementType)
    }

    /// A C-contiguous copy converted to `dtype` (self when the dtype already matches).
    public func astype(_ target: DType) -> NDArray {
        if target == dtype { return self }
        func convert<S: NDArrayElement, D: NDArrayElement>(_: S.Type, _: D.Type) -> NDArray {
            mapElements(self, S.self, D.self) { D.element(converting: $0) }
        }
        return convert(dtype.elementType, target.elementType)
    }
}

extension NDArray: Equatable {
    /// Two arrays are equal when dtype, shape and every element are equal (NaN != NaN, as in
    /// IEEE arithmetic). Layout does not matter.
    public static func == (a: NDArray, b: NDArray) -> Bool {
        guard a.dtype == b.dtype, a.shape == b.shape else { return false }
        func same<T: NDArrayElement & Equatable>(_: T.Type) -> Bool {
            a.toArray(of: T.self) == b.toArray(of: T.self)
        }
        switch a.dtype {
        case .bool: return same(Bool.self)
        case .uint8: return same(UInt8.self)
        case .int8: return same(Int8.self)
        case .int16: return same(Int16.self)
        case .int32: return same(Int32.self)
        case .int64: return same(Int64.self)
        case .float32: return same(Float.self)
        case .float64: return same(Double.self)
        }
    }
}
