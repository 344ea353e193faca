import Theano
import XCTest

/// The BLAS rewrites (`blasPass`): every pattern becomes exactly the expected nodes, and the
/// rewritten graph computes the same values as the original on random inputs (including
/// non-contiguous and transposed ones), in float32 and float64.
final class BLASRewriteTests: BackendTestCase {
    /// A case: builds inputs (with the shapes of their test values) and one output for a dtype.
    struct Case {
        let name: String
        /// The rewritten graph's ops, in any order.
        let ops: [String]
        let shapes: [[Int]]
        let build: (DType) throws -> ([Tensor], Tensor)
    }

    /// Runs `blasPass` on a private copy of the graph.
    func rewrite(_ inputs: [Tensor], _ outputs: [Tensor], _ context: RewriteContext = RewriteContext()) throws -> FunctionGraph {
        let graph = try FunctionGraph(inputs: inputs.map(\.variable), outputs: outputs.map(\.variable))
        try blasPass.run(graph, context)
        return graph
    }

    func ops(_ graph: FunctionGraph) -> [String] { graph.toposort().map { "\($0.op)" }.sorted() }

    func nodes<O: Op>(_ graph: FunctionGraph, _ type: O.Type) -> [(Apply, O)] {
        graph.toposort().compactMap { node in (node.op as? O).map { (node, $0) } }
    }

    /// Test values for `shapes`: every other input a non-contiguous or transposed view.
    func values(_ shapes: [[Int]], _ dtype: DType, seed: UInt64) throws -> [NDArray] {
        var data = TestData(seed: seed)
        return try shapes.enumerated().map { i, shape in
            switch (i % 3, shape.count) {
            case (1, 1...): return try data.nonContiguous(shape, dtype, low: -1, high: 1)
            case (2, 2): return try data.array(shape.reversed(), dtype, low: -1, high: 1).transposed()
            default: return data.array(shape, dtype, low: -1, high: 1)
            }
        }
    }

    /// Asserts that the rewritten graph equals the original on random values.
    func assertSameValues(
        _ inputs: [Tensor], _ outputs: [Tensor], _ graph: FunctionGraph, _ values: [NDArray], _ context: String,
        file: StaticString = #filePath, line: UInt = #line
    ) throws {
        let before = try evaluateGraph(inputs: inputs.map(\.variable), outputs: outputs.map(\.variable), values: values)
        let after = try evaluateGraph(inputs: graph.inputs, outputs: graph.outputs, values: values)
        for (b, a) in zip(before, after) {
            assertClose(a, b, rtol: 1e-4, atol: 1e-5, context, file: file, line: line)
        }
    }

    func check(_ cases: [Case], file: StaticString = #filePath, line: UInt = #line) throws {
        for c in cases {
            for dtype in [DType.float32, .float64] {
                let (inputs, output) = try c.build(dtype)
                let graph = try rewrite(inputs, [output])
                XCTAssertEqual(ops(graph), c.ops.sorted(), "\(c.name) \(dtype): \(debugPrint(graph))", file: file, line: line)
                for seed: UInt64 in [1, 2] {
                    try assertSameValues(inputs, [output], graph, try values(c.shapes, dtype, seed: seed), "\(c.name) \(dtype)", file: file, line: line)
                }
            }
        }
    }

    // MARK: Gemm

