import TheanoArray
import TheanoGraph

/// The LU factorisation with partial pivoting of every square matrix (SciPy's
/// `linalg.lu_factor`; `getrf`), batched: output 0 packs `L` (unit diagonal, below it) and
/// `U` (on and above it), output 1 holds the 0-based pivot rows (int32): row `i` was swapped
/// with row `pivots[i]`, in order, so `A = P L U`. A singular matrix factors without error
/// (U has a zero on its diagonal), as SciPy (which only warns).
public struct LUFactor: Op, BatchedLinalgOp {
    public init() {}

    public var description: String { "LUFactor" }
    var name: String { "luFactor" }
    var coreRanks: [Int] { [2] }

    public func makeNode(_ inputs: [Variable]) throws -> Apply { try makeBatchedNode(inputs) }
    public func perform(_ node: Apply, _ inputs: [NDArray]) throws -> [NDArray] { try performBatched(node, inputs) }
    public func inferShape(_ node: Apply, _ inputShapes: [[Variable]]) throws -> [[Variable]] { try inferBatchedShape(node, inputShapes) }

    func outputDType(_ index: Int, input: DType) -> DType { index == 1 ? .int32 : input }

    func staticCoreShapes(_ inputs: [Variable], _ cores: [[Int?]]) throws -> [[Int?]] {
        let n = try LinalgChecks.square(name, inputs, 0, cores[0])
        return [[n, n], [n]]
    }

    func runtimeCoreShapes(_ node: Apply, _ cores: [[Int]]) throws -> [[Int]] {
        try LinalgChecks.square(name, node, 0, cores[0])
        return [cores[0], [cores[0][0]]]
    }

    func symbolicCoreShapes(_ node: Apply, _ cores: [[Variable]]) throws -> [[Variable]] { [cores[0], [cores[0][0]]] }

    func computeBlock<T: LAPACKScalar>(_ inputs: [[T]], _ shapes: [[Int]], _ location: String) throws -> [[T]] {
        let f = try LAPACKBlocks.luFactor(inputs[0], shapes[0][0], name)
        // Pivots travel as floats (exact: n is far below 2^24 for any matrix that fits in
        // memory) and become int32 when the output is built.
        return [f.lu, f.pivots.map { T(Int($0) - 1) }]
    }
}

/// Solves `A x = b` (or `A^T x = b` with ``transposed``) given `A`'s ``LUFactor`` outputs
/// (SciPy's `linalg.lu_solve`; `getrs`), batched: inputs `lu` `[..., n, n]`, `pivots`
/// `[..., n]` (int32, 0-based) and `b` (a vector when ``vectorRHS``, else a matrix). A zero on
/// U's diagonal gives infinities or NaN, as SciPy.
public struct LUSolve: Op, BatchedLinalgOp {
    public let transposed: Bool
    public let vectorRHS: Bool

    public init(transposed: Bool = false, vectorRHS: Bool) {
        self.transposed = transposed
        self.vectorRHS = vectorRHS
    }

    public var description: String { "LUSolve{\(transposed ? "transposed" : "plain")\(vectorRHS ? ", vector" : "")}" }
    var name: String { "luSolve" }
    var coreRanks: [Int] { [2, 1, vectorRHS ? 1 : 2] }
    var integerInputs: Set<Int> { [1] }

    public func makeNode(_ inputs: [Variable]) throws -> Apply { try makeBatchedNode(inputs) }
    public func perform(_ node: Apply, _ inputs: [NDArray]) throws -> [NDArray] { try performBatched(node, inputs) }
    public func inferShape(_ node: Apply, _ inputShapes: [[Variable]]) throws -> [[Variable]] { try inferBatchedShape(node, inputShapes) }

    func staticCoreShapes(_ inputs: [Variable], _ cores: [[Int?]]) throws -> [[Int?]] {
        let n = try LinalgChecks.square(name, inputs, 0, cores[0])
        try LinalgChecks.rows(name, inputs, 1, cores[1], size: n)
        try LinalgChecks.rows(name, inputs, 2, cores[2], size: n)
        var out = cores[2]
        out[0] = n ?? cores[2][0]
        return [out]
    }

