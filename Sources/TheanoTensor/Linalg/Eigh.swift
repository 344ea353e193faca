import TheanoArray
import TheanoGraph

/// The eigenvalues (ascending) and, with ``vectors``, the eigenvectors (the columns of the
/// second output) of every real symmetric matrix in the last two axes (NumPy's
/// `linalg.eigh` / `eigvalsh`; `syevd`), batched. Only the lower (or upper) triangle is read.
/// A failure to converge throws `.invalidArgument` (NumPy's `LinAlgError`).
public struct Eigh: Op, BatchedLinalgOp {
    public let lower: Bool
    public let vectors: Bool

    public init(lower: Bool = true, vectors: Bool = true) {
        self.lower = lower
        self.vectors = vectors
    }

    public var description: String { "Eigh{\(lower ? "L" : "U")\(vectors ? "" : ", values")}" }
    var name: String { vectors ? "eigh" : "eigvalsh" }
    var coreRanks: [Int] { [2] }

    public func makeNode(_ inputs: [Variable]) throws -> Apply { try makeBatchedNode(inputs) }
    public func perform(_ node: Apply, _ inputs: [NDArray]) throws -> [NDArray] { try performBatched(node, inputs) }
    public func inferShape(_ node: Apply, _ inputShapes: [[Variable]]) throws -> [[Variable]] { try inferBatchedShape(node, inputShapes) }

    func staticCoreShapes(_ inputs: [Variable], _ cores: [[Int?]]) throws -> [[Int?]] {
        let n = try LinalgChecks.square(name, inputs, 0, cores[0])
        return vectors ? [[n], [n, n]] : [[n]]
    }

    func runtimeCoreShapes(_ node: Apply, _ cores: [[Int]]) throws -> [[Int]] {
        try LinalgChecks.square(name, node, 0, cores[0])
        let n = cores[0][0]
        return vectors ? [[n], [n, n]] : [[n]]
    }

    func symbolicCoreShapes(_ node: Apply, _ cores: [[Variable]]) throws -> [[Variable]] {
        vectors ? [[cores[0][0]], cores[0]] : [[cores[0][0]]]
    }

    func computeBlock<T: LAPACKScalar>(_ inputs: [[T]], _ shapes: [[Int]], _ location: String) throws -> [[T]] {
        let n = shapes[0][0]
        var a = inputs[0]
        var w = [T](repeating: 0, count: n)
        if n > 0 {
            let size = try lapackSize(n, name)
            let info = a.withUnsafeMutableBufferPointer { ap in
                w.withUnsafeMutableBufferPointer { wp in T.syevd(vectors, lower, size, ap.baseAddress!, wp.baseAddress!) }
            }
            try checkLAPACKStatus(info, routine: "syevd", name)
            if info > 0 {
                throw TheanoError.invalidArgument("\(name): the eigenvalue algorithm did not converge\(location)")
            }
        }
        return vectors ? [w, a] : [w]
    }
}