    func testAddedTermOnEitherSideWithScalesAnywhere() throws {
        let shapes = [[3, 4], [4, 5], [3, 5], []]
        func make(_ name: String, _ ops: [String], _ f: @escaping (Tensor, Tensor, Tensor, Tensor) throws -> Tensor) -> Case {
            Case(name: name, ops: ops, shapes: shapes) { dtype in
                let (x, y, z, s) = (Tensor.matrix("x", dtype), Tensor.matrix("y", dtype), Tensor.matrix("z", dtype), Tensor.scalar("s", dtype))
                return ([x, y, z, s], try f(x, y, z, s))
            }
        }
        try check([
            make("z + dot", ["Gemm{N,N}"]) { x, y, z, _ in try z + dot(x, y) },
            make("dot + z", ["Gemm{N,N}"]) { x, y, z, _ in try dot(x, y) + z },
            make("z + 2 * dot", ["Gemm{N,N}"]) { x, y, z, _ in try z + 2 * dot(x, y) },
            make("dot * 2 + z", ["Gemm{N,N}"]) { x, y, z, _ in try dot(x, y) * 2 + z },
            make("2 * dot + 3 * z", ["Gemm{N,N}"]) { x, y, z, _ in try 2 * dot(x, y) + 3 * z },
            make("z * s + dot * 0.5", ["Gemm{N,N}"]) { x, y, z, s in try z * s + dot(x, y) * 0.5 },
            make("s * dot + z", ["Gemm{N,N}"]) { x, y, z, s in try s * dot(x, y) + z },
            make("z + dot(2 * x, y)", ["Gemm{N,N}"]) { x, y, z, _ in try z + dot(2 * x, y) },
            make("z + dot(x, y * s)", ["Gemm{N,N}"]) { x, y, z, s in try z + dot(x, y * s) },
            make("z + dot / 4", ["Gemm{N,N}"]) { x, y, z, _ in try z + dot(x, y) / 4 },
            make("z - dot", ["Gemm{N,N}"]) { x, y, z, _ in try z - dot(x, y) },
            make("dot - z", ["Gemm{N,N}"]) { x, y, z, _ in try dot(x, y) - z },
            make("z - s * dot", ["Gemm{N,N}", "neg"]) { x, y, z, s in try z - s * dot(x, y) },
            make("-dot + z", ["Gemm{N,N}"]) { x, y, z, _ in try -dot(x, y) + z },
            make("s * (2 * (dot * s)) + z", ["Gemm{N,N}", "mul", "mul"]) { x, y, z, s in try s * (2 * (dot(x, y) * s)) + z },
        ])
    }

    /// The folded scale factors are constants with the expected values.
    func testConstantFactorsAreFolded() throws {
        let (x, y, z) = (Tensor.matrix("x"), Tensor.matrix("y"), Tensor.matrix("z"))
        func gemmScalars(_ out: Tensor) throws -> [Double?] {
            let graph = try rewrite([x, y, z], [out])
            let found = nodes(graph, Gemm.self)
            XCTAssertEqual(found.count, 1, debugPrint(graph))
            guard let node = found.first?.0 else { return [] }
            let positions = node.inputs.count == 5 ? [1, 4] : [0]
            return positions.map { node.inputs[$0].constantValue.flatMap { try? $0.item(Double.self) } }
        }
        XCTAssertEqual(try gemmScalars(try 0.5 * (2 * dot(x, y))), [1])
        XCTAssertEqual(try gemmScalars(try z + 0.5 * (2 * dot(x, y))), [1, 1])
        XCTAssertEqual(try gemmScalars(try z - 0.5 * (2 * dot(x, y))), [-1, 1])
        XCTAssertEqual(try gemmScalars(try 3 * (z * 2) - dot(x * 2, y) * 0.25), [-0.5, 6])
        XCTAssertEqual(try gemmScalars(try -dot(x, y)), [-1])
        XCTAssertEqual(try gemmScalars(try dot(x, y) / 8 - z), [0.125, -1])
    }

    func testProductWithoutAddedTerm() throws {
        let shapes = [[3, 4], [4, 5], []]
        func make(_ name: String, _ ops: [String], _ f: @escaping (Tensor, Tensor, Tensor) throws -> Tensor) -> Case {
            Case(name: name, ops: ops, shapes: shapes) { dtype in
                let (x, y, s) = (Tensor.matrix("x", dtype), Tensor.matrix("y", dtype), Tensor.scalar("s", dtype))
                return ([x, y, s], try f(x, y, s))
            }
        }
        try check([
            make("3 * dot", ["Gemm{N,N}"]) { x, y, _ in try 3 * dot(x, y) },
            make("-dot", ["Gemm{N,N}"]) { x, y, _ in try -dot(x, y) },
            make("dot * s", ["Gemm{N,N}"]) { x, y, s in try dot(x, y) * s },
            make("0.5 * (2 * dot)", ["Gemm{N,N}"]) { x, y, _ in try 0.5 * (2 * dot(x, y)) },
            make("dot(s * x, y)", ["Gemm{N,N}"]) { x, y, s in try dot(s * x, y) },
            // Nothing to absorb: the MatMul kernel already calls GEMM.
            make("dot", ["MatMul"]) { x, y, _ in try dot(x, y) },
            // Scaled by the constant 0: left alone (BLAS would not read x and y).
            make("0 * dot", ["MatMul", "mul"]) { x, y, _ in try 0 * dot(x, y) },
        ])
    }

