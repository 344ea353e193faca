import Foundation
import Theano
import XCTest

/// The scan rewrites (`scan` pass): each one's effect on the compiled graph, with the values
/// unchanged (against the same function compiled without the pass, and against numbers
/// computed by hand).
final class ScanRewriteTests: BackendTestCase {
    /// Mode without the scan rewrites, for the values to compare with.
    private var withoutScanRewrites: Mode { Mode.current.excluding("scan") }

    private func scans(_ f: Function) -> [Scan] {
        f.graph.nodes(of: Scan.self).compactMap { $0.op as? Scan }
    }

    /// The ops of a loop body, by printed name.
    private func bodyOps(_ scan: Scan) -> [String] {
        toposort(outputs: scan.body.outputs, stoppingAt: Set(scan.body.inputs)).map { "\($0.op)" }
    }

    private func products(_ scan: Scan) -> Int {
        bodyOps(scan).filter { $0.hasPrefix("MatMul") || $0.hasPrefix("Gemm") || $0.hasPrefix("Dot") }.count
    }

    private func assertSameAsUnrewritten(_ inputs: [Tensor], _ outputs: [Tensor], _ values: [NDArray],
                                         rtol: Double = 1e-10, file: StaticString = #filePath, line: UInt = #line) throws {
        let rewritten = try function(inputs, outputs).call(values)
        let plain = try function(inputs, outputs, mode: withoutScanRewrites).call(values)
        for (a, b) in zip(rewritten, plain) { assertClose(a, b, rtol: rtol, atol: 1e-12, file: file, line: line) }
    }

    func testUnusedOutputsAndInputsArePruned() throws {
        let x = Tensor.vector("x", .float64), w = Tensor.scalar("w", .float64), h0 = Tensor.scalar("h0", .float64)
        // h[t] = h[t-1] + x[t]; y[t] = 2 h[t]; z[t] = exp(x[t]) * w. Only y is used.
        let r = try scan({ a in
            let h = try a[1] + a[0]
            return [h, try h * 2, try exp(a[0]) * a[2]]
        }, sequences: [x], outputsInfo: [h0, ScanOutput.none, ScanOutput.none], nonSequences: [w])
        let f = try function([x, h0, w], [r[1]])
        let op = try XCTUnwrap(scans(f).first, "\(f.graph)")
        // y and the state it needs stay; z and its non-sequence go.
        XCTAssertEqual(op.outputCount, 2, "\(f.graph)")
        XCTAssertFalse(bodyOps(op).contains { $0.contains("exp") }, "\(bodyOps(op))")
        XCTAssertEqual(op.body.inputs.count, 2, "x[t] and h[t-1] only")
        let out = try f.call([NDArray([1.0, 2, 3]), NDArray(scalar: 0.5), NDArray(scalar: 7.0)])[0]
        assertValues(out, [3, 7, 13])
    }

    func testLoopInvariantWorkRunsOnce() throws {
        // h[t] = h[t-1] * sum(exp(w)) + x[t]: the sum is computed once, before the loop.
        let x = Tensor.vector("x", .float64), w = Tensor.vector("w", .float64)
        let r = try scan({ a in [try a[1] * exp(a[2]).sum() + a[0]] }, sequences: [x], outputsInfo: [Tensor(0.0)],
                         nonSequences: [w])
        let f = try function([x, w], [r.output])
        let op = try XCTUnwrap(scans(f).first, "\(f.graph)")
        XCTAssertFalse(bodyOps(op).contains { $0.contains("exp") || $0.contains("sum") }, "\(bodyOps(op))")
        let s = Foundation.exp(0.5) + Foundation.exp(-1.0)
        assertValues(try f.call([NDArray([1.0, -2, 3]), NDArray([0.5, -1.0])])[0], [1, s - 2, (s - 2) * s + 3])
    }

