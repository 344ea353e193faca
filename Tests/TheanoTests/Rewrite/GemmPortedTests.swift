import Theano
import XCTest

/// GEMM formation ported from PyTensor's `tests/tensor/test_blas.py` (`test_gemm_opt0`,
/// `test_gemm_opt_double_gemm`, `test_upcasting_scalar_nogemm`, `test_gemm_nested`,
/// `test_gemm_with_vector`, `test_gemm_opt_vector_stuff`, `test_gemm_unrolled`): the number of
/// `Gemm` nodes after the standard pipeline (no `MatMul` left where a GEMM was expected), and
/// the same values as the unoptimised graph on both backends.
final class GemmPortedTests: BackendTestCase {
    let (X, Y, Z) = (Tensor.matrix("X", .float64), Tensor.matrix("Y", .float64), Tensor.matrix("Z", .float64))
    let (a, b) = (Tensor.scalar("a", .float64), Tensor.scalar("b", .float64))

    /// The graph after fastRun without fusion and in-place variants.
    func optimized(_ inputs: [Tensor], _ outputs: [Tensor]) throws -> FunctionGraph {
        let graph = try FunctionGraph(inputs: inputs.map(\.variable), outputs: outputs.map(\.variable))
        try StandardPipelines.fastRun.run(graph, RewriteContext(excluded: ["fusion", "inplace"]))
        return graph
    }

    /// PyTensor's `just_gemm`: `expected` GEMMs and no bare matrix product, and equal values on
    /// random inputs of `shapes` (default: X 4x3, Y 3x5, Z 4x5, a and b scalars).
    func justGemm(_ inputs: [Tensor], _ output: Tensor, shapes: [[Int]]? = nil, expected: Int = 1,
                  file: StaticString = #filePath, line: UInt = #line) throws {
        let graph = try optimized(inputs, [output])
        let nodes = graph.toposort()
        XCTAssertEqual(nodes.filter { $0.op is Gemm }.count, expected, debugPrint(graph), file: file, line: line)
        XCTAssertFalse(nodes.contains { $0.op is MatMul }, debugPrint(graph), file: file, line: line)
        var data = TestData(seed: 234)
        let shapes = shapes ?? [[4, 3], [3, 5], [4, 5], [], []]
        let values = shapes.map { data.array($0, low: -1, high: 1) }
        try assertSameValues(inputs, [output], Array(values.prefix(inputs.count)), rtol: 1e-9, atol: 1e-12, file: file, line: line)
    }

    /// test_gemm_opt0: every sum of a scaled product and a scaled matrix is one GEMM.
    func testGemmOpt0() throws {
        let (X, Y, Z, a, b) = (X, Y, Z, a, b)
        let i = [X, Y, Z, a, b]
        try justGemm(i, try dot(X, Y) * a + Z * b)
        try justGemm(i, try a * dot(X, Y) + b * Z)
        try justGemm(i, try b * Z + a * dot(X, Y))
        try justGemm(i, try dot(X, Y) * a - Z * b)
        try justGemm(i, try a * dot(X, Y) - b * Z)
        try justGemm(i, try b * Z - a * dot(X, Y))
        // With transposes: pushed through the product in canonicalisation, then flags.
        try justGemm(i, try b * Z.transpose() - a * dot(Y.transpose(), X.transpose()))
        try justGemm(i, try b * Z.transpose() + a * b * dot(X, Y).transpose())
        try justGemm(i, try b * Z + a * dot(X, Y).transpose(), shapes: [[5, 3], [3, 4], [4, 5], [], []])
        // With several multiplications instead of one.
        try justGemm(i, try (b * b) * Z * a + (a * a) * dot(X, Y) * b)
        try justGemm(i, try Z + dot(X, Y))
        try justGemm(i, try Z * b + dot(X, Y))
        try justGemm(i, try Z + a * b * a * dot(X, Y))
        try justGemm(i, try (b * b) * Z * a - (a * a) * dot(X, Y) * b)
        try justGemm(i, try Z - dot(X, Y))
        try justGemm(i, try Z * b - dot(X, Y))
        try justGemm(i, try Z - a * b * a * dot(X, Y))
    }

