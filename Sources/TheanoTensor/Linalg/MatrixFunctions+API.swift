import TheanoArray
import TheanoGraph

// Matrix functions built from other ops (so their gradients and batching come from those
// ops): trace, Kronecker product, integer matrix powers.

/// The sum of diagonal `offset` (0: main, positive: above, negative: below) of every matrix
/// in the last two axes (NumPy 2's `linalg.trace`), batched over the leading axes; 0 where
/// the diagonal lies outside the matrix. Any dtype; integers and bool sum to int64.
///
/// - Throws: when `a` has rank < 2.
public func trace(_ a: Tensor, offset: Int = 0) throws -> Tensor {
    try LinalgChecks.rank("trace", a, 0, atLeast: 2)
    // Beyond 2^60 every diagonal is empty; clamping keeps the size arithmetic in range.
    let clamped = Swift.min(Swift.max(offset, -maxElementCount), maxElementCount)
    let diagonal = try MatrixDiagonalPart(offset: clamped).apply([a])
    return try sum(diagonal, axis: diagonal.rank - 1)
}

/// The Kronecker product (NumPy's `kron`): for operands of equal rank (the lower-rank one
/// gets leading axes of size 1), axis `i` of the result has size `a.shape[i] * b.shape[i]`
/// and `out[i * p + k, j * q + l] = a[i, j] * b[k, l]` for matrices. Dtypes promote as `*`.
public func kron(_ a: Tensor, _ b: Tensor) throws -> Tensor {
    let rank = Swift.max(a.rank, b.rank)
    if rank == 0 { return try a * b }
    let pa = try leadingOnes(a, rank), pb = try leadingOnes(b, rank)
    var orderA: [Int] = [], orderB: [Int] = []
    for i in 0..<rank {
        orderA += [i, DimShuffle.newAxis]
        orderB += [DimShuffle.newAxis, i]
    }
    let product = try dimshuffle(pa, orderA) * dimshuffle(pb, orderB)
    let sa = pa.staticShape, sb = pb.staticShape
    var known: [Int] = []
    for i in 0..<rank {
        guard let x = sa[i], let y = sb[i] else { continue }
        let (size, overflow) = x.multipliedReportingOverflow(by: y)
        guard !overflow else {
            throw TheanoError.invalidArgument(
                "kron: axis \(i) would have \(x) x \(y) elements, which overflows; input 0 is \(describeVariable(a.variable)), input 1 is \(describeVariable(b.variable))")
        }
        known.append(size)
    }
    if known.count == rank { return try reshape(product, known) }
    let shapeA = try pa.shapeList(), shapeB = try pb.shapeList()
    var sizes: [Tensor] = []
    for i in 0..<rank { sizes.append(try shapeA[i] * shapeB[i]) }
    return try reshape(product, sizes)
}

/// `t` with leading axes of size 1 up to `rank`.
private func leadingOnes(_ t: Tensor, _ rank: Int) throws -> Tensor {
    if t.rank == rank { return t }
    let order = Array(repeating: DimShuffle.newAxis, count: rank - t.rank) + Array(0..<t.rank)
    return try dimshuffle(t, order)
}

/// The `n`-th power of every square matrix (NumPy's `linalg.matrix_power`): repeated
/// squaring with `matmul`; `n == 0` gives identities (in `a`'s dtype) and `n < 0` powers of
/// ``inv(_:)`` (float only).
///
/// - Throws: when `a` has rank < 2 or is statically not square.
public func matrixPower(_ a: Tensor, _ n: Int) throws -> Tensor {
    try LinalgChecks.rank("matrixPower", a, 0, atLeast: 2)
    _ = try LinalgChecks.square("matrixPower", [a.variable], 0, Array(a.staticShape.suffix(2)))
    if n == 0 { return try identityLike(a) }
    var base = try n < 0 ? inv(a) : a
    var k = n.magnitude
    var result: Tensor? = nil
    while k > 0 {
        if k & 1 == 1 { result = try result.map { try matmul($0, base) } ?? base }
        k >>= 1
        if k > 0 { base = try matmul(base, base) }
    }
    return result ?? base
}

extension Tensor {
    /// The sum of a diagonal of every matrix; see ``trace(_:offset:)``.
    public func trace(offset: Int = 0) throws -> Tensor { try TheanoTensor.trace(self, offset: offset) }
}
