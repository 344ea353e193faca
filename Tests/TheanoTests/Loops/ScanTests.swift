import Theano
import XCTest

/// Theano's own scan examples with their known values, and the recurrence kinds.
final class ScanTests: BackendTestCase {
    func testPowerByRepeatedMultiplication() throws {
        let k = Tensor.scalar("k", .int32), A = Tensor.vector("A", .float64)
        let result = try scan({ a in try [a[0] * a[1]] }, outputsInfo: [onesLike(A)], nonSequences: [A], nSteps: k)
        let f = try function([A, k], [result.output[-1], result.output])
        let r = try f.call([NDArray((0..<10).map(Double.init)), NDArray(scalar: Int32(2))])
        assertValues(r[0], [0, 1, 4, 9, 16, 25, 36, 49, 64, 81])
        XCTAssertEqual(r[1].shape, [2, 10])
        let cubes = try f.call([NDArray([1.0, 2, 3]), NDArray(scalar: Int32(3))])
        assertValues(cubes[0], [1, 8, 27])
        if backendName == "cpu" {
            XCTAssertEqual(f.kernelReport.count("nested program"), 1, "\(f.kernelReport)")
        }
    }

    func testPolynomialEvaluation() throws {
        let coefficients = Tensor.vector("coefficients", .float64), x = Tensor.scalar("x", .float64)
        let components = try scan({ a in try [a[0] * (a[2] ** a[1])] },
                                  sequences: [coefficients, arange(10000)], nonSequences: [x]).output
        let f = try function([coefficients, x], [components.sum()])
        XCTAssertEqual(try f.call([NDArray([1.0, 0, 2]), NDArray(scalar: 3.0)])[0].item(Double.self), 19)
    }

    func testFibonacciWithTaps() throws {
        let x0 = Tensor.vector("x0", .int64), n = Tensor.scalar("n", .int64)
        let fib = try scan({ a in try [a[0] + a[1]] }, outputsInfo: [ScanOutput(initial: x0, taps: [-2, -1])], nSteps: n).output
        let f = try function([x0, n], [fib])
        let r = try f.call([NDArray([Int64(0), 1]), NDArray(scalar: Int64(10))])[0]
        XCTAssertEqual(r.dtype, .int64)
        assertValues(r, [1, 2, 3, 5, 8, 13, 21, 34, 55, 89])
        // Taps with a gap: x[t] = x[t-3] + 1, from three initial values.
        let gap = try scan({ a in try [a[0] + 1] }, outputsInfo: [ScanOutput(initial: x0, taps: [-3])], nSteps: n).output
        assertValues(try function([x0, n], [gap]).call([NDArray([Int64(10), 20, 30]), NDArray(scalar: Int64(5))])[0],
                     [11, 21, 31, 12, 22])
        assertThrows(.shapeMismatch, containing: ["initial value of output 0", "2 rows", "need 3"]) {
            try function([x0, n], [gap]).call([NDArray([Int64(10), 20]), NDArray(scalar: Int64(5))])
        }
    }

    func testUntilLoop() throws {
        // Double until the value exceeds 100 (a do-while: the step that crosses is kept).
        let start = Tensor.scalar("start", .float64)
        let values = try scan({ a in try ScanStep([a[0] * 2], until: a[0] * 2 .> 100) }, outputsInfo: [start], nSteps: 1000).output
        let f = try function([start], [values])
        assertValues(try f.call([NDArray(scalar: 1.0)])[0], [2, 4, 8, 16, 32, 64, 128])
        assertValues(try f.call([NDArray(scalar: 60.0)])[0], [120])
        // nSteps still bounds the loop.
        let bounded = try scan({ a in try ScanStep([a[0] * 2], until: a[0] .> 1e9) }, outputsInfo: [start], nSteps: 3).output
        assertValues(try function([start], [bounded]).call([NDArray(scalar: 1.0)])[0], [2, 4, 8])
    }