    func testTransposedOperandsBecomeFlags() throws {
        func make(_ name: String, _ ops: [String], _ shapes: [[Int]], _ f: @escaping (Tensor, Tensor, Tensor) throws -> Tensor) -> Case {
            Case(name: name, ops: ops, shapes: shapes) { dtype in
                let (x, y, z) = (Tensor.matrix("x", dtype), Tensor.matrix("y", dtype), Tensor.matrix("z", dtype))
                return ([x, y, z], try f(x, y, z))
            }
        }
        try check([
            make("dot(x.T, y)", ["Gemm{T,N}"], [[4, 3], [4, 5], [3, 5]]) { x, y, _ in try dot(x.transpose(), y) },
            make("dot(x, y.T)", ["Gemm{N,T}"], [[3, 4], [5, 4], [3, 5]]) { x, y, _ in try dot(x, y.transpose()) },
            make("z + dot(x.T, y.T)", ["Gemm{T,T}"], [[4, 3], [5, 4], [3, 5]]) { x, y, z in try z + dot(x.transpose(), y.transpose()) },
            make("z - 2 * dot(x.T, y)", ["Gemm{T,N}"], [[4, 3], [4, 5], [3, 5]]) { x, y, z in try z - 2 * dot(x.transpose(), y) },
            make("dot((2 * x).T, y) + z", ["Gemm{T,N}"], [[4, 3], [4, 5], [3, 5]]) { x, y, z in try dot((2 * x).transpose(), y) + z },
            make("dot(x.T.T, y) + z", ["Gemm{N,N}"], [[3, 4], [4, 5], [3, 5]]) { x, y, z in try dot(x.transpose().transpose(), y) + z },
        ])
    }

    /// A whole-matrix sum read only by a nonlinear elementwise op stays a product and an add
    /// (fusion then reads `Z` in the reader's kernel); a broadcast bias, a sum returned as it
    /// is, a sum read twice, or one read by a sum or product (which may fold it into a larger
    /// `Gemm`) still becomes a `Gemm`.
    func testSumsReadByNonlinearElementwiseOpsStayForFusion() throws {
        func case3(_ name: String, _ ops: [String], _ zShape: [Int] = [3, 5], _ f: @escaping (Tensor, Tensor, Tensor) throws -> Tensor) -> Case {
            Case(name: name, ops: ops, shapes: [[3, 4], [4, 5], zShape]) { dtype in
                let z = zShape == [5] ? Tensor.vector("z", dtype) : Tensor.matrix("z", dtype)
                let (x, w) = (Tensor.matrix("x", dtype), Tensor.matrix("w", dtype))
                return ([x, w, z], try f(x, w, z))
            }
        }
        try check([
            case3("tanh(z + x @ w)", ["MatMul", "add", "tanh"]) { x, w, z in try tanh(z + x.matmul(w)) },
            case3("relu(x @ w + z)", ["MatMul", "add", "maximum"]) { x, w, z in try maximum(x.matmul(w) + z, 0) },
            case3("tanh(x @ w + b)", ["Gemm{N,N}", "DimShuffle{x,0}", "tanh"], [5]) { x, w, b in try tanh(x.matmul(w) + b) },
            case3("z + x @ w", ["Gemm{N,N}"]) { x, w, z in try z + x.matmul(w) },
            case3("(z + x @ w) * 2", ["Gemm{N,N}", "mul"]) { x, w, z in try (z + x.matmul(w)) * 2 },
        ])
        // A sum with a second reader is computed once, by a Gemm.
        let (x, w, z) = (Tensor.matrix("x"), Tensor.matrix("w"), Tensor.matrix("z"))
        let s = try z + x.matmul(w)
        let graph = try rewrite([x, w, z], [try tanh(s), s])
        XCTAssertEqual(nodes(graph, Gemm.self).count, 1, debugPrint(graph))
    }

