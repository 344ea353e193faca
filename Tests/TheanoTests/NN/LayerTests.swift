import Foundation
import Theano
import TheanoNN
import XCTest

/// Layers: parameter naming, summaries, values, the training/inference graphs, saving and
/// loading, and errors; compiled on every backend.
final class LayerTests: BackendTestCase {
    func testSequentialNamesParametersAndPrintsASummary() throws {
        let model = try Sequential([
            Reshape([1, 8, 8]),
            Conv2D(1, 4, kernel: [3, 3], padding: .same, activation: .relu),
            MaxPool2D(),
            Conv2D(4, 6, kernel: [3, 3], activation: .relu),
            Flatten(),
            Dense(6 * 2 * 2, 10, name: "out"),
        ])
        XCTAssertEqual(model.parameters.map(\.name), ["conv2d.W", "conv2d.b", "conv2d_2.W", "conv2d_2.b", "out.W", "out.b"])
        let summary = try model.summary(inputShape: [64])
        XCTAssertTrue(summary.contains("[?, 4, 8, 8]"), summary)
        XCTAssertTrue(summary.contains("[?, 4, 4, 4]"), summary)
        XCTAssertTrue(summary.contains("[?, 6, 2, 2]"), summary)
        XCTAssertTrue(summary.contains("[?, 24]"), summary)
        XCTAssertTrue(summary.contains("[?, 10]"), summary)
        let total = 4 * 9 + 4 + 6 * 4 * 9 + 6 + 24 * 10 + 10
        XCTAssertTrue(summary.contains("total parameters: \(total)"), summary)
    }

    func testDenseComputesAffineMapWithActivation() throws {
        let layer = try Dense(3, 2, activation: .relu, seed: 7)
        let w = layer.weight.value.doubles
        let x = Tensor.matrix("x", .float32, shape: [nil, 3])
        let f = try function([x], [try layer(x)])
        let input = try NDArray([[Float(1), -2, 0.5], [0, 1, -1]])
        let got = try f(input)[0].doubles
        let rows: [[Double]] = [[1, -2, 0.5], [0, 1, -1]]
        var want: [Double] = []
        for r in rows { for j in 0..<2 { want.append(Swift.max(0, (0..<3).reduce(0) { $0 + r[$1] * w[$1 * 2 + j] })) } }
        for (g, e) in zip(got, want) { XCTAssertEqual(g, e, accuracy: 1e-5) }
    }

    func testBatchNormTrainsOnBatchStatisticsAndUpdatesRunningAverages() throws {
        let bn = try BatchNorm(2, momentum: 0.5)
        let x = Tensor.matrix("x", .float32, shape: [nil, 2])
        let (train, updates) = try Sequential([bn]).forward(x, phase: .training)
        XCTAssertEqual(updates.count, 2)
        let f = try function([x], [train], updates: updates)
        let batch = try NDArray([[Float(1), 10], [3, 20], [5, 30]])
        let out = try f(batch)[0].doubles
        // Column 0: mean 3, biased variance 8/3.
        let s0 = (8.0 / 3 + 1e-5).squareRoot()
        XCTAssertEqual(out[0], (1 - 3) / s0, accuracy: 1e-4)
        XCTAssertEqual(out[4], (5 - 3) / s0, accuracy: 1e-4)
        // Running mean: 0.5 * 0 + 0.5 * batch mean; running variance uses the unbiased variance.
        XCTAssertEqual(bn.runningMean.value.doubles, [1.5, 10], accuracy: 1e-5)
        XCTAssertEqual(bn.runningVariance.value.doubles, [0.5 + 0.5 * 4, 0.5 + 0.5 * 100], accuracy: 1e-4)
        // Inference uses the running statistics and changes nothing.
        let g = try function([x], [try bn(x)])
        let inferred = try g(batch)[0].doubles
        XCTAssertEqual(inferred[0], (1 - 1.5) / (2.5 + 1e-5).squareRoot(), accuracy: 1e-4)
        XCTAssertEqual(bn.runningMean.value.doubles, [1.5, 10], accuracy: 1e-5)
    }