    func testMapOverRows() throws {
        let m = Tensor.matrix("m", .float64), b = Tensor.scalar("b", .float64)
        let sums = try map({ a in try [a[0].sum() + a[1]] }, sequences: [m], nonSequences: [b]).output
        let f = try function([m, b], [sums])
        assertValues(try f.call([try NDArray([1.0, 2, 3, 4, 5, 6], shape: [2, 3]), NDArray(scalar: 0.5)])[0], [6.5, 15.5])
        // Rows keep their shape: the squares of each row.
        let squares = try map({ a in try [a[0] * a[0]] }, sequences: [m]).output
        let r = try function([m], [squares]).call([try NDArray([1.0, 2, 3, 4], shape: [2, 2])])[0]
        assertValues(r, [1, 4, 9, 16], shape: [2, 2])
    }

    func testSequenceTapsIncludingFuture() throws {
        let x = Tensor.vector("x", .float64)
        let out = try scan({ a in try [a[0] + a[1] * 10 + a[2] * 100] }, sequences: [ScanSequence(x, taps: [-1, 0, 1])]).output
        let f = try function([x], [out])
        assertValues(try f.call([NDArray([1.0, 2, 3, 4, 5])])[0], [321, 432, 543])
        // Only future taps.
        let ahead = try scan({ a in try [a[0] - a[1]] }, sequences: [ScanSequence(x, taps: [2, 1])]).output
        assertValues(try function([x], [ahead]).call([NDArray([1.0, 2, 4, 8])])[0], [2, 4])
    }

    func testSitSotNitSotAndImplicitNonSequences() throws {
        // h[t] = tanh(W h[t-1] + x[t]); y[t] = sum(h[t]); W is read from outside the step.
        let x = Tensor.matrix("x", .float64), h0 = Tensor.vector("h0", .float64), w = Tensor.matrix("w", .float64)
        let result = try scan({ a in
            let h = try tanh(w.matmul(a[1]) + a[0])
            return [h, try h.sum()]
        }, sequences: [x], outputsInfo: [h0, ScanOutput.none])
        XCTAssertEqual(result.outputs.count, 2)
        let f = try function([x, h0, w], result.outputs)
        let xv = try NDArray([0.1, 0.2, -0.3, 0.4, 0.5, -0.6], shape: [3, 2])
        let wv = try NDArray([0.5, -0.2, 0.3, 0.8], shape: [2, 2])
        let r = try f.call([xv, NDArray([0.0, 1.0]), wv])
        // The same recurrence in Swift.
        var h = [0.0, 1.0]
        var hs: [Double] = [], ys: [Double] = []
        for t in 0..<3 {
            let xt = [xv.doubles[2 * t], xv.doubles[2 * t + 1]]
            h = [Foundation.tanh(0.5 * h[0] - 0.2 * h[1] + xt[0]), Foundation.tanh(0.3 * h[0] + 0.8 * h[1] + xt[1])]
            hs += h
            ys.append(h[0] + h[1])
        }
        assertValues(r[0], hs, shape: [3, 2], rtol: 1e-12)
        assertValues(r[1], ys, rtol: 1e-12)
        let node = try XCTUnwrap(result.outputs[1].variable.owner)
        XCTAssertTrue(node.inputs.contains(w.variable), "w is an implicit non-sequence")
    }

    func testGoBackwardsAndFolds() throws {
        let x = Tensor.vector("x", .float64), z = Tensor.scalar("z", .float64)
        let reversed = try map({ a in try [a[0] * 1] }, sequences: [x], goBackwards: true).output
        assertValues(try function([x], [reversed]).call([NDArray([1.0, 2, 3])])[0], [3, 2, 1])
        let step: ([Tensor]) throws -> [Tensor] = { a in try [a[1] * 2 + a[0]] }
        let left = try foldl(step, sequences: [x], outputsInfo: [z]).output
        let right = try foldr(step, sequences: [x], outputsInfo: [z]).output
        let total = try reduce({ a in try [a[0] + a[1]] }, sequences: [x], outputsInfo: [z]).output
        let f = try function([x, z], [left, right, total])
        let r = try f.call([NDArray([1.0, 2, 3]), NDArray(scalar: 0.0)])
        XCTAssertEqual(try r[0].item(Double.self), 11)
        XCTAssertEqual(try r[1].item(Double.self), 17)
        XCTAssertEqual(try r[2].item(Double.self), 6)
        // No steps: the initial value.
        let empty = try f.call([NDArray([Double]()), NDArray(scalar: 5.0)])
        XCTAssertEqual(try empty[2].item(Double.self), 5)
    }