    func testBiasRowAndScalarBroadcastIntoZ() throws {
        try check([
            Case(name: "x @ W + b", ops: ["Gemm{N,N}", "DimShuffle{x,0}"], shapes: [[3, 4], [4, 5], [5]]) { dtype in
                let (x, w, b) = (Tensor.matrix("x", dtype), Tensor.matrix("w", dtype), Tensor.vector("b", dtype))
                return ([x, w, b], try x.matmul(w) + b)
            },
            Case(name: "b + x @ W.T", ops: ["Gemm{N,T}", "DimShuffle{x,0}"], shapes: [[3, 4], [5, 4], [5]]) { dtype in
                let (x, w, b) = (Tensor.matrix("x", dtype), Tensor.matrix("w", dtype), Tensor.vector("b", dtype))
                return ([x, w, b], try b + x.matmul(w.transpose()))
            },
            Case(name: "dot + column", ops: ["Gemm{N,N}"], shapes: [[3, 4], [4, 5], [3, 1]]) { dtype in
                let (x, w, c) = (Tensor.matrix("x", dtype), Tensor.matrix("w", dtype), Tensor.matrix("c", dtype, shape: [nil, 1]))
                return ([x, w, c], try dot(x, w) + c)
            },
            Case(name: "dot + 1", ops: ["Gemm{N,N}"], shapes: [[3, 4], [4, 5]]) { dtype in
                let (x, w) = (Tensor.matrix("x", dtype), Tensor.matrix("w", dtype))
                return ([x, w], try dot(x, w) + 1)
            },
        ])
        // The bias is Z itself (a broadcast view), not a copy made by another node.
        let (x, w, b) = (Tensor.matrix("x"), Tensor.matrix("w"), Tensor.vector("b"))
        let graph = try rewrite([x, w, b], [try x.matmul(w) + b])
        let gemm = try XCTUnwrap(nodes(graph, Gemm.self).first?.0)
        XCTAssertTrue(gemm.inputs[0].owner?.inputs.first === graph.inputs[2])
    }

    /// A product whose operand would broadcast in the sum is not a GEMM (the product itself
    /// would have to be repeated).
    func testBroadcastProductIsLeftAlone() throws {
        let x = Tensor.matrix("x", .float64, shape: [1, nil]), y = Tensor.matrix("y", .float64), z = Tensor.matrix("z", .float64)
        let graph = try rewrite([x, y, z], [try dot(x, y) + z])
        XCTAssertEqual(ops(graph), ["MatMul", "add"])
    }

    /// A product read elsewhere is not folded into a sum (it would be computed twice).
    func testSharedProductIsNotDuplicated() throws {
        let (x, y, z) = (Tensor.matrix("x", .float64), Tensor.matrix("y", .float64), Tensor.matrix("z", .float64))
        let h = try dot(x, y)
        let graph = try rewrite([x, y, z], [try h + z, try h * 2])
        XCTAssertEqual(ops(graph), ["MatMul", "add", "mul"])
        let scaled = try 3 * dot(x, y)
        let graph2 = try rewrite([x, y, z], [try scaled + z, scaled])
        XCTAssertEqual(ops(graph2), ["Gemm{N,N}", "add"], "the scaled product is one Gemm read twice")
        try assertSameValues([x, y, z], [try scaled + z, scaled], graph2, try values([[2, 3], [3, 4], [2, 4]], .float64, seed: 3), "shared")
    }

    func testMixedDtypesAndIntegersAreLeftAlone() throws {
        let x = Tensor.matrix("x", .float32), y = Tensor.matrix("y", .float32), z = Tensor.matrix("z", .float64)
        XCTAssertEqual(ops(try rewrite([x, y, z], [try dot(x, y) + z])), ["MatMul", "add", "cast{float64}"])
        let i = Tensor.matrix("i", .int32), j = Tensor.matrix("j", .int32)
        XCTAssertEqual(ops(try rewrite([i, j], [try i + 2 * dot(i, j)])), ["MatMul", "add", "mul"])
    }

