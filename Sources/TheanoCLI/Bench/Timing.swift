import Dispatch
import Foundation
import Theano

/// Seconds elapsed while running `body`.
func seconds(_ body: () throws -> Void) rethrows -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    try body()
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
}

/// The median of `runs` timed calls after `warmup` untimed ones; `afterWarmup` runs between
/// them (to reset a profile, so that it leaves out the warm-up calls), `beforeEach` untimed
/// before every call.
func medianTime(runs: Int, warmup: Int = 2, afterWarmup: () -> Void = {}, beforeEach: () -> Void = {},
                _ body: () throws -> Void) rethrows -> Double {
    for _ in 0..<warmup {
        beforeEach()
        try body()
    }
    afterWarmup()
    var times: [Double] = []
    times.reserveCapacity(runs)
    for _ in 0..<runs {
        beforeEach()
        times.append(try seconds(body))
    }
    times.sort()
    return times[times.count / 2]
}

extension Workloads {
    /// The SGD training step the benchmarks time: the gradients of `loss`, `p - rate * g` for
    /// every parameter, compiled waiting for the C kernels (`TH_THREADS` sets the pool size),
    /// once to warm the kernel cache and again to time the compile.
    static func compiledSGDStep(inputs: [Tensor], loss: Tensor, parameters: [Shared], rate: Double,
                                profile: Bool) throws -> (step: Function, compileSeconds: Double) {
        func build() throws -> Function {
            let grads = try grad(loss, wrt: parameters)
            var updates: [Shared: Tensor] = [:]
            for (q, g) in zip(parameters, grads) { updates[q] = try q - Tensor(rate) * g }
            return try function(inputs, [loss], updates: updates,
                                options: CompileOptions(threads: ProcessInfo.processInfo.environment["TH_THREADS"].flatMap { Int($0) },
                                                        profile: profile, kernelCompilation: .wait))
        }
        _ = try build()
        var step: Function?
        let compileSeconds = try seconds { step = try build() }
        guard let step else { throw TheanoError.graph("bench: the training step did not compile") }
        return (step, compileSeconds)
    }
}