    func testZeroStepsAndShapes() throws {
        let h0 = Tensor.vector("h0", .float64), n = Tensor.scalar("n", .int64)
        let result = try scan({ a in try [a[0] + 1, a[0].sum()] }, outputsInfo: [h0, ScanOutput.none], nSteps: n)
        let f = try function([h0, n], result.outputs)
        let r = try f.call([NDArray([1.0, 2.0]), NDArray(scalar: Int64(0))])
        XCTAssertEqual(r[0].shape, [0, 2])
        XCTAssertEqual(r[1].shape, [0])
        let values = [NDArray([1.0, 2.0]), NDArray(scalar: Int64(4))]
        try checkInferShape(result.full(0), [h0, n], values)
        try checkInferShape(result.full(1), [h0, n], values)
        // A static number of steps gives static sizes.
        let fixed = try scan({ a in try [a[0] * 2] }, outputsInfo: [Tensor.variable("v", .float64, shape: [3])], nSteps: 4).output
        XCTAssertEqual(fixed.staticShape, [4, 3])
        let m = Tensor.matrix("m", .float64)
        let rowsum = try map({ a in try [a[0] * 2] }, sequences: [m]).output
        try checkInferShape(rowsum, [m], [try NDArray([1.0, 2, 3, 4, 5, 6], shape: [3, 2])])
    }

    func testBuildTimeErrors() throws {
        let h0 = Tensor.vector("h0", .float32), x = Tensor.vector("x", .float64)
        assertThrows(.typeMismatch, containing: ["output 0", "float64[?]", "float32[?]"]) {
            try scan({ a in try [a[0] * x] }, outputsInfo: [h0], nSteps: 3)
        }
        assertThrows(.typeMismatch, containing: ["output 0", "float32[1, ?]", "float32[?]"]) {
            try scan({ a in try [a[0].expandDims(axis: 0)] }, outputsInfo: [h0], nSteps: 3)
        }
        assertThrows(.invalidArgument, containing: ["returns 2 outputs", "describes 1"]) {
            try scan({ a in [a[0], a[0]] }, outputsInfo: [h0], nSteps: 3)
        }
        assertThrows(.invalidArgument, containing: ["nSteps"]) { try scan({ _ in [x] }, outputsInfo: [ScanOutput.none]) }
        assertThrows(.invalidArgument, containing: ["taps"]) {
            try scan({ a in [a[0]] }, outputsInfo: [ScanOutput(initial: h0, taps: [0])], nSteps: 3)
        }
        assertThrows(.invalidArgument, containing: ["sequence 0"]) {
            try scan({ a in [a[0]] }, sequences: [Tensor.scalar("s", .float64)])
        }
        assertThrows(.invalidArgument, containing: ["until", "scalar"]) {
            try scan({ a in try ScanStep([a[0] + 1], until: a[0] .> 1) }, outputsInfo: [h0], nSteps: 3)
        }
    }

    func testRunTimeErrors() throws {
        let x = Tensor.vector("x", .float64), n = Tensor.scalar("n", .int64)
        let out = try scan({ a in try [a[0] * 2] }, sequences: [x], nSteps: n).output
        let f = try function([x, n], [out])
        assertValues(try f.call([NDArray([1.0, 2, 3]), NDArray(scalar: Int64(2))])[0], [2, 4])
        assertThrows(.shapeMismatch, containing: ["sequence 0", "3 rows", "4 steps"]) {
            try f.call([NDArray([1.0, 2, 3]), NDArray(scalar: Int64(4))])
        }
        assertThrows(.invalidArgument, containing: ["negative"]) { try f.call([NDArray([1.0]), NDArray(scalar: Int64(-1))]) }
        // A state whose shape changes between steps.
        let h0 = Tensor.vector("h0", .float64)
        let grow = try scan({ a in try [concatenate([a[0], a[0]])[..<2]] }, outputsInfo: [h0], nSteps: 2).output
        assertThrows(.shapeMismatch, containing: ["step 0", "output 0"]) {
            try function([h0], [grow]).call([NDArray([1.0, 2.0, 3.0])])
        }
    }
}

