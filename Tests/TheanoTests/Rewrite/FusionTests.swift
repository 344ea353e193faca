import Theano
import XCTest

/// The elementwise fusion pass: which nodes become one `Composite` or `CompositeReduce`
/// (exact node counts), and that the fused graphs compute the original values.
final class FusionTests: BackendTestCase {
    typealias F = FusionCheck

    func testDiamondBecomesOneCompositeComputingEachValueOnce() throws {
        let x = Tensor.matrix("x", .float64)
        let a = try exp(x)
        let b = try a * 2
        let c = try a + 1
        let out = try b * c
        let g = try F.fused([x], [out])
        XCTAssertEqual(F.opKinds(g), ["Composite"])
        let (node, composite) = try XCTUnwrap(F.nodes(g, Composite.self).first)
        XCTAssertEqual(composite.program.steps.map(\.op), [.exp, .mul, .add, .mul], "exp is computed once")
        XCTAssertEqual(node.inputs.count, 1)
        XCTAssertTrue(node.inputs[0] === g.inputs[0])
        XCTAssertEqual(composite.program.outputs.count, 1)
        var data = TestData(seed: 1)
        try F.assertSameValues(g, [x], [out], [data.array([3, 4])])
    }

    func testAChainOfThirtyElementwiseOpsBecomesOneNode() throws {
        let x = Tensor.vector("x", .float64)
        var e = x
        for i in 0..<30 {
            switch i % 3 {
            case 0: e = try tanh(e)
            case 1: e = try e * 1.5
            default: e = try e + x
            }
        }
        let g = try F.fused([x], [e])
        XCTAssertEqual(F.opKinds(g), ["Composite"])
        let (node, composite) = try XCTUnwrap(F.nodes(g, Composite.self).first)
        XCTAssertEqual(composite.program.steps.count, 30)
        XCTAssertEqual(node.inputs.count, 1, "x is read once, the literal is folded")
        var data = TestData(seed: 2)
        try F.assertSameValues(g, [x], [e], [data.array([7])])
    }

    func testSumOfSquaredDifferencesBecomesOneCompositeReduce() throws {
        let x = Tensor.vector("x", .float32), y = Tensor.vector("y", .float32)
        let loss = try sum((x - y) ** 2)
        let g = try F.fused([x, y], [loss])
        XCTAssertEqual(F.opKinds(g), ["CompositeReduce"])
        let (node, reduce) = try XCTUnwrap(F.nodes(g, CompositeReduce.self).first)
        XCTAssertEqual(reduce.kind, .sum)
        XCTAssertEqual(reduce.axes, [0])
        XCTAssertEqual(reduce.program.steps.map(\.op), [.sub, .pow])
        XCTAssertEqual(node.inputs.count, 2)
        XCTAssertEqual(node.outputTypes[0], loss.variable.type)
        var data = TestData(seed: 3)
        try F.assertSameValues(g, [x, y], [loss], [data.array([10], .float32), data.array([10], .float32)])
        try F.assertFusedFunctionAgrees([x, y], [loss], [[data.array([0], .float32), data.array([0], .float32)]])
    }

    func testWorkloadExpressionBecomesOneCompositeOfTwoInputs() throws {
        let x = Tensor.vector("x", .float32), y = Tensor.vector("y", .float32)
        let out = try exp(-x * x) * sin(y) + tanh(x * y)
        let g = try F.fused([x, y], [out])
        XCTAssertEqual(F.opKinds(g), ["Composite"])
        let (node, composite) = try XCTUnwrap(F.nodes(g, Composite.self).first)
        XCTAssertEqual(node.inputs.count, 2)
        XCTAssertEqual(composite.program.steps.count, 8)
        var data = TestData(seed: 4)
        try F.assertSameValues(g, [x, y], [out], [data.array([100], .float32), data.array([100], .float32)])
    }

    func testTwentyStageOverheadChainBecomesOneCompositeOfOneInput() throws {
        let x = Tensor.vector("x", .float32)
        var e = x
        for _ in 0..<20 { e = try tanh(e) * 1.0001 + x }
        let g = try F.fused([x], [e])
        XCTAssertEqual(F.opKinds(g), ["Composite"])
        let (node, composite) = try XCTUnwrap(F.nodes(g, Composite.self).first)
        XCTAssertEqual(node.inputs.count, 1)
        XCTAssertEqual(composite.program.steps.count, 60)
        XCTAssertTrue(composite.program.steps[1].operands.contains(.constant(Double(Float(1.0001)), .float32)))
        var data = TestData(seed: 5)
        try F.assertFusedFunctionAgrees([x], [e], [[data.array([10], .float32)]])
    }

