import Foundation
import Theano

/// The cases of `theano gpu-check`: each compiles the same graph for a device backend and for
/// the reference backend, calls both with the same values and measures the largest difference
/// as a multiple of its tolerance (`atol + rtol * |reference|`; a NaN where the reference has
/// none, or a shape that differs, is infinitely far).
enum GPUCheckCases {
    struct Case {
        let name: String
        let run: (_ device: CompileOptions, _ reference: CompileOptions) throws -> Outcome
    }

    struct Outcome {
        /// The largest difference over its tolerance (at most 1 passes).
        var worst: Double
        /// The first line of the device function's kernel report.
        var report: String
    }

    /// How far `got` is from `want`, in tolerances.
    static func distance(_ got: NDArray, _ want: NDArray, rtol: Double, atol: Double) -> Double {
        guard got.shape == want.shape else { return .infinity }
        var worst = 0.0
        for (a, b) in zip(got.doubles, want.doubles) {
            if a.isNaN || b.isNaN {
                if a.isNaN != b.isNaN { return .infinity }
                continue
            }
            if a == b { continue }
            worst = Swift.max(worst, Swift.abs(a - b) / (atol + rtol * Swift.abs(b)))
        }
        return worst
    }

    private static func summary(_ f: Function) -> String {
        "\(f.kernelReport)".split(separator: "\n").first.map(String.init) ?? ""
    }

    /// A function of `inputs` called once with `values` on both backends. The graph is built
    /// once per backend, so that each has its own random streams.
    private static func graph(_ name: String, rtol: Double, atol: Double,
                              _ make: @escaping () throws -> (inputs: [Tensor], outputs: [Tensor], values: [NDArray])) -> Case {
        Case(name: name) { device, reference in
            let (inputs, outputs, values) = try make(), again = try make()
            let f = try function(inputs, outputs, options: device), g = try function(again.inputs, again.outputs, options: reference)
            let worst = zip(try f.call(values), try g.call(values)).map { distance($0, $1, rtol: rtol, atol: atol) }.max() ?? 0
            return Outcome(worst: worst, report: summary(f))
        }
    }

    /// A training step (`make` builds it with fresh parameters) called three times on both
    /// backends: the losses and the parameters after each call.
    private static func training(_ name: String, rtol: Double, atol: Double,
                                 _ make: @escaping (CompileOptions) throws -> (step: Function, parameters: [Shared]),
                                 batches: [[NDArray]]) -> Case {
        Case(name: name) { device, reference in
            let (f, onDevice) = try make(device), (g, onHost) = try make(reference)
            var worst = 0.0
            for batch in batches {
                worst = Swift.max(worst, distance(try f.call(batch)[0], try g.call(batch)[0], rtol: rtol, atol: atol))
                for (a, b) in zip(onDevice, onHost) { worst = Swift.max(worst, distance(a.value, b.value, rtol: rtol, atol: atol)) }
            }
            return Outcome(worst: worst, report: summary(f))
        }
    }

