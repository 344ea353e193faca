import TheanoArray
import TheanoGraph

/// Linear-algebra rewrites (PyTensor's `rewriting/linalg.py` ideas), in the specialisation
/// set: an explicit inverse multiplied into something becomes a solve, inverses cancel, the
/// determinant of a triangular matrix is the product of its diagonal, and solves with one matrix
/// (or its transpose: a solve and its gradient) share one LU factorisation.
public enum LinalgRewrites {
    /// `inv(inv(A))` -> `A`.
    public static let invOfInv = Rewrite("inv_inv", tracks: [MatrixInverse.self]) { _, node in
        guard let inner = node.inputs[0].owner, inner.op is MatrixInverse else { return nil }
        let a = inner.inputs[0]
        return a.type.dtype == node.outputs[0].type.dtype ? [a] : nil
    }

    /// `inv(A) @ B` -> `solve(A, B)`: one factorisation and two triangular solves instead of
    /// an inverse and a product, and more accurate.
    public static let invMatmulToSolve = Rewrite("inv_matmul_to_solve", tracks: [MatMul.self]) { _, node in
        guard let inverse = node.inputs[0].owner, inverse.op is MatrixInverse else { return nil }
        let (a, b) = (inverse.inputs[0], node.inputs[1])
        guard b.type.rank >= 2 || a.type.rank == 2, a.type.dtype == b.type.dtype else { return nil }
        let x = try Solve(assume: .general, vectorRHS: b.type.rank == 1).makeNode([a, b]).outputs[0]
        return node.outputs[0].type.isSatisfied(by: x.type) ? [x] : nil
    }

    /// The determinant of a triangular or diagonal matrix (a Cholesky factor, `tril`, `triu`,
    /// `diag(v)`; ``MatrixStructure``) -> the product of its diagonal, and `slogdet` -> the
    /// signs' product and the sum of the logarithms of the diagonal's magnitudes: no
    /// factorisation at all.
    public static let detOfTriangular = Rewrite("det_of_triangular", tracks: [Determinant.self, SignLogDeterminant.self]) { _, node in
        guard MatrixStructure.of(node.inputs[0]) != nil else { return nil }
        let m = Tensor(node.inputs[0])
        let d = try diagonal(m, axis1: m.rank - 2, axis2: m.rank - 1)
        let replacements: [Tensor]
        if node.op is Determinant {
            replacements = [try prod(d, axis: -1)]
        } else {
            replacements = [try prod(sign(d), axis: -1), try sum(log(abs(d)), axis: -1)]
        }
        for (old, new) in zip(node.outputs, replacements) where !old.type.isSatisfied(by: new.type) { return nil }
        return replacements.map(\.variable)
    }

    /// A general solve whose matrix (or that matrix transposed) is also solved with elsewhere
    /// -> `luSolve` with one `luFactor` of the matrix (merge then keeps a single factorisation):
    /// the gradient of `solve(A, b)` solves with `A^T`, so forward and backward share one LU.
    public static let shareLUFactorization = Rewrite("solve_share_lu", tracks: [Solve.self]) { graph, node in
        guard let solve = node.op as? Solve, solve.assume == .general else { return nil }
        let (matrix, transposed) = untransposed(node.inputs[0])
        // Other general solves with the same matrix, either way round.
        var readers = 0
        for candidate in [matrix] + transposesOf(matrix, graph) {
            for client in graph.clients(of: candidate) {
                guard let other = client.node, other !== node, client.index == 0,
                      let s = other.op as? Solve, s.assume == .general else { continue }
                readers += 1
            }
        }
        // A factorisation of the matrix already made for another solve is reused.
        let made = graph.clients(of: matrix).compactMap(\.node).first { $0.op is LUFactor }
        guard readers > 0 || made != nil else { return nil }
        let (lu, pivots) = try made.map { (Tensor($0.outputs[0]), Tensor($0.outputs[1])) } ?? luFactor(Tensor(matrix))
        let x = try luSolve(lu, pivots, Tensor(node.inputs[1]), transposed: transposed)
        return node.outputs[0].type.isSatisfied(by: x.type) ? [x.variable] : nil
    }

