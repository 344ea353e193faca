import Theano
import XCTest

/// Backpropagation through time: every recurrence kind against finite differences, and the
/// compiled gradient against the gradient of the same loop unrolled.
final class ScanGradientTests: BackendTestCase {
    /// Compiles the gradients of `cost(scan outputs)` and of `cost(unrolled outputs)` on this
    /// backend and checks they agree at `values`.
    private func assertMatchesUnrolled(
        _ inputs: [Tensor], _ looped: Tensor, _ unrolled: Tensor, _ values: [NDArray],
        file: StaticString = #filePath, line: UInt = #line
    ) throws {
        let g1 = try grad(looped, wrt: inputs, disconnected: .zero)
        let g2 = try grad(unrolled, wrt: inputs, disconnected: .zero)
        let r1 = try function(inputs, [looped] + g1).call(values)
        let r2 = try function(inputs, [unrolled] + g2).call(values)
        for (a, b) in zip(r1, r2) { assertClose(a, b, rtol: 1e-10, atol: 1e-12, file: file, line: line) }
    }

    func testSitSot() throws {
        // h[t] = tanh(W h[t-1] + x[t])
        let f: ([Tensor]) throws -> Tensor = { v in
            try scan({ a in [try tanh(a[2].matmul(a[1]) + a[0])] }, sequences: [v[0]], outputsInfo: [v[1]], nonSequences: [v[2]]).output
        }
        let points = [try NDArray([0.1, 0.2, -0.3, 0.4, 0.5, -0.6], shape: [3, 2]), NDArray([0.3, -0.2]),
                      try NDArray([0.5, -0.2, 0.3, 0.8], shape: [2, 2])]
        try verifyGrad(f, at: points)

        let x = Tensor.matrix("x", .float64), h0 = Tensor.vector("h0", .float64), w = Tensor.matrix("w", .float64)
        let looped = try f([x, h0, w]).sum()
        var h = h0
        var total: Tensor = 0
        for t in 0..<3 {
            h = try tanh(w.matmul(h) + x[t])
            total = try total + h.sum()
        }
        try assertMatchesUnrolled([x, h0, w], looped, total, points)
    }

    func testMitSotWithTaps() throws {
        // x[t] = a * x[t-2] + sin(x[t-1]) * b, from two initial rows.
        let f: ([Tensor]) throws -> Tensor = { v in
            try scan({ a in [try a[2] * a[0] + sin(a[1]) * a[3]] },
                     outputsInfo: [ScanOutput(initial: v[0], taps: [-2, -1])], nonSequences: [v[1], v[2]], nSteps: 4).output
        }
        let points = [try NDArray([0.5, -0.25, 1.0, 0.75], shape: [2, 2]), NDArray(scalar: 0.9), NDArray([0.3, -0.7])]
        try verifyGrad(f, at: points)

        let x0 = Tensor.matrix("x0", .float64), a = Tensor.scalar("a", .float64), b = Tensor.vector("b", .float64)
        var xs = [try x0[0], try x0[1]]
        var total: Tensor = 0
        for t in 0..<4 {
            let next = try a * xs[t] + sin(xs[t + 1]) * b
            xs.append(next)
            total = try total + (next * Tensor(Double(t + 1))).sum()
        }
        let weights = Tensor.constant(try NDArray([1.0, 2, 3, 4], shape: [4, 1]))
        let looped = try (f([x0, a, b]) * weights).sum()
        try assertMatchesUnrolled([x0, a, b], looped, total, points)
    }

    func testNitSotWithPastAndFutureTaps() throws {
        // y[t] = x[t-1] * w + sin(x[t+1]) * x[t]
        let f: ([Tensor]) throws -> Tensor = { v in
            try scan({ a in [try a[0] * a[3] + sin(a[2]) * a[1]] },
                     sequences: [ScanSequence(v[0], taps: [-1, 0, 1])], nonSequences: [v[1]]).output
        }
        try verifyGrad(f, at: [NDArray([0.1, 0.5, -0.4, 0.8, 1.2]), NDArray(scalar: 1.5)])
    }

