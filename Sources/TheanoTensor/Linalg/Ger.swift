import TheanoArray
import TheanoGraph

/// The BLAS rank-1 update `A' = A + alpha * outer(x, y)`.
///
/// Built by the BLAS rewrites (``blasPass``) from `A + alpha * outer(x, y)` (and
/// `A - alpha * outer(x, y)`); see ``ger(_:_:alpha:adding:)`` to build it directly.
///
/// - Inputs: `[A, alpha, x, y]`: a matrix, a symbolic scalar (rank 0) and two vectors, all of
///   one dtype (float32 or float64).
/// - `A` may broadcast (static size 1); the functional op copies it into its new output.
/// - ``inPlace``: overwrites `A` (``destroyMap`` `[0: [0]]`), which must then have the
///   shape `[x.size, y.size]`.
/// - `alpha = 0` follows BLAS: `x` and `y` are not read.
public struct Ger: Op {
    public let inPlace: Bool

    public init(inPlace: Bool = false) { self.inPlace = inPlace }

    public var description: String { inPlace ? "Ger{inplace}" : "Ger" }

    public var destroyMap: [Int: [Int]] { inPlace ? [0: [0]] : [:] }

    public func makeNode(_ inputs: [Variable]) throws -> Apply {
        let check = BLASNodeCheck(op: "\(self)", inputs: inputs)
        try check.count(in: [4], usage: "A, alpha, x, y")
        let dtype = try check.floatDType(0, "A")
        try check.operand(0, "A", rank: 2, dtype)
        try check.scalar(1, "alpha", dtype)
        try check.operand(2, "x", rank: 1, dtype)
        try check.operand(3, "y", rank: 1, dtype)
        let product = [inputs[2].type.shape[0], inputs[3].type.shape[0]]
        let shape = try check.accumulatorShape(0, "A", product: product, inPlace: inPlace)
        return Apply(op: self, inputs: inputs, outputTypes: [TensorType(dtype, shape: shape)])
    }

    /// The operands of one call, checked: the accumulator `A`, `alpha`, `x` and `y`.
    /// Backends' kernels and `perform` share it.
    public func operands(_ node: Apply, _ inputs: [NDArray]) throws -> (a: NDArray, alpha: Double, x: NDArray, y: NDArray) {
        let (a, x, y) = (inputs[0], inputs[2], inputs[3])
        try checkRuntimeAccumulator(node, a, 0, "A", product: [x.shape[0], y.shape[0]], op: "\(self)")
        return (a, try inputs[1].item(Double.self), x, y)
    }

    /// The plain loops of ``NDArray/gerReference(alpha:_:_:adding:)``; the in-place variant
    /// returns a new array too (the OpenBLAS kernel is what writes in place).
    public func perform(_ node: Apply, _ inputs: [NDArray]) throws -> [NDArray] {
        let o = try operands(node, inputs)
        return [try NDArray.gerReference(alpha: o.alpha, o.x, o.y, adding: o.a)]
    }

    public func inferShape(_ node: Apply, _ inputShapes: [[Variable]]) throws -> [[Variable]] {
        [staticOrSymbolic(node.outputTypes[0], [inputShapes[2][0], inputShapes[3][0]])]
    }
}
