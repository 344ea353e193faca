import Theano
import XCTest

/// `Function.graph`: the optimised graph as a value.
final class OptimizedGraphTests: BackendTestCase {
    func testNodesInRunOrderWithTypesAndSources() throws {
        let x = Tensor.matrix("x", .float32, shape: [nil, 4])
        let w = Shared(try NDArray.zeros([4, 3]), name: "w")
        let b = Shared(try NDArray.zeros([3]), name: "b")
        let y = try (x.matmul(w) + b).softmax(axis: 1)
        let f = try function([x], [y], mode: .fastRun)
        let graph = f.graph
        XCTAssertEqual(graph.count("Gemm"), 1, "\(graph)")
        XCTAssertEqual(graph.count(Gemm.self), 1)
        XCTAssertEqual(graph.count("Softmax"), 1)
        XCTAssertEqual(graph.count("Softmax{axis=1}"), 1)
        XCTAssertEqual(graph.count("MatMul"), 0)
        XCTAssertEqual(graph.opCounts["Gemm"], 1)
        XCTAssertEqual(graph.opCounts.values.reduce(0, +), graph.nodes.count)
        let gemm = try XCTUnwrap(graph.nodes(of: Gemm.self).first)
        XCTAssertEqual(gemm.typeName, "Gemm")
        XCTAssertTrue(gemm.inputs.contains { $0.source == .input(0) && $0.name == "x" })
        XCTAssertTrue(gemm.inputs.contains { $0.source == .shared && $0.name == "w" })
        XCTAssertTrue(gemm.inputTypes.contains(TensorType(.float32, shape: [4, 3])))
        XCTAssertEqual(gemm.outputTypes, [TensorType(.float32, shape: [nil, 3])])
        // Every node input is a function input, a constant, a shared value or an earlier node.
        for (i, node) in graph.nodes.enumerated() {
            for input in node.inputs {
                if case let .node(j, _) = input.source { XCTAssertLessThan(j, i) }
            }
            XCTAssertFalse(node.implementation.isEmpty)
        }
        XCTAssertEqual(graph.outputCount, 1)
        guard case let .node(last, output: 0) = graph.outputs[0].source else { return XCTFail("\(graph)") }
        XCTAssertEqual(graph.nodes[last].typeName, "Softmax")
        XCTAssertTrue(graph.description.contains("Gemm"), graph.description)
        XCTAssertTrue(graph.description.hasSuffix("outputs: %\(last)"), graph.description)
    }

    func testShowsWhatTheOptimiserDid() throws {
        let x = Tensor.vector("x", .float64)
        let y = try (x * 1 + 0).exp().sum()
        let fast = try function([x], [y], mode: .fastRun)
        XCTAssertEqual(fast.graph.count("mul"), 0, "\(fast.graph)")
        XCTAssertEqual(fast.graph.count("add"), 0)
        XCTAssertEqual(fast.graph.count("CompositeReduce"), 1)
        let plain = try function([x], [y], mode: .unoptimized)
        XCTAssertEqual(plain.graph.count("mul"), 1, "\(plain.graph)")
        XCTAssertEqual(plain.graph.count("add"), 1)
        XCTAssertEqual(plain.graph.count("exp"), 1)
        XCTAssertEqual(plain.graph.count("Elemwise"), 3)
        XCTAssertEqual(plain.graph.opCounts["Elemwise"], 3)
        XCTAssertEqual(plain.graph.count("Reduce"), 1)
    }

    func testUpdatesAndConstants() throws {
        let c = Shared(NDArray(scalar: 1.0), name: "c")
        let f = try function([], [c * 3], updates: [c: c + 2], mode: .unoptimized)
        XCTAssertEqual(f.graph.outputs.count, 2)
        XCTAssertEqual(f.graph.outputCount, 1)
        XCTAssertTrue(f.graph.description.contains("updates: "), f.graph.description)
        let mul = try XCTUnwrap(f.graph.nodes.first { $0.name == "mul" })
        XCTAssertTrue(mul.inputs.contains { $0.source == .constant && $0.name == "3.0" }, "\(mul)")
    }
}
