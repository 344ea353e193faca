import TheanoArray
import TheanoGraph

/// The BLAS specialisation: matrix products with scale factors, an added term and transposed
/// operands become single ``Gemm``, ``Gemv`` and ``Ger`` nodes. It belongs in the specialise
/// stage, after canonicalisation and before fusion; it builds functional (not in-place) nodes
/// only: a later in-place stage may swap in the in-place variants.
///
/// It runs one out-to-in walk (which folds a whole expression such as `Z - 0.5 * (2 *
/// dot(X.T, Y))` at its root) and then the same rules to a fixed point (which picks up what
/// the walk's changes exposed). Exclude single rules by name (``BLASRewrites``) or the whole
/// pass as `"blas"`.
public let blasPass = RewritePass.custom("blas") { graph, context in
    try RewritePass.walk("blas_walk", BLASRewrites.all, order: .outToIn).run(graph, context)
    try RewritePass.equilibrium("blas_equilibrium", BLASRewrites.all).run(graph, context)
}

/// The BLAS rules. In every rule, scale factors may sit on either side of a `*`, be nested
/// (`0.5 * (2 * dot(X, Y))`: constants are folded, so alpha is 1), be negations or divisions
/// by constants, or sit on the product's operands (`dot(2 * X, Y)`); symbolic scalars (a
/// learning rate) become a scalar alpha expression. Transposed operands (`DimShuffle{1,0}`,
/// also in chains) become transpose flags.
///
/// A product is folded into its consumer only when nobody else reads it (else BLAS would
/// compute it twice); a product scaled by the constant 0 is left alone (BLAS would not read
/// its operands, so NaNs in them would vanish). Plain products with nothing to absorb stay
/// ``MatMul`` nodes (whose kernel already calls GEMM or GEMV), and so do batched products
/// (rank > 2), which the ``MatMul`` kernel runs as a loop of GEMM calls in one node.
///
/// The bias case `x @ W + b` becomes one ``Gemm`` whose `Z` is the broadcast row `b`: the op
/// copies it into its output and runs GEMM with `beta = 1`, so no separate add is left for
/// fusion to handle.
public enum BLASRewrites {
    /// `Z + a * dot(X, Y)`, `a * dot(X, Y) + b * Z`, `Z - a * dot(X, Y)`, `a * dot(X, Y) - Z`
    /// (matrices) -> `Gemm(Z, alpha, X, Y, beta)`. `Z` may broadcast (a bias row).
    ///
    /// A sum whose only reader is an elementwise op that no BLAS rule folds (a `tanh`, a
    /// `maximum`: not a sum, difference, product, negation or division, which may take the sum
    /// into a larger `Gemm`), with a `Z` of the sum's full shape (no broadcast axis), stays a
    /// sum: fusion puts it into the reader's kernel, which reads
    /// `Z` where it is, while a `Gemm` would first copy `Z` into its output and have GEMM read
    /// it back (`beta = 1`). An RNN step `tanh(x_t Wx + h Wh)` (its `x_t Wx` computed before
    /// the loop) took 8.5 µs a step as copy + `Gemm` + `tanh` and 7.1 µs as product + fused
    /// `tanh(add)` (32x128x128, float32).
    public static let gemmFromSum = Rewrite.single("gemm_from_sum", tracks: [Elemwise.self]) { graph, node in
        try sumRewrite(graph, node, rank: 2, BLASAnalysis.matrixProduct, accepts: { z in
            !(isWholeMatrix(z, of: node.output) && readOnlyByNonlinearElementwise(node.output, graph))
        }) { z, product, alpha, beta in
            try Gemm(transposeX: product.x.transposed, transposeY: product.y.transposed)
                .makeNode([z, alpha, product.x.variable, product.y.variable, beta]).output
        }
    }

    /// Whether `z` has `sum`'s rank and no axis it would broadcast along (its static size 1
    /// exactly where `sum`'s is).
    private static func isWholeMatrix(_ z: Variable, of sum: Variable) -> Bool {
        z.type.rank == sum.type.rank && zip(z.type.shape, sum.type.shape).allSatisfy { ($0 == 1) == ($1 == 1) }
    }