    func runtimeCoreShapes(_ node: Apply, _ cores: [[Int]]) throws -> [[Int]] {
        try LinalgChecks.square(name, node, 0, cores[0])
        try LinalgChecks.rows(name, node, 1, cores[1], size: cores[0][0])
        try LinalgChecks.rows(name, node, 2, cores[2], size: cores[0][0])
        return [cores[2]]
    }

    func symbolicCoreShapes(_ node: Apply, _ cores: [[Variable]]) throws -> [[Variable]] { [cores[2]] }

    func computeBlock<T: LAPACKScalar>(_ inputs: [[T]], _ shapes: [[Int]], _ location: String) throws -> [[T]] {
        let n = shapes[0][0]
        let nrhs = vectorRHS ? 1 : shapes[2][1]
        let pivots = try LUSolve.lapackPivots(inputs[1], n, name, location)
        return [try LAPACKBlocks.luSolve(inputs[0], pivots, n, inputs[2], nrhs: nrhs, transposed: transposed, name)]
    }

    /// 0-based pivots (as floats) as LAPACK's 1-based ones, after checking each is a row.
    static func lapackPivots<T: LAPACKScalar>(_ values: [T], _ n: Int, _ op: String, _ location: String) throws -> [Int32] {
        try values.enumerated().map { i, p in
            let row = Int(p)
            guard row >= i, row < n else {
                throw TheanoError.outOfRange(
                    "\(op): pivot \(i) is \(row)\(location); pivots from luFactor satisfy \(i) <= pivot < \(n)")
            }
            return Int32(row + 1)
        }
    }
}

/// Applies the row swaps of LU pivots to every matrix: `P^T M` (swaps in order, as `getrf`
/// applied them) or, with ``inverse``, `P M` (in reverse order). Inputs: the matrices
/// `[..., n, k]` and the 0-based int32 pivots `[..., n]`. Used by the LU gradients.
struct PivotRows: Op, BatchedLinalgOp {
    let inverse: Bool

    var description: String { "PivotRows{\(inverse ? "P" : "P^T")}" }
    var name: String { "pivotRows" }
    var coreRanks: [Int] { [2, 1] }
    var integerInputs: Set<Int> { [1] }

    func makeNode(_ inputs: [Variable]) throws -> Apply { try makeBatchedNode(inputs) }
    func perform(_ node: Apply, _ inputs: [NDArray]) throws -> [NDArray] { try performBatched(node, inputs) }
    func inferShape(_ node: Apply, _ inputShapes: [[Variable]]) throws -> [[Variable]] { try inferBatchedShape(node, inputShapes) }

    func staticCoreShapes(_ inputs: [Variable], _ cores: [[Int?]]) throws -> [[Int?]] { [cores[0]] }

    func runtimeCoreShapes(_ node: Apply, _ cores: [[Int]]) throws -> [[Int]] {
        guard cores[1][0] == cores[0][0] else {
            throw TheanoError.shapeMismatch("\(name): \(cores[1][0]) pivots for \(cores[0][0]) rows")
        }
        return [cores[0]]
    }

    func symbolicCoreShapes(_ node: Apply, _ cores: [[Variable]]) throws -> [[Variable]] { [cores[0]] }

    func computeBlock<T: LAPACKScalar>(_ inputs: [[T]], _ shapes: [[Int]], _ location: String) throws -> [[T]] {
        let (n, k) = (shapes[0][0], shapes[0][1])
        let pivots = try LUSolve.lapackPivots(inputs[1], n, name, location)
        var m = inputs[0]
        let order: [Int] = inverse ? Array((0..<n).reversed()) : Array(0..<n)
        for i in order {
            let p = Int(pivots[i]) - 1
            if p == i { continue }
            for j in 0..<k { m.swapAt(i * k + j, p * k + j) }
        }
        return [m]
    }

    func pullback(_ node: Apply, _ outputGradients: [Variable?]) throws -> [Variable?] {
        guard let g = outputGradients[0] else { return [nil, nil] }
        let back = try PivotRows(inverse: !inverse).apply([Tensor(g), Tensor(node.inputs[1])])
        return [try reduceToInput(back, node, 0).variable, nil]
    }
}
