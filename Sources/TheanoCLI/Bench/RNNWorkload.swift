import Foundation
import Theano

extension Workloads {
    /// `rnn_T100_B32_H128_step_s`: one SGD step (lr 1e-3) of a vanilla RNN written with `scan`:
    /// `h_t = tanh(x_t @ Wx + h_{t-1} @ Wh)` over T=100 steps, batch 32, input 64, hidden 128,
    /// `h_0 = 0`, loss `sum(h_T ** 2)`, gradients with respect to `Wx` and `Wh` through time
    /// (../shared/bench/WORKLOADS.md). `rnn_compile_s` is the step's compile time with a warm
    /// kernel cache.
    static func rnn(breakdown: Bool, profile: Bool) throws -> Result {
        let steps = 100, batch = 32, inputs = 64, hidden = 128
        var rng = RandomGenerator(seed: 0)
        let wx = Shared(try NDArray.randomNormal([inputs, hidden], std: 1 / Double(inputs).squareRoot(), using: &rng), name: "Wx")
        let wh = Shared(try NDArray.randomNormal([hidden, hidden], std: 1 / Double(hidden).squareRoot(), using: &rng), name: "Wh")
        let x = Tensor.variable("x", .float32, shape: [nil, batch, inputs])
        let h0 = try zeros([batch, hidden], .float32)
        let hs = try scan({ a in [try tanh(a[0].matmul(wx) + a[1].matmul(wh))] }, sequences: [x], outputsInfo: [h0], name: "rnn").output
        let loss = try (hs[-1] ** 2).sum()
        let params = [wx, wh]
        let (step, compileTime) = try compiledSGDStep(inputs: [x], loss: loss, parameters: params, rate: 1e-3, profile: profile)
        let xb = try NDArray.randomNormal([steps, batch, inputs], using: &rng, .float32)
        // The weights move a little every call (SGD); the work per call is the same.
        let t = try medianTime(runs: 30, afterWarmup: { step.profile?.reset() }) { _ = try step(xb) }
        var result = Result(values: [("rnn_T100_B32_H128_step_s", t), ("rnn_compile_s", compileTime)])
        if breakdown {
            result.notes.append(describe("rnn compile", step.compileStatistics))
            result.notes.append("rnn step kernels (the loops' bodies nested):\n\(step.kernelReport)")
        }
        if let p = step.profile { result.notes.append(p.summary(top: 25)) }
        return result
    }

    /// `scan_step_overhead_s` (workload `loop`): the time per step of a loop whose body is a scalar `h + 1`
    /// (10,000 steps in one call, float64), so nearly all of it is the loop's own work.
    static func scanStepOverhead() throws -> Double {
        let steps = 10_000
        let n = Tensor.variable("n", .int64, shape: [])
        let h0 = try zeros([], .float64)
        let hs = try scan({ a in [try a[0] + 1] }, outputsInfo: [h0], nSteps: n, name: "count").output
        let f = try function([n], [hs[-1]], options: CompileOptions(kernelCompilation: .wait))
        let count = NDArray(scalar: Int64(steps))
        let total = try medianTime(runs: 9) { _ = try f(count) }
        return total / Double(steps)
    }

    /// The per-step cost of the general loop path (the nested program run per step), for a
    /// note: the same counter with an `until` that never fires, which the direct path (one
    /// kernel call per step on row addresses) does not take.
    static func generalStepOverhead() throws -> String {
        let steps = 10_000
        let n = Tensor.variable("n", .int64, shape: [])
        let hs = try scan({ a in try ScanStep([a[0] + 1], until: a[0] .> 1e300) }, outputsInfo: [try zeros([], .float64)],
                          nSteps: n, name: "count_until").output
        let f = try function([n], [hs[-1]], options: CompileOptions(kernelCompilation: .wait))
        let count = NDArray(scalar: Int64(steps))
        let total = try medianTime(runs: 9) { _ = try f(count) }
        return "loop: per-step cost of the general path (the counter with an until that never fires): \(format(total / Double(steps)))"
    }

    /// The peak memory of one gradient step of a long RNN (T=2000, batch 32, hidden 128,
    /// float32) with a plain `scan` and with `scanCheckpoints` every 45 steps: how much the
    /// process's peak resident size grows over two calls (Linux: `/proc/self/clear_refs`
    /// resets the peak), after a short call that loads the kernels and the BLAS libraries'
    /// own buffers. A note, not a key (keys are times).
    static func checkpointMemory() throws -> String {
        let steps = 2000, batch = 32, hidden = 128
        var rng = RandomGenerator(seed: 1)
        let wh = Shared(try NDArray.randomNormal([hidden, hidden], std: 1 / Double(hidden).squareRoot(), using: &rng, .float32), name: "Wh")
        let x = Tensor.variable("x", .float32, shape: [nil, batch, hidden])
        let h0 = try zeros([batch, hidden], .float32)
        let body: ([Tensor]) throws -> [Tensor] = { a in [try tanh(a[0] + a[1].matmul(wh))] }
        let xb = try NDArray.randomNormal([steps, batch, hidden], using: &rng, .float32)
        let short = try NDArray.randomNormal([2, batch, hidden], using: &rng, .float32)
        func compiled(_ last: Tensor) throws -> Function {
            let g = try grad((last ** 2).sum(), wrt: wh)
            let f = try function([x], [g], options: CompileOptions(kernelCompilation: .wait))
            _ = try f(short)
            return f
        }
        func peakGrowth(_ f: Function) throws -> Int {
            guard let before = residentBytes(resetPeak: true) else { return 0 }
            _ = try f(xb)
            _ = try f(xb)
            return (residentBytes(resetPeak: false, field: "VmHWM:") ?? before) - before
        }
        let checkpointed = try compiled(try scanCheckpoints(body, sequences: [x], outputsInfo: [h0], saveEveryN: 45).output[-1])
        let looped = try compiled(try scan(body, sequences: [x], outputsInfo: [h0]).output[-1])
        // Checkpoints first: memory the other run frees may stay resident and hide growth.
        let saved = try peakGrowth(checkpointed)
        let plain = try peakGrowth(looped)
        func mb(_ b: Int) -> String { String(format: "%.1f MB", Double(b) / 1e6) }
        return "rnn T=\(steps) B=\(batch) H=\(hidden) gradient, peak memory growth over two calls: scan \(mb(plain)), scanCheckpoints(every 45) \(mb(saved))"
    }

    /// The resident set size (`VmRSS:`) or another `/proc/self/status` field in bytes, after
    /// resetting the peak when asked; nil where /proc is missing.
    private static func residentBytes(resetPeak: Bool, field: String = "VmRSS:") -> Int? {
        if resetPeak { try? "5".write(toFile: "/proc/self/clear_refs", atomically: false, encoding: .utf8) }
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix(field) }),
              let kb = line.split(separator: " ").dropFirst().first.flatMap({ Int($0) }) else { return nil }
        return kb * 1024
    }
}
