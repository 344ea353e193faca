import Foundation
import Theano
import TheanoNN

/// The benchmark workloads of `../shared/bench/WORKLOADS.md`, run with the library itself.
/// Each returns its JSON keys and median seconds; `notes` collects extra measurements
/// (compile-time breakdowns) printed beside the table.
enum Workloads {
    struct Result {
        var values: [(key: String, seconds: Double)] = []
        var notes: [String] = []
    }

    static let names = ["elemwise", "sumsq", "mlp", "overhead", "compile", "innergraph", "cold", "lenet", "rnn", "loop", "linalg", "batchnorm", "gemm"]

    static func run(_ name: String, breakdown: Bool, profile: Bool = false) throws -> Result {
        switch name {
        case "elemwise": return try elemwise()
        case "sumsq": return try sumsq()
        case "mlp": return try mlp(breakdown: breakdown, profile: profile)
        case "overhead": return try overhead()
        case "compile": return try compile(breakdown: breakdown)
        case "innergraph": return try innerGraph()
        case "cold": return try cold(breakdown: breakdown)
        case "lenet": return try lenet(breakdown: breakdown, profile: profile)
        case "rnn": return try rnn(breakdown: breakdown, profile: profile)
        case "linalg": return try linalg(breakdown: breakdown, profile: profile)
        case "batchnorm": return try batchNorm(profile: profile)
        case "gemm": return try gemmShapes()
        case "loop": return Result(values: [("scan_step_overhead_s", try scanStepOverhead())], notes: [try generalStepOverhead(), try checkpointMemory()])
        default: throw TheanoError.invalidArgument("bench: unknown workload '\(name)'; known: \(names.joined(separator: ", "))")
        }
    }

    private static func vectors() throws -> (NDArray, NDArray) {
        var rng = RandomGenerator(seed: 0)
        return (try NDArray.randomNormal([10_000_000], using: &rng), try NDArray.randomNormal([10_000_000], using: &rng))
    }

    static func elemwise() throws -> Result {
        let (a, b) = try vectors()
        let x = Tensor.vector("x"), y = Tensor.vector("y")
        let f = try function([x, y], [exp(-x * x) * sin(y) + tanh(x * y)])
        let t = try medianTime(runs: 10) { _ = try f(a, b) }
        return Result(values: [("elemwise_1e7_f32_s", t)])
    }

    static func sumsq() throws -> Result {
        let (a, b) = try vectors()
        let x = Tensor.vector("x"), y = Tensor.vector("y")
        let f = try function([x, y], [sum((x - y) ** 2)])
        let t = try medianTime(runs: 10) { _ = try f(a, b) }
        return Result(values: [("sumsq_1e7_f32_s", t)])
    }

    static func mlp(breakdown: Bool, profile: Bool) throws -> Result {
        var rng = RandomGenerator(seed: 0)
        let sizes = [(784, 512), (512, 512), (512, 10)]
        let weights = try sizes.enumerated().map { i, s in
            Shared(try NDArray.randomNormal([s.0, s.1], std: 0.05, using: &rng), name: "W\(i + 1)")
        }
        let biases = try sizes.enumerated().map { i, s in Shared(try NDArray.zeros([s.1]), name: "b\(i + 1)") }
        let x = Tensor.matrix("x", .float32, shape: [nil, 784])
        let labels = Tensor.vector("y", .int32)
        let h1 = try relu(x.matmul(weights[0]) + biases[0])
        let h2 = try relu(h1.matmul(weights[1]) + biases[1])
        let p = try logSoftmax(h2.matmul(weights[2]) + biases[2], axis: 1)
        let loss = try -p[arange(labels.shape(0)), labels].mean()
        let params = weights + biases
        let (step, compileTime) = try compiledSGDStep(inputs: [x, labels], loss: loss, parameters: params, rate: 0.01, profile: profile)
        let xb = try NDArray.randomNormal([128, 784], using: &rng)
        let yb = NDArray((0..<128).map { _ in Int32(rng.next() % 10) })
        let t = try medianTime(runs: 30, afterWarmup: { step.profile?.reset() }) { _ = try step(xb, yb) }
        var result = Result(values: [("mlp_step_B128_s", t), ("mlp_compile_s", compileTime)])
        if breakdown { result.notes.append(describe("mlp compile", step.compileStatistics)) }
        if let p = step.profile { result.notes.append(p.summary(top: 25)) }
        return result
    }

