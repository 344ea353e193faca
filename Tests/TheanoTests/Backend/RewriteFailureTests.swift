import Theano
import XCTest

/// A rule that throws is never swallowed: recorded in the trace and the compile statistics,
/// and an error when rules are strict (the default in debug builds).
final class RewriteFailureTests: XCTestCase {
    let broken = Rewrite("broken_rule", tracks: [Elemwise.self]) { _, node in
        throw TheanoError.invalidArgument("cannot rewrite \(node.op)")
    }

    func testAThrowingRuleIsRecordedAndDeclinesWhenNotStrict() throws {
        let x = Tensor.vector("x", .float64)
        let graph = try FunctionGraph(inputs: [x.variable], outputs: [try exp(x).variable])
        let trace = RewriteTrace()
        let context = RewriteContext(trace: trace, strictRules: false)
        try RewritePipeline([.walk("test", RewriteSet([broken]))]).run(graph, context)
        XCTAssertEqual(context.failures.entries.count, 1)
        XCTAssertEqual(trace.failures.first?.rewrite, "broken_rule")
        XCTAssertTrue(trace.failures.first?.message.contains("cannot rewrite exp") ?? false)
        XCTAssertTrue(graph.nodes.contains { "\($0.op)" == "exp" }, "the graph is unchanged")
    }

    func testAThrowingRuleFailsTheCompileWhenStrict() throws {
        let x = Tensor.vector("x", .float64)
        let graph = try FunctionGraph(inputs: [x.variable], outputs: [try exp(x).variable])
        assertThrows(.graph, containing: ["broken_rule", "exp", "cannot rewrite exp"]) {
            try RewritePipeline([.walk("test", RewriteSet([broken]))]).run(graph, RewriteContext(strictRules: true))
        }
    }

    func testDebugBuildsAreStrict() {
        #if DEBUG
        XCTAssertTrue(RewriteContext.strictByDefault)
        #else
        XCTAssertFalse(RewriteContext.strictByDefault)
        #endif
    }

    func testFunctionsReportNoRuleFailuresForTheStandardPipeline() throws {
        let x = Tensor.vector("x", .float64)
        let f = try function([x], [log(1 + exp(x)) * x / x])
        XCTAssertEqual(f.compileStatistics.rewriteFailures, [])
    }
}