    /// `det`, `slogdet` and `inv` of a matrix that is also factorised or solved with (a
    /// solve, another determinant or inverse of it, or an existing `luFactor`) -> computed from
    /// one shared `luFactor`: the determinant is the product of U's diagonal with the pivots'
    /// sign, and the inverse solves with the identity. A log-density's `slogdet` and `solve`,
    /// and `slogdet`'s gradient (`inv(A)^T`), then factorise the matrix once.
    public static let determinantsShareLU = Rewrite("det_share_lu", tracks: [Determinant.self, SignLogDeterminant.self, MatrixInverse.self]) { graph, node in
        let matrix = node.inputs[0]
        // An inverse multiplied into something becomes a solve, and one inverted again goes.
        if node.op is MatrixInverse, graph.clients(of: node.outputs[0]).contains(where: { client in
            (client.node?.op is MatMul && client.index == 0) || client.node?.op is MatrixInverse
        }) { return nil }
        let made = graph.clients(of: matrix).compactMap(\.node).first { $0.op is LUFactor }
        let others = graph.clients(of: matrix).contains { client in
            guard let other = client.node, other !== node, client.index == 0 else { return false }
            if let s = other.op as? Solve { return s.assume == .general }
            return other.op is Determinant || other.op is SignLogDeterminant || other.op is MatrixInverse
        }
        guard made != nil || others else { return nil }
        let (lu, pivots) = try made.map { (Tensor($0.outputs[0]), Tensor($0.outputs[1])) } ?? luFactor(Tensor(matrix))
        let replacements: [Tensor]
        if node.op is MatrixInverse {
            let n = try lu.shape(-1)
            replacements = [try luSolve(lu, pivots, eye(n, dtype: lu.dtype))]
        } else {
            let d = try diagonal(lu, axis1: lu.rank - 2, axis2: lu.rank - 1)
            // Each pivot that is not its own row is one row swap: the sign is (-1)^swaps.
            let rows = try arange(pivots.shape(-1), dtype: .int32)
            let swaps = try sum(cast(neq(pivots, rows), lu.dtype), axis: -1)
            let parity = try 1 - 2 * mod(swaps, Tensor.constant(2, lu.dtype))
            if node.op is Determinant {
                replacements = [try prod(d, axis: -1) * parity]
            } else {
                replacements = [try prod(sign(d), axis: -1) * parity, try sum(log(abs(d)), axis: -1)]
            }
        }
        for (old, new) in zip(node.outputs, replacements) where !old.type.isSatisfied(by: new.type) { return nil }
        return replacements.map(\.variable)
    }

    /// `m` and false, or, when `m` swaps its last two axes of some `a` (and nothing else),
    /// `a` and true.
    static func untransposed(_ m: Variable) -> (Variable, Bool) {
        guard let node = m.owner, let shuffle = node.op as? DimShuffle, shuffle.isTranspose else { return (m, false) }
        let r = shuffle.inputRank
        guard r >= 2, shuffle.order == Array(0..<(r - 2)) + [r - 1, r - 2] else { return (m, false) }
        return (node.inputs[0], true)
    }

    /// The variables of the graph that are `m` with its last two axes swapped.
    static func transposesOf(_ m: Variable, _ graph: FunctionGraph) -> [Variable] {
        graph.clients(of: m).compactMap { client in
            guard let node = client.node, untransposed(node.outputs[0]).1 else { return nil }
            return node.outputs[0]
        }
    }

    /// A positive-definite solve whose matrix is also solved with elsewhere (a solve and its
    /// gradient: the matrix is symmetric, so the gradient solves with it again) or already has
    /// a Cholesky factor in the graph -> `choSolve(cholesky(A), b)`: merge then keeps one
    /// factorisation for all of them (a Gaussian log-density's solve and its
    /// `logdet` through the factor's diagonal, for instance).
    public static let positiveDefiniteSolveToCholesky = Rewrite("solve_pd_to_cholesky", tracks: [Solve.self]) { graph, node in
        guard let solve = node.op as? Solve, solve.assume == .positiveDefinite else { return nil }
        let matrix = node.inputs[0]
        let others = graph.clients(of: matrix).contains { client in
            guard let other = client.node, other !== node, client.index == 0, let s = other.op as? Solve else { return false }
            return s.assume == .positiveDefinite && s.lower == solve.lower
        }
        let factored = graph.clients(of: matrix).contains { ($0.node?.op as? Cholesky)?.lower == solve.lower }
        guard others || factored else { return nil }
        let b = Tensor(node.inputs[1])
        guard solve.vectorRHS == (b.rank == 1) else { return nil }
        let x = try choSolve(cholesky(Tensor(matrix), lower: solve.lower), b, lower: solve.lower)
        return node.outputs[0].type.isSatisfied(by: x.type) ? [x.variable] : nil
    }

    /// A ``Blockwise`` whose inputs have no batch axes, or only axes of static size 1 ->
    /// its core op on the inputs without those axes, the outputs given them back: the core op
    /// then runs once, with whatever kernel its backend has for it, instead of through the
    /// per-block loop.
    public static let unbatchedBlockwise = Rewrite("blockwise_unbatched", tracks: [Blockwise.self]) { _, node in
        guard let blockwise = node.op as? Blockwise else { return nil }
        var coreInputs: [Variable] = []
        for (i, v) in node.inputs.enumerated() {
            let batchAxes = v.type.rank - blockwise.coreRanks[i]
            guard v.type.shape.prefix(batchAxes).allSatisfy({ $0 == 1 }) else { return nil }
            coreInputs.append(batchAxes == 0 ? v : try dimshuffle(Tensor(v), Array(batchAxes..<v.type.rank)).variable)
        }
        let core = try blockwise.core.makeNode(coreInputs)
        var outputs: [Variable] = []
        for (k, out) in node.outputs.enumerated() {
            let coreOut = core.outputs[k]
            let lead = out.type.rank - coreOut.type.rank
            guard lead >= 0 else { return nil }
            let expanded = lead == 0 ? coreOut
                : try dimshuffle(Tensor(coreOut), Array(repeating: DimShuffle.newAxis, count: lead) + Array(0..<coreOut.type.rank)).variable
            guard out.type.isSatisfied(by: expanded.type) else { return nil }
            outputs.append(expanded)
        }
        return outputs
    }

    public static let all: [Rewrite] = [invOfInv, invMatmulToSolve, detOfTriangular, shareLUFactorization,
                                        determinantsShareLU,
                                        positiveDefiniteSolveToCholesky, unbatchedBlockwise]
}
