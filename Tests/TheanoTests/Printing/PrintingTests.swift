import Theano
import XCTest

final class PrintingTests: BackendTestCase {
    func testPrettyPrintIsInfixAndUnambiguous() throws {
        let x = Tensor.vector("x", .float32)
        XCTAssertEqual(pp(try exp(-(x * x))), "exp((-(x * x)))")
        let w = Tensor.matrix("W", .float32)
        let b = Tensor.vector("b", .float32)
        XCTAssertEqual(pp(try x.dimshuffle(DimShuffle.newAxis, 0).matmul(w) + b), "((x.dimshuffle(x,0) @ W) + b.dimshuffle(x,0))")
        XCTAssertEqual(pp(try (x .> 0).named("positive")), "positive = (x > 0.0)")
        XCTAssertEqual(pp(try sum(x * 2, axis: 0)), "sum((x * 2.0), axes=[0])")
        XCTAssertEqual(pp(try cast(x, .float64)), "float64(x)")
        XCTAssertEqual(pp(try w.transposed()), "W.T")
    }

    func testPrettyPrintHandlesDeepGraphs() throws {
        let x = Tensor.scalar("x", .float64)
        var e = x
        for _ in 0..<5_000 { e = try e + 1 }
        let text = pp(e, limit: 100)
        XCTAssertTrue(text.hasSuffix("…"))
        XCTAssertLessThanOrEqual(text.count, 101)
    }

    func testDOTListsOpsAsBoxesAndVariablesWithTypes() throws {
        let x = Tensor.vector("x", .float32)
        let w = Shared(try NDArray.zeros([3]), name: "w")
        let y = try (x * w + 1).named("y")
        let dot = toDOT([y.variable])
        XCTAssertTrue(dot.hasPrefix("digraph \"theano\" {"))
        XCTAssertTrue(dot.contains("label=\"mul\", shape=box"), dot)
        XCTAssertTrue(dot.contains("label=\"add\", shape=box"), dot)
        XCTAssertTrue(dot.contains("label=\"x\\nfloat32[?]\""), dot)
        XCTAssertTrue(dot.contains("label=\"w\\nfloat32[3]\""), dot)
        XCTAssertTrue(dot.contains("label=\"y\\nfloat32[3]\""), dot)
        XCTAssertTrue(dot.hasSuffix("}"))
        XCTAssertEqual(dot.components(separatedBy: "->").count - 1, 6, dot)
    }

    func testCompiledFunctionPrintsItsOptimisedGraph() throws {
        let x = Tensor.vector("x", .float64)
        let f = try function([x], [try exp(x) + exp(x)], mode: .fastRun.excluding("fusion"))
        let text = f.debugDescription()
        // Merged: one exp, shared by both inputs of add.
        XCTAssertEqual(text.components(separatedBy: "exp [id").count - 1, 2, text)
        XCTAssertTrue(text.contains("···"), text)
        // With fusion, one node computes it all.
        XCTAssertTrue(try function([x], [try exp(x) + exp(x)]).debugDescription().hasPrefix("Composite{"))
        XCTAssertTrue(f.dot().contains("digraph"))
    }
}

import Foundation
