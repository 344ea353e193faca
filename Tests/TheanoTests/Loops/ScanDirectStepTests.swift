import Foundation
import Synchronization
import Theano
import XCTest

/// Loops whose body is one compiled elementwise kernel run their steps after the first on row
/// addresses (``ScanDirectSteps``) when compiled without DebugMode. These tests compile with
/// `fastRun` so the CPU backend takes that path (the suite's default, DebugMode, takes the
/// general one), and check the values against loops written here.
final class ScanDirectStepTests: BackendTestCase {
    private func compiled(_ inputs: [Tensor], _ outputs: [Tensor]) throws -> Function {
        try function(inputs, outputs, mode: .fastRun)
    }

    func testCounterAndPowerByRepeatedMultiplication() throws {
        let n = Tensor.scalar("n", .int64)
        let count = try scan({ a in [try a[0] + 1] }, outputsInfo: [zeros([], .float64)], nSteps: n).output
        let f = try compiled([n], [count, count[-1]])
        let r = try f.call([NDArray(scalar: Int64(1000))])
        assertValues(r[0], (1...1000).map(Double.init))
        XCTAssertEqual(try r[1].item(Double.self), 1000)
        assertValues(try f.call([NDArray(scalar: Int64(1))])[0], [1])
        XCTAssertEqual(try compiled([n], [count]).call([NDArray(scalar: Int64(0))])[0].shape, [0])

        let k = Tensor.scalar("k", .int32), A = Tensor.vector("A", .float64)
        let power = try scan({ a in try [a[0] * a[1]] }, outputsInfo: [onesLike(A)], nonSequences: [A], nSteps: k).output
        let g = try compiled([A, k], [power[-1], power])
        let p = try g.call([NDArray([1.0, 2, 3]), NDArray(scalar: Int32(4))])
        assertValues(p[0], [1, 16, 81])
        assertValues(p[1], [1, 2, 3, 1, 4, 9, 1, 8, 27, 1, 16, 81], shape: [4, 3])
    }

    func testSequencesTapsConstantsAndSeveralOutputs() throws {
        // y[t] = 0.9 y[t-1] + 0.1 x[t] and z[t] = 2 x[t] - y[t], over rows of 3 (float32).
        let x = Tensor.matrix("x", .float32), y0 = Tensor.vector("y0", .float32)
        let result = try scan({ a in
            let y = try a[1] * 0.9 + a[0] * 0.1
            return [y, try a[0] * 2 - y]
        }, sequences: [x], outputsInfo: [y0, ScanOutput.none])
        let f = try compiled([x, y0], result.outputs)
        let rows = 50
        let xs: [Float] = (0..<(rows * 3)).map { Float(($0 * 37) % 17) - 8 }
        let r = try f.call([try NDArray(xs, shape: [rows, 3]), NDArray([Float(1), -1, 0.5])])
        var y: [Float] = [1, -1, 0.5]
        var ys: [Double] = [], zs: [Double] = []
        for t in 0..<rows {
            for j in 0..<3 {
                y[j] = y[j] * 0.9 + xs[3 * t + j] * 0.1
                ys.append(Double(y[j]))
                zs.append(Double(xs[3 * t + j] * 2 - y[j]))
            }
        }
        assertValues(r[0], ys, shape: [rows, 3], rtol: 1e-5)
        assertValues(r[1], zs, shape: [rows, 3], rtol: 1e-5, atol: 1e-5)

        // Fibonacci with taps [-2, -1], and only the last value read (a ring of rows).
        let x0 = Tensor.vector("x0", .int64), n = Tensor.scalar("n", .int64)
        let fib = try scan({ a in try [a[0] + a[1]] }, outputsInfo: [ScanOutput(initial: x0, taps: [-2, -1])], nSteps: n).output
        let g = try compiled([x0, n], [fib, fib[-1]])
        let values = try g.call([NDArray([Int64(0), 1]), NDArray(scalar: Int64(40))])
        var (a, b): (Int64, Int64) = (0, 1)
        var expected: [Double] = []
        for _ in 0..<40 { (a, b) = (b, a + b); expected.append(Double(b)) }
        assertValues(values[0], expected)
        XCTAssertEqual(try values[1].item(Int64.self), b)
        let last = try compiled([x0, n], [fib[-1]]).call([NDArray([Int64(0), 1]), NDArray(scalar: Int64(40))])[0]
        XCTAssertEqual(try last.item(Int64.self), b)
    }

