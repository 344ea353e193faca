import TheanoArray
import TheanoGraph

/// Which factors ``SVD`` computes.
public enum SVDMode: String, Hashable, Sendable {
    /// `U` `[m, m]`, `s` `[k]`, `Vt` `[n, n]` (NumPy's `full_matrices=True`), `k = min(m, n)`.
    case full
    /// `U` `[m, k]`, `s` `[k]`, `Vt` `[k, n]` (NumPy's `full_matrices=False`).
    case reduced
    /// The singular values `s` `[k]` only (NumPy's `compute_uv=False`).
    case values
}

/// The singular value decomposition `A = U diag(s) Vt` of every matrix in the last two axes
/// (NumPy's `linalg.svd`; `gesdd`), batched; singular values descending. A failure to
/// converge throws `.invalidArgument` (NumPy's `LinAlgError`).
public struct SVD: Op, BatchedLinalgOp {
    public let mode: SVDMode

    public init(mode: SVDMode) { self.mode = mode }

    public var description: String { "SVD{\(mode.rawValue)}" }
    var name: String { "svd" }
    var coreRanks: [Int] { [2] }

    public func makeNode(_ inputs: [Variable]) throws -> Apply { try makeBatchedNode(inputs) }
    public func perform(_ node: Apply, _ inputs: [NDArray]) throws -> [NDArray] { try performBatched(node, inputs) }
    public func inferShape(_ node: Apply, _ inputShapes: [[Variable]]) throws -> [[Variable]] { try inferBatchedShape(node, inputShapes) }

    func staticCoreShapes(_ inputs: [Variable], _ cores: [[Int?]]) throws -> [[Int?]] {
        let (m, n) = (cores[0][0], cores[0][1])
        var k: Int? = nil
        if let m, let n { k = Swift.min(m, n) } else if m == 0 || n == 0 { k = 0 }
        switch mode {
        case .full: return [[m, m], [k], [n, n]]
        case .reduced: return [[m, k], [k], [k, n]]
        case .values: return [[k]]
        }
    }

    func runtimeCoreShapes(_ node: Apply, _ cores: [[Int]]) throws -> [[Int]] {
        let (m, n) = (cores[0][0], cores[0][1])
        let k = Swift.min(m, n)
        switch mode {
        case .full: return [[m, m], [k], [n, n]]
        case .reduced: return [[m, k], [k], [k, n]]
        case .values: return [[k]]
        }
    }

    func symbolicCoreShapes(_ node: Apply, _ cores: [[Variable]]) throws -> [[Variable]] {
        let (m, n) = (cores[0][0], cores[0][1])
        let k = try minimum(Tensor(m), Tensor(n)).variable
        switch mode {
        case .full: return [[m, m], [k], [n, n]]
        case .reduced: return [[m, k], [k], [k, n]]
        case .values: return [[k]]
        }
    }

    func computeBlock<T: LAPACKScalar>(_ inputs: [[T]], _ shapes: [[Int]], _ location: String) throws -> [[T]] {
        let (m, n) = (shapes[0][0], shapes[0][1])
        let k = Swift.min(m, n)
        let uColumns = mode == .full ? m : k, vtRows = mode == .full ? n : k
        if k == 0 {
            let u = mode == .full ? LAPACKBlocks.identity(m, T.self) : []
            let vt = mode == .full ? LAPACKBlocks.identity(n, T.self) : []
            return mode == .values ? [[]] : [u, [], vt]
        }
        var a = inputs[0]
        var s = [T](repeating: 0, count: k)
        var u = [T](repeating: 0, count: mode == .values ? 1 : m * uColumns)
        var vt = [T](repeating: 0, count: mode == .values ? Swift.max(n, 1) : vtRows * n)
        let (rows, columns) = (try lapackSize(m, name), try lapackSize(n, name))
        let job: UInt8 = mode == .full ? UInt8(ascii: "A") : mode == .reduced ? UInt8(ascii: "S") : UInt8(ascii: "N")
        let ldu = try lapackSize(mode == .values ? 1 : uColumns, name)
        // LAPACKE checks ldvt >= n even when Vt is not computed.
        let ldvt = try lapackSize(n, name)
        let info = a.withUnsafeMutableBufferPointer { ap in
            s.withUnsafeMutableBufferPointer { sp in
                u.withUnsafeMutableBufferPointer { up in
                    vt.withUnsafeMutableBufferPointer { vp in
                        T.gesdd(job, rows, columns, ap.baseAddress!, sp.baseAddress!, up.baseAddress!, ldu, vp.baseAddress!, ldvt)
                    }
                }
            }
        }
        try checkLAPACKStatus(info, routine: "gesdd", name)
        if info > 0 {
            throw TheanoError.invalidArgument("\(name): the singular value decomposition did not converge\(location)")
        }
        return mode == .values ? [s] : [u, s, vt]
    }
}