    func testMapOfSequenceWorkLeavesNoLoop() throws {
        // y[t] = x[t] * sum(exp(w)): all of it moves out of the loop, which disappears; a call
        // the loop would refuse still fails with its message.
        let x = Tensor.vector("x", .float64), w = Tensor.vector("w", .float64), n = Tensor.scalar("n", .int64)
        let r = try scan({ a in [try a[0] * exp(a[1]).sum()] }, sequences: [x], nonSequences: [w], nSteps: n)
        let f = try function([x, w, n], [r.output])
        XCTAssertEqual(scans(f).count, 0, "\(f.graph)")
        let s = Foundation.exp(0.5) + Foundation.exp(-1.0)
        assertValues(try f.call([NDArray([1.0, -2, 3]), NDArray([0.5, -1.0]), NDArray(scalar: Int64(2))])[0], [s, -2 * s])
        assertThrows(.shapeMismatch, containing: ["sequence 0", "3 rows", "4 steps"]) {
            try f.call([NDArray([1.0, -2, 3]), NDArray([0.5, -1.0]), NDArray(scalar: Int64(4))])
        }
        assertThrows(.invalidArgument, containing: ["negative"]) {
            try f.call([NDArray([1.0, -2, 3]), NDArray([0.5, -1.0]), NDArray(scalar: Int64(-1))])
        }
    }

    func testSequenceProductBecomesOneProduct() throws {
        // h[t] = tanh(x[t] @ wx + h[t-1] @ wh): x[t] @ wx runs once over all steps.
        let x = Tensor.variable("x", .float64, shape: [nil, 3, 4])
        let wx = Tensor.matrix("wx", .float64), wh = Tensor.matrix("wh", .float64), h0 = Tensor.matrix("h0", .float64)
        let hs = try scan({ a in [try tanh(a[0].matmul(a[2]) + a[1].matmul(a[3]))] },
                          sequences: [x], outputsInfo: [h0], nonSequences: [wx, wh]).output
        let f = try function([x, h0, wx, wh], [hs])
        let op = try XCTUnwrap(scans(f).first, "\(f.graph)")
        XCTAssertEqual(products(op), 1, "only h @ wh stays in the loop: \(bodyOps(op))")
        var rng = RandomGenerator(seed: 3)
        let values = [try NDArray.randomNormal([5, 3, 4], using: &rng), try NDArray.randomNormal([3, 2], using: &rng),
                      try NDArray.randomNormal([4, 2], using: &rng), try NDArray.randomNormal([2, 2], using: &rng)]
        try assertSameAsUnrewritten([x, h0, wx, wh], [hs], values)
        // One step by hand: h[0] = tanh(x[0] @ wx + h0 @ wh).
        let first = try NDArray.matmul(try values[0].slice([.index(0)]), values[2]).doubles
        let second = try NDArray.matmul(values[1], values[3]).doubles
        let expected: [Double] = zip(first, second).map { Foundation.tanh($0 + $1) }
        let out = try f.call(values)[0]
        assertClose(try out.slice([.index(0)]), try NDArray(expected, shape: [3, 2]))
    }

    func testGradientAccumulatorsBecomeContractions() throws {
        // The weight gradients of an RNN: sums over the steps of x[t]^T g[t] and h[t-1]^T g[t].
        let x = Tensor.variable("x", .float64, shape: [nil, 3, 4])
        let wx = Tensor.matrix("wx", .float64), wh = Tensor.matrix("wh", .float64)
        let h0 = try zeros([3, 2], .float64)
        let hs = try scan({ a in [try tanh(a[0].matmul(wx) + a[1].matmul(wh))] }, sequences: [x], outputsInfo: [h0]).output
        let loss = try (hs[-1] ** 2).sum()
        let grads = try grad(loss, wrt: [wx, wh])
        let f = try function([x, wx, wh], grads)
        let loops = scans(f)
        XCTAssertEqual(loops.count, 2, "\(f.graph)")
        let backward = try XCTUnwrap(loops.first { "\($0)".contains("grad") }, "\(f.graph)")
        XCTAssertEqual(products(backward), 1, "only the carried gradient's product stays: \(bodyOps(backward))")
        XCTAssertEqual(f.graph.count(TensorDot.self), 2, "\(f.graph)")
        // Both contractions read the one collected g[t] (both accumulators had collected it):
        // the carried gradient's ring and g's rows.
        XCTAssertEqual(backward.outputCount, 2, "\(f.graph)")
        var rng = RandomGenerator(seed: 4)
        let values = [try NDArray.randomNormal([6, 3, 4], using: &rng), try NDArray.randomNormal([4, 2], using: &rng),
                      try NDArray.randomNormal([2, 2], using: &rng)]
        try assertSameAsUnrewritten([x, wx, wh], grads, values)
        // Against finite differences too.
        try verifyGrad({ v in
            let hs = try scan({ a in [try tanh(a[0].matmul(v[0]) + a[1].matmul(v[1]))] }, sequences: [Tensor.constant(values[0])],
                              outputsInfo: [h0]).output
            return try (hs[-1] ** 2).sum()
        }, at: [values[1], values[2]])
    }