    func testBackwardsSequenceAndFold() throws {
        let x = Tensor.vector("x", .float64), z = Tensor.scalar("z", .float64)
        let reversed = try map({ a in try [a[0] * 3] }, sequences: [x], goBackwards: true).output
        let right = try foldr({ a in try [a[1] * 2 + a[0]] }, sequences: [x], outputsInfo: [z]).output
        let f = try compiled([x, z], [reversed, right])
        let r = try f.call([NDArray([1.0, 2, 3, 4]), NDArray(scalar: 0.0)])
        assertValues(r[0], [12, 9, 6, 3])
        // foldr: ((((0 * 2 + 4) * 2 + 3) * 2 + 2) * 2 + 1)
        XCTAssertEqual(try r[1].item(Double.self), 49)
    }

    func testAStepThatFailsReportsTheGeneralPathsError() throws {
        // Integer pow with a negative exponent at step 3: the kernel reports it, the step
        // reruns the general way and throws the reference's error.
        let e = Tensor.vector("e", .int64), h0 = Tensor.scalar("h0", .int64)
        let out = try scan({ a in try [a[1] ** a[0]] }, sequences: [e], outputsInfo: [h0]).output
        let f = try compiled([e, h0], [out])
        assertValues(try f.call([NDArray([Int64(1), 2, 1]), NDArray(scalar: Int64(3))])[0], [3, 9, 9])
        let general = try function([e, h0], [out], mode: .fastCompile)
        let bad = [NDArray([Int64(1), 2, 1, -1, 2]), NDArray(scalar: Int64(3))]
        var expected = ""
        do { _ = try general.call(bad) } catch { expected = "\(error)" }
        XCTAssertFalse(expected.isEmpty, "the general path throws")
        do {
            _ = try f.call(bad)
            XCTFail("expected an error")
        } catch {
            XCTAssertEqual("\(error)", expected)
        }
    }

    // MARK: Bodies of several nodes: products, views, elementwise kernels

    /// Runs `f` and counts the loop steps that ran on row addresses and the general way
    /// (every step the general way when `allowsDirectSteps` is false).
    private func counted(_ f: Function, _ inputs: [NDArray], allowsDirectSteps: Bool = true) throws -> (values: [NDArray], direct: Int, general: Int, plans: Int) {
        let counter = ScanStepCounter(allowsDirectSteps: allowsDirectSteps)
        let values = try ScanStepCounter.$current.withValue(counter) { try f.call(inputs) }
        return (values, counter.direct, counter.general, counter.plans)
    }

    /// The values of `f` with every step run the general way (the same kernels, one node at a
    /// time): the direct steps must give the same bits.
    private func generalPath(_ f: Function, _ inputs: [NDArray]) throws -> [NDArray] {
        let run = try counted(f, inputs, allowsDirectSteps: false)
        XCTAssertEqual(run.direct, 0, "no step runs on row addresses")
        return run.values
    }

