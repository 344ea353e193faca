import Theano
import XCTest

// Independent, definitional references for the linear-algebra tests: every output element is
// a sum over explicit index pairs, read with `element(_:)`, with no reshapes, views or BLAS.
// Floats accumulate in Double, integers in Int64 with wrapping (then truncated to the dtype,
// which equals accumulating in the dtype), bools as or-of-ands.

/// An array of `shape` and `dtype` whose element at index `I` is the sum over
/// `pairs(I)` of `a[ia] * b[ib]`.
func naiveContraction(
    _ a: NDArray, _ b: NDArray, shape: [Int], dtype: DType, pairs: ([Int]) -> [([Int], [Int])]
) throws -> NDArray {
    var values: [Double] = []
    var integers: [Int64] = []
    for index in allIndices(shape) {
        if dtype.isFloatingPoint {
            var acc = 0.0
            for (ia, ib) in pairs(index) {
                acc += try a.element(ia, as: Double.self) * b.element(ib, as: Double.self)
            }
            values.append(acc)
        } else if dtype == .bool {
            var acc = false
            for (ia, ib) in pairs(index) {
                acc = try acc || (a.element(ia, as: Bool.self) && b.element(ib, as: Bool.self))
            }
            integers.append(acc ? 1 : 0)
        } else {
            var acc: Int64 = 0
            for (ia, ib) in pairs(index) {
                acc = try acc &+ a.element(ia, as: Int64.self) &* b.element(ib, as: Int64.self)
            }
            integers.append(acc)
        }
    }
    if dtype.isFloatingPoint { return try NDArray(values, shape: shape).astype(dtype) }
    return try NDArray(integers, shape: shape).astype(dtype)
}

/// NumPy's `matmul`, from its definition.
func naiveMatmul(_ a: NDArray, _ b: NDArray) throws -> NDArray {
    let k = a.shape[a.rank - 1]
    let batchA = Array(a.shape.dropLast(2)), batchB = Array(b.shape.dropLast(2))
    let batchRank = max(batchA.count, batchB.count)
    var batch: [Int] = []
    for axis in 0..<batchRank {
        let sa = axis - (batchRank - batchA.count) >= 0 ? batchA[axis - (batchRank - batchA.count)] : 1
        let sb = axis - (batchRank - batchB.count) >= 0 ? batchB[axis - (batchRank - batchB.count)] : 1
        batch.append(sa == 1 ? sb : sa)
    }
    var shape = batch
    if a.rank >= 2 { shape.append(a.shape[a.rank - 2]) }
    if b.rank >= 2 { shape.append(b.shape[b.rank - 1]) }
    // The index of an operand's batch axes for an output batch index (size-1 axes broadcast).
    func batchIndex(_ out: [Int], _ own: [Int]) -> [Int] {
        own.indices.map { i in own[i] == 1 ? 0 : out[batchRank - own.count + i] }
    }
    return try naiveContraction(a, b, shape: shape, dtype: a.dtype) { index in
        let outBatch = Array(index.prefix(batchRank))
        let i = a.rank >= 2 ? index[batchRank] : 0
        let j = b.rank >= 2 ? index[index.count - 1] : 0
        return (0..<k).map { p in
            let ia = a.rank == 1 ? [p] : batchIndex(outBatch, batchA) + [i, p]
            let ib = b.rank == 1 ? [p] : batchIndex(outBatch, batchB) + [p, j]
            return (ia, ib)
        }
    }
}

/// NumPy's `dot` for operands of rank >= 1, from its definition: sums over the last axis of
/// `a` and the second-to-last of `b` (its only axis when 1-D).
func naiveDot(_ a: NDArray, _ b: NDArray) throws -> NDArray {
    let k = a.shape[a.rank - 1]
    let freeA = Array(a.shape.dropLast())
    let freeB = b.rank == 1 ? [] : Array(b.shape.dropLast(2)) + [b.shape[b.rank - 1]]
    return try naiveContraction(a, b, shape: freeA + freeB, dtype: a.dtype) { index in
        let ia = Array(index.prefix(freeA.count))
        let rest = Array(index.dropFirst(freeA.count))
        return (0..<k).map { p in
            (ia + [p], b.rank == 1 ? [p] : Array(rest.dropLast()) + [p] + [rest[rest.count - 1]])
        }
    }
}

/// NumPy's `tensordot` with explicit (non-negative) axis pairs, from its definition.
func naiveTensordot(_ a: NDArray, _ b: NDArray, _ axesA: [Int], _ axesB: [Int]) throws -> NDArray {
    let freeA = (0..<a.rank).filter { !axesA.contains($0) }
    let freeB = (0..<b.rank).filter { !axesB.contains($0) }
    let summed = axesA.map { a.shape[$0] }
    return try naiveContraction(a, b, shape: freeA.map { a.shape[$0] } + freeB.map { b.shape[$0] }, dtype: a.dtype) { index in
        allIndices(summed).map { s in
            var ia = Array(repeating: 0, count: a.rank), ib = Array(repeating: 0, count: b.rank)
            for (n, axis) in freeA.enumerated() { ia[axis] = index[n] }
            for (n, axis) in freeB.enumerated() { ib[axis] = index[freeA.count + n] }
            for (n, axis) in axesA.enumerated() { ia[axis] = s[n] }
            for (n, axis) in axesB.enumerated() { ib[axis] = s[n] }
            return (ia, ib)
        }
    }
}

/// A symbolic input for `value`: static size 1 where the value has size 1 (so it broadcasts),
/// unknown elsewhere; or the exact shape when `exact`.
func symbolicInput(_ name: String, _ value: NDArray, exact: Bool = false) -> Tensor {
    Tensor.variable(name, value.dtype, shape: value.shape.map { exact || $0 == 1 ? $0 : nil })
}