    func testIntermediatesThatAreGraphOutputsBecomeExtraOutputs() throws {
        let x = Tensor.matrix("x", .float64)
        let a = try exp(x)
        let b = try a * 2
        let out = try b * (a + 1)
        let g = try F.fused([x], [out, a, b])
        XCTAssertEqual(F.opKinds(g), ["Composite"])
        let (node, composite) = try XCTUnwrap(F.nodes(g, Composite.self).first)
        XCTAssertEqual(composite.program.steps.count, 4, "nothing is recomputed")
        XCTAssertEqual(node.outputTypes.count, 3)
        XCTAssertTrue(g.outputs.allSatisfy { $0.owner === node })
        var data = TestData(seed: 6)
        try F.assertSameValues(g, [x], [out, a, b], [data.array([2, 3])])
        // The same output twice, and an input as an output.
        let twice = try F.fused([x], [out, out, x])
        XCTAssertEqual(F.opKinds(twice), ["Composite"])
        try F.assertSameValues(twice, [x], [out, out, x], [data.array([2, 3])])
    }

    func testAGroupWithAnOutsideReaderInTheMiddle() throws {
        let x = Tensor.matrix("x", .float64), w = Tensor.matrix("w", .float64)
        let a = try exp(x) * 2
        let m = try matmul(a, w)
        let out = try tanh(a) + 1
        let g = try F.fused([x, w], [out, m])
        XCTAssertEqual(F.opKinds(g).filter { $0 == "Composite" }.count, 1)
        XCTAssertEqual(g.nodes.count, 2)
        let (node, composite) = try XCTUnwrap(F.nodes(g, Composite.self).first)
        XCTAssertEqual(composite.program.steps.count, 4)
        XCTAssertEqual(node.outputTypes.count, 2, "a (read by the product) and out")
        var data = TestData(seed: 7)
        try F.assertSameValues(g, [x, w], [out, m], [data.array([3, 3]), data.array([3, 3])])
    }

    func testAPathThroughAnOutsideNodeIsNeverSwallowed() throws {
        // c reads a both directly and through the product: fusing c into a's group would make
        // the fused node read its own output.
        let x = Tensor.matrix("x", .float64), w = Tensor.matrix("w", .float64)
        let a = try exp(x) * 2
        let c = try (a + matmul(a, w)) * 3
        let g = try F.fused([x, w], [c])
        XCTAssertEqual(F.opKinds(g), ["Composite", "MatMul", "Composite"])
        var data = TestData(seed: 8)
        try F.assertSameValues(g, [x, w], [c], [data.array([3, 3]), data.array([3, 3])])
        // The same through an outside reduction (keepdims), as softmax builds it.
        let s = try a - max(a, axis: 1, keepdims: true)
        let softmaxLike = try exp(s) / sum(exp(s), axis: 1, keepdims: true)
        let g2 = try F.fused([x], [softmaxLike])
        XCTAssertEqual(F.opKinds(g2), ["Composite", "Reduce", "Composite", "Reduce", "Elemwise"])
        try F.assertSameValues(g2, [x], [softmaxLike], [data.array([4, 5])])
    }

    func testElemwiseFeedingANonElementwiseOpStaysSeparate() throws {
        let x = Tensor.matrix("x", .float64), w = Tensor.matrix("w", .float64)
        let single = try F.fused([x, w], [matmul(exp(x), w)])
        XCTAssertEqual(F.opKinds(single), ["Elemwise", "MatMul"], "a single Elemwise stays as it is")
        let two = try F.fused([x, w], [matmul(exp(x) * 2, w)])
        XCTAssertEqual(F.opKinds(two), ["Composite", "MatMul"])
        let shuffled = try F.fused([x], [transpose(exp(x) + 1) * 3])
        XCTAssertEqual(F.opKinds(shuffled), ["Composite", "DimShuffle", "Elemwise"])
        let alone = try F.fused([x], [exp(x)])
        XCTAssertEqual(F.opKinds(alone), ["Elemwise"])
    }