    /// The transposed product keeps its flags: `b * Z + a * dot(X, Y).T` is `Gemm` of `Y` and
    /// `X`, both transposed (`(XY)^T = Y^T X^T`).
    func testTransposedProductBecomesGemmWithTransposeFlags() throws {
        let graph = try optimized([X, Y, Z, a, b], [try b * Z + a * dot(X, Y).transpose()])
        let nodes = graph.toposort()
        XCTAssertEqual(nodes.count, 1, debugPrint(graph))
        let gemm = try XCTUnwrap(nodes.first?.op as? Gemm)
        XCTAssertTrue(gemm.transposeX && gemm.transposeY, "\(gemm)")
        XCTAssertTrue(nodes[0].inputs[2] === graph.inputs[1] && nodes[0].inputs[3] === graph.inputs[0], debugPrint(graph))
        // A bare transposed product: one GEMM with flags, no transpose left.
        let bare = try optimized([X, Y], [try dot(X, Y).transpose()])
        XCTAssertEqual(bare.toposort().map { "\($0.op)" }, ["Gemm{T,T}"], debugPrint(bare))
        // A product read elsewhere keeps its transpose (no second product).
        let p = try dot(X, Y)
        let shared = try optimized([X, Y], [try p.transpose(), try p * 2])
        XCTAssertEqual(shared.toposort().filter { $0.op is MatMul || $0.op is Gemm }.count, 1, debugPrint(shared))
    }

    /// test_gemm_opt_double_gemm: the autoencoder pattern gives two GEMMs.
    func testDoubleGemm() throws {
        let (R, S, c) = (Tensor.matrix("R", .float64), Tensor.matrix("S", .float64), Tensor.scalar("c", .float64))
        try justGemm([X, Y, Z, a, b, R, S, c], try Z * c + a * dot(X, Y) + b * dot(R, S).transpose(),
                     shapes: [[4, 3], [3, 5], [4, 5], [], [], [5, 9], [9, 4], []], expected: 2)
        // The same with the second product already a GEMM.
        let inner = try gemm(S, R, alpha: b, adding: Z, beta: 1, transposeX: true, transposeY: true)
        try justGemm([X, Y, Z, a, b, R, S, c], try a * dot(X, Y) + inner,
                     shapes: [[4, 3], [3, 5], [4, 5], [], [], [5, 9], [9, 4], []], expected: 2)
    }

    /// test_upcasting_scalar_nogemm: a float64 scale of a float32 product upcasts the sum; no
    /// GEMM.
    func testUpcastingScalarGivesNoGemm() throws {
        let (v, w, t) = (Tensor.matrix("v", .float32), Tensor.matrix("w", .float32), Tensor.matrix("t", .float32))
        let alpha = Tensor.scalar("alpha", .float64)
        let out = try dot(w, v) * alpha + t
        XCTAssertEqual(out.dtype, .float64)
        let graph = try optimized([w, v, t, alpha], [out])
        XCTAssertFalse(graph.toposort().contains { $0.op is Gemm }, debugPrint(graph))
        var data = TestData(seed: 3)
        try assertSameValues([w, v, t, alpha], [out], [data.array([3, 4], .float32), data.array([4, 2], .float32),
                                                       data.array([3, 2], .float32), data.array([])], rtol: 1e-6, atol: 1e-6)
    }

    /// test_gemm_nested: scales distributed over a nested sum.
    func testNestedGemm() throws {
        let (U, c, d) = (Tensor.matrix("U", .float64), Tensor.scalar("c", .float64), Tensor.scalar("d", .float64))
        let shapes: [[Int]] = [[2, 3], [3, 4], [2, 4], [2, 4], [], [], [], []]
        let i = [X, Y, Z, U, a, b, c, d]
        try justGemm(i, try a * Z - b * (c * dot(X, Y) + d * Z), shapes: shapes)
        try justGemm(i, try a * Z - b * (c * dot(X, Y) + d * Z + c * Z), shapes: shapes)
        try justGemm(i, try a * Z - b * (c * dot(X, Y) + d * Z + c * U), shapes: shapes)
    }

