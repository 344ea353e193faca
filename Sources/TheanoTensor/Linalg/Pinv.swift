import TheanoArray
import TheanoGraph

/// The Moore-Penrose pseudo-inverse of every matrix in the last two axes (NumPy's
/// `linalg.pinv`), batched: `[..., m, n] -> [..., n, m]`, from the reduced SVD (`gesdd`) with
/// singular values at most `rcond * max(s)` treated as zero. ``rcond`` nil means
/// `max(m, n) * eps` of the dtype (NumPy's `rtol=None`, and `lstsq`'s default).
public struct Pinv: Op, BatchedLinalgOp {
    public let rcond: Double?

    public init(rcond: Double? = 1e-15) { self.rcond = rcond }

    public var description: String { "Pinv{rcond: \(rcond.map { "\($0)" } ?? "auto")}" }
    var name: String { "pinv" }
    var coreRanks: [Int] { [2] }

    public func makeNode(_ inputs: [Variable]) throws -> Apply { try makeBatchedNode(inputs) }
    public func perform(_ node: Apply, _ inputs: [NDArray]) throws -> [NDArray] { try performBatched(node, inputs) }
    public func inferShape(_ node: Apply, _ inputShapes: [[Variable]]) throws -> [[Variable]] { try inferBatchedShape(node, inputShapes) }

    func staticCoreShapes(_ inputs: [Variable], _ cores: [[Int?]]) throws -> [[Int?]] { [[cores[0][1], cores[0][0]]] }
    func runtimeCoreShapes(_ node: Apply, _ cores: [[Int]]) throws -> [[Int]] { [[cores[0][1], cores[0][0]]] }
    func symbolicCoreShapes(_ node: Apply, _ cores: [[Variable]]) throws -> [[Variable]] { [[cores[0][1], cores[0][0]]] }

    func computeBlock<T: LAPACKScalar>(_ inputs: [[T]], _ shapes: [[Int]], _ location: String) throws -> [[T]] {
        let (m, n) = (shapes[0][0], shapes[0][1])
        let k = Swift.min(m, n)
        var out = [T](repeating: 0, count: n * m)
        if k == 0 { return [out] }
        let factors = try SVD(mode: .reduced).computeBlock(inputs, shapes, location)
        let (u, s, vt) = (factors[0], factors[1], factors[2])
        let largest = s.max() ?? 0
        let relative = rcond ?? Double(Swift.max(m, n)) * Double(T.ulpOfOne)
        let cutoff = T(relative) * largest
        for l in 0..<k where s[l] > cutoff {
            let inverse = 1 / s[l]
            for j in 0..<n {
                let v = vt[l * n + j] * inverse
                for i in 0..<m { out[j * m + i] += v * u[i * k + l] }
            }
        }
        return [out]
    }
}
