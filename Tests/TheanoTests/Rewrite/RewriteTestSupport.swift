import Theano
import XCTest

/// A graph optimised by a pipeline, with the trace of the rules applied.
struct OptimizedGraph {
    let graph: FunctionGraph
    let trace: RewriteTrace

    /// The ops of the optimised graph in topological order.
    var ops: [String] { graph.toposort().map { "\($0.op)" } }

    /// The expression computing output `i`, written out in full.
    func text(_ i: Int = 0) -> String { expressionText(graph.outputs[i], depth: 20, limit: 2000) }
}

/// Optimises a copy of the graph from `inputs` to `outputs` with `pipeline` (fastRun by
/// default, without fusion, BLAS specialisation and in-place variants so graphs stay readable op by op),
/// recording a trace.
func optimize(_ inputs: [Tensor], _ outputs: [Tensor], pipeline: RewritePipeline = StandardPipelines.fastRun,
              excluding: Set<String> = []) throws -> OptimizedGraph {
    let graph = try FunctionGraph(inputs: inputs.map(\.variable), outputs: outputs.map(\.variable))
    let trace = RewriteTrace()
    try pipeline.run(graph, RewriteContext(excluded: excluding.union(["fusion", "blas", "inplace"]), trace: trace))
    return OptimizedGraph(graph: graph, trace: trace)
}

/// Asserts that `outputs` compiled with `.fastRun` and with `.unoptimized` give the same
/// values (within `rtol`/`atol`) on `values`.
func assertSameValues(_ inputs: [Tensor], _ outputs: [Tensor], _ values: [NDArray], rtol: Double = 1e-6, atol: Double = 1e-9,
                      file: StaticString = #filePath, line: UInt = #line) throws {
    let fast = try function(inputs, outputs)
    let plain = try function(inputs, outputs, mode: .unoptimized)
    let (a, b) = (try fast.call(values), try plain.call(values))
    for (x, y) in zip(a, b) {
        assertClose(x, y, rtol: rtol, atol: atol, "fastRun vs unoptimized", file: file, line: line)
    }
}

/// The standard check of one rule: optimising `output` with fastRun applies `rule` (it is
/// in the trace), leaves the graph `expected` (expression text), and the optimised function
/// computes what the unoptimised one does on `values`.
@discardableResult
func checkRule(_ rule: String, _ inputs: [Tensor], _ output: Tensor, expected: String, values: [NDArray],
               rtol: Double = 1e-6, atol: Double = 1e-9, excluding: Set<String> = [],
               file: StaticString = #filePath, line: UInt = #line) throws -> OptimizedGraph {
    let optimized = try optimize(inputs, [output], excluding: excluding)
    XCTAssertTrue(optimized.trace.appliedRewrites.contains(rule),
                  "\(rule) did not apply; trace: \(optimized.trace.entries)", file: file, line: line)
    XCTAssertEqual(optimized.text(), expected, "trace: \(optimized.trace.entries)", file: file, line: line)
    XCTAssertEqual(optimized.graph.outputs[0].type, output.type, "the output type changed", file: file, line: line)
    try assertSameValues(inputs, [output], values, rtol: rtol, atol: atol, file: file, line: line)
    return optimized
}

/// Asserts that optimising `output` with fastRun does not apply `rule`.
func checkRuleDeclines(_ rule: String, _ inputs: [Tensor], _ output: Tensor, values: [NDArray] = [],
                       file: StaticString = #filePath, line: UInt = #line) throws {
    let optimized = try optimize(inputs, [output])
    XCTAssertFalse(optimized.trace.appliedRewrites.contains(rule),
                   "\(rule) applied; trace: \(optimized.trace.entries)", file: file, line: line)
    if !values.isEmpty { try assertSameValues(inputs, [output], values, file: file, line: line) }
}
