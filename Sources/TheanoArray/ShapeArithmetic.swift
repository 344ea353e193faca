/// Arithmetic on shapes, strides and byte counts: the one place where sizes are multiplied.
///
/// A shape is *valid* when no size is negative and the product of its non-zero sizes is at
/// most ``maxElementCount`` (2^60 - 1). Then its element count, its C and Fortran strides,
/// every element offset and its byte count in any dtype (at most 8 bytes an element) fit in an
/// `Int`. A zero size does not excuse the others: `[0, 2^62, 2^62]` holds no element but its
/// strides do not fit, so it is refused, as NumPy refuses it.
///
/// Sizes that come from users, files or run-time values go through the `checked` functions
/// below, which throw a ``TheanoError`` naming the operation and the sizes. Every ``NDArray``
/// has a valid shape (its creators and views check), so code that handles existing arrays
/// uses the unchecked ``shapeSize(_:)`` and ``contiguousStrides(_:)``.

/// The largest number of elements of an array, and the largest product of the non-zero sizes
/// of any shape: 2^60 - 1, so byte counts of 8-byte elements still fit in `Int`.
public let maxElementCount = Int.max / 8

/// The number of elements of `shape`, after checking that it is valid (see above).
///
/// - Throws: `.invalidArgument` naming `context` and the shape, for a negative size or when the
///   non-zero sizes multiply past ``maxElementCount``.
public func checkedShapeSize(_ shape: [Int], context: String) throws -> Int {
    try checkedSize(shape.count, { shape[$0] }, text: { formatShape(shape) }, context: context)
}

/// Checks the known sizes of a static shape (`nil`: unknown until run time) and returns the
/// element count when every size is known.
///
/// - Throws: as ``checkedShapeSize(_:context:)``, for the known sizes alone.
public func checkedShapeSize(known shape: [Int?], context: String) throws -> Int? {
    let size = try checkedSize(shape.count, { shape[$0] ?? 1 }, text: { formatStaticShape(shape) }, context: context)
    return shape.contains(nil) ? nil : size
}

/// `[2, ?, 3]`: a static shape with `?` for unknown sizes, for error messages.
public func formatStaticShape(_ shape: [Int?]) -> String {
    "[" + shape.map { $0.map(String.init) ?? "?" }.joined(separator: ", ") + "]"
}

/// The element count of sizes `size(0) ..< size(count)`, or a thrown error using `text()` to
/// show them.
private func checkedSize(_ count: Int, _ size: (Int) -> Int, text: () -> String, context: String) throws -> Int {
    if let axis = (0..<count).first(where: { size($0) < 0 }) {
        throw TheanoError.invalidArgument("\(context): shape \(text()) has a negative size at axis \(axis)")
    }
    var extent = 1
    var hasZero = false
    for axis in 0..<count {
        let n = size(axis)
        if n == 0 {
            hasZero = true
            continue
        }
        let (p, overflow) = extent.multipliedReportingOverflow(by: n)
        guard !overflow, p <= maxElementCount else {
            throw TheanoError.invalidArgument(
                "\(context): shape \(text()) has too many elements: the product of its non-zero sizes is too large (more than \(maxElementCount) = 2^60 - 1, so its strides and byte count would not fit in Int)")
        }
        extent = p
    }
    return hasZero ? 0 : extent
}

/// The number of bytes of an array of `shape` and `dtype`, after checking that the shape is
/// valid.
public func checkedByteCount(_ shape: [Int], dtype: DType, context: String) throws -> Int {
    // A valid shape has at most 2^60 - 1 elements: times 8 bytes, still an Int.
    try checkedShapeSize(shape, context: context) * dtype.byteSize
}