    /// test_gemm_with_vector: an added broadcast vector does not prevent the GEMM.
    func testGemmWithVector() throws {
        let v = Tensor.vector("v", .float64)
        let (X, Y, Z, a, b) = (X, Y, Z, a, b)
        let i = [X, Y, Z, a, b, v]
        let shapes: [[Int]] = [[4, 3], [3, 5], [4, 5], [], [], [5]]
        for output in [
            try v + dot(X, Y) * a + Z * b, try v + a * dot(X, Y) + b * Z, try v + b * Z + a * dot(X, Y),
            try v + dot(X, Y) * a - Z * b, try v + a * dot(X, Y) - b * Z, try v + b * Z - a * dot(X, Y),
            try v + (b * b) * Z * a + (a * a) * dot(X, Y) * b, try v + Z + dot(X, Y), try v + Z * b + dot(X, Y),
            try v + Z + a * b * a * dot(X, Y), try v + (b * b) * Z * a - (a * a) * dot(X, Y) * b,
            try Z - dot(X, Y) + v, try Z * b - dot(X, Y) + v, try Z - a * b * a * dot(X, Y) + v,
        ] {
            try justGemm(i, output, shapes: shapes)
        }
    }

    /// test_gemm_opt_vector_stuff: a scalar plus a vector dot product is no GEMM. (PyTensor's
    /// second case, `a * u + dot(X, Y)`, does become one GEMM here: a broadcast row is a valid
    /// `Z`, the bias case.)
    func testVectorProductsGiveNoGemm() throws {
        let (u, v) = (Tensor.vector("u", .float64), Tensor.vector("v", .float64))
        let graph = try optimized([a, u, v], [try a + dot(u, v)])
        XCTAssertFalse(graph.toposort().contains { $0.op is Gemm }, debugPrint(graph))
        try justGemm([a, u, X, Y], try a * u + dot(X, Y), shapes: [[], [5], [4, 3], [3, 5]])
    }

    /// Products that must not become GEMMs: integers, mixed dtypes, a zero scale, batched.
    func testProductsThatStay() throws {
        let (i, j) = (Tensor.matrix("i", .int32), Tensor.matrix("j", .int32))
        let ints = try optimized([i, j], [try dot(i, j) * 2 + i])
        XCTAssertFalse(ints.toposort().contains { $0.op is Gemm }, debugPrint(ints))
        let zero = try optimized([X, Y, Z], [try Z + 0 * dot(X, Y)])
        XCTAssertFalse(zero.toposort().contains { $0.op is Gemm }, debugPrint(zero))
        let t = Tensor.tensor3("t", .float64)
        let batched = try optimized([t, Z], [try matmul(t, t) * 2 + Z])
        XCTAssertFalse(batched.toposort().contains { $0.op is Gemm }, debugPrint(batched))
    }

    /// test_gemm_unrolled: an unrolled recurrence computes each product once: 2 per round and
    /// the one shared by all rounds.
    func testUnrolledRecurrenceComputesEachProductOnce() throws {
        var data = TestData(seed: 123)
        for rounds in 1...4 {
            let W = Shared(data.array([8, 8], low: -0.5, high: 0.5), name: "W")
            let V = Shared(try NDArray.zeros([6, 8], .float64), name: "V")
            let H = Shared(try NDArray.zeros([6, 8], .float64), name: "H")
            let G = Shared(data.array([6, 8]), name: "G")
            var (curV, curH): (Tensor, Tensor) = (V, H)
            for _ in 0..<rounds {
                curV = try sigmoid(dot(curH, W.transpose()))
                curH = try sigmoid(dot(curV, W) + dot(G, W.transpose()))
            }
            let graph = try optimized([], [curV, curH])
            let products = graph.toposort().filter { $0.op is MatMul || $0.op is Gemm }
            XCTAssertEqual(products.count, rounds * 2 + 1, debugPrint(graph))
            // The updates give what the unoptimised graph computes.
            let expected = try function([], [curV, curH], mode: .unoptimized)()
            _ = try function([], [], updates: [V: curV, H: curH])()
            assertClose(V.value, expected[0], rtol: 1e-9, atol: 1e-12)
            assertClose(H.value, expected[1], rtol: 1e-9, atol: 1e-12)
        }
    }
}
