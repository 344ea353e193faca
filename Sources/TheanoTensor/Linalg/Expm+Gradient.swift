import TheanoArray
import TheanoGraph

/// The gradient of ``Expm``: the adjoint of its Fréchet derivative, `Ā = L(A^T, Ḡ)`, the
/// upper-right block of `expm([[A^T, Ḡ], [0, A^T]])` (Najfeld and Havel 1995; as PyTensor's
/// `ExpmGrad` and SciPy's `expm_frechet`). Inputs `A` and `Ḡ`; not itself differentiable.
public struct ExpmGradient: Op, BatchedLinalgOp {
    public init() {}

    public var description: String { "ExpmGradient" }
    var name: String { "expm gradient" }
    var coreRanks: [Int] { [2, 2] }

    public func makeNode(_ inputs: [Variable]) throws -> Apply { try makeBatchedNode(inputs) }
    public func perform(_ node: Apply, _ inputs: [NDArray]) throws -> [NDArray] { try performBatched(node, inputs) }
    public func inferShape(_ node: Apply, _ inputShapes: [[Variable]]) throws -> [[Variable]] { try inferBatchedShape(node, inputShapes) }

    func staticCoreShapes(_ inputs: [Variable], _ cores: [[Int?]]) throws -> [[Int?]] {
        let n = try LinalgChecks.square(name, inputs, 0, cores[0])
        return [[n, n]]
    }

    func runtimeCoreShapes(_ node: Apply, _ cores: [[Int]]) throws -> [[Int]] {
        try LinalgChecks.square(name, node, 0, cores[0])
        guard cores[1] == cores[0] else {
            throw TheanoError.shapeMismatch("\(name): the output gradient \(formatShape(cores[1])) does not match the matrix \(formatShape(cores[0]))")
        }
        return [cores[0]]
    }

    func symbolicCoreShapes(_ node: Apply, _ cores: [[Variable]]) throws -> [[Variable]] { [cores[0]] }

    func computeBlock<T: LAPACKScalar>(_ inputs: [[T]], _ shapes: [[Int]], _ location: String) throws -> [[T]] {
        let n = shapes[0][0]
        let size = 2 * n
        // The block matrix is four times the input: LAPACK must still index it.
        _ = try lapackSize(size * size, name)
        var block = [Double](repeating: 0, count: size * size)
        for i in 0..<n {
            for j in 0..<n {
                let at = Double(inputs[0][j * n + i])          // A^T
                block[i * size + j] = at
                block[(n + i) * size + n + j] = at
                block[i * size + n + j] = Double(inputs[1][i * n + j])
            }
        }
        let e = try Expm.exponential(block, size, name, location)
        var out = [T](repeating: 0, count: n * n)
        for i in 0..<n {
            for j in 0..<n { out[i * n + j] = T(e[i * size + n + j]) }
        }
        return [out]
    }
}

extension Expm {
    public func pullback(_ node: Apply, _ outputGradients: [Variable?]) throws -> [Variable?] {
        guard let gv = outputGradients[0] else { return [nil] }
        let ga = try ExpmGradient().apply([Tensor(node.inputs[0]), Tensor(gv)])
        return [try reduceToInput(ga, node, 0).variable]
    }
}