    func testBroadcastInputsAndTheSameShapeRule() throws {
        let x = Tensor.matrix("x", .float64), b = Tensor.vector("b", .float64)
        let row = Tensor.matrix("row", .float64, shape: [1, nil])
        // b gains a leading axis through a DimShuffle; row broadcasts as it is.
        let out = try exp(x + b) * row
        let g = try F.fused([x, b, row], [out])
        XCTAssertEqual(F.opKinds(g), ["DimShuffle", "Composite"])
        let (node, _) = try XCTUnwrap(F.nodes(g, Composite.self).first)
        XCTAssertEqual(node.inputs.map(\.type.shape), [[nil, nil], [1, nil], [1, nil]])
        var data = TestData(seed: 9)
        try F.assertSameValues(g, [x, b, row], [out], [data.array([3, 4]), data.array([4]), data.array([1, 4])])
        // A [1, ?] intermediate is not fused into a [?, ?] consumer (it would be recomputed
        // for every row); each group keeps one shape.
        let wide = try (exp(row) * 2) + x * 3
        let g2 = try F.fused([row, x], [wide])
        XCTAssertEqual(F.opKinds(g2).sorted(), ["Composite", "Composite"])
        for (node, _) in F.nodes(g2, Composite.self) {
            XCTAssertTrue(node.outputTypes.allSatisfy { $0 == node.outputTypes[0] })
        }
        try F.assertSameValues(g2, [row, x], [wide], [data.array([1, 4]), data.array([3, 4])])
    }

    func testConstantsFoldIntoTheProgram() throws {
        let x = Tensor.vector("x", .float64)
        let strong = Tensor.constant(2.5, .float64)
        let out = try (x * 2 + strong) * Tensor.constant(NDArray(repeating: 4, shape: [1], dtype: .float64))
        let g = try F.fused([x], [out])
        let (node, composite) = try XCTUnwrap(F.nodes(g, Composite.self).first)
        XCTAssertEqual(node.inputs.count, 1)
        XCTAssertEqual(composite.program.steps.flatMap(\.operands).filter { if case .constant = $0 { return true } else { return false } },
                       [.constant(2, .float64), .constant(2.5, .float64), .constant(4, .float64)])
        // Different values stay an input.
        let varying = Tensor.constant(NDArray([1.0, 2.0, 3.0]))
        let g2 = try F.fused([x], [(x + varying) * 2])
        XCTAssertEqual(try XCTUnwrap(F.nodes(g2, Composite.self).first).0.inputs.count, 2)
        // An all-equal constant of shape [3] fixes the size of x's unknown axis: it stays an
        // input so the fused node keeps the static shape [3].
        let threes = Tensor.constant(NDArray(repeating: 3, shape: [3], dtype: .float64))
        let fixed = try (x + threes) * 2
        XCTAssertEqual(fixed.staticShape, [3])
        let g3 = try F.fused([x], [fixed])
        XCTAssertEqual(try XCTUnwrap(F.nodes(g3, Composite.self).first).0.inputs.count, 2)
        // With x of known size 3 it folds.
        let x3 = Tensor.vector("x3", .float64, size: 3)
        let g4 = try F.fused([x3], [(x3 + threes) * 2])
        XCTAssertEqual(try XCTUnwrap(F.nodes(g4, Composite.self).first).0.inputs.count, 1)
        var data = TestData(seed: 10)
        try F.assertSameValues(g, [x], [out], [data.array([5])])
        try F.assertSameValues(g2, [x], [(x + varying) * 2], [data.array([3])])
        try F.assertSameValues(g3, [x], [fixed], [data.array([3])])
        // Only constants: one stays the input that carries the shape.
        let c = Tensor.constant(NDArray(repeating: 2, shape: [1, 1], dtype: .float64))
        let constantOnly = try exp(c) * 3
        let g5 = try F.fused([], [constantOnly])
        XCTAssertEqual(F.opKinds(g5), ["Composite"])
        try F.assertSameValues(g5, [], [constantOnly], [])
    }

    func testInputsAreBoundedAndLargeGroupsSplit() throws {
        let xs = (0..<40).map { Tensor.vector("x\($0)", .float64) }
        var total = xs[0]
        for x in xs.dropFirst() { total = try total + x }
        let g = try F.fused(xs, [total])
        let composites = F.nodes(g, Composite.self)
        XCTAssertEqual(g.nodes.count, 2)
        XCTAssertEqual(composites.map(\.0.inputs.count), [32, 9], "32 inputs, then the rest and the first group's result")
        var data = TestData(seed: 11)
        let values = xs.map { _ in data.array([3]) }
        try F.assertSameValues(g, xs, [total], values)
        // A smaller bound.
        let small = try F.fused(xs, [total], pass: elementwiseFusionPass(maxInputs: 4))
        XCTAssertTrue(F.nodes(small, Composite.self).allSatisfy { $0.0.inputs.count <= 4 })
        XCTAssertEqual(small.nodes.count, 13)
        try F.assertSameValues(small, xs, [total], values)
    }

