import TheanoArray
import TheanoGraph

/// Solves `A x = b` for every triangular matrix `A` of input 0 (SciPy's
/// `linalg.solve_triangular`, `trtrs`), batched over leading axes that broadcast. Only the
/// ``lower`` (or upper) triangle of `A` is read, and with ``unitDiagonal`` its diagonal is
/// taken as ones without being read. `b` is a vector when ``vectorRHS``, else a matrix. A zero
/// on the diagonal throws `.invalidArgument` (SciPy's `LinAlgError`).
public struct SolveTriangular: Op, BatchedLinalgOp {
    public let lower: Bool
    public let unitDiagonal: Bool
    public let vectorRHS: Bool

    public init(lower: Bool, unitDiagonal: Bool = false, vectorRHS: Bool) {
        self.lower = lower
        self.unitDiagonal = unitDiagonal
        self.vectorRHS = vectorRHS
    }

    public var description: String {
        "SolveTriangular{\(lower ? "lower" : "upper")\(unitDiagonal ? ", unit diagonal" : "")\(vectorRHS ? ", vector" : "")}"
    }
    var name: String { "solveTriangular" }
    var coreRanks: [Int] { [2, vectorRHS ? 1 : 2] }

    public func makeNode(_ inputs: [Variable]) throws -> Apply { try makeBatchedNode(inputs) }
    public func perform(_ node: Apply, _ inputs: [NDArray]) throws -> [NDArray] { try performBatched(node, inputs) }
    public func inferShape(_ node: Apply, _ inputShapes: [[Variable]]) throws -> [[Variable]] { try inferBatchedShape(node, inputShapes) }

    func staticCoreShapes(_ inputs: [Variable], _ cores: [[Int?]]) throws -> [[Int?]] {
        let n = try LinalgChecks.square(name, inputs, 0, cores[0])
        try LinalgChecks.rows(name, inputs, 1, cores[1], size: n)
        var out = cores[1]
        out[0] = n ?? cores[1][0]
        return [out]
    }

    func runtimeCoreShapes(_ node: Apply, _ cores: [[Int]]) throws -> [[Int]] {
        try LinalgChecks.square(name, node, 0, cores[0])
        try LinalgChecks.rows(name, node, 1, cores[1], size: cores[0][0])
        return [cores[1]]
    }

    func symbolicCoreShapes(_ node: Apply, _ cores: [[Variable]]) throws -> [[Variable]] { [cores[1]] }

    func computeBlock<T: LAPACKScalar>(_ inputs: [[T]], _ shapes: [[Int]], _ location: String) throws -> [[T]] {
        let n = shapes[0][0]
        let nrhs = vectorRHS ? 1 : shapes[1][1]
        if n == 0 || nrhs == 0 { return [inputs[1]] }
        var x = inputs[1]
        let (size, columns) = (try lapackSize(n, name), try lapackSize(nrhs, name))
        let info = inputs[0].withUnsafeBufferPointer { a in
            x.withUnsafeMutableBufferPointer { xb in T.trtrs(lower, unitDiagonal, size, columns, a.baseAddress!, xb.baseAddress!) }
        }
        try checkLAPACKStatus(info, routine: "trtrs", name)
        if info > 0 {
            throw TheanoError.invalidArgument(
                "\(name): input 0 is singular\(location): diagonal entry \(info - 1) of the triangular matrix is zero")
        }
        return [x]
    }
}