    func testBatchedMatmulStaysOneNode() throws {
        try check([
            Case(name: "batched + bias", ops: ["MatMul", "add", "DimShuffle{x,x,0}"], shapes: [[2, 3, 4], [4, 5], [5]]) { dtype in
                let (x, w, b) = (Tensor.tensor3("x", dtype), Tensor.matrix("w", dtype), Tensor.vector("b", dtype))
                return ([x, w, b], try x.matmul(w) + b)
            },
            Case(name: "2 * batched", ops: ["MatMul", "mul"], shapes: [[2, 3, 4], [2, 4, 5]]) { dtype in
                let (x, w) = (Tensor.tensor3("x", dtype), Tensor.tensor3("w", dtype))
                return ([x, w], try 2 * x.matmul(w))
            },
        ])
    }

    // MARK: Gemv and Ger

    func testMatrixVectorProductsBecomeGemv() throws {
        func make(_ name: String, _ ops: [String], _ shapes: [[Int]], _ f: @escaping (Tensor, Tensor, Tensor, Tensor) throws -> Tensor) -> Case {
            Case(name: name, ops: ops, shapes: shapes + [[]]) { dtype in
                let (a, x, y, s) = (Tensor.matrix("a", dtype), Tensor.vector("x", dtype), Tensor.vector("y", dtype), Tensor.scalar("s", dtype))
                return ([a, x, y, s], try f(a, x, y, s))
            }
        }
        try check([
            make("y + dot(a, x)", ["Gemv{N}"], [[3, 4], [4], [3]]) { a, x, y, _ in try y + dot(a, x) },
            make("dot(x, a) + y", ["Gemv{T}"], [[4, 3], [4], [3]]) { a, x, y, _ in try dot(x, a) + y },
            make("y - s * dot(a.T, x)", ["Gemv{T}", "neg"], [[4, 3], [4], [3]]) { a, x, y, s in try y - s * dot(a.transpose(), x) },
            make("2 * y + dot(x, a.T) / 2", ["Gemv{N}"], [[3, 4], [4], [3]]) { a, x, y, _ in try 2 * y + dot(x, a.transpose()) / 2 },
            make("dot(a.T, x)", ["Gemv{T}"], [[4, 3], [4], [3]]) { a, x, _, _ in try dot(a.transpose(), x) },
            make("3 * dot(a, x)", ["Gemv{N}"], [[3, 4], [4], [3]]) { a, x, _, _ in try 3 * dot(a, x) },
            make("dot(a, s * x)", ["Gemv{N}"], [[3, 4], [4], [3]]) { a, x, _, s in try dot(a, s * x) },
            make("dot(a, x)", ["MatMul"], [[3, 4], [4], [3]]) { a, x, _, _ in try dot(a, x) },
            make("dot(a, x) + 1", ["Gemv{N}"], [[3, 4], [4], [3]]) { a, x, _, _ in try dot(a, x) + 1 },
        ])
    }

    func testOuterProductUpdatesBecomeGer() throws {
        func make(_ name: String, _ ops: [String], _ f: @escaping (Tensor, Tensor, Tensor, Tensor) throws -> Tensor) -> Case {
            Case(name: name, ops: ops, shapes: [[3, 4], [3], [4], []]) { dtype in
                let (a, x, y, s) = (Tensor.matrix("a", dtype), Tensor.vector("x", dtype), Tensor.vector("y", dtype), Tensor.scalar("s", dtype))
                return ([a, x, y, s], try f(a, x, y, s))
            }
        }
        let column = [0, DimShuffle.newAxis], row = [DimShuffle.newAxis, 0]
        try check([
            make("a + outer", ["Ger"]) { a, x, y, _ in try a + outer(x, y) },
            make("outer + a", ["Ger"]) { a, x, y, _ in try outer(x, y) + a },
            make("a - 0.1 * outer", ["Ger"]) { a, x, y, _ in try a - 0.1 * outer(x, y) },
            make("a + s * outer(2 * x, y)", ["Ger", "mul"]) { a, x, y, s in try a + s * outer(2 * x, y) },
            make("a + x[:, None] * y[None, :]", ["Ger"]) { a, x, y, _ in try a + x.dimshuffle(column) * y.dimshuffle(row) },
            make("a + y[None, :] * x[:, None]", ["Ger"]) { a, x, y, _ in try a + y.dimshuffle(row) * x.dimshuffle(column) },
            make("a + x[:, None] @ y[None, :]", ["Ger"]) { a, x, y, _ in try a + dot(x.dimshuffle(column), y.dimshuffle(row)) },
            // `outer - a` is not `a + alpha * outer`: left alone.
            make("outer - a", ["Outer", "sub"]) { a, x, y, _ in try outer(x, y) - a },
        ])
    }