    /// Every case, with its input values.
    static func all() throws -> [Case] {
        var rng = RandomGenerator(seed: 14)
        func normal(_ shape: [Int], _ dtype: DType = .float32, std: Double = 1) throws -> NDArray {
            try NDArray.randomNormal(shape, std: std, using: &rng, dtype)
        }
        let (x1, y1) = (try normal([1000, 37]), try normal([1, 37]))
        let x2 = try normal([64, 300], .float64)
        let x3 = try normal([300, 1001]), x4 = try normal([257, 129], .float64)
        let (a5, b5, c5) = (try normal([128, 784]), try normal([784, 512]), try normal([4, 33, 17], .float64))
        let table = try normal([50, 3, 4], .float64), picks = NDArray((0..<40).map { Int32(($0 * 13) % 50) - 25 })
        let pooled = try normal([8, 6, 24, 24])
        let (image, filters) = (try normal([4, 6, 15, 13]), try normal([8, 3, 3, 3], std: 0.3))
        var cases: [Case] = [
            graph("elementwise float32 (broadcast)", rtol: 1e-5, atol: 1e-6) {
                let x = Tensor.matrix("x", .float32), y = Tensor.variable("y", .float32, shape: [1, nil])
                return ([x, y], [try sigmoid(x * y) + 1, try exp(x) - y, try tanh(x) * x], [x1, y1])
            },
            graph("elementwise float64 (strided)", rtol: 1e-12, atol: 1e-12) {
                let x = Tensor.matrix("x", .float64)
                return ([x], [try log1p(abs(x)), try x * x * x - 2], [try x2.transposed()])
            },
            graph("reductions", rtol: 1e-4, atol: 1e-4) {
                let x = Tensor.matrix("x", .float32), z = Tensor.matrix("z", .float64)
                return ([x, z], [try sum(x, axis: 1), try max(x, axis: 0), try mean(x), try sum((x - 1) * (x - 1)), try sum(z, axis: 0), try max(z)], [x3, x4])
            },
            graph("softmax and log-softmax", rtol: 1e-5, atol: 1e-7) {
                let x = Tensor.matrix("x", .float32), z = Tensor.matrix("z", .float64)
                return ([x, z], [try softmax(x, axis: 1), try logSoftmax(x, axis: 1), try softmax(z, axis: 0)], [x3, x4])
            },
            graph("products (cuBLAS)", rtol: 1e-4, atol: 1e-3) {
                let a = Tensor.matrix("a", .float32), b = Tensor.matrix("b", .float32), c = Tensor.variable("c", .float64, shape: [nil, nil, nil])
                return ([a, b, c], [try a.matmul(b), try a.T.matmul(a), try c.matmul(c.transposed([0, 2, 1]))], [a5, b5, c5])
            },
            graph("lookup and its gradient", rtol: 1e-12, atol: 1e-12) {
                let w = Tensor.variable("w", .float64, shape: [nil, nil, nil]), idx = Tensor.vector("idx", .int32)
                let rows = try take(w, idx, axis: 0)
                return ([w, idx], [rows, try grad(sum(rows * rows), wrt: [w])[0]], [table, picks])
            },
            graph("random draws (Philox)", rtol: 0, atol: 0) {
                let n = Tensor.scalar("n", .int64), streams = RandomStreams(seed: 7)
                return ([n], [try streams.uniform([n]), try streams.integers([n], low: -5, high: 17)], [NDArray(scalar: Int64(100_003))])
            },
            graph("pooling and its gradients", rtol: 1e-5, atol: 1e-6) {
                let x = Tensor.tensor4("x", .float32)
                let m = try pool2d(x, window: [2, 2], mode: .max), a = try pool2d(x, window: [3, 3], stride: [2, 2], padding: [1, 1], mode: .averageExcludingPadding)
                return ([x], [m, a, try grad(sum(m * m) + sum(a * a), wrt: x)], [pooled])
            },
            graph("convolutions and their gradients", rtol: 1e-4, atol: 1e-3) {
                let x = Tensor.tensor4("x", .float32), w = Tensor.tensor4("w", .float32)
                let y = try conv2d(x, w, stride: [2, 1], padding: .same, groups: 2)
                return ([x, w], [y] + (try grad(sum(y * y), wrt: [x, w])), [image, filters])
            },
        ]
        let (line, line3) = (try normal([3, 4, 40], .float64), try normal([5, 4, 7], .float64, std: 0.3))
        let (volume, volume3) = (try normal([2, 3, 6, 9, 8]), try normal([4, 3, 3, 2, 3], std: 0.3))
        cases.append(graph("convolutions 1-d and 3-d, dilated", rtol: 1e-4, atol: 1e-3) {
            let x = Tensor.variable("x", .float64, shape: [nil, nil, nil]), w = Tensor.variable("w", .float64, shape: [nil, nil, nil])
            let v = Tensor.variable("v", .float32, shape: [nil, nil, nil, nil, nil]), k = Tensor.variable("k", .float32, shape: [nil, nil, nil, nil, nil])
            let y = try conv1d(x, w, stride: 2, padding: .full, dilation: 3)
            let z = try conv3d(v, k, stride: [1, 2, 1], padding: .explicit(before: [1, 0, 1], after: [1, 0, 1]), filterFlip: false)
            return ([x, w, v, k], [y, z] + (try grad(sum(y * y), wrt: [x, w])) + (try grad(sum(z * z), wrt: [v, k])), [line, line3, volume, volume3])
        })
        // Forty calls that only update a shared variable: nothing is read on the host until
        // the end, so the launches and the staged uploads of each call's input queue on the
        // stream (the staging ring wraps several times).
        let feeds = try (0..<5).map { _ in try normal([512, 512], std: 0.1) }
        cases.append(Case(name: "queued updates (40 calls, no output)") { device, reference in
            func make(_ options: CompileOptions) throws -> (Function, Shared) {
                let w = Shared(NDArray(zeros: [512, 512], dtype: .float32)), x = Tensor.matrix("x", .float32)
                return (try function([x], [], updates: [w: try tanh(w * 0.5 + x) + x.mean()], options: options), w)
            }
            let (f, onDevice) = try make(device), (g, onHost) = try make(reference)
            for k in 0..<40 {
                _ = try f.call([feeds[k % feeds.count]])
                _ = try g.call([feeds[k % feeds.count]])
            }
            return Outcome(worst: distance(onDevice.value, onHost.value, rtol: 1e-4, atol: 1e-5), report: summary(f))
        })
        cases.append(training("MLP step (3 SGD updates)", rtol: 1e-4, atol: 1e-5, { options in
            var generator = RandomGenerator(seed: 21)
            let params = try [[784, 128], [128, 10]].map { Shared(try NDArray.randomNormal($0, std: 0.05, using: &generator)) }
            let x = Tensor.matrix("x", .float32), labels = Tensor.vector("y", .int32)
            let p = try logSoftmax(relu(x.matmul(params[0])).matmul(params[1]), axis: 1)
            let loss = try -p[arange(labels.shape(0)), labels].mean()
            return (try sgd(inputs: [x, labels], loss: loss, parameters: params, rate: 0.1, options: options), params)
        }, batches: try (0..<3).map { k in [try normal([32, 784]), NDArray((0..<32).map { Int32(($0 * 3 + k) % 10) })] }))
        cases.append(training("LeNet step (3 SGD updates)", rtol: 1e-4, atol: 1e-5, { options in
            var generator = RandomGenerator(seed: 22)
            let shapes: [([Int], Double)] = [([20, 1, 5, 5], 0.1), ([50, 20, 5, 5], 0.05), ([800, 500], 0.03), ([500, 10], 0.05)]
            let params = try shapes.map { Shared(try NDArray.randomNormal($0.0, std: $0.1, using: &generator)) }
            let x = Tensor.variable("x", .float32, shape: [nil, 1, 28, 28]), labels = Tensor.vector("y", .int32)
            func block(_ h: Tensor, _ w: Tensor) throws -> Tensor { try pool2d(relu(conv2d(h, w, filterFlip: false)), window: [2, 2], mode: .max) }
            let h = try block(block(x, params[0]), params[1])
            let p = try logSoftmax(relu(flatten(h, ndim: 2).matmul(params[2])).matmul(params[3]), axis: 1)
            let loss = try -p[arange(labels.shape(0)), labels].mean()
            return (try sgd(inputs: [x, labels], loss: loss, parameters: params, rate: 0.01, options: options), params)
        }, batches: try (0..<3).map { k in [try normal([16, 1, 28, 28]), NDArray((0..<16).map { Int32(($0 * 7 + k) % 10) })] }))
        return cases
    }

    /// `p - rate * dloss/dp` for every parameter, as one function of `inputs` returning the loss.
    private static func sgd(inputs: [Tensor], loss: Tensor, parameters: [Shared], rate: Double, options: CompileOptions) throws -> Function {
        var updates: [Shared: Tensor] = [:]
        for (q, g) in zip(parameters, try grad(loss, wrt: parameters)) { updates[q] = try q - Tensor(rate) * g }
        return try function(inputs, [loss], updates: updates, options: options)
    }
}
