import TheanoArray
import TheanoGraph

/// The BLAS matrix-vector update `y' = alpha * op(A) @ x + beta * y`, where `op` transposes
/// when ``transposeA`` is set.
///
/// Built by the BLAS rewrites (``blasPass``) from matrix-vector products (`dot(A, x)` and
/// `dot(x, A)`, which is `A^T x`) with scale factors, an added vector and transposed
/// matrices; see ``gemv(_:_:alpha:adding:beta:transposeA:)`` to build it directly.
///
/// - Inputs: `[y, alpha, A, x, beta]`, or `[alpha, A, x]` without `y`. `A` is a matrix, `x`
///   and `y` vectors, all of one dtype (float32 or float64); `alpha` and `beta` are symbolic
///   scalars (rank 0) of that dtype, as in ``Gemm``.
/// - `y` may broadcast (static size 1); the functional op copies it into its new output.
/// - ``inPlace``: overwrites `y` (``destroyMap`` `[0: [0]]`), which must then have the
///   product's size.
/// - `beta = 0` multiplies `y` by zero (NaN stays NaN); `alpha = 0` does not read `A` and `x`.
public struct Gemv: Op {
    public let transposeA: Bool
    public let inPlace: Bool

    public init(transposeA: Bool = false, inPlace: Bool = false) {
        self.transposeA = transposeA
        self.inPlace = inPlace
    }

    public var description: String { "Gemv{\(transposeA ? "T" : "N")\(inPlace ? ",inplace" : "")}" }

    public var destroyMap: [Int: [Int]] { inPlace ? [0: [0]] : [:] }

    /// The input positions of `y`, `alpha`, `A`, `x` and `beta` in a node with `count` inputs.
    static func positions(_ count: Int) -> (y: Int?, alpha: Int, a: Int, x: Int, beta: Int?) {
        count == 5 ? (0, 1, 2, 3, 4) : (nil, 0, 1, 2, nil)
    }

    public func makeNode(_ inputs: [Variable]) throws -> Apply {
        let check = BLASNodeCheck(op: "\(self)", inputs: inputs)
        try check.count(in: inPlace ? [5] : [5, 3], usage: inPlace ? "y, alpha, A, x, beta (an in-place Gemv needs y to write into)" : "y, alpha, A, x, beta or alpha, A, x")
        let p = Gemv.positions(inputs.count)
        let dtype = try check.floatDType(p.a, "A")
        try check.operand(p.a, "A", rank: 2, dtype)
        try check.operand(p.x, "x", rank: 1, dtype)
        try check.scalar(p.alpha, "alpha", dtype)
        if let beta = p.beta { try check.scalar(beta, "beta", dtype) }
        let a = inputs[p.a].type.shape
        let (m, k) = transposeA ? (a[1], a[0]) : (a[0], a[1])
        if let k, let kx = inputs[p.x].type.shape[0], k != kx {
            throw TheanoError.shapeMismatch(
                "\(self): op(A) and x are not aligned: A \(describeVariable(inputs[p.a])) gives \(k) columns\(transposeA ? " (transposed)" : ""), x \(describeVariable(inputs[p.x])) has \(kx) elements")
        }
        var shape: [Int?] = [m]
        if let y = p.y {
            try check.operand(y, "y", rank: 1, dtype)
            shape = try check.accumulatorShape(y, "y", product: shape, inPlace: inPlace)
        }
        return Apply(op: self, inputs: inputs, outputTypes: [TensorType(dtype, shape: shape)])
    }

    /// The operands of one call, checked: `op(A)` (a transposed view), `x`, the scale factors,
    /// and `y` when the node has one. Backends' kernels and `perform` share it.
    public struct Operands {
        public let a: NDArray
        public let x: NDArray
        public let alpha: Double
        public let y: NDArray?
        public let beta: Double
    }

    /// Reads and checks a call's input values (run-time sizes, accumulator shape).
    public func operands(_ node: Apply, _ inputs: [NDArray]) throws -> Operands {
        let p = Gemv.positions(inputs.count)
        let a = transposeA ? inputs[p.a].T : inputs[p.a]
        let x = inputs[p.x]
        guard a.shape[1] == x.shape[0] else {
            throw TheanoError.shapeMismatch(
                "\(self): at run time, op(A) \(expressionText(node.inputs[p.a])) has shape \(formatShape(a.shape)) and x \(expressionText(node.inputs[p.x])) has shape \(formatShape(x.shape)); the columns of op(A) must equal the size of x")
        }
        let alpha = try inputs[p.alpha].item(Double.self)
        guard let yi = p.y, let bi = p.beta else { return Operands(a: a, x: x, alpha: alpha, y: nil, beta: 0) }
        let y = inputs[yi]
        try checkRuntimeAccumulator(node, y, yi, "y", product: [a.shape[0]], op: "\(self)")
        return Operands(a: a, x: x, alpha: alpha, y: y, beta: try inputs[bi].item(Double.self))
    }

    /// The plain loops of ``NDArray/gemvReference(alpha:_:_:beta:adding:)``; the in-place
    /// variant returns a new array too (the OpenBLAS kernel is what writes in place).
    public func perform(_ node: Apply, _ inputs: [NDArray]) throws -> [NDArray] {
        let o = try operands(node, inputs)
        return [try NDArray.gemvReference(alpha: o.alpha, o.a, o.x, beta: o.beta, adding: o.y)]
    }

    public func inferShape(_ node: Apply, _ inputShapes: [[Variable]]) throws -> [[Variable]] {
        let p = Gemv.positions(node.inputs.count)
        let a = inputShapes[p.a]
        return [staticOrSymbolic(node.outputTypes[0], [transposeA ? a[1] : a[0]])]
    }
}
