import TheanoArray
import TheanoGraph

/// Which factors ``QR`` computes (NumPy's `linalg.qr` modes), with `k = min(m, n)`.
public enum QRMode: String, Hashable, Sendable {
    /// `Q` `[m, k]` with orthonormal columns and `R` `[k, n]` upper triangular.
    case reduced
    /// `Q` `[m, m]` orthogonal and `R` `[m, n]`.
    case complete
    /// `R` `[k, n]` only.
    case r
}

/// The QR factorisation `A = Q R` of every matrix in the last two axes (NumPy's
/// `linalg.qr`; Householder `geqrf` then `orgqr`), batched. As in LAPACK and NumPy, `R`'s
/// diagonal may be negative.
public struct QR: Op, BatchedLinalgOp {
    public let mode: QRMode

    public init(mode: QRMode) { self.mode = mode }

    public var description: String { "QR{\(mode.rawValue)}" }
    var name: String { "qr" }
    var coreRanks: [Int] { [2] }

    public func makeNode(_ inputs: [Variable]) throws -> Apply { try makeBatchedNode(inputs) }
    public func perform(_ node: Apply, _ inputs: [NDArray]) throws -> [NDArray] { try performBatched(node, inputs) }
    public func inferShape(_ node: Apply, _ inputShapes: [[Variable]]) throws -> [[Variable]] { try inferBatchedShape(node, inputShapes) }

    func staticCoreShapes(_ inputs: [Variable], _ cores: [[Int?]]) throws -> [[Int?]] {
        let (m, n) = (cores[0][0], cores[0][1])
        var k: Int? = nil
        if let m, let n { k = Swift.min(m, n) } else if m == 0 || n == 0 { k = 0 }
        switch mode {
        case .reduced: return [[m, k], [k, n]]
        case .complete: return [[m, m], [m, n]]
        case .r: return [[k, n]]
        }
    }

    func runtimeCoreShapes(_ node: Apply, _ cores: [[Int]]) throws -> [[Int]] {
        let (m, n) = (cores[0][0], cores[0][1])
        let k = Swift.min(m, n)
        switch mode {
        case .reduced: return [[m, k], [k, n]]
        case .complete: return [[m, m], [m, n]]
        case .r: return [[k, n]]
        }
    }

    func symbolicCoreShapes(_ node: Apply, _ cores: [[Variable]]) throws -> [[Variable]] {
        let (m, n) = (cores[0][0], cores[0][1])
        let k = try minimum(Tensor(m), Tensor(n)).variable
        switch mode {
        case .reduced: return [[m, k], [k, n]]
        case .complete: return [[m, m], [m, n]]
        case .r: return [[k, n]]
        }
    }

    func computeBlock<T: LAPACKScalar>(_ inputs: [[T]], _ shapes: [[Int]], _ location: String) throws -> [[T]] {
        let (m, n) = (shapes[0][0], shapes[0][1])
        let k = Swift.min(m, n)
        var a = inputs[0]
        var tau = [T](repeating: 0, count: k)
        if k > 0 {
            let (rows, columns) = (try lapackSize(m, name), try lapackSize(n, name))
            let info = a.withUnsafeMutableBufferPointer { ap in
                tau.withUnsafeMutableBufferPointer { tp in T.geqrf(rows, columns, ap.baseAddress!, tp.baseAddress!) }
            }
            try checkLAPACKStatus(info, routine: "geqrf", name)
        }
        // R: the upper triangle of the first rows.
        let rRows = mode == .complete ? m : k
        var r = [T](repeating: 0, count: rRows * n)
        for i in 0..<rRows {
            for j in i..<Swift.max(n, i) { r[i * n + j] = a[i * n + j] }
        }
        if mode == .r { return [r] }
        // Q: the reflectors (the first columns of the factored matrix) expanded by orgqr.
        let qColumns = mode == .complete ? m : k
        var q = [T](repeating: 0, count: m * qColumns)
        for i in 0..<m {
            for j in 0..<Swift.min(n, qColumns) { q[i * qColumns + j] = a[i * n + j] }
        }
        if k == 0 {
            // No reflectors: Q is the identity (complete) or has no columns (reduced).
            return [mode == .complete ? LAPACKBlocks.identity(m, T.self) : q, r]
        }
        if qColumns > 0 && m > 0 {
            let (rows, columns, reflectors) = (try lapackSize(m, name), try lapackSize(qColumns, name), try lapackSize(k, name))
            let info = q.withUnsafeMutableBufferPointer { qp in
                tau.withUnsafeBufferPointer { tp in T.orgqr(rows, columns, reflectors, qp.baseAddress!, tp.baseAddress!) }
            }
            try checkLAPACKStatus(info, routine: "orgqr", name)
        }
        return [q, r]
    }
}
