import TheanoArray
import TheanoGraph

/// The inverse of every square matrix in the last two axes (NumPy's `linalg.inv`), batched
/// over any leading axes. The reference solves `A X = I` with an LU factorisation with
/// partial pivoting (`getrf`, `getrs`).
///
/// An exactly singular matrix (a zero pivot) throws an `.invalidArgument` error naming the
/// op and the batch index, as NumPy raises `LinAlgError`. An ill-conditioned matrix is
/// inverted without warning.
public struct MatrixInverse: Op, BatchedLinalgOp {
    public init() {}

    public var description: String { "MatrixInverse" }
    var name: String { "inv" }
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
        let n = shapes[0][0]
        let f = try LAPACKBlocks.luFactor(inputs[0], n, name)
        if f.singular { throw LAPACKBlocks.singular(name, "input 0", location) }
        let identity = LAPACKBlocks.identity(n, T.self)
        return [try LAPACKBlocks.luSolve(f.lu, f.pivots, n, identity, nrhs: n, transposed: false, name)]
    }
}
