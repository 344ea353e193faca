import Theano
@testable import TheanoCompile
import XCTest

/// An op that (wrongly) writes into its input without declaring it.
private struct Vandal: Op {
    var description: String { "Vandal" }
    func makeNode(_ inputs: [Variable]) throws -> Apply { Apply(op: self, inputs: inputs, outputTypes: [inputs[0].type]) }
    func perform(_ node: Apply, _ inputs: [NDArray]) throws -> [NDArray] {
        let x = inputs[0]
        x.storagePointer(as: Double.self)[x.offset] = 42
        return [x.copy()]
    }
    func inferShape(_ node: Apply, _ inputShapes: [[Variable]]) throws -> [[Variable]] { inputShapes }
}

final class DebugModeAndProfileTests: XCTestCase {
    func testDebugModeRunsAndAgreesOnCorrectKernels() throws {
        let x = Tensor.vector("x", .float32), y = Tensor.vector("y", .float32)
        let f = try function([x, y], [exp(-x * x) * sin(y) + tanh(x * y), sum(x * y)], mode: .debug, options: CompileOptions(backend: .cpu))
        let out = try f(try NDArray.randomNormal([1000], seed: 1), try NDArray.randomNormal([1000], seed: 2))
        XCTAssertEqual(out[0].shape, [1000])
    }

    func testDebugModeCatchesAnUndeclaredOverwrite() throws {
        let x = Tensor.vector("x", .float64)
        let bad = try Vandal().apply([x * 1 + 1])
        let f = try function([x], [bad], mode: .debug.excluding("canonicalize"), options: CompileOptions(backend: .reference))
        assertThrows(.graph, containing: ["DebugMode", "Vandal", "destroyMap"]) { try f(NDArray([1.0, 2.0])) }
    }

    func testDebugModeCatchesAKernelThatDisagrees() throws {
        let x = Tensor.vector("x", .float64)
        let y = try exp(x)
        guard let node = y.variable.owner else { return XCTFail("no node") }
        let input = NDArray([0.0, 1.0])
        assertThrows(.graph, containing: ["DebugMode", "exp", "differs", "reference"]) {
            try DebugCheck.run(node, [input], comparesWithReference: true) { _ in [NDArray([1.0, 3.0])] }
        }
        XCTAssertNoThrow(try DebugCheck.run(node, [input], comparesWithReference: true) { try node.op.perform(node, $0) })
    }

    func testProfileCollectsTimePerNodeAndOpType() throws {
        let x = Tensor.matrix("x", .float64), w = Tensor.matrix("w", .float64)
        let f = try function([x, w], [tanh(x.matmul(w)) + 1], options: CompileOptions(backend: .cpu, profile: true))
        let a = try NDArray.randomNormal([16, 8], seed: 1, .float64), b = try NDArray.randomNormal([8, 4], seed: 2, .float64)
        for _ in 0..<3 { _ = try f(a, b) }
        let profile = try XCTUnwrap(f.profile)
        XCTAssertEqual(profile.calls, 3)
        XCTAssertTrue(profile.secondsByOpType.contains { $0.op == "MatMul" })
        let text = profile.summary()
        XCTAssertTrue(text.contains("3 calls"), text)
        XCTAssertTrue(text.contains("By op type"), text)
        XCTAssertTrue(text.contains("Compile: rewriting"), text)
        XCTAssertNil(try function([x, w], [x.matmul(w)]).profile)
    }
}
