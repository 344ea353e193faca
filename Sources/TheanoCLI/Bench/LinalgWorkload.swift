import Foundation
import Theano

extension Workloads {
    /// `linalg_slogdet_solve_B256_N32_s`: one value-and-gradient step of
    /// `sum(slogdet(A).logAbsDet) + sum(solve(A, b))` for 256 float64 matrices of size 32 and
    /// right-hand sides `[256, 32, 4]`, with respect to `A` and `b` (issue 15's batched
    /// linear-algebra comparison; `scripts/anchors_linalg.py` times JAX and PyTensor on the
    /// same construction, `A = R + 32 I` with `R` standard normal).
    static func linalg(breakdown: Bool, profile: Bool) throws -> Result {
        let batch = 256, n = 32, k = 4
        var rng = RandomGenerator(seed: 0)
        var entries = try NDArray.randomNormal([batch, n, n], using: &rng).doubles
        for m in 0..<batch {
            for i in 0..<n { entries[(m * n + i) * n + i] += Double(n) }
        }
        let aValue = try NDArray(entries, shape: [batch, n, n])
        let bValue = try NDArray.randomNormal([batch, n, k], using: &rng)
        let a = Tensor.variable("A", .float64, shape: [batch, n, n])
        let b = Tensor.variable("b", .float64, shape: [batch, n, k])
        let cost = try slogdet(a).logAbsDet.sum() + solve(a, b).sum()
        let grads = try grad(cost, wrt: [a, b])
        let f = try function([a, b], [cost] + grads, options: CompileOptions(profile: profile, kernelCompilation: .wait))
        let t = try medianTime(runs: 20, afterWarmup: { f.profile?.reset() }) { _ = try f(aValue, bValue) }
        var result = Result(values: [("linalg_slogdet_solve_B256_N32_s", t)])
        if breakdown { result.notes.append("linalg step kernels:\n\(f.kernelReport)") }
        if let p = f.profile { result.notes.append(p.summary(top: 25)) }
        return result
    }
}
