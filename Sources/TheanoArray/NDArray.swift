/// An n-dimensional array of one ``DType``: the values that flow into and out of compiled
/// functions.
///
/// `NDArray` is a value type. Its storage is shared between copies and views and copied on
/// write, so `var b = a; b[...] = ...` never changes `a`. A view (``transposed(_:)``,
/// ``slice(_:)``, ``broadcast(to:)``) shares storage and differs only in `shape`, `strides` and
/// `offset`, all counted in elements.
///
/// ```swift
/// let a = try NDArray([1, 2, 3, 4, 5, 6] as [Float], shape: [2, 3])
/// let t = a.transposed()          // a view: shape [3, 2], strides [1, 3]
/// print(t)                        // array([[1., 4.],
///                                 //        [2., 5.],
///                                 //        [3., 6.]], dtype=float32)
/// ```
public struct NDArray: Sendable {
    /// The element type.
    public let dtype: DType
    /// Size of each axis.
    public private(set) var shape: [Int]
    /// Distance between neighbours along each axis, in elements (may be 0 or negative).
    public private(set) var strides: [Int]
    /// Index of the first element in the storage, in elements.
    public private(set) var offset: Int
    /// The shared buffer.
    public private(set) var storage: ArrayStorage

    /// Wraps existing storage; `shape`, `strides` and `offset` must stay inside it.
    public init(storage: ArrayStorage, dtype: DType, shape: [Int], strides: [Int], offset: Int) {
        self.storage = storage
        self.dtype = dtype
        self.shape = shape
        self.strides = strides
        self.offset = offset
    }

    /// A new C-contiguous array filled with zeros (false for bool), for a shape known to be
    /// valid (see ``init(allocating:dtype:zeroed:)``).
    package init(zeros shape: [Int], dtype: DType = .float32) {
        self.init(allocating: shape, dtype: dtype, zeroed: true)
    }

    /// A new C-contiguous array of any shape: the checked way to allocate. Its contents are
    /// zero unless `zeroed` is false, in which case the caller must write every element before
    /// reading.
    ///
    /// - Throws: `.invalidArgument` naming `context` for a negative size or too many elements
    ///   (``checkedByteCount(_:dtype:context:)``); `.outOfMemory` with the size when the memory
    ///   cannot be had.
    package init(allocating shape: [Int], dtype: DType, zeroed: Bool = true, context: String) throws {
        let bytes = try checkedByteCount(shape, dtype: dtype, context: context)
        let storage: ArrayStorage
        do {
            storage = try ArrayStorage(byteCount: bytes, zeroed: zeroed)
        } catch let error as TheanoError {
            throw TheanoError(error.kind, "\(context): \(error.message), for an array of shape \(formatShape(shape)) and dtype \(dtype)")
        }
        self.init(storage: storage, dtype: dtype, shape: shape, strides: contiguousStrides(shape), offset: 0)
    }

    /// A new C-contiguous array whose shape is known to be valid: that of an existing array,
    /// or one checked by the caller. Only kernels and non-throwing conversions use it; sizes
    /// from users, files or run-time values go through
    /// ``init(allocating:dtype:zeroed:context:)``, which throws.
    ///
    /// Stops the process with the reason when the system refuses the memory (it cannot
    /// throw): callers that can throw use the checked form.
    @usableFromInline package init(allocating shape: [Int], dtype: DType, zeroed: Bool = true) {
        do {
            try self.init(allocating: shape, dtype: dtype, zeroed: zeroed, context: "allocate")
        } catch {
            fatalError("\(error)")
        }
    }

    /// Number of axes.
    @inlinable public var rank: Int { shape.count }
    /// Number of elements.
    @inlinable public var count: Int { shapeSize(shape) }
    /// Bytes of the elements (not of the storage).
    public var byteCount: Int { count * dtype.byteSize }

    /// True when the elements are laid out in C order with no gaps (any offset).
    public var isContiguous: Bool {
        var expected = 1
        for i in stride(from: rank - 1, through: 0, by: -1) where shape[i] != 1 {
            if shape[i] == 0 { return true }
            if strides[i] != expected { return false }
            expected *= shape[i]
        }
        return true
    }