    static func overhead() throws -> Result {
        let x = Tensor.vector("x")
        var e = x
        for _ in 0..<20 { e = try tanh(e) * 1.0001 + x }
        let f = try function([x], [e])
        var rng = RandomGenerator(seed: 0)
        let small = try NDArray.randomNormal([10], using: &rng)
        let t = try medianTime(runs: 2000, warmup: 20) { _ = try f(small) }
        return Result(values: [("call_overhead_20stage_n10_s", t)])
    }

    /// A 20-op elementwise expression of two 1e6 float32 vectors, as a non-inlined
    /// `OpFromGraph` (a nested program with its own fused kernel) and inlined into the graph.
    static func innerGraph() throws -> Result {
        let a = Tensor.vector("a"), b = Tensor.vector("b")
        var body = a
        for i in 0..<10 { body = i % 2 == 0 ? try tanh(body) * b : try body * 0.5 + a }
        var rng = RandomGenerator(seed: 0)
        let xv = try NDArray.randomNormal([1_000_000], using: &rng), yv = try NDArray.randomNormal([1_000_000], using: &rng)
        var times: [String: Double] = [:]
        for inline in [false, true] {
            let op = try OpFromGraph(inputs: [a, b], outputs: [body], name: "body20", inline: inline)
            let x = Tensor.vector("x"), y = Tensor.vector("y")
            let f = try function([x, y], [try op(x, y)[0]])
            times[inline ? "inlined" : "nested"] = try medianTime(runs: 30) { _ = try f(xv, yv) }
        }
        let nested = times["nested"] ?? 0, inlined = times["inlined"] ?? 0
        return Result(values: [("opfromgraph_nested_1e6_f32_s", nested), ("opfromgraph_inlined_1e6_f32_s", inlined)],
                      notes: [String(format: "OpFromGraph nested / inlined: %.2fx", nested / Swift.max(inlined, 1e-12))])
    }

    /// Cold start: the MLP training step compiled with an empty kernel cache (loss expression to
    /// a callable step, and to a step whose generated C is in use), and the first epoch of
    /// `theano demo --model mlp` (building the model, then one epoch) with an empty cache and
    /// again with the cache it filled. A cold run uses a fresh temporary cache folder; each key
    /// is the median of 5 runs (each cold run waits for its background compiles before the next
    /// starts, so runs never overlap).
    static func cold(breakdown: Bool) throws -> Result {
        var result = Result()
        var compiles: [Double] = [], readies: [Double] = []
        for _ in 0..<5 {
            try withFreshCache { options in
                let (compile, ready) = try mlpStepCold(options)
                compiles.append(compile)
                readies.append(ready)
            }
        }
        result.values.append(("mlp_compile_cold_s", median(compiles)))
        result.notes.append("mlp compile, cold: callable after \(format(median(compiles))), generated C in use after \(format(median(readies)))")
        let (train, _) = try Digits.load()
        var colds: [Double] = [], warms: [Double] = []
        var warmCache: URL?
        for run in 0..<5 {
            try withFreshCache(keep: run == 4) { options in
                colds.append(try demoFirstEpoch(train, options))
                // Let the background compiles finish into the cache before anything else runs.
                try demoFirstEpochWaiting(train, options)
                if run == 4 { warmCache = options.cacheDirectory }
            }
        }
        if let warmCache {
            defer { try? FileManager.default.removeItem(at: warmCache) }
            var options = CompileOptions.current
            options.cacheDirectory = warmCache
            for _ in 0..<5 { warms.append(try demoFirstEpoch(train, options)) }
        }
        result.values.append(("demo_first_epoch_cold_s", median(colds)))
        result.values.append(("demo_first_epoch_warm_s", median(warms)))
        result.notes.append(String(format: "demo first epoch cold / warm: %.2fx", median(colds) / Swift.max(median(warms), 1e-12)))
        return result
    }

