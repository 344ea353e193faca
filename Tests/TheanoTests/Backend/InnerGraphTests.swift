import Foundation
import Theano
import XCTest

/// Ops with inner graphs: optimised once at compile time, compiled into nested programs,
/// printed under their node, and differentiated through.
final class InnerGraphTests: BackendTestCase {
    /// `a * 2 + b * b` and `exp(a) - 1` as one op, not inlined.
    func makeOp(_ dtype: DType = .float32, inline: Bool = false) throws -> OpFromGraph {
        let a = Tensor.vector("a", dtype), b = Tensor.vector("b", dtype)
        return try OpFromGraph(inputs: [a, b], outputs: [a * 2 + b * b, exp(a) - 1], name: "pair", inline: inline)
    }

    func testTheInnerGraphIsOptimisedAndCompiledIntoANestedProgram() throws {
        let op = try makeOp()
        let x = Tensor.vector("x", .float32), y = Tensor.vector("y", .float32)
        let outs = try op(x, y)
        let f = try function([x, y], [outs[0] + outs[1]], options: CompileOptions(backend: .cpu))
        let report = f.kernelReport
        let node = try XCTUnwrap(report.entries.first { $0.op == "pair" }, report.description)
        XCTAssertEqual(node.implementation, "nested program")
        let inner = try XCTUnwrap(node.nested.first)
        // Fusion ran inside: the inner graph is fused C, not a node per operation.
        XCTAssertEqual(inner.count("generated C"), inner.entries.count, report.description)
        XCTAssertLessThan(inner.entries.count, 4, report.description)
        XCTAssertTrue(report.description.contains("    backend cpu:"), report.description)
        let xv = NDArray([0.5, -1, 2] as [Float]), yv = NDArray([1, 2, 3] as [Float])
        let expected = zip(xv.doubles, yv.doubles).map { a, b in a * 2 + b * b + (Foundation.exp(a) - 1) }
        assertValues(try f(xv, yv)[0], expected, rtol: 1e-6)
    }

    func testValuesEqualTheInlinedVersionOnEveryBackend() throws {
        let x = Tensor.vector("x", .float32), y = Tensor.vector("y", .float32)
        let nested = try function([x, y], try makeOp()(x, y))
        let inlined = try function([x, y], try makeOp(inline: true)(x, y))
        var data = TestData(seed: 3)
        for n in [0, 1, 7, 100] {
            let args = [data.array([n], .float32), data.array([n], .float32)]
            for (a, b) in zip(try nested.call(args), try inlined.call(args)) { assertClose(a, b, rtol: 1e-6, atol: 1e-6) }
        }
    }

    func testOutputsThatAliasInputsAreCopies() throws {
        // The inner graph returns its input and a view of it; the node's outputs must still be
        // new values, so in-place rewrites of the outer graph cannot corrupt the argument.
        let a = Tensor.matrix("a", .float64)
        let op = try OpFromGraph(inputs: [a], outputs: [a, a.transposed()], name: "views", inline: false)
        let x = Tensor.matrix("x", .float64)
        let outs = try op(x)
        let f = try function([x], [outs[0] + 1, outs[1] * 2])
        let xv = try NDArray([[1.0, 2], [3, 4]])
        let r = try f(xv)
        assertValues(r[0], [2, 3, 4, 5])
        assertValues(r[1], [2, 6, 4, 8])
        assertValues(xv, [1, 2, 3, 4])
    }

    func testShapesAndGradientsGoThroughTheInnerGraph() throws {
        let op = try makeOp(.float64)
        let x = Tensor.vector("x", .float64), y = Tensor.vector("y", .float64)
        try checkInferShape(try op(x, y)[1], [x, y], [NDArray([1.0, 2]), NDArray([3.0, 4])])
        try verifyGrad({ try op($0[0], $0[1])[0] * op($0[0], $0[1])[1] }, at: [NDArray([0.5, -1.0]), NDArray([2.0, 3.0])])
    }

    func testPrintingShowsTheInnerGraphUnderItsNode() throws {
        let op = try makeOp()
        let x = Tensor.vector("x", .float32), y = Tensor.vector("y", .float32)
        let text = debugPrint([try op(x, y)[0].variable])
        XCTAssertTrue(text.contains("inner graph 'pair'"), text)
        let lines = text.split(separator: "\n")
        let header = try XCTUnwrap(lines.firstIndex { $0.contains("inner graph") })
        XCTAssertLessThan(header + 1, lines.count, text)
        // The inner graph's nodes are indented deeper than the header.
        let indent = { (s: Substring) in s.prefix { !$0.isLetter }.count }
        XCTAssertGreaterThan(indent(lines[header + 1]), indent(lines[header]) - 3, text)
        let f = try function([x, y], [try op(x, y)[0]])
        XCTAssertTrue(f.debugDescription().contains("inner graph"), f.debugDescription())
    }
}