    func testMixedOutputsAndGoBackwards() throws {
        // A recurrent output and a collected one, walking the sequence backwards.
        let f: ([Tensor]) throws -> Tensor = { v in
            let r = try scan({ a in
                let h = try a[1] * a[2] + a[0]
                return [h, try h * h]
            }, sequences: [v[0]], outputsInfo: [v[1], ScanOutput.none], nonSequences: [v[2]], goBackwards: true)
            return try r[0].sum() + r[1].sum() * 0.5
        }
        try verifyGrad(f, at: [NDArray([0.2, -0.1, 0.4]), NDArray(scalar: 0.3), NDArray(scalar: 0.8)])
    }

    func testUntilLoopGradient() throws {
        // Multiply by w until the value exceeds 10: the gradient of the steps that ran.
        let f: ([Tensor]) throws -> Tensor = { v in
            try scan({ a in ScanStep([try a[0] * a[1]], until: try a[0] * a[1] .> 10) },
                     outputsInfo: [v[0]], nonSequences: [v[1]], nSteps: 100).output
        }
        try verifyGrad(f, at: [NDArray(scalar: 1.3), NDArray(scalar: 1.7)])
        let x = Tensor.scalar("x", .float64), w = Tensor.scalar("w", .float64)
        let out = try f([x, w])
        let gw = try grad(out.sum(), wrt: w)
        // 1.3 * 1.7^k for k = 1...4 (the fourth, 10.86, passes 10): d/dw sum = 1.3 * sum(k 1.7^(k-1)).
        var expected: Double = 0
        for k in 1...4 {
            let power: Double = Foundation.pow(1.7, Double(k - 1))
            let term: Double = Double(k) * power
            expected += term
        }
        expected *= 1.3
        let r = try function([x, w], [out, gw]).call([NDArray(scalar: 1.3), NDArray(scalar: 1.7)])
        XCTAssertEqual(r[0].shape, [4])
        XCTAssertEqual(try r[1].item(Double.self), expected, accuracy: 1e-9)
    }

    func testTruncatedGradient() throws {
        // h[t] = w h[t-1] + x[t]; cost = sum(h).
        let x = Tensor.vector("x", .float64), h0 = Tensor.scalar("h0", .float64), w = Tensor.scalar("w", .float64)
        func loop(_ k: Int?) throws -> Tensor {
            try scan({ a in [try a[1] * a[2] + a[0]] }, sequences: [x], outputsInfo: [h0], nonSequences: [w],
                     truncateGradient: k).output.sum()
        }
        let values = [NDArray([1.0, 2, 3, 4]), NDArray(scalar: 0.5), NDArray(scalar: 2.0)]
        let full = try function([x, h0, w], grad(loop(nil), wrt: [x, h0, w])).call(values)
        let long = try function([x, h0, w], grad(loop(10), wrt: [x, h0, w])).call(values)
        for (a, b) in zip(full, long) { assertClose(a, b) }
        // One step back: only the last step's own terms.
        let one = try function([x, h0, w], grad(loop(1), wrt: [x, h0, w])).call(values)
        assertValues(one[0], [0, 0, 0, 1])
        XCTAssertEqual(try one[1].item(Double.self), 0)
        // h = [2, 6, 15, 34]: d h[3] / dw with h[2] fixed is h[2] = 15.
        XCTAssertEqual(try one[2].item(Double.self), 15)
        let two = try function([x, h0, w], grad(loop(2), wrt: [x, h0, w])).call(values)
        assertValues(two[0], [0, 0, 3, 1])
    }

    func testZeroSteps() throws {
        let x = Tensor.matrix("x", .float64), h0 = Tensor.vector("h0", .float64), w = Tensor.matrix("w", .float64)
        let hs = try scan({ a in [try tanh(a[1].matmul(a[2]) + a[0])] }, sequences: [x], outputsInfo: [h0], nonSequences: [w]).output
        let cost = try hs.sum() + h0.sum() * 2
        let g = try function([x, h0, w], grad(cost, wrt: [x, h0, w]))
            .call([try NDArray([Double](), shape: [0, 2]), NDArray([1.0, 2.0]), try NDArray([1.0, 0, 0, 1], shape: [2, 2])])
        XCTAssertEqual(g[0].shape, [0, 2])
        assertValues(g[1], [2, 2])
        assertValues(g[2], [0, 0, 0, 0], shape: [2, 2])
    }

