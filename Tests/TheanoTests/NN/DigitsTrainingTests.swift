import Foundation
import Theano
import TheanoNN
import XCTest

final class DigitsTrainingTests: XCTestCase {
    func testBundledDigitsLoadWithTheStandardSplit() throws {
        let (train, test) = try Digits.load()
        XCTAssertEqual(train.count, 1438)
        XCTAssertEqual(test.count, 359)
        XCTAssertEqual(train.inputs.shape, [1438, 64])
        XCTAssertEqual(train.inputs.dtype, .float32)
        XCTAssertEqual(test.labels.dtype, .int64)
        let pixels = train.inputs.doubles
        XCTAssertEqual(pixels.min(), 0)
        XCTAssertEqual(pixels.max(), 1)
        XCTAssertEqual(Set(test.labels.toArray(of: Int.self)), Set(0...9))
    }

    func testMalformedDataFilesThrow() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("theano-digits-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let bad = dir.appendingPathComponent("bad.csv")
        try "1,2,3\n".write(to: bad, atomically: true, encoding: .utf8)
        assertThrows(.io, containing: ["line 1", "bad.csv"]) { try Digits.load(from: bad) }
        let notGzip = dir.appendingPathComponent("fake.csv.gz")
        try "hello".write(to: notGzip, atomically: true, encoding: .utf8)
        assertThrows(.io, containing: ["gzip"]) { try Digits.load(from: notGzip) }
        assertThrows(.io, containing: ["cannot read"]) { try Digits.load(from: dir.appendingPathComponent("missing.csv")) }
    }

    func testTruncatedGzipThrows() throws {
        guard let url = Digits.bundledFile else { return XCTFail("bundled file missing") }
        let data = try Data(contentsOf: url)
        XCTAssertGreaterThan(try gunzip(data).count, 100_000)
        assertThrows(.io, containing: ["ends early"]) { try gunzip(data.prefix(data.count / 2)) }
    }

    func testLogisticRegressionLearns() throws {
        let (train, test) = try Digits.load()
        let model = try Models.logistic(features: 64, classes: 10, learningRate: 0.5, weightDecay: 1e-3)
        var rng: RandomGenerator? = RandomGenerator(seed: 1)
        var losses: [Double] = []
        for _ in 0..<6 { losses.append(try model.trainEpoch(train, batchSize: 32, rng: &rng)) }
        // The loss falls over epochs on average, and the model beats chance by far.
        XCTAssertLessThan(losses[3...].reduce(0, +) / 3, losses[..<3].reduce(0, +) / 3)
        XCTAssertLessThan(losses.last ?? 1, losses.first ?? 0)
        XCTAssertGreaterThan(try model.accuracy(test), 0.9)
    }

    func testMLPLearns() throws {
        let (train, test) = try Digits.load()
        let model = try Models.mlp(features: 64, hidden: 32, classes: 10, learningRate: 0.1, weightDecay: 1e-3, momentum: 0.9, seed: 3)
        var rng: RandomGenerator? = RandomGenerator(seed: 2)
        var losses: [Double] = []
        for _ in 0..<5 { losses.append(try model.trainEpoch(train, batchSize: 32, rng: &rng)) }
        XCTAssertLessThan(losses.last ?? 1, losses.first ?? 0)
        XCTAssertGreaterThan(try model.accuracy(test), 0.9)
    }

    func testTrainingStepUpdatesParametersAndSchedulesTheRate() throws {
        let model = try Models.logistic(features: 4, classes: 3, learningRate: 0.5)
        XCTAssertEqual(model.learningRate, 0.5, accuracy: 1e-6)
        model.learningRate = 0.25
        XCTAssertEqual(model.learningRate, 0.25, accuracy: 1e-6)
        let data = try Dataset(inputs: NDArray([1, 0, 0, 1, 0, 1, 1, 0] as [Float], shape: [2, 4]), labels: NDArray([0, 2] as [Int64]))
        var rng: RandomGenerator? = nil
        try model.trainEpoch(data, batchSize: 2, rng: &rng)
        XCTAssertNotEqual(model.parameters[0].value.doubles, Array(repeating: 0, count: 12))
    }
}
