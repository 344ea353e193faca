import Foundation
import Theano
import XCTest

/// Philox4x32-10 against Random123's published known-answer vectors (tests/kat_vectors).
final class PhiloxKnownAnswerTests: XCTestCase {
    func testKnownAnswerVectors() {
        XCTAssertEqual(Philox4x32.block(counter: [0, 0, 0, 0], key: [0, 0]),
                       [0x6627_E8D5, 0xE169_C58D, 0xBC57_AC4C, 0x9B00_DBD8])
        XCTAssertEqual(Philox4x32.block(counter: [0xFFFF_FFFF, 0xFFFF_FFFF, 0xFFFF_FFFF, 0xFFFF_FFFF], key: [0xFFFF_FFFF, 0xFFFF_FFFF]),
                       [0x408F_276D, 0x41C8_3B0E, 0xA20B_C7C6, 0x6D54_51FD])
        XCTAssertEqual(Philox4x32.block(counter: [0x243F_6A88, 0x85A3_08D3, 0x1319_8A2E, 0x0370_7344], key: [0xA409_3822, 0x299F_31D0]),
                       [0xD16C_FE09, 0x94FD_CCEB, 0x5001_E420, 0x2412_6EA1])
    }

    func testSixtyFourBitHalvesMapToWords() {
        XCTAssertEqual(Philox4x32.block(key: 0x299F_31D0_A409_3822, stream: 0x0370_7344_1319_8A2E, index: 0x85A3_08D3_243F_6A88),
                       [0xD16C_FE09, 0x94FD_CCEB, 0x5001_E420, 0x2412_6EA1])
    }
}

final class RandomStreamTests: BackendTestCase {
    private func moments(_ a: NDArray) -> (mean: Double, variance: Double) {
        let x = a.doubles
        let mean = x.reduce(0, +) / Double(x.count)
        return (mean, x.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(x.count))
    }

    func testFixedSeedGivesThePhiloxNumbers() throws {
        let streams = RandomStreams(seed: 7)
        let u = try streams.uniform([5])
        let f = try function([], [u])
        let key = RandomState.key(seed: 7, draw: 0)
        let expected = (0..<5).map { i in Double(Philox4x32.block(key: key, stream: 0, index: UInt64(i)).x >> 8) * 0x1.0p-24 }
        let first = try f()[0]
        XCTAssertEqual(first.dtype, .float32)
        assertValues(first, expected, rtol: 0, atol: 0)
        // The second call uses counter 1.
        let second = (0..<5).map { i in Double(Philox4x32.block(key: key, stream: 1, index: UInt64(i)).x >> 8) * 0x1.0p-24 }
        assertValues(try f()[0], second, rtol: 0, atol: 0)
    }

    func testSameNumbersForEveryThreadCount() throws {
        // Large enough for the CPU kernel to split the draw over the thread pool.
        var results: [[NDArray]] = []
        for threads in [1, 2] {
            var options = CompileOptions.current
            options.threads = threads
            let streams = RandomStreams(seed: 3)
            let z = try streams.normal([1 << 18], dtype: .float64)
            let k = try streams.integers([1 << 18], low: 0, high: 1000, dtype: .int32)
            let f = try function([], [z, k], options: options)
            if backendName == "cpu" {
                XCTAssertEqual(f.kernelReport.count("Philox"), 2, "\(f.kernelReport)")
            }
            results.append(try f())
        }
        XCTAssertEqual(results[1][0], results[0][0])
        XCTAssertEqual(results[1][1], results[0][1])
        let key = RandomState.key(seed: 3, draw: 0)
        let b = Philox4x32.block(key: key, stream: 0, index: 200_000)
        let u1 = (Double((UInt64(b.x) | UInt64(b.y) << 32) >> 11) + 1) * 0x1.0p-53
        let u2 = Double((UInt64(b.z) | UInt64(b.w) << 32) >> 11) * 0x1.0p-53
        XCTAssertEqual(results[0][0].doubles[200_000], (-2 * Foundation.log(u1)).squareRoot() * Foundation.cos(2 * Double.pi * u2), accuracy: 1e-15)
    }