    // MARK: Gradients, pipelines, traces

    /// Two dense layers: the forward products with biases, the weight gradients `h^T @ g`
    /// and the gradient flowing back through `W2` (`g @ W2^T`) all become Gemm nodes, the
    /// SGD updates `W - lr * dW` included, and no MatMul is left.
    func testMLPGradientGraphUsesGemmWithTransposeFlags() throws {
        for dtype in [DType.float32, .float64] {
            var data = TestData(seed: 30)
            let x = Tensor.matrix("x", dtype), lr = Tensor.scalar("lr", dtype)
            let w1 = Tensor.matrix("w1", dtype), b1 = Tensor.vector("b1", dtype)
            let w2 = Tensor.matrix("w2", dtype), b2 = Tensor.vector("b2", dtype)
            let h = try relu(x.matmul(w1) + b1)
            let out = try h.matmul(w2) + b2
            let loss = try (out * out).sum()
            let grads = try grad(loss, wrt: [w1, b1, w2, b2])
            let updates = try [w1 - lr * grads[0], w2 - lr * grads[2]]
            let inputs = [x, lr, w1, b1, w2, b2]
            let graph = try rewrite(inputs, [loss] + updates)
            XCTAssertTrue(nodes(graph, MatMul.self).isEmpty, debugPrint(graph))
            let gemms = nodes(graph, Gemm.self).map(\.1)
            XCTAssertEqual(gemms.count, 5, debugPrint(graph))
            XCTAssertEqual(gemms.filter { $0.transposeX && !$0.transposeY }.count, 2, "dW = h^T @ g for both layers")
            XCTAssertEqual(gemms.filter { !$0.transposeX && $0.transposeY }.count, 1, "g @ W2^T")
            // The updates are GEMMs that accumulate into the weights.
            for update in graph.outputs.dropFirst() {
                let node = try XCTUnwrap(update.owner)
                XCTAssertTrue(node.op is Gemm && node.inputs.count == 5 && node.inputs[0].owner == nil, debugPrint(graph))
            }
            let values = [try data.nonContiguous([6, 4], dtype, low: -1, high: 1), NDArray(scalar: 0.1).astype(dtype),
                          data.array([4, 5], dtype, low: -1, high: 1), data.array([5], dtype, low: -1, high: 1),
                          try data.array([3, 5], dtype, low: -1, high: 1).transposed(), data.array([3], dtype, low: -1, high: 1)]
            try assertSameValues(inputs, [loss] + updates, graph, values, "MLP \(dtype)")
        }
    }

