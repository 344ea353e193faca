import Foundation
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
}