    func testUniformAndNormalMoments() throws {
        let streams = RandomStreams(seed: 11)
        let u = try streams.uniform([20000], low: -1, high: 3, dtype: .float64)
        let z = try streams.normal([20000], mean: 3, std: 2, dtype: .float64)
        let z32 = try streams.normal([20000])
        let out = try function([], [u, z, z32])()
        let mu = moments(out[0]), mz = moments(out[1]), mz32 = moments(out[2])
        XCTAssertEqual(mu.mean, 1, accuracy: 0.03)
        XCTAssertEqual(mu.variance, 16.0 / 12, accuracy: 0.04)
        XCTAssertGreaterThanOrEqual(out[0].doubles.min()!, -1)
        XCTAssertLessThan(out[0].doubles.max()!, 3)
        XCTAssertEqual(mz.mean, 3, accuracy: 0.05)
        XCTAssertEqual(mz.variance, 4, accuracy: 0.15)
        XCTAssertEqual(out[2].dtype, .float32)
        XCTAssertEqual(mz32.mean, 0, accuracy: 0.03)
        XCTAssertEqual(mz32.variance, 1, accuracy: 0.04)
    }

    func testTruncatedNormalStaysWithinTwoStd() throws {
        let streams = RandomStreams(seed: 5)
        let t = try streams.truncatedNormal([20000], mean: 1, std: 0.5, dtype: .float64)
        let values = try function([], [t])()[0]
        XCTAssertGreaterThanOrEqual(values.doubles.min()!, 0)
        XCTAssertLessThanOrEqual(values.doubles.max()!, 2)
        let m = moments(values)
        XCTAssertEqual(m.mean, 1, accuracy: 0.01)
        // Variance of a standard normal truncated at +-2: 1 - 4 phi(2) / (Phi(2) - Phi(-2)).
        XCTAssertEqual(m.variance, 0.25 * 0.773_74, accuracy: 0.006)
    }

    func testBernoulliBinomialAndIntegers() throws {
        let streams = RandomStreams(seed: 9)
        let b = try streams.bernoulli([20000], p: 0.3, dtype: .float32)
        let n = try streams.binomial([5000], n: 10, p: 0.25)
        let k = try streams.integers([5000], low: -3, high: 4)
        let k32 = try streams.integers([100], low: 10, high: 12, dtype: .int32)
        let out = try function([], [b, n, k, k32])()
        XCTAssertEqual(out[3].dtype, .int32)
        XCTAssertEqual(Set(out[3].toArray(of: Int32.self)), [10, 11])
        XCTAssertEqual(out[0].dtype, .float32)
        XCTAssertEqual(Set(out[0].doubles), [0, 1])
        XCTAssertEqual(moments(out[0]).mean, 0.3, accuracy: 0.015)
        XCTAssertEqual(out[1].dtype, .int64)
        XCTAssertEqual(moments(out[1]).mean, 2.5, accuracy: 0.06)
        XCTAssertEqual(moments(out[1]).variance, 10 * 0.25 * 0.75, accuracy: 0.15)
        XCTAssertEqual(Set(out[2].toArray(of: Int64.self)), Set(-3...3))
    }

    func testChoiceAndPermutation() throws {
        let streams = RandomStreams(seed: 1)
        let n = Tensor.scalar("n", .int64)
        let perm = try streams.permutation(n)
        let pick = try streams.choice(10, size: [4], replace: false)
        let weighted = try streams.choice(3, size: [2000], p: Tensor.constant(NDArray([0.2, 0.0, 0.8])))
        let sure = try streams.choice(3, size: [2], replace: false, p: Tensor.constant(NDArray([0.5, 0.0, 0.5])))
        let rows = try streams.choice(from: Tensor.constant(NDArray([[1.0, 2], [3, 4], [5, 6]])), size: [5])
        let out = try function([n], [perm, pick, weighted, sure, rows])(Int64(12))
        XCTAssertEqual(out[0].toArray(of: Int64.self).sorted(), Array(0..<12))
        let picked = out[1].toArray(of: Int64.self)
        XCTAssertEqual(Set(picked).count, 4)
        XCTAssertTrue(picked.allSatisfy { (0..<10).contains($0) })
        let w = out[2].toArray(of: Int64.self)
        XCTAssertFalse(w.contains(1))
        XCTAssertEqual(Double(w.filter { $0 == 2 }.count) / 2000, 0.8, accuracy: 0.03)
        XCTAssertEqual(out[3].toArray(of: Int64.self).sorted(), [0, 2])
        XCTAssertEqual(out[4].shape, [5, 2])
        XCTAssertTrue(out[4].doubles.allSatisfy { (1...6).contains($0) })
    }

