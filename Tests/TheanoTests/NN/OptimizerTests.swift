import Theano
import TheanoNN
import XCTest

/// Every optimiser against a hand-computed simulation of two steps on the quadratic
/// `loss = Σ w²` (gradient `2w`), in float64.
final class OptimizerTests: BackendTestCase {
    private let start: [Double] = [1, -2, 0.5]

    /// Runs two steps of `optimizer` and returns w after each.
    private func twoSteps(_ optimizer: some Optimizer) throws -> [[Double]] {
        let w = Shared(NDArray(start), name: "w")
        let loss = try square(w).sum()
        let step = try function([], [loss], updates: try optimizer.updates(loss: loss, parameters: [w]))
        _ = try step()
        let first = w.value.doubles
        _ = try step()
        return [first, w.value.doubles]
    }

    /// The same two steps by a per-element simulation: `rule(w, g, state) -> w'`.
    private func simulate(_ rule: (Double, Double, inout [Double], Int) -> Double, stateSize: Int) -> [[Double]] {
        var w = start
        var states = start.map { _ in [Double](repeating: 0, count: stateSize) }
        var out: [[Double]] = []
        for t in 1...2 {
            for i in w.indices { w[i] = rule(w[i], 2 * w[i], &states[i], t) }
            out.append(w)
        }
        return out
    }

    private func assertSteps(_ got: [[Double]], _ expected: [[Double]], file: StaticString = #filePath, line: UInt = #line) {
        for (g, e) in zip(got, expected) {
            assertValues(NDArray(g), e, rtol: 1e-12, atol: 1e-14, file: file, line: line)
        }
    }

    func testSGDMomentumNesterovByHand() throws {
        assertSteps(try twoSteps(SGD(learningRate: 0.1)), [start.map { 0.8 * $0 }, start.map { 0.64 * $0 }])
        assertSteps(try twoSteps(Momentum(learningRate: 0.1, momentum: 0.9)), [start.map { 0.8 * $0 }, start.map { 0.46 * $0 }])
        assertSteps(try twoSteps(Nesterov(learningRate: 0.1, momentum: 0.9)), [start.map { 0.62 * $0 }, start.map { 0.2224 * $0 }])
    }

    func testAdagradRMSpropAdadelta() throws {
        assertSteps(try twoSteps(Adagrad(learningRate: 0.1)), simulate({ w, g, s, _ in
            s[0] += g * g
            return w - 0.1 * g / (s[0].squareRoot() + 1e-10)
        }, stateSize: 1))
        assertSteps(try twoSteps(RMSprop(learningRate: 0.01, rho: 0.9)), simulate({ w, g, s, _ in
            s[0] = 0.9 * s[0] + 0.1 * g * g
            return w - 0.01 * g / (s[0].squareRoot() + 1e-8)
        }, stateSize: 1))
        assertSteps(try twoSteps(Adadelta(learningRate: 1, rho: 0.9, epsilon: 1e-6)), simulate({ w, g, s, _ in
            s[0] = 0.9 * s[0] + 0.1 * g * g
            let delta = (s[1] + 1e-6).squareRoot() / (s[0] + 1e-6).squareRoot() * g
            s[1] = 0.9 * s[1] + 0.1 * delta * delta
            return w - delta
        }, stateSize: 2))
    }

    func testAdamAndAdamW() throws {
        func adam(decay: Double) -> (Double, Double, inout [Double], Int) -> Double {
            { w, g, s, t in
                s[0] = 0.9 * s[0] + 0.1 * g
                s[1] = 0.999 * s[1] + 0.001 * g * g
                let mHat = s[0] / (1 - pow(0.9, Double(t))), vHat = s[1] / (1 - pow(0.999, Double(t)))
                return w * (1 - 0.1 * decay) - 0.1 * mHat / (vHat.squareRoot() + 1e-8)
            }
        }
        let optimizer = Adam(learningRate: 0.1)
        let steps = try twoSteps(optimizer)
        assertSteps(steps, simulate(adam(decay: 0), stateSize: 2))
        // The first bias-corrected step is lr·sign(g).
        assertValues(NDArray(steps[0]), [0.9, -1.9, 0.4], rtol: 1e-7)
        XCTAssertEqual(try optimizer.step.value.item(Int64.self), 2)
        assertSteps(try twoSteps(AdamW(learningRate: 0.1, weightDecay: 0.5)), simulate(adam(decay: 0.5), stateSize: 2))
    }

