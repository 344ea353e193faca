import Foundation
import Theano
import XCTest

/// Random draws inside a loop body (new numbers at every step and every call, replayed by the
/// gradient) and the Jacobian-vector product through a loop.
final class ScanRandomAndROpTests: BackendTestCase {
    func testDrawsInTheBodyChangeEveryStepAndEveryCall() throws {
        let rs = RandomStreams(seed: 7)
        let x = Tensor.matrix("x", .float64)
        let r = try scan({ a in [try a[0] + rs.uniform([3], dtype: .float64)] }, sequences: [x])
        let f = try function([x], [r.output])
        let zeros = try NDArray.zeros([4, 3], .float64)
        let first = try f.call([zeros])[0]
        let rows = try (0..<4).map { try first.row($0).doubles }
        for row in rows { XCTAssertTrue(row.allSatisfy { $0 >= 0 && $0 < 1 }, "\(row)") }
        XCTAssertEqual(Set(rows.map { $0.description }).count, 4, "every step draws new numbers: \(rows)")
        let second = try f.call([zeros])[0]
        XCTAssertNotEqual(first.doubles, second.doubles, "the state advanced after the call")
        // Reseeding replays the first call.
        rs.seed(7)
        XCTAssertEqual(try f.call([zeros])[0].doubles, first.doubles)
    }

    func testGradientReplaysEachStepsDraw() throws {
        // h[t] = h[t-1] * (u[t] + 1): dh[T]/dh0 = prod_t (u[t] + 1), with the u the call drew.
        let rs = RandomStreams(seed: 3)
        let h0 = Tensor.vector("h0", .float64)
        let r = try scan({ a in
            let u = try rs.uniform([2], dtype: .float64)
            return [try a[0] * (u + 1), u]
        }, outputsInfo: [h0, ScanOutput.none], nSteps: 5)
        let g = try grad(r[0][-1].sum(), wrt: h0)
        let f = try function([h0], [r[1], g])
        let out = try f.call([NDArray([0.5, -2.0])])
        let draws = out[0].doubles
        let expected = (0..<2).map { j in (0..<5).reduce(1.0) { $0 * (draws[$1 * 2 + j] + 1) } }
        assertValues(out[1], expected)
    }

    func testROpThroughALoop() throws {
        // The Jacobian-vector product of h[T] with respect to W, against the unrolled loop's.
        let w = Tensor.matrix("w", .float64), v = Tensor.matrix("v", .float64), h0 = Tensor.vector("h0", .float64)
        let looped = try scan({ a in [try tanh(w.matmul(a[0]))] }, outputsInfo: [h0], nSteps: 3).output[-1]
        var h = h0
        for _ in 0..<3 { h = try tanh(w.matmul(h)) }
        let jvpLoop = try rop([looped], wrt: [w], vectors: [v])[0]
        let jvpUnrolled = try rop([h], wrt: [w], vectors: [v])[0]
        let values = [try NDArray([0.3, -0.5, 0.8, 0.1], shape: [2, 2]), try NDArray([1.0, 0.5, -0.5, 2.0], shape: [2, 2]),
                      NDArray([0.7, -0.4])]
        let a = try function([w, v, h0], [jvpLoop]).call(values)[0]
        let b = try function([w, v, h0], [jvpUnrolled]).call(values)[0]
        assertClose(a, b, rtol: 1e-10, atol: 1e-12)
        // And against a central difference along v.
        let f = try function([w, h0], [looped])
        let eps = 1e-6
        let plus = try f.call([try NDArray(zip(values[0].doubles, values[1].doubles).map { $0 + eps * $1 }, shape: [2, 2]), values[2]])[0]
        let minus = try f.call([try NDArray(zip(values[0].doubles, values[1].doubles).map { $0 - eps * $1 }, shape: [2, 2]), values[2]])[0]
        assertValues(a, zip(plus.doubles, minus.doubles).map { ($0 - $1) / (2 * eps) }, rtol: 1e-6, atol: 1e-8)
    }
}

/// `scanCheckpoints`: the saved states and the gradient equal a plain scan's.
final class ScanCheckpointTests: BackendTestCase {
    private func step(_ w: Tensor) -> ([Tensor]) throws -> [Tensor] {
        { a in [try tanh(a[1].matmul(w) + a[0])] }
    }

    func testSavedStatesAreEveryNthStepAndTheLast() throws {
        let x = Tensor.matrix("x", .float64), w = Tensor.matrix("w", .float64), h0 = Tensor.vector("h0", .float64)
        let plain = try scan(step(w), sequences: [x], outputsInfo: [h0]).output
        let saved = try scanCheckpoints(step(w), sequences: [x], outputsInfo: [h0], saveEveryN: 3).output
        let f = try function([x, w, h0], [plain, saved])
        var rng = RandomGenerator(seed: 5)
        let values = [try NDArray.randomNormal([7, 2], using: &rng), try NDArray.randomNormal([2, 2], using: &rng),
                      try NDArray.randomNormal([2], using: &rng)]
        let r = try f.call(values)
        XCTAssertEqual(r[1].shape, [3, 2])
        for (row, t) in [2, 5, 6].enumerated() {
            assertClose(try r[1].row(row), try r[0].row(t), rtol: 1e-12, atol: 1e-14)
        }
        // A multiple of N, and fewer steps than N.
        for steps in [6, 2] {
            let part = try x[..<steps]
            let g = try function([x, w, h0], [try scanCheckpoints(step(w), sequences: [part], outputsInfo: [h0], saveEveryN: 3).output[-1],
                                              try scan(step(w), sequences: [part], outputsInfo: [h0]).output[-1]])
            let out = try g.call(values)
            assertClose(out[0], out[1], rtol: 1e-12, atol: 1e-14)
        }
        assertThrows(.invalidArgument, containing: ["saveEveryN"]) {
            try scanCheckpoints(step(w), sequences: [x], outputsInfo: [h0], saveEveryN: 0)
        }
    }

    func testGradientMatchesThePlainLoop() throws {
        let x = Tensor.matrix("x", .float64), w = Tensor.matrix("w", .float64), h0 = Tensor.vector("h0", .float64)
        let plain = try (scan(step(w), sequences: [x], outputsInfo: [h0]).output[-1] ** 2).sum()
        let saved = try (scanCheckpoints(step(w), sequences: [x], outputsInfo: [h0], saveEveryN: 3).output[-1] ** 2).sum()
        let g1 = try grad(plain, wrt: [x, w, h0])
        let g2 = try grad(saved, wrt: [x, w, h0])
        var rng = RandomGenerator(seed: 6)
        let values = [try NDArray.randomNormal([8, 2], using: &rng), try NDArray.randomNormal([2, 2], using: &rng),
                      try NDArray.randomNormal([2], using: &rng)]
        let a = try function([x, w, h0], g1).call(values)
        let b = try function([x, w, h0], g2).call(values)
        for (p, q) in zip(a, b) { assertClose(q, p, rtol: 1e-10, atol: 1e-12) }
        try verifyGrad({ v in
            try (scanCheckpoints(self.step(v[1]), sequences: [v[0]], outputsInfo: [v[2]], saveEveryN: 3).output[-1] ** 2).sum()
        }, at: values)
    }
}
