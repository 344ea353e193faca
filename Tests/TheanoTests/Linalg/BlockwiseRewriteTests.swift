import Theano
import XCTest

/// The rewrites that take work out of `Blockwise`: node counts after compiling, values equal
/// to the unrewritten graph's.
final class BlockwiseRewriteTests: BackendTestCase {
    var data = TestData(seed: 15)

    private func unrewritten(_ name: String) -> Mode { Mode.current.excluding(name) }

    /// Compiles `outputs` with and without `rule`, checks the Blockwise count with it, and
    /// compares the values.
    func assertRewritten(
        _ rule: String, _ inputs: [Tensor], _ outputs: [Tensor], _ values: [NDArray], blockwise: Int,
        file: StaticString = #filePath, line: UInt = #line
    ) throws {
        let f = try function(inputs, outputs)
        XCTAssertEqual(f.graph.count(Blockwise.self), blockwise, "\(f.graph)", file: file, line: line)
        let plain = try function(inputs, outputs, mode: unrewritten(rule))
        XCTAssertGreaterThan(plain.graph.count(Blockwise.self), 0, "\(plain.graph)", file: file, line: line)
        for (got, want) in zip(try f.call(values), try plain.call(values)) {
            assertClose(got, want, rtol: 1e-12, atol: 1e-12, rule, file: file, line: line)
        }
    }

    func testCoreOpsThatBatchReplaceTheLoop() throws {
        let x = Tensor.variable("x", .float64, shape: [nil, 1, nil]), y = Tensor.matrix("y", .float64)
        let xv = data.array([2, 1, 4]), yv = data.array([5, 4])
        // Outer of rows: [2, 1, 4] x [5, 4] -> [2, 5, 4, 4].
        let outerRows = try blockwise(Outer(), coreRanks: [1, 1], [x, y])[0]
        try assertRewritten("blockwise_native", [x, y], [outerRows], [xv, yv], blockwise: 0)
        // An elementwise core broadcasts batch axes the same way.
        let sums = try blockwise(Elemwise(.add), coreRanks: [0, 0], [x, y])[0]
        try assertRewritten("blockwise_native", [x, y], [sums], [xv, yv], blockwise: 0)
        // MatMul of matrix stacks, one broadcast.
        let a = Tensor.variable("a", .float64, shape: [nil, nil, nil]), b = Tensor.variable("b", .float64, shape: [1, nil, nil])
        let products = try blockwise(MatMul(), coreRanks: [2, 2], [a, b])[0]
        try assertRewritten("blockwise_native", [a, b], [products], [data.array([3, 2, 4]), data.array([1, 4, 5])], blockwise: 0)
        // A core op that does not batch by itself keeps its Blockwise.
        let dots = try blockwise(TensorDot(axesA: [1], axesB: [0]), coreRanks: [2, 1], [a, y])[0]
        let f = try function([a, y], [dots])
        XCTAssertEqual(f.graph.count(Blockwise.self), 1, "\(f.graph)")
    }

    func testBroadcastBatchInputsAreNotCopied() throws {
        // The matrix stack is broadcast from one matrix to the batch of the vectors.
        let m = Tensor.variable("m", .float64, shape: [4, 3]), v = Tensor.variable("v", .float64, shape: [6, 3])
        let stacked = try broadcastTo(m, [6, 4, 3])
        let dots = try blockwise(TensorDot(axesA: [1], axesB: [0]), coreRanks: [2, 1], [stacked, v])[0]
        let f = try function([m, v], [dots])
        XCTAssertEqual(f.graph.count(BroadcastTo.self) + f.graph.count(Alloc.self), 0, "\(f.graph)")
        try assertRewritten("blockwise_alloc", [m, v], [dots], [data.array([4, 3]), data.array([6, 3])], blockwise: 1)
        // Nothing else sizes the batch: the broadcast stays.
        let w = Tensor.vector("w", .float64)
        let alone = try blockwise(TensorDot(axesA: [1], axesB: [0]), coreRanks: [2, 1], [stacked, w])[0]
        let g = try function([m, w], [alone])
        XCTAssertEqual(g.graph.count(BroadcastTo.self) + g.graph.count(Alloc.self), 1, "\(g.graph)")
    }
}