    func testExistingCompositesMergeAndThePassIsIdempotent() throws {
        let x = Tensor.vector("x", .float64), y = Tensor.vector("y", .float64)
        let program = ScalarProgram(
            inputTypes: [.float64, .float64],
            steps: [.init(op: .exp, operands: [.input(0)], dtype: .float64),
                    .init(op: .add, operands: [.step(0), .input(1)], dtype: .float64)],
            outputs: [.step(1), .step(0)])
        let parts = try Composite(program).applyAll([x, y])
        let out = try tanh(parts[0]) * y + parts[1]
        let g = try F.fused([x, y], [out])
        XCTAssertEqual(F.opKinds(g), ["Composite"])
        let (node, composite) = try XCTUnwrap(F.nodes(g, Composite.self).first)
        XCTAssertEqual(composite.program.steps.map(\.op), [.exp, .add, .tanh, .mul, .add])
        XCTAssertEqual(node.inputs.count, 2)
        var data = TestData(seed: 12)
        try F.assertSameValues(g, [x, y], [out], [data.array([4]), data.array([4])])
        // Running the pass again changes nothing.
        let trace = RewriteTrace()
        try fusionPass.run(g, RewriteContext(trace: trace))
        XCTAssertEqual(trace.entries.count, 0)
        XCTAssertEqual(F.opKinds(g), ["Composite"])
    }

    func testStepsOfUnreadCompositeOutputsAreDropped() throws {
        let x = Tensor.vector("x", .float64)
        let program = ScalarProgram(
            inputTypes: [.float64],
            steps: [.init(op: .exp, operands: [.input(0)], dtype: .float64),
                    .init(op: .sin, operands: [.input(0)], dtype: .float64),
                    .init(op: .cos, operands: [.step(1)], dtype: .float64)],
            outputs: [.step(0), .step(2)])
        let parts = try Composite(program).applyAll([x])
        let out = try parts[0] * 2
        let g = try F.fused([x], [out])
        let (_, composite) = try XCTUnwrap(F.nodes(g, Composite.self).first)
        XCTAssertEqual(composite.program.steps.map(\.op), [.exp, .mul])
        XCTAssertEqual(composite.program.outputs, [.step(1)])
        try F.assertSameValues(g, [x], [out], [NDArray([0.5, -1, 2])])
    }

    func testEveryReductionKindFuses() throws {
        let x = Tensor.matrix("x", .float64), y = Tensor.matrix("y", .float64)
        let cases: [(ReduceKind, Tensor)] = [
            (.sum, try sum(x * y, axis: 1, keepdims: true)),
            (.prod, try prod(x + y, axis: 0)),
            (.max, try max(exp(x), axis: 1)),
            (.min, try min(abs(x - y))),
            (.all, try all(x .> y, axis: 0)),
            (.any, try any(isnan(x / y), axis: 1)),
        ]
        var data = TestData(seed: 13)
        let values = [data.array([3, 4]), data.array([3, 4])]
        for (kind, out) in cases {
            let g = try F.fused([x, y], [out])
            XCTAssertEqual(F.opKinds(g), ["CompositeReduce"], "\(kind)")
            XCTAssertEqual(F.nodes(g, CompositeReduce.self).first?.1.kind, kind)
            try F.assertSameValues(g, [x, y], [out], values)
        }
    }

    func testReductionFusionNeedsTheReduceToBeTheOnlyReader() throws {
        let x = Tensor.vector("x", .float64), y = Tensor.vector("y", .float64)
        let d = try x - y
        let sq = try d * d
        let g = try F.fused([x, y], [sum(sq), d])
        XCTAssertEqual(F.opKinds(g), ["Composite", "Reduce"], "d is a graph output, so the group has two outputs")
        let g2 = try F.fused([x, y], [sum(sq), max(sq)])
        XCTAssertEqual(F.opKinds(g2).sorted(), ["Composite", "Reduce", "Reduce"])
        let excluded = try F.fused([x, y], [sum(sq)], context: RewriteContext(excluded: ["fusion_reduce"]))
        XCTAssertEqual(F.opKinds(excluded), ["Composite", "Reduce"])
        let off = try F.fused([x, y], [sum(sq)], context: RewriteContext(excluded: ["fusion"]))
        XCTAssertEqual(F.opKinds(off), ["Elemwise", "Elemwise", "Reduce"])
    }