    private static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        return sorted.isEmpty ? 0 : sorted[sorted.count / 2]
    }

    /// Runs `body` with options whose kernel cache is a new, empty temporary folder (deleted
    /// after, unless `keep`), starting at once (background compilation).
    static func withFreshCache(keep: Bool = false, _ body: (CompileOptions) throws -> Void) throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("theano-cold-\(UUID().uuidString)")
        defer { if !keep { try? FileManager.default.removeItem(at: folder) } }
        var options = CompileOptions.current
        options.cacheDirectory = folder
        options.kernelCompilation = .background
        try body(options)
    }

    /// Seconds from the MLP's loss expression to a callable training step, and to the step
    /// running its generated C.
    static func mlpStepCold(_ options: CompileOptions) throws -> (Double, Double) {
        var rng = RandomGenerator(seed: 1)
        let sizes = [(784, 512), (512, 512), (512, 10)]
        let weights = try sizes.enumerated().map { i, s in
            Shared(try NDArray.randomNormal([s.0, s.1], std: 0.05, using: &rng), name: "W\(i + 1)")
        }
        let biases = try sizes.enumerated().map { i, s in Shared(try NDArray.zeros([s.1]), name: "b\(i + 1)") }
        let x = Tensor.matrix("x", .float32, shape: [nil, 784])
        let labels = Tensor.vector("y", .int32)
        let start = DispatchTime.now().uptimeNanoseconds
        let h1 = try relu(x.matmul(weights[0]) + biases[0])
        let h2 = try relu(h1.matmul(weights[1]) + biases[1])
        let p = try logSoftmax(h2.matmul(weights[2]) + biases[2], axis: 1)
        let loss = try -p[arange(labels.shape(0)), labels].mean()
        let params = weights + biases
        let grads = try grad(loss, wrt: params)
        var updates: [Shared: Tensor] = [:]
        for (q, g) in zip(params, grads) { updates[q] = try q - 0.01 * g }
        let step = try function([x, labels], [loss], updates: updates, options: options)
        let callable = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        step.waitForKernels()
        return (callable, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
    }

    /// Seconds to build `theano demo`'s MLP (default options) and train it one epoch.
    static func demoFirstEpoch(_ train: Dataset, _ options: CompileOptions) throws -> Double {
        try CompileOptions.$current.withValue(options) {
            let start = DispatchTime.now().uptimeNanoseconds
            let classifier = try Models.mlp(features: train.features, hidden: 128, classes: 10, learningRate: 0.1,
                                            weightDecay: 1e-3, momentum: 0.9, seed: 0)
            var rng: RandomGenerator? = RandomGenerator(seed: 1)
            _ = try classifier.trainEpoch(train, batchSize: 32, rng: &rng)
            return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        }
    }

    /// Builds the demo's MLP and waits for its generated kernels (so they reach the cache).
    static func demoFirstEpochWaiting(_ train: Dataset, _ options: CompileOptions) throws {
        var waiting = options
        waiting.kernelCompilation = .wait
        _ = try demoFirstEpoch(train, waiting)
    }

    static func compileChain(_ stages: Int) throws -> (Tensor, Tensor) {
        let x = Tensor.matrix("x")
        var e = x
        for i in 0..<stages {
            e = i % 3 != 0 ? try tanh(e) + Tensor(0.001 * Double(i)) : try exp(-e) * x
        }
        return (x, try sum(e))
    }

    static func compile(breakdown: Bool) throws -> Result {
        let (x, out) = try compileChain(1000)
        _ = try function([x], [out])  // warm the C cache
        var f: Function?
        let t = try seconds { f = try function([x], [out]) }
        var result = Result(values: [("compile_1000node_s", t)])
        if breakdown, let f {
            result.notes.append(describe("compile 1000-node", f.compileStatistics))
            let (x10, out10) = try compileChain(10_000)
            _ = try function([x10], [out10])
            var g: Function?
            let t10 = try seconds { g = try function([x10], [out10]) }
            if let g {
                result.notes.append(describe("compile 10000-node (total \(format(t10)))", g.compileStatistics))
                result.notes.append("rewrite time ratio 10000/1000: \(String(format: "%.1f", g.compileStatistics.rewriteSeconds / Swift.max(f.compileStatistics.rewriteSeconds, 1e-9)))x")
            }
        }
        return result
    }

    static func describe(_ label: String, _ s: CompileStatistics) -> String {
        "\(label): rewrite \(format(s.rewriteSeconds)), codegen \(format(s.codegenSeconds)), C compile/load \(format(s.cCompileSeconds))\(s.ranCompiler ? " (compiled)" : " (cached)"), \(s.nodeCount) nodes"
    }

    static func format(_ s: Double) -> String {
        s < 1e-6 ? String(format: "%.0f ns", s * 1e9) : (s < 1e-3 ? String(format: "%.1f µs", s * 1e6) : (s < 1 ? String(format: "%.2f ms", s * 1e3) : String(format: "%.3f s", s)))
    }
}