final class ScanCompositionTests: BackendTestCase {
    func testSharedVariableReadInTheBody() throws {
        let w = shared(NDArray([2.0]), name: "w")
        let x = Tensor.vector("x", .float64)
        let out = try scan({ a in [try a[0] * w[0]] }, sequences: [x]).output
        let f = try function([x], [out])
        assertValues(try f.call([NDArray([1.0, 2.0])])[0], [2, 4])
        try w.setValue(NDArray([3.0]))
        assertValues(try f.call([NDArray([1.0, 2.0])])[0], [3, 6])
        let gw = try grad(out.sum(), wrt: w)
        assertValues(try function([x], [gw]).call([NDArray([1.0, 2.0])])[0], [3])
    }

    func testSharedVariableUpdatedInTheBody() throws {
        // Each step reads the value the previous step gave; the last one is the update.
        let total = shared(NDArray(scalar: 0.0), name: "total")
        let x = Tensor.vector("x", .float64)
        let result = try scan({ a in try ScanStep([total * 1], updates: [total: total + a[0]]) }, sequences: [x])
        XCTAssertEqual(result.updates.count, 1)
        let f = try function([x], result.outputs, updates: result.updates)
        assertValues(try f.call([NDArray([1.0, 2, 3])])[0], [0, 1, 3])
        XCTAssertEqual(try total.value.item(Double.self), 6)
        assertValues(try f.call([NDArray([10.0])])[0], [6])
        XCTAssertEqual(try total.value.item(Double.self), 16)
        // Updates only, and their type is checked.
        let counter = shared(NDArray(scalar: Int64(0)), name: "counter")
        let ticks = try scan({ _ in ScanStep([], updates: [counter: try counter + 1]) }, nSteps: 5)
        XCTAssertTrue(ticks.outputs.isEmpty)
        _ = try function([], [], updates: ticks.updates).call([])
        XCTAssertEqual(try counter.value.item(Int64.self), 5)
        assertThrows(.typeMismatch, containing: ["counter", "float64", "int64"]) {
            try scan({ _ in ScanStep([], updates: [counter: try counter * 0.5]) }, nSteps: 5)
        }
        // The gradient flows through the updated state.
        let w = shared(NDArray(scalar: 2.0), name: "w")
        let r = try scan({ a in try ScanStep([w * a[0]], updates: [w: w * a[0]]) }, sequences: [x])
        let gx = try grad(r.output.sum(), wrt: x)
        // outputs 2x0, 2x0x1, 2x0x1x2: d/dx at (1, 2, 3) = (2 + 4 + 12, 2 + 6, 4).
        assertValues(try function([x], [gx]).call([NDArray([1.0, 2, 3])])[0], [18, 8, 4])
    }