    func testTraceRecordsEveryReplacementWithTheFusedNode() throws {
        let x = Tensor.vector("x", .float64), y = Tensor.vector("y", .float64)
        let a = try exp(x) * 2
        let trace = RewriteTrace()
        _ = try function([x, y], [a + 1, a, sum(y * y)], mode: F.fusionOnly, trace: trace)
        XCTAssertEqual(trace.counts, ["fusion": 2, "fusion_reduce": 1])
        XCTAssertTrue(trace.entries.allSatisfy { $0.after.contains("Composite") })
    }

    func testNamesOfReplacedVariablesAreKept() throws {
        let x = Tensor.vector("x", .float64)
        let a = try exp(x) * 2
        a.variable.name = "scaled"
        let g = try F.fused([x], [a, a + 1])
        XCTAssertEqual(g.outputs[0].name, "scaled")
    }

    func testMLPGradientsFuseAndComputeTheSameGradients() throws {
        var data = TestData(seed: 14)
        let x = Tensor.matrix("x", .float64), labels = Tensor.vector("labels", .int64)
        let w1 = Tensor.matrix("w1", .float64), b1 = Tensor.vector("b1", .float64)
        let w2 = Tensor.matrix("w2", .float64), b2 = Tensor.vector("b2", .float64)
        let hidden = try relu(matmul(x, w1) + b1)
        let logits = try matmul(hidden, w2) + b2
        let oneHot = try cast(expandDims(labels, axis: 1) .== arange(3), .float64)
        let loss = try mean(-sum(logSoftmax(logits) * oneHot, axis: 1))
        let gradients = try grad(loss, wrt: [w1, b1, w2, b2])
        let inputs = [x, labels, w1, b1, w2, b2]
        let values = [data.array([4, 5]), NDArray([0, 2, 1, 2] as [Int64]), data.array([5, 6], low: -1, high: 1),
                      data.array([6], low: -1, high: 1), data.array([6, 3], low: -1, high: 1), data.array([3], low: -1, high: 1)]

        let graph = try F.fused(inputs, [loss] + gradients, pass: RewritePass.custom("fastRun+fusion") { g, c in
            try F.fastRunWithFusion.pipeline.run(g, c)
        })
        let unfused = try FunctionGraph(inputs: inputs.map(\.variable), outputs: ([loss] + gradients).map(\.variable))
        try StandardPipelines.fastRun.run(unfused, RewriteContext(excluded: ["fusion"]))
        let elementwise = { (g: FunctionGraph) in g.nodes.filter { $0.op is Elemwise || $0.op is Composite }.count }
        XCTAssertGreaterThan(F.nodes(graph, Composite.self).count + F.nodes(graph, CompositeReduce.self).count, 0)
        XCTAssertLessThan(elementwise(graph) * 2, elementwise(unfused), "at least half the elementwise nodes fused away")
        let got = try evaluateGraph(inputs: graph.inputs, outputs: graph.outputs, values: values)
        let want = try evaluateGraph(inputs: inputs.map(\.variable), outputs: ([loss] + gradients).map(\.variable), values: values)
        for (g, w) in zip(got, want) { assertClose(g, w, rtol: 1e-12, atol: 1e-12) }
        try F.assertFusedFunctionAgrees(inputs, [loss] + gradients, [values], mode: F.fastRunWithFusion)
    }

    func testLongChainsAndWideGraphsFuse() throws {
        // The compile benchmark's chain, shorter: one CompositeReduce.
        let x = Tensor.matrix("x", .float32)
        var e = x
        for i in 1...300 {
            if i % 3 != 0 {
                let step = Tensor(floatLiteral: 0.001 * Double(i))
                e = try tanh(e) + step
            } else {
                e = try exp(-e) * x
            }
        }
        let g = try F.fused([x], [try sum(e)])
        XCTAssertEqual(F.opKinds(g), ["CompositeReduce"])
        XCTAssertEqual(try XCTUnwrap(F.nodes(g, CompositeReduce.self).first).0.inputs.count, 1)
        var data = TestData(seed: 15)
        try F.assertSameValues(g, [x], [try sum(e)], [data.array([2, 3], .float32, low: -1, high: 1)])
    }
}
