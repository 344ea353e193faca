/// The BLAS update routines as plain loops: the reference definitions that the OpenBLAS forms
/// in `NDArray+Gemm.swift` are tested against (and what the `Gemm`, `Gemv` and `Ger` ops'
/// reference implementations compute).
///
/// Every form takes any layout (views, transposes, broadcasts), accumulates in double, and
/// returns a new C-contiguous array of the operands' dtype (float32 or float64), rounded once.
/// Semantics as the BLAS forms: `beta = 0` multiplies the accumulator by zero (NaN and
/// infinity give NaN); `alpha = 0` does not read the product's operands.
extension NDArray {
    /// `alpha * a @ b + beta * c`: `a` is `[m, k]`, `b` is `[k, n]`, and `c`, when given,
    /// broadcasts to `[m, n]`.
    public static func gemmReference(alpha: Double, _ a: NDArray, _ b: NDArray, beta: Double = 1,
                                     adding c: NDArray? = nil) throws -> NDArray {
        try checkReferenceOperands("gemm", [("a", a, 2), ("b", b, 2)] + (c.map { [("c", $0, 2)] } ?? []))
        let (m, k, n) = (a.shape[0], a.shape[1], b.shape[1])
        guard b.shape[0] == k else {
            throw TheanoError.shapeMismatch(
                "gemm: a of shape \(formatShape(a.shape)) and b of shape \(formatShape(b.shape)) are not aligned: \(k) columns vs \(b.shape[0]) rows")
        }
        _ = try checkedAllocation([m, n], dtype: .float64, context: "gemm")
        let (av, bv) = alpha == 0 ? ([], []) : (a.doubles, b.doubles)
        let cv = try c.map { try $0.broadcast(to: [m, n]).doubles }
        var out = [Double](repeating: 0, count: m * n)
        for i in 0..<m {
            for j in 0..<n {
                var sum = 0.0
                if alpha != 0 {
                    for p in 0..<k { sum += av[i * k + p] * bv[p * n + j] }
                }
                out[i * n + j] = alpha * sum + (cv.map { beta * $0[i * n + j] } ?? 0)
            }
        }
        return try NDArray(out, shape: [m, n]).astype(a.dtype)
    }

    /// `alpha * a @ x + beta * y`: `a` is `[m, k]`, `x` is `[k]`, and `y`, when given,
    /// broadcasts to `[m]`.
    public static func gemvReference(alpha: Double, _ a: NDArray, _ x: NDArray, beta: Double = 1,
                                     adding y: NDArray? = nil) throws -> NDArray {
        try checkReferenceOperands("gemv", [("a", a, 2), ("x", x, 1)] + (y.map { [("y", $0, 1)] } ?? []))
        let (m, k) = (a.shape[0], a.shape[1])
        guard x.shape[0] == k else {
            throw TheanoError.shapeMismatch(
                "gemv: a of shape \(formatShape(a.shape)) and x of shape \(formatShape(x.shape)) are not aligned: \(k) columns vs \(x.shape[0]) elements")
        }
        let product = try gemmReference(alpha: alpha, a, x.reshaped([k, 1]), beta: beta,
                                        adding: try y.map { try $0.broadcast(to: [m]).reshaped([m, 1]) })
        return try product.reshaped([m])
    }

    /// `a + alpha * outer(x, y)`: `x` is `[m]`, `y` is `[n]`, and `a` broadcasts to `[m, n]`.
    public static func gerReference(alpha: Double, _ x: NDArray, _ y: NDArray, adding a: NDArray) throws -> NDArray {
        try checkReferenceOperands("ger", [("a", a, 2), ("x", x, 1), ("y", y, 1)])
        let (m, n) = (x.shape[0], y.shape[0])
        return try gemmReference(alpha: alpha, x.reshaped([m, 1]), y.reshaped([1, n]), beta: 1,
                                 adding: a.broadcast(to: [m, n]))
    }

    /// Every operand has its rank and the first operand's dtype, float32 or float64.
    private static func checkReferenceOperands(_ op: String, _ operands: [(String, NDArray, Int)]) throws {
        let dtype = operands[0].1.dtype
        guard dtype == .float32 || dtype == .float64 else {
            throw TheanoError.typeMismatch("\(op): the operands must be float32 or float64, got \(operands[0].0) of dtype \(dtype)")
        }
        for (name, value, rank) in operands {
            guard value.dtype == dtype else {
                throw TheanoError.typeMismatch("\(op): all operands must have dtype \(dtype), got \(name) of dtype \(value.dtype)")
            }
            guard value.rank == rank else {
                throw TheanoError.shapeMismatch("\(op): \(name) must have rank \(rank), got shape \(formatShape(value.shape))")
            }
        }
    }
}