    func testAccumulatorOfAnyTermBecomesASum() throws {
        // acc[t] = acc[t-1] + sin(x[t]) * c: the collected terms are summed after the loop.
        let x = Tensor.vector("x", .float64), c = Tensor.scalar("c", .float64)
        let total = try reduce({ a in [try a[1] + sin(a[0]) * a[2]] }, sequences: [x], outputsInfo: [Tensor(0.5)],
                               nonSequences: [c]).output
        let f = try function([x, c], [total])
        // The terms depend on the sequence only, so they too move out: no loop is left.
        XCTAssertEqual(scans(f).count, 0, "\(f.graph)")
        let xs = [0.3, -1.2, 2.0]
        assertValues(try f.call([NDArray(xs), NDArray(scalar: 2.0)])[0], [0.5 + xs.map { Foundation.sin($0) * 2 }.reduce(0, +)])
        // No steps: the initial value.
        assertValues(try f.call([NDArray([Double]()), NDArray(scalar: 2.0)])[0], [0.5])
    }

    func testLastRowsOnlyAreKept() throws {
        // x[t] = a x[t-1] + s[t]; only x[-1] and x[-2] are read.
        let s = Tensor.vector("s", .float64), a = Tensor.scalar("a", .float64)
        let full = try scan({ v in [try v[1] * v[2] + v[0] * v[0]] }, sequences: [s], outputsInfo: [Tensor(1.0)],
                            nonSequences: [a]).output
        let f = try function([s, a], [full[-1], full[-2]])
        let op = try XCTUnwrap(scans(f).first, "\(f.graph)")
        XCTAssertEqual(op.storedRows, [Scan.KeptRows(last: 2, skipping: 1)], "\(f.graph)")
        func expected(_ xs: [Double], _ a: Double) -> [Double] {
            var h = 1.0, out: [Double] = []
            for x in xs {
                h = a * h + x * x
                out.append(h)
            }
            return out
        }
        for n in [2, 3, 7] {
            let xs = (0..<n).map { Double($0) * 0.5 - 1 }
            let want = expected(xs, 0.9)
            let r = try f.call([NDArray(xs), NDArray(scalar: 0.9)])
            assertValues(r[0], [want[n - 1]])
            assertValues(r[1], [want[n - 2]])
        }
        // Too few steps: the same error as without the rewrite.
        XCTAssertThrowsError(try f.call([NDArray([1.0]), NDArray(scalar: 0.9)]))
        XCTAssertThrowsError(try function([s, a], [full[-1], full[-2]], mode: withoutScanRewrites).call([NDArray([1.0]), NDArray(scalar: 0.9)]))
    }

    func testRingBufferWithSeveralTaps() throws {
        // Fibonacci with taps [-2, -1], only the last value read: a ring of three rows.
        let n = Tensor.scalar("n", .int64)
        let fib = try scan({ a in [try a[0] + a[1]] }, outputsInfo: [ScanOutput(initial: Tensor.constant(NDArray([Int64(0), 1])), taps: [-2, -1])],
                           nSteps: n)
        let f = try function([n], [fib.output[-1]])
        let op = try XCTUnwrap(scans(f).first)
        XCTAssertNotNil(op.storedRows[0], "\(f.graph)")
        let values: [Int64] = [1, 2, 3, 5, 8, 13, 21, 34, 55, 89]
        for steps in 1...10 {
            XCTAssertEqual(try f.call([NDArray(scalar: Int64(steps))])[0].doubles, [Double(values[steps - 1])])
        }
    }

    func testStateReadOnlyByTheLoopKeepsOneRow() throws {
        // The state h feeds y, and only y is returned: h needs no more than a ring.
        let x = Tensor.vector("x", .float64)
        let r = try scan({ a in
            let h = try a[1] * 0.5 + a[0]
            return [h, try h * h]
        }, sequences: [x], outputsInfo: [Tensor(0.0), ScanOutput.none])
        let f = try function([x], [r[1]])
        let op = try XCTUnwrap(scans(f).first)
        XCTAssertEqual(op.storedRows[0], Scan.KeptRows(last: 1), "\(f.graph)")
        assertValues(try f.call([NDArray([1.0, 2.0, 4.0])])[0], [1, 6.25, 27.5625])
    }