    func testSymbolicShape() throws {
        let streams = RandomStreams(seed: 2)
        let x = Tensor.matrix("x", .float64)
        let noise = try streams.normal(x.shapeList(), dtype: .float64)
        let f = try function([x], [x + noise])
        XCTAssertEqual(try f(NDArray.zeros([3, 4], .float64))[0].shape, [3, 4])
        XCTAssertEqual(try f(NDArray.zeros([0, 2], .float64))[0].shape, [0, 2])
    }

    func testInferShapeAndOneNodePerDraw() throws {
        let s = Tensor.vector("s", .int64, size: 2)
        let n = Tensor.scalar("n", .int64)
        let state = RandomState.make(key: 1)
        let (z, next) = try randomDraw(.normal, state: s, shape: [n, 3])
        try checkInferShape(z, [s, n], [state, NDArray(scalar: Int64(4))])
        try checkInferShape(next, [s, n], [state, NDArray(scalar: Int64(4))])
        let picks = try RandomChoice(replace: true, weighted: false).apply([s, Tensor(shapeConstant(5)), n])
        try checkInferShape(picks, [s, n], [state, NDArray(scalar: Int64(7))])

        // The sample and the default update come from one node after merging.
        let streams = RandomStreams(seed: 0)
        let f = try function([], [try streams.uniform([8])])
        if backendName == "cpu" { XCTAssertEqual(f.kernelReport.count("Philox"), 1, "\(f.kernelReport)") }
    }

    func testStreamsAndFunctionsAreFreed() throws {
        weak var storage: SharedValue?
        weak var streamsReference: RandomStreams?
        do {
            let streams = RandomStreams(seed: 0)
            let x = Tensor.vector("x")
            let y = try x * streams.normal(x.shapeList())
            let f = try function([x], [y])
            _ = try f(NDArray([Float(1), 2]))
            storage = streams.stateVariables[0].storage
            streamsReference = streams
        }
        XCTAssertNil(streamsReference)
        XCTAssertNil(storage, "a draw's default update must not keep its state alive")
    }

    func testDrawsAreUncorrelated() throws {
        let streams = RandomStreams(seed: 4)
        let a = try streams.uniform([20000], dtype: .float64), b = try streams.uniform([20000], dtype: .float64)
        let other = RandomStreams(seed: 5)
        let c = try other.uniform([20000], dtype: .float64)
        let out = try function([], [a, b, c])()
        func correlation(_ x: [Double], _ y: [Double]) -> Double {
            let mx = x.reduce(0, +) / Double(x.count), my = y.reduce(0, +) / Double(y.count)
            var sxy = 0.0, sxx = 0.0, syy = 0.0
            for i in x.indices { sxy += (x[i] - mx) * (y[i] - my); sxx += (x[i] - mx) * (x[i] - mx); syy += (y[i] - my) * (y[i] - my) }
            return sxy / (sxx * syy).squareRoot()
        }
        XCTAssertLessThan(abs(correlation(out[0].doubles, out[1].doubles)), 0.03)
        XCTAssertLessThan(abs(correlation(out[0].doubles, out[2].doubles)), 0.03)
        XCTAssertNotEqual(out[0].doubles, out[1].doubles)
    }