    func testFloat32ParametersStayFloat32() throws {
        let w = Shared(NDArray([Float(1), 2]), name: "w")
        let lr = Shared(NDArray(scalar: 0.5), name: "lr")   // float64: cast to the parameter's dtype
        let loss = try square(w).sum()
        for optimizer in [SGD(learningRate: lr), Adam(learningRate: lr), RMSprop(learningRate: lr)] as [any Optimizer] {
            let updates = try optimizer.updates(loss: loss, parameters: [w])
            XCTAssertEqual(updates[w]?.dtype, .float32)
            _ = try function([], [loss], updates: updates)
        }
    }

    func testLearningRateScheduleWithoutRecompiling() throws {
        let w = Shared(NDArray([1.0, -2.0]), name: "w")
        let lr = Shared(NDArray(scalar: 0.1), name: "lr")
        let loss = try square(w).sum()
        let step = try function([], [loss], updates: try SGD(learningRate: lr).updates(loss: loss, parameters: [w]))
        _ = try step()
        assertValues(w.value, [0.8, -1.6], rtol: 1e-12)
        try lr.setValue(NDArray(scalar: 0.25))      // the same compiled step, a new rate
        _ = try step()
        assertValues(w.value, [0.4, -0.8], rtol: 1e-12)
    }

    func testMomentumMinimisesAQuadratic() throws {
        let target = NDArray([3.0, -1.0, 0.5, 2.0])
        let w = Shared(try NDArray.zeros([4], .float64), name: "w")
        let loss = try square(w - Tensor.constant(target)).sum()
        let step = try function([], [loss], updates: try Momentum(learningRate: 0.05, momentum: 0.9).updates(loss: loss, parameters: [w]))
        var last = Double.infinity
        for _ in 0..<200 { last = try step()[0].item(Double.self) }
        XCTAssertLessThan(last, 1e-6)
        assertClose(w.value, target, rtol: 1e-3, atol: 1e-3)
    }

    func testGradientClipping() throws {
        let g1 = Tensor.vector("g1", .float64), g2 = Tensor.vector("g2", .float64)
        let clipped = try clipByGlobalNorm([g1, g2], maxNorm: 1)
        let out = try function([g1, g2], clipped)(NDArray([3.0]), NDArray([0.0, 4.0]))
        assertValues(out[0], [0.6], rtol: 1e-6)
        assertValues(out[1], [0, 0.8], rtol: 1e-6)
        // Within the norm: unchanged.
        let small = try function([g1, g2], clipped)(NDArray([0.3]), NDArray([0.0, 0.4]))
        assertValues(small[1], [0, 0.4], rtol: 1e-12)
        let byValue = try function([g1], try clipByValue([g1], low: -1, high: 0.5))(NDArray([-3.0, 0.2, 2.0]))
        assertValues(byValue[0], [-1, 0.2, 0.5])
    }

    func testMismatchedGradientsThrow() throws {
        let w = Shared(NDArray([1.0]), name: "w")
        assertThrows(.invalidArgument, containing: ["Adam", "2 gradients for 1 parameters"]) {
            try Adam().updates(gradients: [w, w], parameters: [w])
        }
    }
}

final class InitializerTests: XCTestCase {
    private func moments(_ a: NDArray) -> (mean: Double, variance: Double) {
        let x = a.doubles
        let mean = x.reduce(0, +) / Double(x.count)
        return (mean, x.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(x.count))
    }

    func testFans() throws {
        XCTAssertTrue(try Initializer.fans(of: [784, 256]) == (784, 256))
        XCTAssertTrue(try Initializer.fans(of: [16, 8, 3, 3]) == (72, 144))
        XCTAssertTrue(try Initializer.fans(of: [5]) == (5, 5))
        assertThrows(.invalidArgument, containing: ["shape []"]) { try Initializer.fans(of: []) }
    }

