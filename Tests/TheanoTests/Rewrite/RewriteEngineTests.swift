import Theano
import XCTest

/// The rewrite engine's mechanics, with small rules written for the test.
final class RewriteEngineTests: BackendTestCase {
    /// x * 1 -> x, either side.
    let mulByOne = Rewrite.pattern(
        "mul_by_one",
        .node(Elemwise.self, where: { $0.scalar == .mul }, [.bind("x"), .constant(equalTo: 1)], commutative: true)
    ) { m, _ in
        let x = try m["x"]
        return x
    }

    func graph(_ inputs: [Tensor], _ outputs: [Tensor]) throws -> FunctionGraph {
        try FunctionGraph(inputs: inputs.map(\.variable), outputs: outputs.map(\.variable))
    }

    func ops(_ g: FunctionGraph) -> [String] { g.toposort().map { "\($0.op)" } }

    func testPatternBindsAndChecksRepeatedNames() throws {
        let x = Tensor.vector("x", .float64)
        let y = Tensor.vector("y", .float64)
        let same = Pattern.node(Elemwise.self, where: { $0.scalar == .sub }, [.bind("a"), .bind("a")])
        XCTAssertNotNil(same.match(try (x - x).variable))
        XCTAssertNil(same.match(try (x - y).variable))
        let m = same.match(try (x - x).variable)
        XCTAssertTrue(try m?["a"] === x.variable)
    }

    func testCommutativeMatchingAndBroadcastConstants() throws {
        let x = Tensor.matrix("x", .float64)
        let pattern = Pattern.node(Elemwise.self, where: { $0.scalar == .mul }, [.bind("x"), .constant(equalTo: 1)], commutative: true)
        XCTAssertNotNil(pattern.match(try (x * 1).variable))
        XCTAssertNotNil(pattern.match(try (1 * x).variable), "constant on the left")
        XCTAssertNil(pattern.match(try (x * 2).variable))
        let notCommutative = Pattern.node(Elemwise.self, where: { $0.scalar == .mul }, [.bind("x"), .constant(equalTo: 1)])
        XCTAssertNil(notCommutative.match(try (1 * x).variable))
        let c = Pattern.scalarConstant("c")
        XCTAssertEqual(c.match(Tensor.constant(try NDArray.full([2, 2], 3, .float32)).variable)?.constants["c"], 3)
        XCTAssertNil(c.match(Tensor.constant(NDArray([1.0, 2.0])).variable))
    }

    func testWalkAppliesRulesAndRecordsATrace() throws {
        let x = Tensor.vector("x", .float64)
        let g = try graph([x], [try exp(x * 1)])
        let trace = RewriteTrace()
        try RewritePass.walk("simplify", RewriteSet([mulByOne])).run(g, RewriteContext(trace: trace))
        XCTAssertEqual(ops(g), ["exp"])
        XCTAssertEqual(trace.appliedRewrites, ["mul_by_one"])
        XCTAssertEqual(trace.entries.first?.before, "mul(x, 1.0)")
        XCTAssertEqual(trace.entries.first?.after, "x")
    }

    func testExcludedRulesDoNotRun() throws {
        let x = Tensor.vector("x", .float64)
        let g = try graph([x], [try exp(x * 1)])
        try RewritePass.walk("simplify", RewriteSet([mulByOne])).run(g, RewriteContext(excluded: ["mul_by_one"]))
        XCTAssertEqual(ops(g), ["mul", "exp"])
        try RewritePass.walk("simplify", RewriteSet([mulByOne])).run(g, RewriteContext(excluded: ["simplify"]))
        XCTAssertEqual(ops(g), ["mul", "exp"])
    }

    func testEquilibriumReachesAFixedPoint() throws {
        let x = Tensor.vector("x", .float64)
        var e = x
        for _ in 0..<50 { e = try exp(e * 1) }
        let g = try graph([x], [e])
        try RewritePass.equilibrium("simplify", RewriteSet([mulByOne])).run(g, RewriteContext())
        XCTAssertEqual(ops(g), Array(repeating: "exp", count: 50))
    }

    func testEquilibriumRevisitsNodesAChangeExposes() throws {
        // (x * 1) * 1: removing the inner one exposes the outer one.
        let x = Tensor.vector("x", .float64)
        let g = try graph([x], [try exp(x * 1 * 1 * 1)])
        try RewritePass.equilibrium("simplify", RewriteSet([mulByOne])).run(g, RewriteContext())
        XCTAssertEqual(ops(g), ["exp"])
    }

    func testARuleThatChangesATypeIsRefusedByName() throws {
        let x = Tensor.vector("x", .float64)
        let bad = Rewrite.single("bad_cast", tracks: [Elemwise.self]) { _, node in
            guard case .exp = (node.op as? Elemwise)?.scalar else { return nil }
            return try cast(Tensor(node.inputs[0]), .float32).variable
        }
        let g = try graph([x], [try exp(x)])
        assertThrows(.typeMismatch, containing: ["bad_cast", "float64[?]", "float32[?]"]) {
            try RewritePass.walk("p", RewriteSet([bad])).run(g, RewriteContext())
        }
    }

    func testMergeJoinsEqualSubexpressionsAndConstants() throws {
        let x = Tensor.vector("x", .float64)
        let a = try exp(x) * Tensor.constant(NDArray(scalar: 2.0))
        let b = try exp(x) * Tensor.constant(NDArray(scalar: 2.0))
        let g = try graph([x], [try a + b])
        XCTAssertEqual(g.nodes.count, 5)
        let trace = RewriteTrace()
        try mergePass.run(g, RewriteContext(trace: trace))
        XCTAssertEqual(ops(g), ["exp", "mul", "add"])
        let add = g.outputs[0].owner
        XCTAssertTrue(add?.inputs[0] === add?.inputs[1])
        XCTAssertTrue(trace.appliedRewrites.allSatisfy { $0 == "merge" })
        let f = try function([x], [a + b])
        assertValues(try f(NDArray([0.0]))[0], [4])
    }

    func testConstantFoldingEvaluatesConstantSubgraphs() throws {
        let x = Tensor.vector("x", .float64)
        let c = try exp(Tensor.constant(NDArray([0.0, 1.0]))) * 2
        let g = try graph([x], [try x + c])
        try constantFoldingPass().run(g, RewriteContext())
        XCTAssertEqual(ops(g), ["add"])
        let folded = g.outputs[0].owner?.inputs[1].constantValue
        XCTAssertNotNil(folded)
        if let folded { assertValues(folded, [2, 2 * M_E]) }
    }

    func testConstantFoldingRespectsTheSizeLimit() throws {
        let x = Tensor.vector("x", .float64, size: 100)
        let big = try exp(Tensor.constant(try NDArray.zeros([100], .float64)))
        let g = try graph([x], [try x + big])
        try constantFoldingPass(maxElements: 10).run(g, RewriteContext())
        XCTAssertEqual(ops(g), ["exp", "add"])
        try constantFoldingPass(maxElements: 1000).run(g, RewriteContext())
        XCTAssertEqual(ops(g), ["add"])
    }

    func testPipelineRunsPassesInOrder() throws {
        let x = Tensor.vector("x", .float64)
        let g = try graph([x], [try exp(x * 1) + exp(x)])
        let pipeline = RewritePipeline([.walk("simplify", RewriteSet([mulByOne])), mergePass])
        XCTAssertEqual(pipeline.description, "simplify -> merge")
        try pipeline.run(g)
        XCTAssertEqual(ops(g), ["exp", "add"])
    }
}

import Foundation