    func testDefaultUpdatesAdvanceTheState() throws {
        let streams = RandomStreams(seed: 8)
        let u = try streams.uniform([4])
        let f = try function([], [u])
        let a = try f()[0], b = try f()[0]
        XCTAssertNotEqual(a.doubles, b.doubles)
        let state = streams.stateVariables[0]
        XCTAssertEqual(state.value.toArray(of: Int64.self)[1], 2)

        let fixed = try function([], [u], noDefaultUpdates: true)
        let c = try fixed()[0], d = try fixed()[0]
        XCTAssertEqual(c.doubles, d.doubles)
        XCTAssertEqual(state.value.toArray(of: Int64.self)[1], 2)

        // An explicit update wins over the default one.
        let pinned = try function([], [u], updates: [state: state])
        XCTAssertEqual(try pinned()[0].doubles, try pinned()[0].doubles)

        // eval reads shared variables and never updates them.
        XCTAssertEqual(try u.eval().doubles, c.doubles)

        // Reseeding replays the first numbers.
        streams.seed(8)
        XCTAssertEqual(try f()[0].doubles, a.doubles)
        XCTAssertEqual(try f()[0].doubles, b.doubles)
    }

    func testCopyWithItsOwnState() throws {
        let streams = RandomStreams(seed: 6)
        let u = try streams.uniform([3])
        let f = try function([], [u])
        let state = streams.stateVariables[0]
        let own = Shared(RandomState.initial(seed: 6, draw: 0), name: "own")
        let g = try f.copy(swap: [state: own])
        let fromG = try g()[0]
        XCTAssertEqual(own.value.toArray(of: Int64.self)[1], 1, "the copy advances its own state")
        XCTAssertEqual(state.value.toArray(of: Int64.self)[1], 0, "and leaves the stream's alone")
        XCTAssertEqual(try f()[0], fromG, "same seed and draw: same numbers")
    }

    func testGenericDefaultUpdate() throws {
        let calls = Shared(NDArray(scalar: Int64(0)), name: "calls")
        calls.setDefaultUpdate { c in try c + 1 }
        let x = Tensor.scalar("x", .int64)
        let f = try function([x], [x * calls])
        XCTAssertEqual(try f(Int64(2))[0].item(Int64.self), 0)
        XCTAssertEqual(try f(Int64(2))[0].item(Int64.self), 2)
        XCTAssertEqual(try calls.value.item(Int64.self), 2)
        XCTAssertNotNil(calls.defaultUpdate)
        calls.defaultUpdate = nil
        _ = try f(Int64(2))   // compiled earlier: keeps its update
        _ = try function([x], [x * calls])(Int64(1))
        XCTAssertEqual(try calls.value.item(Int64.self), 3)

        calls.defaultUpdate = Tensor.constant(0.5, .float64)
        assertThrows(.typeMismatch, containing: ["'calls'", "float64", "int64"]) { try function([x], [x * calls]) }
        _ = try function([x], [x * calls], noDefaultUpdates: true)
    }

    func testFunctionalDraw() throws {
        let s = Tensor.vector("s", .int64, size: 2)
        let (sample, next) = try randomDraw(.normal, state: s, shape: [3], dtype: .float64)
        let f = try function([s], [sample, next])
        let out = try f(RandomState.make(key: 99, counter: 5))
        XCTAssertEqual(out[1].toArray(of: Int64.self), [99, 6])
        let again = try f(RandomState.make(key: 99, counter: 5))
        XCTAssertEqual(out[0].doubles, again[0].doubles)
    }

    func testBadDrawsThrow() throws {
        let streams = RandomStreams(seed: 0)
        assertThrows(.invalidArgument, containing: ["low < high", "5"]) { try streams.integers([2], low: 5, high: 5) }
        assertThrows(.typeMismatch, containing: ["floating-point", "int64"]) { try streams.uniform([2], dtype: .int64) }
        assertThrows(.invalidArgument, containing: ["negative"]) { try streams.normal([-1]) }
        assertThrows(.invalidArgument, containing: ["p must be in [0, 1]", "1.5"]) { try streams.bernoulli([2], p: 1.5) }
        XCTAssertTrue(streams.stateVariables.isEmpty, "a failed draw makes no state")
        let tooMany = try streams.choice(3, size: [4], replace: false)
        assertThrows(.invalidArgument, containing: ["cannot choose 4 elements from 3"]) { try function([], [tooMany])() }
    }
}