/// The number of bytes of an array of `shape` and `dtype` that is about to be held in memory
/// by code that cannot throw once it has started (a Swift array, a kernel's output): checked as
/// ``checkedByteCount(_:dtype:context:)`` and against ``ArrayStorage/maxByteCount``.
///
/// - Throws: also `.outOfMemory` naming `context` and the size when it is more than the
///   machine's memory and swap.
public func checkedAllocation(_ shape: [Int], dtype: DType, context: String) throws -> Int {
    let bytes = try checkedByteCount(shape, dtype: dtype, context: context)
    guard bytes <= ArrayStorage.maxByteCount else {
        throw TheanoError.outOfMemory(
            "\(context): out of memory: an array of shape \(formatShape(shape)) and dtype \(dtype) needs \(formatByteCount(bytes)), more than this machine's memory and swap (\(formatByteCount(ArrayStorage.maxByteCount)))")
    }
    return bytes
}

/// C-order (row-major) strides, in elements, after checking that the shape is valid.
public func checkedContiguousStrides(_ shape: [Int], context: String) throws -> [Int] {
    _ = try checkedShapeSize(shape, context: context)
    return contiguousStrides(shape)
}

/// The product of factors that make one size, such as an axis size times a repetition count:
/// 0 when a factor is 0 (whatever the others), else at most ``maxElementCount``. For the
/// element count of a shape, where a zero does not excuse the other sizes, use
/// ``checkedShapeSize(_:context:)``.
///
/// - Throws: `.invalidArgument` naming `context` for a negative factor or a product that is
///   too large.
public func checkedProduct(_ sizes: [Int], context: String) throws -> Int {
    if let bad = sizes.first(where: { $0 < 0 }) {
        throw TheanoError.invalidArgument("\(context): size \(bad) is negative (in \(sizes.map(String.init).joined(separator: " * ")))")
    }
    if sizes.contains(0) { return 0 }
    var result = 1
    for n in sizes {
        let (p, overflow) = result.multipliedReportingOverflow(by: n)
        guard !overflow, p <= maxElementCount else {
            throw TheanoError.invalidArgument(
                "\(context): the size \(sizes.map(String.init).joined(separator: " * ")) is too large (more than \(maxElementCount) = 2^60 - 1 elements)")
        }
        result = p
    }
    return result
}

/// The sum of `sizes` (such as the sizes joined by a concatenation), which must be
/// non-negative and add up to at most ``maxElementCount``.
public func checkedSum(_ sizes: [Int], context: String) throws -> Int {
    var total = 0
    for n in sizes {
        guard n >= 0 else {
            throw TheanoError.invalidArgument("\(context): size \(n) is negative (sizes \(sizes))")
        }
        let (s, overflow) = total.addingReportingOverflow(n)
        guard !overflow, s <= maxElementCount else {
            throw TheanoError.invalidArgument(
                "\(context): the sizes \(sizes.map(String.init).joined(separator: " + ")) add up to too many elements (too large: more than \(maxElementCount) = 2^60 - 1)")
        }
        total = s
    }
    return total
}

// MARK: - Unchecked forms, for shapes known to be valid

/// The product of a shape's sizes (1 for a scalar).
///
/// Only for valid shapes, such as those of existing arrays: it traps when the product
/// overflows. Use ``checkedShapeSize(_:context:)`` for sizes from users, files or run-time
/// values.
@inlinable
public func shapeSize(_ shape: [Int]) -> Int { shape.reduce(1, *) }

/// C-order (row-major) strides, in elements, for a valid shape (see
/// ``checkedContiguousStrides(_:context:)``).
public func contiguousStrides(_ shape: [Int]) -> [Int] {
    var strides = Array(repeating: 0, count: shape.count)
    var s = 1
    for i in stride(from: shape.count - 1, through: 0, by: -1) {
        strides[i] = s
        s *= Swift.max(shape[i], 1)
    }
    return strides
}

/// Fortran-order (column-major) strides, in elements, for a valid shape.
public func fortranStrides(_ shape: [Int]) -> [Int] {
    var strides = Array(repeating: 0, count: shape.count)
    var s = 1
    for i in shape.indices {
        strides[i] = s
        s *= Swift.max(shape[i], 1)
    }
    return strides
}
