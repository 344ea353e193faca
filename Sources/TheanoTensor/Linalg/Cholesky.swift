import TheanoArray
import TheanoGraph

/// The Cholesky factor of every symmetric positive-definite matrix in the last two axes
/// (NumPy's `linalg.cholesky`, SciPy's `linalg.cholesky`; `potrf`), batched: `L` lower
/// triangular with `A = L L^T`, or, with `lower: false`, `U` upper triangular with
/// `A = U^T U`. Only the lower (upper) triangle of `A` is read; the other triangle of the
/// result is zero. A matrix that is not positive definite throws `.invalidArgument`
/// (NumPy's `LinAlgError`).
public struct Cholesky: Op, BatchedLinalgOp {
    public let lower: Bool

    public init(lower: Bool = true) { self.lower = lower }

    public var description: String { "Cholesky{\(lower ? "lower" : "upper")}" }
    var name: String { "cholesky" }
    var coreRanks: [Int] { [2] }

    public func makeNode(_ inputs: [Variable]) throws -> Apply { try makeBatchedNode(inputs) }
    public func perform(_ node: Apply, _ inputs: [NDArray]) throws -> [NDArray] { try performBatched(node, inputs) }
    public func inferShape(_ node: Apply, _ inputShapes: [[Variable]]) throws -> [[Variable]] { try inferBatchedShape(node, inputShapes) }

    func staticCoreShapes(_ inputs: [Variable], _ cores: [[Int?]]) throws -> [[Int?]] {
        let n = try LinalgChecks.square(name, inputs, 0, cores[0])
        return [[n, n]]
    }

    func runtimeCoreShapes(_ node: Apply, _ cores: [[Int]]) throws -> [[Int]] {
        try LinalgChecks.square(name, node, 0, cores[0])
        return [cores[0]]
    }

    func symbolicCoreShapes(_ node: Apply, _ cores: [[Variable]]) throws -> [[Variable]] { [cores[0]] }

    func computeBlock<T: LAPACKScalar>(_ inputs: [[T]], _ shapes: [[Int]], _ location: String) throws -> [[T]] {
        [try Cholesky.factor(inputs[0], shapes[0][0], lower: lower, op: name, location)]
    }

    /// The Cholesky factor of the `n x n` row-major matrix `a` with the other triangle zeroed.
    static func factor<T: LAPACKScalar>(_ a: [T], _ n: Int, lower: Bool, op: String, _ location: String) throws -> [T] {
        var f = a
        if n == 0 { return f }
        let size = try lapackSize(n, op)
        let info = f.withUnsafeMutableBufferPointer { p in T.potrf(lower, size, p.baseAddress!) }
        try checkLAPACKStatus(info, routine: "potrf", op)
        if info > 0 { throw LAPACKBlocks.notPositiveDefinite(op, info, location) }
        f.withUnsafeMutableBufferPointer { p in LAPACKBlocks.zeroOtherTriangle(p.baseAddress!, n, lower: lower) }
        return f
    }
}