    /// Whether `v`'s only reader is one elementwise node (not a function output) that no BLAS
    /// rule folds.
    private static func readOnlyByNonlinearElementwise(_ v: Variable, _ graph: FunctionGraph) -> Bool {
        let clients = graph.clients(of: v)
        guard clients.count == 1, let reader = clients[0].node, reader.op is Elemwise, reader.outputs.count == 1 else { return false }
        guard let op = BLASAnalysis.scalarOp(reader.outputs[0]) else { return true }
        return ![.add, .sub, .mul, .neg, .trueDiv].contains(op)
    }

    /// `a * dot(X, Y)` with no added term (also `-dot(X, Y)`, `dot(X, Y) / 2`) ->
    /// `Gemm(alpha, X, Y)` without `Z`.
    public static let gemmFromScaledProduct = Rewrite.single("gemm_from_scaled_product", tracks: [Elemwise.self]) { graph, node in
        try scaledRewrite(graph, node, BLASAnalysis.matrixProduct) { product, alpha in
            try Gemm(transposeX: product.x.transposed, transposeY: product.y.transposed)
                .makeNode([alpha, product.x.variable, product.y.variable]).output
        }
    }

    /// `dot(X.T, Y)`, `dot(X, 2 * Y)`, ...: a matrix product whose operands are transposed or
    /// scaled -> `Gemm(alpha, X, Y)` with transpose flags.
    public static let gemmFromTransformedOperands = Rewrite.single("gemm_from_transformed_operands", tracks: [MatMul.self]) { _, node in
        try operandsRewrite(node, BLASAnalysis.matrixProduct) { product, alpha in
            try Gemm(transposeX: product.x.transposed, transposeY: product.y.transposed)
                .makeNode([alpha, product.x.variable, product.y.variable]).output
        }
    }

    /// `y + a * dot(A, x)` and the other sums of ``gemmFromSum`` for a matrix-vector product
    /// (`dot(x, A)` is `A^T x`) -> `Gemv(y, alpha, A, x, beta)`.
    public static let gemvFromSum = Rewrite.single("gemv_from_sum", tracks: [Elemwise.self]) { graph, node in
        try sumRewrite(graph, node, rank: 1, BLASAnalysis.matrixVectorProduct) { y, product, alpha, beta in
            try Gemv(transposeA: product.x.transposed)
                .makeNode([y, alpha, product.x.variable, product.y.variable, beta]).output
        }
    }

    /// `a * dot(A, x)` with no added term -> `Gemv(alpha, A, x)` without `y`.
    public static let gemvFromScaledProduct = Rewrite.single("gemv_from_scaled_product", tracks: [Elemwise.self]) { graph, node in
        try scaledRewrite(graph, node, BLASAnalysis.matrixVectorProduct) { product, alpha in
            try Gemv(transposeA: product.x.transposed).makeNode([alpha, product.x.variable, product.y.variable]).output
        }
    }

    /// `dot(A.T, x)`, `dot(2 * A, x)`, ...: a matrix-vector product whose operands are
    /// transposed or scaled -> `Gemv(alpha, A, x)`.
    public static let gemvFromTransformedOperands = Rewrite.single("gemv_from_transformed_operands", tracks: [MatMul.self]) { _, node in
        try operandsRewrite(node, BLASAnalysis.matrixVectorProduct) { product, alpha in
            try Gemv(transposeA: product.x.transposed).makeNode([alpha, product.x.variable, product.y.variable]).output
        }
    }

    /// `A + a * outer(x, y)` and `A - a * outer(x, y)` -> `Ger(A, alpha, x, y)`. The outer
    /// product may be ``Outer`` of vectors, or a column times a row (`x[:, None] @ y[None, :]`
    /// or `x[:, None] * y[None, :]`).
    public static let gerFromSum = Rewrite.single("ger_from_sum", tracks: [Elemwise.self]) { graph, node in
        guard let op = BLASAnalysis.scalarOp(node.output), op == .add || op == .sub, node.output.type.rank == 2 else { return nil }
        for (term, other) in [(0, 1), (1, 0)] where op == .add || term == 1 {
            guard let product = foldableProduct(node.inputs[term], graph, BLASAnalysis.outerProduct) else { continue }
            var scale = product.scale
            if op == .sub { scale.constant = -scale.constant }
            let a = node.inputs[other]
            guard !scale.isZero, let ger = try? Ger().makeNode([a, try scale.variable(a.type.dtype), product.x.variable, product.y.variable]).output,
                  node.output.type.isSatisfied(by: ger.type)
            else { continue }
            return ger
        }
        return nil
    }