    private func assertIdentical(_ a: [NDArray], _ b: [NDArray], file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.count, b.count, file: file, line: line)
        for (k, (x, y)) in zip(a, b).enumerated() {
            XCTAssertEqual(x.shape, y.shape, "output \(k)", file: file, line: line)
            XCTAssertEqual(x.dtype, y.dtype, "output \(k)", file: file, line: line)
            XCTAssertEqual(x.doubles.map(\.bitPattern), y.doubles.map(\.bitPattern), "output \(k) differs from the general path", file: file, line: line)
        }
    }

    func testRecurrentNetworkAndItsGradientRunDirectlyWithTheGeneralPathsBits() throws {
        // h_t = tanh(x_t @ Wx + h_{t-1} @ Wh + b), loss sum(h_T^2), gradients through time:
        // the forward body is a Gemm and tanh in place, the backward one an elementwise
        // kernel, a product with a transposed weight, views and an add.
        for dtype in [DType.float32, .float64] {
            let (steps, batch, inputs, hidden) = (7, 3, 4, 5)
            var rng = RandomGenerator(seed: 11)
            let xs = Tensor.tensor3("xs", dtype), wx = Tensor.matrix("wx", dtype), wh = Tensor.matrix("wh", dtype)
            let b = Tensor.vector("b", dtype)
            let hs = try scan({ a in [try tanh(a[0].matmul(wx) + a[1].matmul(wh) + b)] },
                              sequences: [xs], outputsInfo: [zeros([batch, hidden], dtype)]).output
            let loss = try (hs[-1] ** 2).sum()
            let outputs = [hs, loss] + (try grad(loss, wrt: [wx, wh, b]))
            let values = [
                try NDArray.randomNormal([steps, batch, inputs], using: &rng, dtype),
                try NDArray.randomNormal([inputs, hidden], std: 0.5, using: &rng, dtype),
                try NDArray.randomNormal([hidden, hidden], std: 0.5, using: &rng, dtype),
                try NDArray.randomNormal([hidden], using: &rng, dtype),
            ]
            let run = try counted(try compiled([xs, wx, wh, b], outputs), values)
            if backendName == "cpu" {
                // Both loops run every step but the first directly.
                XCTAssertEqual(run.direct, 2 * (steps - 1), "\(dtype)")
                XCTAssertEqual(run.general, 2, "\(dtype)")
                let f = try compiled([xs, wx, wh, b], outputs)
                assertIdentical(run.values, try generalPath(f, values))
                // A profile times the loops as they run unprofiled: on row addresses.
                let profiled = try function([xs, wx, wh, b], outputs, mode: .fastRun,
                                            options: CompileOptions(backend: CompileOptions.current.backend, profile: true))
                let timed = try counted(profiled, values)
                XCTAssertEqual(timed.direct, 2 * (steps - 1), "\(dtype)")
                assertIdentical(run.values, timed.values)
                XCTAssertEqual(profiled.profile?.calls, 1)
            }
            // Against the same network written out in Swift.
            let x = values[0].doubles, pwx = values[1].doubles, pwh = values[2].doubles, pb = values[3].doubles
            var h = [Double](repeating: 0, count: batch * hidden)
            var expected: [Double] = []
            for t in 0..<steps {
                var next = [Double](repeating: 0, count: batch * hidden)
                for i in 0..<batch {
                    for j in 0..<hidden {
                        var z = pb[j]
                        for k in 0..<inputs { z += x[(t * batch + i) * inputs + k] * pwx[k * hidden + j] }
                        for k in 0..<hidden { z += h[i * hidden + k] * pwh[k * hidden + j] }
                        next[i * hidden + j] = Foundation.tanh(z)
                    }
                }
                h = next
                expected += h
            }
            let tolerance = dtype == .float32 ? 1e-4 : 1e-10
            assertValues(run.values[0], expected, shape: [steps, batch, hidden], rtol: tolerance, atol: tolerance)
            assertValues(run.values[1], [h.map { $0 * $0 }.reduce(0, +)], shape: [], rtol: tolerance, atol: tolerance)
        }
    }

    /// A loop whose body multiplies by a transposed non-sequence (`h @ Wᵀ`): from four steps on,
    /// the CPU loop copies `Wᵀ` into row order once per call, so the step products read it
    /// without a transpose. Shorter and longer loops give the values of the loop written out
    /// in Swift, and the caller's `W` is untouched.
    /// A loop keeps its plan between calls: a call on the layouts of the last one skips the
    /// tracing run; another batch size or a strided sequence plans again. Values equal the
    /// general path's bits every time, and calls from several threads at once (each with a
    /// plan of its own) give the values of calls one at a time.
    func testPlansAreKeptBetweenCallsAndRemadeForOtherLayouts() throws {
        let xs = Tensor.tensor3("xs", .float64), w = Tensor.matrix("w", .float64), h0 = Tensor.matrix("h0", .float64)
        let hs = try scan({ a in [try tanh(a[0].matmul(w) + a[1])] }, sequences: [xs], outputsInfo: [h0]).output
        let f = try compiled([xs, w, h0], [hs, try grad(sum(hs[-1] * hs[-1]), wrt: w)])
        var rng = RandomGenerator(seed: 5)
        func inputs(batch: Int, stridedSequence: Bool = false) throws -> [NDArray] {
            [stridedSequence ? try NDArray.randomNormal([3, batch, 6], using: &rng, .float64).transposed()
                             : try NDArray.randomNormal([6, batch, 3], using: &rng, .float64),
             try NDArray.randomNormal([3, 4], std: 0.5, using: &rng, .float64),
             try NDArray.randomNormal([batch, 4], using: &rng, .float64)]
        }
        let a = try inputs(batch: 2), b = try inputs(batch: 5), c = try inputs(batch: 2, stridedSequence: true)
        // Two loops (the forward one and its gradient), each planned once per new layout. With
        // the strided sequence the forward loop (which reads `xs @ w`, computed before it)
        // plans again for batch 2, and the gradient's loop, whose product would read the
        // strided rows, gets no plan: its steps run the general way. Back on `a`, the forward
        // loop's plan for batch 2 holds and the gradient's loop plans again.
        let cases = [("a", a, 2, 10), ("a again", a, 0, 10), ("b", b, 2, 10), ("b again", b, 0, 10),
                     ("strided", c, 1, 5), ("a after c", a, 1, 10)]
        for (label, values, plans, direct) in cases {
            let run = try counted(f, values)
            assertIdentical(run.values, try generalPath(f, values))
            if backendName == "cpu" {
                XCTAssertEqual(run.plans, plans, label)
                XCTAssertEqual(run.direct, direct, label)
            }
        }
        let expected = try [a, b, c].map { try generalPath(f, $0) }
        let mismatches = Mutex(0)
        DispatchQueue.concurrentPerform(iterations: 4) { thread in
            for i in 0..<15 {
                let k = (thread + i) % 3
                guard let got = try? f.call([a, b, c][k]),
                      zip(got, expected[k]).allSatisfy({ $0.doubles.map(\.bitPattern) == $1.doubles.map(\.bitPattern) }) else {
                    mismatches.withLock { $0 += 1 }
                    continue
                }
            }
        }
        XCTAssertEqual(mismatches.withLock { $0 }, 0)
    }

    func testTransposedNonSequencesGiveTheSameValues() throws {
        for dtype in [DType.float32, .float64] {
            let (batch, hidden) = (3, 5)
            var rng = RandomGenerator(seed: 12)
            let w = Tensor.matrix("w", dtype), h0 = Tensor.matrix("h0", dtype), n = Tensor.scalar("n", .int64)
            let hs = try scan({ a in [try tanh(a[0].matmul(w.T)) + 0.5] }, outputsInfo: [h0], nonSequences: [w], nSteps: n).output
            let f = try compiled([w, h0, n], [hs])
            let wv = try NDArray.randomNormal([hidden, hidden], std: 0.6, using: &rng, dtype)
            let hv = try NDArray.randomNormal([batch, hidden], using: &rng, dtype)
            let before = wv.doubles
            for steps in [1, 3, 4, 9] {
                let got = try f.call([wv, hv, NDArray(scalar: Int64(steps))])[0]
                var h = hv.doubles, expected: [Double] = []
                let pw = wv.doubles
                for _ in 0..<steps {
                    var next = [Double](repeating: 0, count: batch * hidden)
                    for i in 0..<batch {
                        for j in 0..<hidden {
                            var z = 0.0
                            for k in 0..<hidden { z += h[i * hidden + k] * pw[j * hidden + k] }
                            next[i * hidden + j] = Foundation.tanh(z) + 0.5
                        }
                    }
                    h = next
                    expected += h
                }
                let tolerance = dtype == .float32 ? 1e-5 : 1e-12
                assertValues(got, expected, shape: [steps, batch, hidden], rtol: tolerance, atol: tolerance)
            }
            XCTAssertEqual(wv.doubles, before, "the caller's W is not changed")
        }
    }

    func testViewsTransposesBroadcastAccumulatorsAndRepeatedOutputs() throws {
        // A body with a transposed non-sequence read through a view, a product whose
        // accumulator broadcasts (a bias row), an output returned twice, a non-sequence
        // returned as an output, and a second recurrent output reading the first.
        let x = Tensor.tensor3("x", .float64), w = Tensor.matrix("w", .float64), c = Tensor.matrix("c", .float64)
        let h0 = Tensor.matrix("h0", .float64), bias = Tensor.vector("bias", .float64)
        let result = try scan({ a in
            let h = try tanh(a[1].matmul(w.T) + bias.dimshuffle([DimShuffle.newAxis, 0])) + a[0]
            let s = try h.matmul(c) * 0.5 + a[2]
            return [h, s, h, c]
        }, sequences: [x], outputsInfo: [h0, zeros([2, 3], .float64), ScanOutput.none, ScanOutput.none])
        let f = try compiled([x, w, c, h0, bias], result.outputs)
        var rng = RandomGenerator(seed: 5)
        let values = [
            try NDArray.randomNormal([6, 2, 4], using: &rng, .float64), try NDArray.randomNormal([4, 4], using: &rng, .float64),
            try NDArray.randomNormal([4, 3], using: &rng, .float64), try NDArray.randomNormal([2, 4], using: &rng, .float64),
            try NDArray.randomNormal([4], using: &rng, .float64),
        ]
        let run = try counted(f, values)
        if backendName == "cpu" {
            XCTAssertEqual(run.direct, 5)
            assertIdentical(run.values, try generalPath(f, values))
        }
        // Written out.
        let xv = values[0].doubles, wv = values[1].doubles, cv = values[2].doubles, bv = values[4].doubles
        var h = values[3].doubles, s = [Double](repeating: 0, count: 6)
        var hs: [Double] = [], ss: [Double] = []
        for t in 0..<6 {
            var nh = [Double](repeating: 0, count: 8)
            for i in 0..<2 {
                for j in 0..<4 {
                    var z = bv[j]
                    for k in 0..<4 { z += h[i * 4 + k] * wv[j * 4 + k] }
                    nh[i * 4 + j] = Foundation.tanh(z) + xv[(t * 2 + i) * 4 + j]
                }
            }
            h = nh
            var ns = [Double](repeating: 0, count: 6)
            for i in 0..<2 {
                for j in 0..<3 {
                    var z = 0.0
                    for k in 0..<4 { z += h[i * 4 + k] * cv[k * 3 + j] }
                    ns[i * 3 + j] = z * 0.5 + s[i * 3 + j]
                }
            }
            s = ns
            hs += h
            ss += s
        }
        assertValues(run.values[0], hs, shape: [6, 2, 4], rtol: 1e-10, atol: 1e-12)
        assertValues(run.values[1], ss, shape: [6, 2, 3], rtol: 1e-10, atol: 1e-12)
        assertValues(run.values[2], hs, shape: [6, 2, 4], rtol: 1e-10, atol: 1e-12)
        assertValues(run.values[3], Array((0..<6).map { _ in values[2].doubles }.joined()), shape: [6, 4, 3])
    }

    func testEdgeSizesAndStridedInputs() throws {
        // One step, no step, a batch of one (a one-row Gemm), and a sequence read through a
        // strided view.
        let x = Tensor.tensor3("x", .float32), w = Tensor.matrix("w", .float32), h0 = Tensor.matrix("h0", .float32)
        let hs = try scan({ a in [try tanh(a[0] + a[1].matmul(w))] }, sequences: [x], outputsInfo: [h0]).output
        let f = try compiled([x, w, h0], [hs])
        var rng = RandomGenerator(seed: 3)
        let w3 = try NDArray.randomNormal([3, 3], using: &rng)
        for (steps, batch) in [(1, 2), (0, 2), (5, 1), (5, 2)] {
            let xv = try NDArray.randomNormal([steps, batch, 3], using: &rng)
            let hv = try NDArray.randomNormal([batch, 3], using: &rng)
            let run = try counted(f, [xv, w3, hv])
            XCTAssertEqual(run.values[0].shape, [steps, batch, 3])
            var h = hv.doubles, expected: [Double] = []
            for t in 0..<steps {
                var next = h
                for i in 0..<batch {
                    for j in 0..<3 {
                        var z = Double(xv.doubles[(t * batch + i) * 3 + j])
                        for k in 0..<3 { z += h[i * 3 + k] * w3.doubles[k * 3 + j] }
                        next[i * 3 + j] = Double(Float(Foundation.tanh(z)))
                    }
                }
                h = next
                expected += h
            }
            assertValues(run.values[0], expected, shape: [steps, batch, 3], rtol: 1e-4, atol: 1e-5)
            if backendName == "cpu" {
                XCTAssertEqual(run.direct, steps > 1 ? steps - 1 : 0, "\(steps) steps, batch \(batch)")
            }
        }
        // Every other time step of a longer sequence, and the weight transposed in memory.
        let long = try NDArray.randomNormal([10, 2, 3], using: &rng)
        let strided = try long.slice([.slice(start: 0, stop: 10, step: 2)])
        let wT = w3.T
        let h = try NDArray.randomNormal([2, 3], using: &rng)
        let run = try counted(f, [strided, wT, h])
        let dense = try f.call([strided.copy(), wT.copy(), h])
        assertIdentical(run.values, dense)
        if backendName == "cpu" { XCTAssertEqual(run.direct, 4) }
    }
}
