import Theano
import XCTest

/// Helpers for the fusion tests: run the pass on a graph, count its nodes, and check that the
/// fused graph computes exactly what the original computes.
enum FusionCheck {
    /// A mode that runs only the fusion pass.
    static let fusionOnly = Mode(name: "test", pipeline: RewritePipeline([fusionPass]))

    /// The standard optimisations followed by fusion, as the lead's pipeline will run it.
    static let fastRunWithFusion = Mode(name: "test", pipeline: RewritePipeline(StandardPipelines.fastRun.passes + [fusionPass]))

    /// A private graph of `outputs` with the fusion pass (or `pass`) applied.
    static func fused(_ inputs: [Tensor], _ outputs: [Tensor], pass: RewritePass = fusionPass,
                      context: RewriteContext = RewriteContext()) throws -> FunctionGraph {
        let graph = try FunctionGraph(inputs: inputs.map(\.variable), outputs: outputs.map(\.variable))
        try pass.run(graph, context)
        return graph
    }

    /// The op type names of the graph's nodes, in topological order.
    static func opKinds(_ graph: FunctionGraph) -> [String] {
        graph.toposort().map { String(describing: type(of: $0.op)) }
    }

    /// The graph's nodes whose op is of type `T`.
    static func nodes<T: Op>(_ graph: FunctionGraph, _: T.Type) -> [(Apply, T)] {
        graph.toposort().compactMap { node in (node.op as? T).map { (node, $0) } }
    }

    /// Evaluates the fused graph and the original graph with the reference interpreter and
    /// asserts that every output is identical (dtype, shape, every value, NaNs included): the
    /// fused program runs the same scalar reference code in the same order.
    static func assertSameValues(
        _ graph: FunctionGraph, _ inputs: [Tensor], _ outputs: [Tensor], _ values: [NDArray],
        file: StaticString = #filePath, line: UInt = #line
    ) throws {
        let want = try evaluateGraph(inputs: inputs.map(\.variable), outputs: outputs.map(\.variable), values: values)
        let got = try evaluateGraph(inputs: graph.inputs, outputs: graph.outputs, values: values)
        XCTAssertEqual(got.count, want.count, file: file, line: line)
        for (i, (g, w)) in zip(got, want).enumerated() {
            assertClose(g, w, rtol: 0, atol: 0, "output \(i) of shape \(w.shape)", file: file, line: line)
        }
    }

    /// Compiles `outputs` with fusion (``fusionOnly`` unless `mode` is given) and without any
    /// rewriting, runs both on each set of `values`, and asserts identical results (within
    /// ``pathTolerance(_:)`` on compiled backends); asserts too that fusion applied at least
    /// once.
    static func assertFusedFunctionAgrees(
        _ inputs: [Tensor], _ outputs: [Tensor], _ valueSets: [[NDArray]], mode: Mode = fusionOnly,
        file: StaticString = #filePath, line: UInt = #line
    ) throws {
        let trace = RewriteTrace()
        let fused = try function(inputs, outputs, mode: mode, trace: trace)
        let reference = try function(inputs, outputs, mode: .unoptimized)
        XCTAssertGreaterThan((trace.counts["fusion"] ?? 0) + (trace.counts["fusion_reduce"] ?? 0), 0, "fusion did not apply", file: file, line: line)
        for values in valueSets {
            let got = try fused.call(values), want = try reference.call(values)
            for (i, (g, w)) in zip(got, want).enumerated() {
                assertClose(g, w, rtol: pathTolerance(w.dtype).rtol, atol: pathTolerance(w.dtype).atol, "output \(i) for input shapes \(values.map(\.shape))", file: file, line: line)
            }
        }
    }
}