    func testDropoutIsTheIdentityInInferenceAndScalesInTraining() throws {
        let layer = try Dropout(rate: 0.5, seed: 3)
        let x = Tensor.matrix("x", .float32, shape: [nil, nil])
        let input = try NDArray.full([64, 64], 1)
        XCTAssertEqual(try function([x], [try layer(x)])(input)[0].doubles, input.doubles)
        let (train, updates) = try Sequential([layer]).forward(x, phase: .training)
        let f = try function([x], [train], updates: updates)
        let values = try f(input)[0].doubles
        XCTAssertTrue(values.allSatisfy { $0 == 0 || abs($0 - 2) < 1e-6 }, "kept values are scaled by 1 / (1 - rate)")
        let kept = Double(values.filter { $0 != 0 }.count) / Double(values.count)
        XCTAssertEqual(kept, 0.5, accuracy: 0.05)
        assertThrows(.invalidArgument, containing: ["rate", "1.5"]) { try Dropout(rate: 1.5) }
    }

    func testSaveAndLoadByNameWithClearErrors() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("theano-layers-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("model.npz")
        let a = try Sequential([Dense(4, 3, seed: 1, name: "fc"), BatchNorm(3, name: "bn")])
        try a.save(to: file)
        let b = try Sequential([Dense(4, 3, seed: 2, name: "fc"), BatchNorm(3, name: "bn")])
        XCTAssertNotEqual(a.parameters[0].value.value.doubles, b.parameters[0].value.value.doubles)
        try b.load(from: file)
        for (p, q) in zip(a.savedValues, b.savedValues) {
            XCTAssertEqual(p.name, q.name)
            XCTAssertEqual(p.value.value.doubles, q.value.value.doubles)
        }
        let wrongShape = try Sequential([Dense(5, 3, name: "fc"), BatchNorm(3, name: "bn")])
        let before = wrongShape.parameters[0].value.value.doubles
        assertThrows(.shapeMismatch, containing: ["fc.W", "[4, 3]", "[5, 3]"]) { try wrongShape.load(from: file) }
        XCTAssertEqual(wrongShape.parameters[0].value.value.doubles, before, "a failed load changes nothing")
        let missing = try Sequential([Dense(4, 3, name: "other")])
        assertThrows(.invalidArgument, containing: ["other.W", "fc.W"]) { try missing.load(from: file) }
    }

    func testLayersRejectMismatchedInputs() throws {
        let x = Tensor.matrix("x", .float32, shape: [nil, 5])
        assertThrows(.shapeMismatch, containing: ["dense", "5 features", "expects 4"]) { try Dense(4, 2)(x) }
        assertThrows(.typeMismatch, containing: ["conv2d", "rank 4", "rank 2"]) { try Conv2D(1, 2, kernel: [3, 3])(x) }
        assertThrows(.shapeMismatch, containing: ["reshape", "5 elements", "[2, 2]"]) { try Reshape([2, 2])(x) }
        assertThrows(.invalidArgument, containing: ["groups"]) { try Conv2D(3, 4, kernel: [3, 3], groups: 2) }
        assertThrows(.typeMismatch, containing: ["Embedding", "integers"]) { try Embedding(count: 4, dimension: 2)(x) }
    }

    func testEmbeddingLooksUpRows() throws {
        let layer = try Embedding(count: 5, dimension: 3, seed: 4)
        let ids = Tensor.vector("ids", .int64)
        let got = try function([ids], [try layer(ids)])(NDArray([Int64(4), 0, 4]))[0]
        XCTAssertEqual(got.shape, [3, 3])
        let table = layer.weight.value.doubles
        XCTAssertEqual(Array(got.doubles[0..<3]), Array(table[12..<15]))
        XCTAssertEqual(Array(got.doubles[3..<6]), Array(table[0..<3]))
    }

    /// A small convnet (conv, batch norm, pooling, dropout, dense) learns the digits (a
    /// subset: the CPU run checks every kernel against the reference in debug mode).
    func testSmallConvnetLearnsDigits() throws {
        let (allTrain, allTest) = try Digits.load()
        let train = try allTrain.subset(Array(0..<400)), test = try allTest.subset(Array(0..<150))
        let classifier = try Models.convnet(side: 8, classes: 10, channels: 4, hidden: 32, learningRate: 0.05, seed: 0)
        var rng: RandomGenerator? = RandomGenerator(seed: 1)
        let first = try classifier.trainEpoch(train, batchSize: 50, rng: &rng)
        var last = first
        for _ in 0..<4 { last = try classifier.trainEpoch(train, batchSize: 50, rng: &rng) }
        XCTAssertLessThan(last, first * 0.5, "the training loss falls")
        XCTAssertGreaterThan(try classifier.accuracy(test), 0.8)
    }
}

private func XCTAssertEqual(_ a: [Double], _ b: [Double], accuracy: Double, file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(a.count, b.count, file: file, line: line)
    for (x, y) in zip(a, b) { XCTAssertEqual(x, y, accuracy: accuracy, file: file, line: line) }
}