    func testStatistics() throws {
        let gu = try Initializer.glorotUniform([200, 300], seed: 1)
        XCTAssertEqual(gu.dtype, .float32)
        XCTAssertLessThanOrEqual(gu.doubles.map(abs).max()!, (6.0 / 500).squareRoot())
        XCTAssertEqual(moments(gu).variance, 2.0 / 500, accuracy: 2.0 / 500 * 0.05)
        let gn = try Initializer.glorotNormal([200, 300], seed: 2, dtype: .float64)
        XCTAssertEqual(moments(gn).mean, 0, accuracy: 0.002)
        XCTAssertEqual(moments(gn).variance, 2.0 / 500, accuracy: 2.0 / 500 * 0.05)
        let hu = try Initializer.heUniform([32, 16, 3, 3], seed: 3)    // fanIn 144
        XCTAssertEqual(moments(hu).variance, 2.0 / 144, accuracy: 2.0 / 144 * 0.1)
        let hn = try Initializer.heNormal([400, 100], seed: 4)
        XCTAssertEqual(moments(hn).variance, 2.0 / 400, accuracy: 2.0 / 400 * 0.05)
        XCTAssertEqual(try Initializer.heNormal([400, 100], seed: 4), hn, "same seed, same array")
        XCTAssertNotEqual(try Initializer.heNormal([400, 100], seed: 5), hn)
        XCTAssertEqual(try Initializer.constant([2, 3], value: 0.5).doubles, Array(repeating: 0.5, count: 6))
    }

    func testOrthogonal() throws {
        func gram(_ a: NDArray, columns: Bool) -> [[Double]] {
            let (r, c) = (a.shape[0], a.shape.dropFirst().reduce(1, *))
            let x = a.doubles
            let n = columns ? c : r
            return (0..<n).map { i in (0..<n).map { j in
                columns ? (0..<r).reduce(0) { $0 + x[$1 * c + i] * x[$1 * c + j] }
                        : (0..<c).reduce(0) { $0 + x[i * c + $1] * x[j * c + $1] }
            } }
        }
        func assertIdentity(_ g: [[Double]], scale: Double = 1) {
            for i in g.indices { for j in g.indices { XCTAssertEqual(g[i][j], i == j ? scale : 0, accuracy: 1e-10) } }
        }
        assertIdentity(gram(try Initializer.orthogonal([6, 4], seed: 1, dtype: .float64), columns: true))      // QᵀQ = I
        assertIdentity(gram(try Initializer.orthogonal([3, 5], seed: 2, dtype: .float64), columns: false))     // QQᵀ = I
        assertIdentity(gram(try Initializer.orthogonal([4, 2, 3, 3], gain: 2, seed: 3, dtype: .float64), columns: false), scale: 4)
        assertThrows(.invalidArgument, containing: ["two axes"]) { try Initializer.orthogonal([4], seed: 0) }
    }
}

final class DropoutTests: BackendTestCase {
    func testScalingPreservesTheMean() throws {
        let streams = RandomStreams(seed: 21)
        let x = Tensor.vector("x", .float64)
        let y = try dropout(x, rate: 0.3, streams: streams)
        let gx = try grad(y.sum(), wrt: x)
        let f = try function([x], [y, gx])
        let out = try f(try NDArray.ones([20000], .float64))
        let values = out[0].doubles
        XCTAssertTrue(values.allSatisfy { $0 == 0 || abs($0 - 1 / 0.7) < 1e-12 })
        XCTAssertEqual(values.reduce(0, +) / 20000, 1, accuracy: 0.02)
        XCTAssertEqual(Double(values.filter { $0 == 0 }.count) / 20000, 0.3, accuracy: 0.015)
        XCTAssertEqual(out[1].doubles, values, "the gradient uses the same mask")
        XCTAssertNotEqual(try f(try NDArray.ones([20000], .float64))[0].doubles, values, "a new mask per call")
    }

    func testRateZeroIsTheIdentityAndBadRatesThrow() throws {
        let streams = RandomStreams(seed: 0)
        let x = Tensor.matrix("x")
        XCTAssertTrue(try dropout(x, rate: 0, streams: streams) == x)
        for rate in [1.0, -0.1, 1.5, .nan] {
            assertThrows(.invalidArgument, containing: ["dropout", "rate must be in [0, 1)"]) { try dropout(x, rate: rate, streams: streams) }
        }
        assertThrows(.typeMismatch, containing: ["floating-point"]) { try dropout(Tensor.vector("i", .int64), rate: 0.5, streams: streams) }
        XCTAssertTrue(streams.stateVariables.isEmpty)
    }
}