    func testEdgeCases() throws {
        // Sequences of different lengths: the shortest; outputs that are outer values or
        // constants; an integer non-sequence.
        let a = Tensor.vector("a", .float64), b = Tensor.vector("b", .float64), k = Tensor.scalar("k", .int64)
        let r = try scan({ v in try [v[0] + v[1] * v[2], a.sum(), Tensor.constant(7, .float64)] },
                         sequences: [a, b], nonSequences: [k])
        let f = try function([a, b, k], r.outputs)
        let out = try f.call([NDArray([1.0, 2, 3]), NDArray([10.0, 20]), NDArray(scalar: Int64(2))])
        assertValues(out[0], [21, 42])
        assertValues(out[1], [6, 6])
        assertValues(out[2], [7, 7])
        // nSteps shorter than the sequences.
        let first = try scan({ v in [v[0]] }, sequences: [a], nSteps: 2).output
        assertValues(try function([a], [first]).call([NDArray([1.0, 2, 3])])[0], [1, 2])
        // The graph prints with its body; a copy with a swapped shared variable reads the new one.
        let w = shared(NDArray([1.0, 2.0, 3.0]), name: "w"), w2 = shared(NDArray([5.0, 5.0, 5.0]), name: "w2")
        let y = try map({ v in try [v[0] * w] }, sequences: [a]).output
        let g = try function([a], [y])
        XCTAssertTrue(debugPrint([y.variable]).contains("body"), debugPrint([y.variable]))
        assertValues(try g.call([NDArray([1.0, 2.0])])[0], [1, 2, 3, 2, 4, 6], shape: [2, 3])
        let swapped = try g.copy(swap: [w: w2])
        assertValues(try swapped.call([NDArray([1.0, 2.0])])[0], [5, 5, 5, 10, 10, 10], shape: [2, 3])
    }

    func testNestedLoops() throws {
        // Row sums of squares: a reduce inside a map.
        let m = Tensor.matrix("m", .float64)
        let zero = Tensor.constant(0, .float64)
        let sums = try map({ a in
            [try reduce({ b in [try b[1] + b[0] * b[0]] }, sequences: [a[0]], outputsInfo: [zero]).output]
        }, sequences: [m]).output
        let f = try function([m], [sums])
        assertValues(try f.call([try NDArray([1.0, 2, 3, 4, 5, 6], shape: [2, 3])])[0], [14, 77])
        try verifyGrad({ v in
            try map({ a in
                [try reduce({ b in [try b[1] + sin(b[0]) * b[0]] }, sequences: [a[0]], outputsInfo: [zero]).output]
            }, sequences: [v[0]]).output
        }, at: [try NDArray([0.1, 0.2, 0.3, 0.4, 0.5, 0.6], shape: [2, 3])])
    }

    func testLoopInsideABranch() throws {
        // The loop runs only when its branch is taken (its sequence is too short otherwise).
        let x = Tensor.vector("x", .float64), c = Tensor.scalar("c", .bool)
        let total = try reduce({ a in [try a[1] + a[0]] }, sequences: [x], outputsInfo: [Tensor.constant(0, .float64)]).output
        let long = try scan({ a in [a[0]] }, sequences: [x], nSteps: 5).output.sum()
        let f = try function([c, x], [ifelse(c, total, long)])
        XCTAssertEqual(try f.call([NDArray(scalar: true), NDArray([1.0, 2, 3])])[0].item(Double.self), 6)
        assertThrows(.shapeMismatch, containing: ["5 steps"]) { try f.call([NDArray(scalar: false), NDArray([1.0, 2, 3])]) }
        XCTAssertEqual(try f.call([NDArray(scalar: false), NDArray([1.0, 2, 3, 4, 5])])[0].item(Double.self), 15)
    }

    func testBranchInsideTheBody() throws {
        // |x| elementwise by steps, with a lazy branch per step.
        let x = Tensor.vector("x", .float64)
        let out = try scan({ a in [try ifelse(a[0] .> 0, a[0] * 2, -a[0])] }, sequences: [x]).output
        let f = try function([x], [out])
        assertValues(try f.call([NDArray([1.0, -2.0, 3.0])])[0], [2, 2, 6])
        try verifyGrad({ v in
            try scan({ a in [try ifelse(a[0] .> 0, a[0] * a[0], sin(a[0]))] }, sequences: [v[0]]).output
        }, at: [NDArray([0.5, -0.7, 1.5])])
        if backendName == "cpu" {
            XCTAssertTrue(f.kernelReport.description.contains("nested program"), "\(f.kernelReport)")
        }
    }
}

extension ScanResult {
    /// The scan node's own output `k` (initial rows included): what `checkInferShape` checks.
    func full(_ k: Int) throws -> Tensor {
        guard let owner = outputs[k].variable.owner else { throw TheanoError.graph("no node") }
        if owner.op is Scan { return outputs[k] }
        return Tensor(owner.inputs[0])
    }
}
