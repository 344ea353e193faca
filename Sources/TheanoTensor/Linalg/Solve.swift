import TheanoArray
import TheanoGraph

/// What ``solve(_:_:assume:lower:)`` may assume about the matrix, which picks the factorisation.
public enum SolveAssumption: String, Hashable, Sendable {
    /// Any square matrix: LU with partial pivoting (`getrf`, `getrs`).
    case general
    /// A symmetric matrix: Bunch-Kaufman `LDL^T` (`sysv`) reading one triangle only.
    case symmetric
    /// A symmetric positive-definite matrix: Cholesky (`potrf`, `potrs`) reading one
    /// triangle only; a matrix that is not positive definite throws.
    case positiveDefinite
}

/// Solves `A x = b` for every square matrix `A` of input 0 and right-hand side `b` of input 1
/// (SciPy's `linalg.solve` with `assume_a`), batched over leading axes that broadcast.
///
/// `b` is a vector (core `[n]`) when ``vectorRHS`` (the function passes a 1-D `b` this way)
/// and otherwise a matrix (core `[n, k]`), as NumPy 2's `linalg.solve`. Under the symmetric
/// assumptions only the ``lower`` (or upper) triangle of `A` is read. A singular matrix
/// throws `.invalidArgument` (NumPy's `LinAlgError`), as does a matrix that is not positive
/// definite under ``SolveAssumption/positiveDefinite``.
public struct Solve: Op, BatchedLinalgOp {
    public let assume: SolveAssumption
    public let lower: Bool
    public let vectorRHS: Bool

    public init(assume: SolveAssumption = .general, lower: Bool = true, vectorRHS: Bool) {
        self.assume = assume
        self.lower = lower
        self.vectorRHS = vectorRHS
    }

    public var description: String {
        let triangle = assume == .general ? "" : (lower ? ", lower" : ", upper")
        return "Solve{\(assume.rawValue)\(triangle)\(vectorRHS ? ", vector" : "")}"
    }
    var name: String { "solve" }
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
        switch assume {
        case .general:
            let f = try LAPACKBlocks.luFactor(inputs[0], n, name)
            if f.singular { throw LAPACKBlocks.singular(name, "input 0", location) }
            return [try LAPACKBlocks.luSolve(f.lu, f.pivots, n, inputs[1], nrhs: nrhs, transposed: false, name)]
        case .symmetric:
            return [try symmetricSolve(inputs[0], inputs[1], n, nrhs, location)]
        case .positiveDefinite:
            return [try choleskySolve(inputs[0], inputs[1], n, nrhs, location)]
        }
    }

    private func symmetricSolve<T: LAPACKScalar>(_ a: [T], _ b: [T], _ n: Int, _ nrhs: Int, _ location: String) throws -> [T] {
        var factors = a, x = b
        var pivots = [Int32](repeating: 0, count: n)
        let (size, columns) = (try lapackSize(n, name), try lapackSize(nrhs, name))
        let info = factors.withUnsafeMutableBufferPointer { f in
            pivots.withUnsafeMutableBufferPointer { p in
                x.withUnsafeMutableBufferPointer { xb in T.sysv(lower, size, columns, f.baseAddress!, p.baseAddress!, xb.baseAddress!) }
            }
        }
        try checkLAPACKStatus(info, routine: "sysv", name)
        if info > 0 {
            throw TheanoError.invalidArgument("\(name): input 0 is singular\(location): its LDL^T factorisation has an exactly zero pivot")
        }
        return x
    }

    private func choleskySolve<T: LAPACKScalar>(_ a: [T], _ b: [T], _ n: Int, _ nrhs: Int, _ location: String) throws -> [T] {
        let factor = try Cholesky.factor(a, n, lower: lower, op: name, location)
        var x = b
        let (size, columns) = (try lapackSize(n, name), try lapackSize(nrhs, name))
        let info = factor.withUnsafeBufferPointer { f in
            x.withUnsafeMutableBufferPointer { xb in T.potrs(lower, size, columns, f.baseAddress!, xb.baseAddress!) }
        }
        try checkLAPACKStatus(info, routine: "potrs", name)
        return x
    }
}