    func testBackwardStepReadsTheStoredOutputsInsteadOfRecomputingThem() throws {
        // h[t] = tanh(h[t-1] W + x[t]): tanh's gradient uses h[t], which the forward loop stored;
        // the backward body must not compute the forward step (its tanh and its product) again.
        let x = Tensor.matrix("x", .float64), h0 = Tensor.vector("h0", .float64), w = Tensor.matrix("w", .float64)
        let hs = try scan({ a in [try tanh(a[1].matmul(a[2]) + a[0])] }, sequences: [x], outputsInfo: [h0], nonSequences: [w]).output
        let loss = try (hs[-1] ** 2).sum()
        let g = try grad(loss, wrt: [w, h0, x])
        let backward = toposort(outputs: g.map(\.variable)).compactMap { $0.op as? Scan }.filter { "\($0)".contains("grad") }
        XCTAssertEqual(backward.count, 1)
        let body = try XCTUnwrap(backward.first).body
        let ops = toposort(outputs: body.outputs, stoppingAt: Set(body.inputs)).map { "\($0.op)" }
        XCTAssertFalse(ops.contains { $0.contains("tanh") }, "\(ops)")
        // The steps' gradient is read as it is, not first placed into a full-size array of zeros
        // (`IncSubtensor{1:}`, the gradient of the `full[1:]` that scan returns).
        let outer = toposort(outputs: g.map(\.variable)).map { "\($0.op)" }
        XCTAssertFalse(outer.contains { $0.hasPrefix("IncSubtensor{1:}") }, "\(outer)")

        // Values: against the loop unrolled.
        var h = h0
        for t in 0..<3 { h = try tanh(h.matmul(w) + x[t]) }
        let unrolled = try (h ** 2).sum()
        let gu = try grad(unrolled, wrt: [w, h0, x])
        let points = [try NDArray([0.1, 0.2, -0.3, 0.4, 0.5, -0.6], shape: [3, 2]), NDArray([0.3, -0.2]),
                      try NDArray([0.5, -0.2, 0.3, 0.8], shape: [2, 2])]
        let r1 = try function([x, h0, w], [loss] + g).call(points)
        let r2 = try function([x, h0, w], [unrolled] + gu).call(points)
        for (a, b) in zip(r1, r2) { assertClose(a, b, rtol: 1e-10, atol: 1e-12) }
    }

    func testSecondOrder() throws {
        // The gradient scan is a scan too: differentiate it again.
        let f: ([Tensor]) throws -> Tensor = { v in
            let h = try scan({ a in [try tanh(a[1] * a[2] + a[0])] }, sequences: [v[0]], outputsInfo: [v[1]], nonSequences: [v[2]]).output
            return try grad(h.sum(), wrt: v[2])
        }
        try verifyGrad(f, at: [NDArray([0.3, -0.2, 0.5]), NDArray(scalar: 0.1), NDArray(scalar: 0.7)])
    }

    func testIntegerOutputsAndDisconnectedInputs() throws {
        // An integer counter beside a float state: the counter gets no gradient.
        let x = Tensor.vector("x", .float64), c0 = Tensor.scalar("c0", .int64), h0 = Tensor.scalar("h0", .float64)
        let r = try scan({ a in try [a[1] + 1, a[2] * 2 + a[0]] }, sequences: [x], outputsInfo: [c0, h0])
        let g = try grad(r[1].sum(), wrt: [x, h0])
        let values = try function([x, c0, h0], g + [r[0]]).call([NDArray([1.0, 2, 3]), NDArray(scalar: Int64(0)), NDArray(scalar: 1.0)])
        assertValues(values[0], [7, 3, 1])
        XCTAssertEqual(try values[1].item(Double.self), 14)
        assertValues(values[2], [1, 2, 3])
    }
}