    /// Every BLAS rule, the more specific first.
    public static let all = RewriteSet([
        gerFromSum, gemvFromSum, gemmFromSum,
        gemvFromScaledProduct, gemmFromScaledProduct,
        gemvFromTransformedOperands, gemmFromTransformedOperands,
    ])

    // MARK: Shared rule bodies

    /// A product read only by its consumer, as `scale * core` with the core matching
    /// `analyse`, or nil.
    private static func foldableProduct(
        _ term: Variable, _ graph: FunctionGraph, _ analyse: (Variable) -> BLASProduct?
    ) -> BLASProduct? {
        let (scale, core) = BLASAnalysis.peelScale(term, graph)
        guard BLASAnalysis.hasSingleClient(core, graph), var product = analyse(core),
              BLASAnalysis.fills(core.type.shape, term.type.shape) else { return nil }
        product.scale.absorb(scale)
        return product
    }

    /// `add`/`sub` of a foldable product term and another term (the accumulator, with its own
    /// scale factor as beta), in either order.
    private static func sumRewrite(
        _ graph: FunctionGraph, _ node: Apply, rank: Int, _ analyse: (Variable) -> BLASProduct?,
        accepts: (Variable) -> Bool = { _ in true },
        _ build: (Variable, BLASProduct, Variable, Variable) throws -> Variable
    ) throws -> Variable? {
        guard let op = BLASAnalysis.scalarOp(node.output), op == .add || op == .sub, node.output.type.rank == rank else { return nil }
        let dtype = node.output.type.dtype
        for (term, other) in [(0, 1), (1, 0)] {
            guard var product = foldableProduct(node.inputs[term], graph, analyse),
                  BLASAnalysis.fills(node.inputs[term].type.shape, node.output.type.shape) else { continue }
            var (beta, z) = BLASAnalysis.peelScale(node.inputs[other], nil)
            guard accepts(z) else { continue }
            if op == .sub {
                // `term - other` negates beta; `other - term` negates alpha.
                if term == 0 { beta.constant = -beta.constant } else { product.scale.constant = -product.scale.constant }
            }
            guard !product.scale.isZero,
                  let result = try? build(z, product, try product.scale.variable(dtype), try beta.variable(dtype)),
                  node.output.type.isSatisfied(by: result.type)
            else { continue }
            return result
        }
        return nil
    }

    /// A chain of scalings (`mul`, `neg`, division by a constant) rooted at `node` around a
    /// foldable product, with no added term.
    private static func scaledRewrite(
        _ graph: FunctionGraph, _ node: Apply, _ analyse: (Variable) -> BLASProduct?,
        _ build: (BLASProduct, Variable) throws -> Variable
    ) throws -> Variable? {
        guard let op = BLASAnalysis.scalarOp(node.output), [.mul, .neg, .trueDiv].contains(op) else { return nil }
        let (scale, core) = BLASAnalysis.peelScale(node.output, graph, checkFirst: false)
        guard core !== node.output, BLASAnalysis.hasSingleClient(core, graph), var product = analyse(core),
              BLASAnalysis.fills(core.type.shape, node.output.type.shape) else { return nil }
        product.scale.absorb(scale)
        guard !product.scale.isZero,
              let result = try? build(product, try product.scale.variable(node.output.type.dtype)),
              node.output.type.isSatisfied(by: result.type)
        else { return nil }
        return result
    }

    /// A bare product node whose operands carry transposes or scale factors.
    private static func operandsRewrite(
        _ node: Apply, _ analyse: (Variable) -> BLASProduct?, _ build: (BLASProduct, Variable) throws -> Variable
    ) throws -> Variable? {
        guard let product = analyse(node.output), product.absorbed, !product.scale.isZero,
              let result = try? build(product, try product.scale.variable(node.output.type.dtype)),
              node.output.type.isSatisfied(by: result.type)
        else { return nil }
        return result
    }
}