    func testRewrittenLoopsCannotBeDifferentiatedAgain() throws {
        let x = Tensor.vector("x", .float64)
        let full = try scan({ a in [try a[1] * 0.5 + a[0]] }, sequences: [x], outputsInfo: [Tensor(0.0)]).output
        let f = try function([x], [full[-1]])
        let node = try XCTUnwrap(f.graph.nodes(of: Scan.self).first)
        let op = try XCTUnwrap(node.op as? Scan)
        XCTAssertNotNil(op.storedRows[0])
        // Taking the gradient of an already shortened loop is refused with a clear error.
        let rebuilt = try op.makeNode(node.inputs.map { Variable(type: $0.type) })
        XCTAssertThrowsError(try op.pullback(rebuilt, [rebuilt.outputs[0]])) { error in
            XCTAssertTrue("\(error)".contains("scan_save_mem"), "\(error)")
        }
    }

    func testUntilLoopsKeepTheirSequences() throws {
        // A do-while loop: the sequence work is not moved out, the values are unchanged.
        let x = Tensor.vector("x", .float64)
        let r = try scan({ a in
            let v = try exp(a[0]) + a[1]
            return ScanStep([v], until: try v .> 5)
        }, sequences: [x], outputsInfo: [Tensor(0.0)])
        let f = try function([x], [r.output])
        let op = try XCTUnwrap(scans(f).first)
        XCTAssertTrue(bodyOps(op).contains { $0.contains("exp") }, "\(bodyOps(op))")
        let xs = [0.0, 0.5, 1.0, 1.5, 2.0]
        var h = 0.0, want: [Double] = []
        for v in xs {
            h += Foundation.exp(v)
            want.append(h)
            if h > 5 { break }
        }
        assertValues(try f.call([NDArray(xs)])[0], want)
    }

    func testRewriteNamesCanBeExcluded() throws {
        let x = Tensor.vector("x", .float64), w = Tensor.vector("w", .float64)
        let r = try scan({ a in [try a[0] * exp(a[1]).sum()] }, sequences: [x], nonSequences: [w])
        let f = try function([x, w], [r.output], mode: Mode.current.excluding("scan_pushout_nonseq"))
        let op = try XCTUnwrap(scans(f).first)
        XCTAssertTrue(bodyOps(op).contains { $0.contains("exp") }, "\(bodyOps(op))")
    }
}

/// `scan_merge`: loops over the same steps run as one.
final class ScanMergeTests: BackendTestCase {
    func testLoopsOverTheSameStepsRunAsOne() throws {
        let x = Tensor.vector("x", .float64)
        let sums = try scan({ a in [try a[1] + a[0]] }, sequences: [x], outputsInfo: [Tensor(0.0)]).output
        let products = try scan({ a in [try a[1] * a[0]] }, sequences: [x], outputsInfo: [Tensor(1.0)]).output
        let f = try function([x], [sums, products])
        XCTAssertEqual(f.graph.count(Scan.self), 1, "\(f.graph)")
        let r = try f.call([NDArray([1.0, 2.0, 3.0])])
        assertValues(r[0], [1, 3, 6])
        assertValues(r[1], [1, 2, 6])
        // A loop that reads the other's results stays apart.
        let chained = try scan({ a in [try a[1] + a[0]] }, sequences: [sums], outputsInfo: [Tensor(0.0)]).output
        let g = try function([x], [sums, chained])
        XCTAssertEqual(g.graph.count(Scan.self), 2, "\(g.graph)")
        assertValues(try g.call([NDArray([1.0, 2.0, 3.0])])[1], [1, 4, 10])
    }
}

/// A number of steps too large for any buffer is an error, not an overflow.
final class ScanStepCountTests: BackendTestCase {
    func testHugeStepCountThrows() throws {
        let n = Tensor.scalar("n", .int64)
        let out = try scan({ a in [try a[0] + 1] }, outputsInfo: [Tensor(0.0)], nSteps: n).output
        let f = try function([n], [out])
        XCTAssertThrowsError(try f.call([NDArray(scalar: Int64.max)]))
        assertValues(try f.call([NDArray(scalar: Int64(3))])[0], [1, 2, 3])
    }
}
