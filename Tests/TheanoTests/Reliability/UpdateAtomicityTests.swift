import Theano
import XCTest

/// Passes its input through, but throws at run time when its flag input is nonzero: a failure
/// that can be placed anywhere in a graph.
struct FailWhenFlagged: Op {
    var description: String { "FailWhenFlagged" }
    func makeNode(_ inputs: [Variable]) throws -> Apply { Apply(op: self, inputs: inputs, outputTypes: [inputs[0].type]) }
    func perform(_ node: Apply, _ inputs: [NDArray]) throws -> [NDArray] {
        if try inputs[1].item(Double.self) != 0 { throw TheanoError.invalidArgument("injected failure") }
        return [inputs[0].copy()]
    }
    func inferShape(_ node: Apply, _ inputShapes: [[Variable]]) throws -> [[Variable]] { [inputShapes[0]] }
}

/// A call that throws changes no shared variable, whatever fails and wherever: checked on the
/// examples that broke, and on random update sets with failures injected at random places.
final class UpdateAtomicityTests: XCTestCase {
    /// Every backend, with its fast paths (in-place BLAS and C kernels) on.
    let backends = [CompileOptions(backend: .cpu), CompileOptions(backend: .reference)]

    func testAFailingFunctionalUpdateLeavesAnInPlaceOneUndone() throws {
        for options in backends {
            let v = Shared(NDArray([1.0, 2.0, 3.0]), name: "v")
            let w = Shared(NDArray([0.0, 0.0, 0.0]), name: "w")
            let x = Tensor.vector("x", .float64)
            let f = try function([x], [], updates: [v: v + 1, w: x * 2], options: options)
            assertThrows(.shapeMismatch, containing: ["w", "no shared variable was changed"]) { try f(NDArray([1.0, 2, 3, 4])) }
            assertValues(v.value, [1, 2, 3])
            assertValues(w.value, [0, 0, 0])
            _ = try f(NDArray([1.0, 2, 3]))
            assertValues(v.value, [2, 3, 4])
            assertValues(w.value, [2, 4, 6])
        }
    }

    func testAWronglySizedGradientLeavesTheInPlaceGEMMUndone() throws {
        for options in backends {
            var data = TestData(seed: 1)
            let w0 = data.array([3, 3]), b0 = data.array([3])
            let W = Shared(w0, name: "W"), b = Shared(b0, name: "b")
            let x = Tensor.matrix("x", .float64), g = Tensor.vector("g", .float64)
            let step = try function([x, g], [], updates: [W: W - 0.1 * x.matmul(x), b: b - g], options: options)
            XCTAssertTrue(options.backend.name != "cpu" || step.kernelReport.entries.contains { $0.node.contains("inplace") },
                          step.kernelReport.description)
            assertThrows { try step(data.array([3, 3]), data.array([4])) }
            XCTAssertEqual(W.value.doubles, w0.doubles, "W changed by a call that threw (\(options.backend))")
            XCTAssertEqual(b.value.doubles, b0.doubles)
        }
    }

    /// Random update sets over random shared variables, each update an in-place BLAS form, an
    /// in-place elementwise form or a functional one, with a failure injected at a random place
    /// (a wrongly sized argument, or an op that throws inside a random update): after a call
    /// that throws every variable is bitwise what it was; after one that succeeds every
    /// variable has the value the reference computes.
    func testRandomUpdateSetsAreAllOrNothing() throws {
        var rng = RandomGenerator(seed: 7)
        func pick(_ n: Int) -> Int { Int(rng.next() % UInt64(n)) }
        for trial in 0..<60 {
            let options = backends[trial % 2]
            let n = 4
            let count = 2 + pick(3)
            var data = TestData(seed: UInt64(100 + trial))
            let initial = (0..<count).map { _ in data.array([n, n]) }
            let shared = initial.enumerated().map { Shared($0.element, name: "s\($0.offset)") }
            let x = Tensor.matrix("x", .float64, shape: [nil, nil])
            let v = Tensor.vector("v", .float64)
            let flag = Tensor.scalar("flag", .float64)
            let failing = pick(count)
            var updates: [Shared: Tensor] = [:]
            var (usesX, usesV) = (false, false)
            for (k, s) in shared.enumerated() {
                var update: Tensor
                switch pick(3) {
                case 0: update = try s - 0.1 * x.matmul(x); usesX = true   // in-place GEMM
                case 1: update = try s * 0.5 + v; usesV = true             // in-place elementwise (v broadcasts as a row)
                default: update = try s.transposed() + x; usesX = true     // functional
                }
                if k == failing { update = try FailWhenFlagged().apply([update, flag]) }
                updates[s] = update
            }
            let step = try function([x, v, flag], [], updates: updates, options: options)
            let good = [data.array([n, n]), data.array([n]), NDArray(scalar: 0.0)]
            // The failure: an injected throw, or an argument of the wrong size that some update reads.
            var failures = [[good[0], good[1], NDArray(scalar: 1.0)]]
            if usesX { failures.append([data.array([n + 1, n + 1]), good[1], good[2]]) }
            if usesV { failures.append([good[0], data.array([n + 2]), good[2]]) }
            let bad = failures[pick(failures.count)]
            assertThrows { try step.call(bad) }
            for (s, start) in zip(shared, initial) {
                XCTAssertEqual(s.value.doubles, start.doubles, "trial \(trial) (\(options.backend)): \(s.name ?? "") changed by a call that threw")
            }
            // A good call computes exactly the reference's values.
            let reference = try function([x, v, flag], shared.map { updates[$0]! }, options: CompileOptions(backend: .reference))
            let expected = try reference.call(good)
            _ = try step.call(good)
            for (s, e) in zip(shared, expected) { assertClose(s.value, e, rtol: 1e-12, atol: 1e-12, "trial \(trial)") }
        }
    }
}