    /// A training step with shared weights, through the standard pipeline followed by the
    /// BLAS pass: the weight updates are GEMMs into the shared values, and the results equal
    /// the unoptimised step's.
    func testTrainingStepAfterTheStandardPipeline() throws {
        var data = TestData(seed: 32)
        let w0 = data.array([4, 3], .float32, low: -1, high: 1), b0 = data.array([3], .float32, low: -1, high: 1)
        let xv = try data.nonContiguous([5, 4], .float32, low: -1, high: 1), yv = data.array([5, 3], .float32, low: -1, high: 1)
        let mode = Mode(name: "t", pipeline: RewritePipeline(StandardPipelines.fastRun.passes + [blasPass, mergePass]))
        var results: [[NDArray]] = []
        for m in [Mode.unoptimized, mode] {
            let x = Tensor.matrix("x", .float32), y = Tensor.matrix("y", .float32)
            let w = Shared(w0, name: "w"), b = Shared(b0, name: "b")
            let err = try x.matmul(w) + b - y
            let loss = try (err * err).mean()
            let g = try grad(loss, wrt: [w, b])
            let step = try function([x, y], [loss], updates: [w: try w - 0.1 * g[0], b: try b - 0.1 * g[1]], mode: m)
            if m.name == "t" {
                let text = step.debugDescription()
                XCTAssertTrue(text.contains("Gemm{T,N,inplace}"), text)
                XCTAssertFalse(text.contains("MatMul"), text)
            }
            var out: [NDArray] = []
            for _ in 0..<3 { out += try step(xv, yv) }
            results.append(out + [w.value, b.value])
        }
        for (a, e) in zip(results[1], results[0]) { assertClose(a, e, rtol: 1e-4, atol: 1e-5) }
    }

    func testThroughFunctionWithAPipelineMode() throws {
        let (x, y, z) = (Tensor.matrix("x", .float64), Tensor.matrix("y", .float64), Tensor.matrix("z", .float64))
        let out = try z - 0.5 * dot(x.transpose(), y)
        let mode = Mode(name: "t", pipeline: RewritePipeline([blasPass]))
        let f = try function([x, y, z], [out], mode: mode)
        XCTAssertTrue(f.debugDescription().contains("Gemm{T,N}"), f.debugDescription())
        XCTAssertFalse(f.debugDescription().contains("MatMul"))
        var data = TestData(seed: 31)
        let args = [data.array([4, 3]), try data.nonContiguous([4, 2]), data.array([3, 2])]
        let expected = try function([x, y, z], [out], mode: .unoptimized).call(args)[0]
        assertClose(try f.call(args)[0], expected)
        // Excluding the pass (or one rule) keeps the graph as written.
        let off = try function([x, y, z], [out], mode: mode.excluding("blas"))
        XCTAssertFalse(off.debugDescription().contains("Gemm"))
        let noSum = try function([x, y, z], [out], mode: mode.excluding("gemm_from_sum"))
        XCTAssertTrue(noSum.debugDescription().contains("sub"), noSum.debugDescription())
    }

    func testTraceNamesTheRule() throws {
        let (x, y, z) = (Tensor.matrix("x"), Tensor.matrix("y"), Tensor.matrix("z"))
        let trace = RewriteTrace()
        _ = try rewrite([x, y, z], [try z + 0.5 * (2 * dot(x.transpose(), y))], RewriteContext(trace: trace))
        XCTAssertEqual(trace.appliedRewrites, ["gemm_from_sum"], "\(trace.entries)")
        let trace2 = RewriteTrace()
        let v = Tensor.vector("v"), a = Tensor.matrix("a")
        _ = try rewrite([a, v, x], [try a + outer(v, v), try dot(x.transpose(), v)], RewriteContext(trace: trace2))
        XCTAssertEqual(Set(trace2.appliedRewrites), ["ger_from_sum", "gemv_from_transformed_operands"])
    }

    /// Sums of several products: each product becomes one GEMM, chained through Z.
    func testSumOfTwoProductsChainsGemms() throws {
        let shapes = [[3, 4], [4, 5], [3, 2], [2, 5], [3, 5]]
        try check([
            Case(name: "z + dot + dot", ops: ["Gemm{N,N}", "Gemm{N,N}"], shapes: shapes) { dtype in
                let t = (0..<5).map { Tensor.matrix("m\($0)", dtype) }
                return (t, try t[4] + dot(t[0], t[1]) + 2 * dot(t[2], t[3]))
            },
            Case(name: "dot + dot", ops: ["Gemm{N,N}", "MatMul"], shapes: Array(shapes.prefix(4))) { dtype in
                let t = (0..<4).map { Tensor.matrix("m\($0)", dtype) }
                return (t, try dot(t[0], t[1]) + dot(t[2], t[3]))
            },
        ])
    }
}
