import Foundation
import Theano

extension Workloads {
    /// `gemm`: the float32 products of the RNN and MLP steps on their own, each compiled as a
    /// one-node function, as notes (no key of WORKLOADS.md): time and GFLOP/s per shape, to
    /// tell a slow library call from the cost around it. `THEANO_SGEMM=openblas` or `onednn`
    /// sends every product to one library.
    static func gemmShapes() throws -> Result {
        var rng = RandomGenerator(seed: 0)
        // (rows, inner, columns, transposed operands): C[m, n] = op(A) op(B).
        let shapes: [(m: Int, k: Int, n: Int, transposeA: Bool, transposeB: Bool, label: String)] = [
            (3200, 64, 128, false, false, "rnn x·Wx"),
            (128, 3200, 128, true, false, "rnn hᵀ·g"),
            (64, 3200, 128, true, false, "rnn xᵀ·g"),
            (32, 128, 128, false, false, "rnn step h·Wh"),
            (32, 128, 128, false, true, "rnn step g·Whᵀ"),
            (128, 784, 512, false, false, "mlp x·W1"),
            (784, 128, 512, true, false, "mlp xᵀ·g"),
            (128, 512, 512, false, true, "mlp g·W2ᵀ"),
        ]
        var lines = ["float32 products (median of 30 calls):"]
        for s in shapes {
            let a = try NDArray.randomNormal(s.transposeA ? [s.k, s.m] : [s.m, s.k], using: &rng)
            let b = try NDArray.randomNormal(s.transposeB ? [s.n, s.k] : [s.k, s.n], using: &rng)
            let x = Tensor.matrix("a"), y = Tensor.matrix("b")
            let f = try function([x, y], [(s.transposeA ? x.T : x).matmul(s.transposeB ? y.T : y)], options: CompileOptions(kernelCompilation: .wait))
            let t = try medianTime(runs: 30, warmup: 3) { _ = try f(a, b) }
            let gflops = 2 * Double(s.m * s.n * s.k) / t / 1e9
            lines.append(String(format: "  %-16@ %5d x %5d x %5d  %8.3f ms  %6.1f GFLOP/s", s.label as NSString, s.m, s.k, s.n, t * 1e3, gflops))
        }
        // The RNN gradient's weight product as the step runs it: a tensordot over time and
        // batch of the time-reversed states with the collected gradients, alone and after a
        // 3 ms pause (the loops before it leave the other threads asleep).
        let states = try NDArray.randomNormal([100, 32, 128], using: &rng)
        let grads = try NDArray.randomNormal([100, 32, 128], using: &rng)
        let h = Tensor.tensor3("h"), g = Tensor.tensor3("g")
        let reversed = try function([h, g], [try tensordot(try h.flip(axis: 0), g, axes: ([0, 1], [0, 1]))],
                                    options: CompileOptions(kernelCompilation: .wait))
        for pause in [0, 3000] as [UInt32] {
            let t = try medianTime(runs: 30, warmup: 3, beforeEach: { if pause > 0 { usleep(pause) } }) {
                _ = try reversed(states, grads)
            }
            lines.append(String(format: "  %-16@ %5d x %5d x %5d  %8.3f ms  (time-reversed states, %d µs pause before each call)",
                                "rnn tensordot" as NSString, 128, 3200, 128, t * 1e3, pause))
        }
        return Result(values: [], notes: [lines.joined(separator: "\n")])
    }
}
