import TheanoArray
import TheanoGraph

/// The determinant of every square matrix in the last two axes (NumPy's `linalg.det`),
/// batched over any leading axes: the product of U's diagonal from an LU factorisation
/// (`getrf`), with the permutation's sign. A singular matrix gives 0 (no error), an empty
/// matrix 1, and the product may overflow to infinity (use ``SignLogDeterminant``).
public struct Determinant: Op, BatchedLinalgOp {
    public init() {}

    public var description: String { "Determinant" }
    var name: String { "det" }
    var coreRanks: [Int] { [2] }

    public func makeNode(_ inputs: [Variable]) throws -> Apply { try makeBatchedNode(inputs) }
    public func perform(_ node: Apply, _ inputs: [NDArray]) throws -> [NDArray] { try performBatched(node, inputs) }
    public func inferShape(_ node: Apply, _ inputShapes: [[Variable]]) throws -> [[Variable]] { try inferBatchedShape(node, inputShapes) }

    func staticCoreShapes(_ inputs: [Variable], _ cores: [[Int?]]) throws -> [[Int?]] {
        _ = try LinalgChecks.square(name, inputs, 0, cores[0])
        return [[]]
    }

    func runtimeCoreShapes(_ node: Apply, _ cores: [[Int]]) throws -> [[Int]] {
        try LinalgChecks.square(name, node, 0, cores[0])
        return [[]]
    }

    func symbolicCoreShapes(_ node: Apply, _ cores: [[Variable]]) throws -> [[Variable]] { [[]] }

    func computeBlock<T: LAPACKScalar>(_ inputs: [[T]], _ shapes: [[Int]], _ location: String) throws -> [[T]] {
        let n = shapes[0][0]
        let f = try LAPACKBlocks.luFactor(inputs[0], n, name)
        var det: T = 1
        for i in 0..<n {
            det *= f.lu[i * n + i]
            if Int(f.pivots[i]) != i + 1 { det = -det }
        }
        return [[det]]
    }
}

/// The sign and the natural logarithm of the absolute determinant of every square matrix
/// (NumPy's `linalg.slogdet`), batched: outputs `sign` (-1, 0 or 1) and `logAbsDet`. A
/// singular matrix gives sign 0 and log -inf, as NumPy; the logarithm does not overflow
/// where ``Determinant`` would.
public struct SignLogDeterminant: Op, BatchedLinalgOp {
    public init() {}

    public var description: String { "SignLogDeterminant" }
    var name: String { "slogdet" }
    var coreRanks: [Int] { [2] }

    public func makeNode(_ inputs: [Variable]) throws -> Apply { try makeBatchedNode(inputs) }
    public func perform(_ node: Apply, _ inputs: [NDArray]) throws -> [NDArray] { try performBatched(node, inputs) }
    public func inferShape(_ node: Apply, _ inputShapes: [[Variable]]) throws -> [[Variable]] { try inferBatchedShape(node, inputShapes) }

    func staticCoreShapes(_ inputs: [Variable], _ cores: [[Int?]]) throws -> [[Int?]] {
        _ = try LinalgChecks.square(name, inputs, 0, cores[0])
        return [[], []]
    }

    func runtimeCoreShapes(_ node: Apply, _ cores: [[Int]]) throws -> [[Int]] {
        try LinalgChecks.square(name, node, 0, cores[0])
        return [[], []]
    }

    func symbolicCoreShapes(_ node: Apply, _ cores: [[Variable]]) throws -> [[Variable]] { [[], []] }

    func computeBlock<T: LAPACKScalar>(_ inputs: [[T]], _ shapes: [[Int]], _ location: String) throws -> [[T]] {
        let n = shapes[0][0]
        let f = try LAPACKBlocks.luFactor(inputs[0], n, name)
        let (sign, log) = LAPACKBlocks.signAndLogDeterminant(f.lu, f.pivots, n)
        return [[T(sign)], [T(log)]]
    }
}
