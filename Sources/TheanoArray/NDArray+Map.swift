/// Typed elementwise loops over arrays of any layout: the building blocks of every reference
/// kernel. Inputs must already have the output's shape (use ``NDArray/broadcast(to:)`` views,
/// whose zero strides cost nothing); the result is a new C-contiguous array.

/// Applies `f` to every element of `a` (whose dtype must be `A.dtype`).
@inlinable
public func mapElements<A: NDArrayElement, R: NDArrayElement>(
    _ a: NDArray, _: A.Type, _: R.Type, _ f: (A) throws -> R
) rethrows -> NDArray {
    assert(a.dtype == A.dtype, "mapElements: dtype \(a.dtype) read as \(A.self)")
    let out = NDArray(allocating: a.shape, dtype: R.dtype, zeroed: false)
    let pa = a.storagePointer(as: A.self)
    let po = out.storagePointer(as: R.self)
    if a.isContiguous {
        let n = a.count
        let base = a.offset
        for i in 0..<n { po[i] = try f(pa[base + i]) }
        return out
    }
    let walk = StridedWalk(shape: a.shape, strides: [out.strides, a.strides], offsets: [0, a.offset])
    try walk.forEachRow { offs, n, inner in
        let (o, ia) = (offs[0], offs[1])
        let sa = inner[1]
        for i in 0..<n { po[o + i] = try f(pa[ia + i * sa]) }
    }
    return out
}

/// Applies `f` to corresponding elements of `a` and `b`, which must have the same shape.
@inlinable
public func mapElements<A: NDArrayElement, B: NDArrayElement, R: NDArrayElement>(
    _ a: NDArray, _ b: NDArray, _: A.Type, _: B.Type, _: R.Type, _ f: (A, B) throws -> R
) rethrows -> NDArray {
    assert(a.shape == b.shape && a.dtype == A.dtype && b.dtype == B.dtype)
    let out = NDArray(allocating: a.shape, dtype: R.dtype, zeroed: false)
    let pa = a.storagePointer(as: A.self)
    let pb = b.storagePointer(as: B.self)
    let po = out.storagePointer(as: R.self)
    if a.isContiguous && b.isContiguous {
        let (ba, bb) = (a.offset, b.offset)
        for i in 0..<a.count { po[i] = try f(pa[ba + i], pb[bb + i]) }
        return out
    }
    let walk = StridedWalk(
        shape: a.shape, strides: [out.strides, a.strides, b.strides], offsets: [0, a.offset, b.offset])
    try walk.forEachRow { offs, n, inner in
        let (o, ia, ib) = (offs[0], offs[1], offs[2])
        let (sa, sb) = (inner[1], inner[2])
        for i in 0..<n { po[o + i] = try f(pa[ia + i * sa], pb[ib + i * sb]) }
    }
    return out
}

/// Applies `f` to corresponding elements of three arrays of the same shape.
@inlinable
public func mapElements<A: NDArrayElement, B: NDArrayElement, C: NDArrayElement, R: NDArrayElement>(
    _ a: NDArray, _ b: NDArray, _ c: NDArray, _: A.Type, _: B.Type, _: C.Type, _: R.Type,
    _ f: (A, B, C) throws -> R
) rethrows -> NDArray {
    assert(a.shape == b.shape && a.shape == c.shape)
    let out = NDArray(allocating: a.shape, dtype: R.dtype, zeroed: false)
    let pa = a.storagePointer(as: A.self)
    let pb = b.storagePointer(as: B.self)
    let pc = c.storagePointer(as: C.self)
    let po = out.storagePointer(as: R.self)
    let walk = StridedWalk(
        shape: a.shape, strides: [out.strides, a.strides, b.strides, c.strides],
        offsets: [0, a.offset, b.offset, c.offset])
    try walk.forEachRow { offs, n, inner in
        for i in 0..<n {
            po[offs[0] + i] = try f(pa[offs[1] + i * inner[1]], pb[offs[2] + i * inner[2]], pc[offs[3] + i * inner[3]])
        }
    }
    return out
}

extension NDArray {
    /// A new array of `shape` (known to be valid) with every element equal to `value`
    /// converted to `dtype`.
    package init(repeating value: Double, shape: [Int], dtype: DType) {
        self.init(allocating: shape, dtype: dtype, zeroed: false)
        fill(with: value)
    }

    /// A new array of any `shape` with every element equal to `value` converted to `dtype`;
    /// throws as ``init(allocating:dtype:zeroed:context:)``.
    package init(repeating value: Double, shape: [Int], dtype: DType, context: String) throws {
        try self.init(allocating: shape, dtype: dtype, zeroed: false, context: context)
        fill(with: value)
    }

    private func fill(with value: Double) {
        func write<T: NDArrayElement>(_: T.Type) {
            storagePointer(as: T.self).initialize(repeating: T.element(fromDouble: value), count: count)
        }
        write(dtype.elementType)
    }

    /// Copies `source` (same shape, any dtype: converted) into the region of this array's
    /// storage described by `shape`, `strides` and `offset` of `view`, which must be a view of
    /// storage this array owns. Used by in-place kernels such as setSubtensor.
    public static func assign(_ source: NDArray, into view: NDArray) throws {
        guard source.shape == view.shape else {
            throw TheanoError.shapeMismatch("assign: source of shape \(formatShape(source.shape)) does not fit a destination of shape \(formatShape(view.shape))")
        }
        let src = source.astype(view.dtype)
        let size = view.dtype.byteSize
        if src.isContiguous && view.isContiguous {
            // One block (copyMemory moves overlapping blocks correctly).
            (view.storage.baseAddress + view.offset * size).copyMemory(
                from: src.storage.baseAddress + src.offset * size, byteCount: view.count * size)
            return
        }
        // Elements copied as plain words of their size: one specialised loop per width.
        switch size {
        case 1: copyStrided(UInt8.self, from: src, into: view)
        case 2: copyStrided(UInt16.self, from: src, into: view)
        case 4: copyStrided(UInt32.self, from: src, into: view)
        default: copyStrided(UInt64.self, from: src, into: view)
        }
    }

    /// Copies `src`'s elements into `view` (same shape and element width) as words of type `W`.
    private static func copyStrided<W: FixedWidthInteger>(_: W.Type, from src: NDArray, into view: NDArray) {
        let ps = src.storage.baseAddress.assumingMemoryBound(to: W.self)
        let pd = view.storage.baseAddress.assumingMemoryBound(to: W.self)
        let walk = StridedWalk(shape: view.shape, strides: [view.strides, src.strides], offsets: [view.offset, src.offset])
        walk.forEachRow { offs, n, inner in
            let d = pd + offs[0], s = ps + offs[1]
            if inner[0] == 1 && inner[1] == 1 {
                UnsafeMutableRawPointer(d).copyMemory(from: UnsafeRawPointer(s), byteCount: n * MemoryLayout<W>.stride)
            } else if inner[0] == 1 && inner[1] == 0 {
                // A value broadcast along the row (an `Alloc` filling an array): one store loop.
                d.update(repeating: s[0], count: n)
            } else {
                let (a, b) = (inner[0], inner[1])
                for i in 0..<n { d[i * a] = s[i * b] }
            }
        }
    }
}