    /// True when the elements are laid out in Fortran order with no gaps.
    public var isFortranContiguous: Bool {
        var expected = 1
        for i in 0..<rank where shape[i] != 1 {
            if shape[i] == 0 { return true }
            if strides[i] != expected { return false }
            expected *= shape[i]
        }
        return true
    }

    /// Whether this value is the only user of its storage (so it may be written in place).
    public mutating func isUniquelyReferenced() -> Bool {
        isKnownUniquelyReferenced(&storage)
    }

    /// Whether two arrays share storage (one may be a view of the other).
    public func sharesStorage(with other: NDArray) -> Bool { storage === other.storage }
}

// MARK: - Raw access

extension NDArray {
    /// A typed pointer to element 0 of the storage (not to `offset`).
    @inlinable
    public func storagePointer<T: NDArrayElement>(as type: T.Type) -> UnsafeMutablePointer<T> {
        storage.baseAddress.assumingMemoryBound(to: T.self)
    }

    /// Calls `body` with the elements of a C-contiguous copy (or of `self`, when already
    /// contiguous), in C order. `T` must match `dtype` (use ``toArray(of:)`` to convert).
    public func withUnsafeBufferPointer<T: NDArrayElement, R>(
        of type: T.Type, _ body: (UnsafeBufferPointer<T>) throws -> R
    ) throws -> R {
        guard T.dtype == dtype else {
            throw TheanoError.typeMismatch("cannot read an array of dtype \(dtype) as \(T.self) (dtype \(T.dtype)); convert it with astype(.\(T.dtype)) first")
        }
        let c = contiguous()
        let p = c.storagePointer(as: T.self) + c.offset
        return try body(UnsafeBufferPointer(start: p, count: c.count))
    }

    /// Makes this array C-contiguous and the sole owner of its storage, then calls `body` with
    /// its elements to read and write in place. `T` must match `dtype`.
    public mutating func withUnsafeMutableBufferPointer<T: NDArrayElement, R>(
        of type: T.Type, _ body: (UnsafeMutableBufferPointer<T>) throws -> R
    ) throws -> R {
        guard T.dtype == dtype else {
            throw TheanoError.typeMismatch("cannot write an array of dtype \(dtype) as \(T.self) (dtype \(T.dtype))")
        }
        makeUniqueAndContiguous()
        let p = storagePointer(as: T.self) + offset
        return try body(UnsafeMutableBufferPointer(start: p, count: count))
    }

    /// Ensures this array owns its storage alone and is C-contiguous, copying when needed.
    public mutating func makeUniqueAndContiguous() {
        if !isKnownUniquelyReferenced(&storage) || !isContiguous {
            self = copy()
        }
    }

    /// A C-contiguous array with the same values: `self` when already contiguous, else a copy.
    public func contiguous() -> NDArray { isContiguous ? self : copy() }

    /// A fresh C-contiguous copy that owns its storage.
    public func copy() -> NDArray {
        var out = NDArray(allocating: shape, dtype: dtype, zeroed: false)
        out.copyElements(from: self)
        return out
    }

    /// A fresh C-contiguous copy, or a thrown `.outOfMemory` naming `context` when the memory
    /// cannot be had (a broadcast view may stand for far more elements than it stores).
    package func copy(context: String) throws -> NDArray {
        var out = try NDArray(allocating: shape, dtype: dtype, zeroed: false, context: context)
        out.copyElements(from: self)
        return out
    }

    /// Writes `source`'s elements into this array's own (uniquely owned) storage in C order.
    /// Shapes and dtypes must be equal; callers check.
    @usableFromInline
    mutating func copyElements(from source: NDArray) {
        assert(source.shape == shape && source.dtype == dtype)
        if source.isContiguous && isContiguous {
            (storage.baseAddress + offset * dtype.byteSize).copyMemory(
                from: source.storage.baseAddress + source.offset * dtype.byteSize, byteCount: byteCount)
            return
        }
        try? NDArray.assign(source, into: self)
    }
}
