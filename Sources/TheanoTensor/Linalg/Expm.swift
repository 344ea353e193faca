import RealModule
import TheanoArray
import TheanoGraph

/// The matrix exponential of every square matrix (SciPy's `linalg.expm`), batched, by
/// scaling and squaring with a degree-13 Padé approximant (Higham 2005, "The scaling and
/// squaring method for the matrix exponential revisited"), computed in float64 (float32
/// inputs are rounded back). The final solve uses LU (`getrf`, `getrs`).
public struct Expm: Op, BatchedLinalgOp {
    public init() {}

    public var description: String { "Expm" }
    var name: String { "expm" }
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
        let result = try Expm.exponential(inputs[0].map { Double($0) }, shapes[0][0], name, location)
        return [result.map { T($0) }]
    }

    /// `exp(a)` for the `n x n` row-major matrix `a`, in float64.
    static func exponential(_ a: [Double], _ n: Int, _ op: String, _ location: String) throws -> [Double] {
        if n == 0 { return [] }
        let b: [Double] = [
            64764752532480000, 32382376266240000, 7771770303897600, 1187353796428800, 129060195264000,
            10559470521600, 670442572800, 33522128640, 1323241920, 40840800, 960960, 16380, 182, 1,
        ]
        // The 1-norm (largest column sum) decides how often to halve.
        var norm = 0.0
        for j in 0..<n {
            var column = 0.0
            for i in 0..<n { column += Swift.abs(a[i * n + j]) }
            norm = Swift.max(norm, column)
        }
        guard norm.isFinite else {
            throw TheanoError.invalidArgument("\(op): the input's 1-norm overflows\(location); its exponential is not representable")
        }
        let theta13 = 5.371920351148152
        let squarings = norm > theta13 ? Int(Double.log2(norm / theta13).rounded(.up)) : 0
        let scale = Double.exp2(Double(-squarings))
        let x = a.map { $0 * scale }
        let identity = LAPACKBlocks.identity(n, Double.self)
        let x2 = multiply(x, x, n), x4 = multiply(x2, x2, n), x6 = multiply(x4, x2, n)
        func combination(_ terms: [(Double, [Double])]) -> [Double] {
            var out = [Double](repeating: 0, count: n * n)
            for (c, m) in terms { for k in out.indices { out[k] += c * m[k] } }
            return out
        }
        let uInner = multiply(x6, combination([(b[13], x6), (b[11], x4), (b[9], x2)]), n)
        let u = multiply(x, combination([(1, uInner), (b[7], x6), (b[5], x4), (b[3], x2), (b[1], identity)]), n)
        let vInner = multiply(x6, combination([(b[12], x6), (b[10], x4), (b[8], x2)]), n)
        let v = combination([(1, vInner), (b[6], x6), (b[4], x4), (b[2], x2), (b[0], identity)])
        // (V - U) R = V + U
        let f = try LAPACKBlocks.luFactor(combination([(1, v), (-1, u)]), n, op)
        if f.singular {
            throw TheanoError.invalidArgument("\(op): the Padé denominator is singular\(location) (the input's norm is too large)")
        }
        var r = try LAPACKBlocks.luSolve(f.lu, f.pivots, n, combination([(1, v), (1, u)]), nrhs: n, transposed: false, op)
        for _ in 0..<squarings { r = multiply(r, r, n) }
        return r
    }

    /// The product of two `n x n` row-major matrices.
    static func multiply(_ p: [Double], _ q: [Double], _ n: Int) -> [Double] {
        var out = [Double](repeating: 0, count: n * n)
        for i in 0..<n {
            for k in 0..<n {
                let pik = p[i * n + k]
                if pik == 0 { continue }
                for j in 0..<n { out[i * n + j] += pik * q[k * n + j] }
            }
        }
        return out
    }
}
