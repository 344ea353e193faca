import Theano
import XCTest

/// Theano's tutorial "A real example: logistic regression", written as the tutorial writes it
/// (`p_1 = 1 / (1 + exp(-dot(x, w) - b))` and the textbook cross-entropy): the optimiser must
/// make it numerically safe (docs/TUTORIAL.md has the full 10,000-step program).
final class LogisticRegressionTutorialTests: BackendTestCase {
    /// The tutorial's data: N examples of `features` standard-normal features with random 0/1
    /// labels, as float64.
    static func data(examples n: Int = 400, features: Int = 784, seed: UInt64 = 0) throws -> (x: NDArray, y: NDArray, w: NDArray) {
        var rng = RandomGenerator(seed: seed)
        let x = try NDArray.randomNormal([n, features], using: &rng, .float64)
        let y = NDArray((0..<n).map { _ in Double(rng.next() & 1) })
        let w = try NDArray.randomNormal([features], using: &rng, .float64)
        return (x, y, w)
    }

    /// The tutorial's model and training function: outputs are the predictions, the
    /// cross-entropy of each example and the cost.
    static func model(initialWeights: NDArray, mode: Mode = Mode.current) throws -> (train: Function, predict: Function, w: Shared, b: Shared) {
        let x = Tensor.matrix("x", .float64)
        let y = Tensor.vector("y", .float64)
        let w = Shared(initialWeights, name: "w")
        let b = Shared(NDArray(scalar: 0.0), name: "b")
        let p1 = try 1 / (1 + exp(-dot(x, w) - b))              // probability that the target is 1
        let prediction = try p1 .> 0.5                          // the prediction, thresholded
        let xent = try -y * log(p1) - (1 - y) * log(1 - p1)     // cross-entropy
        let cost = try xent.mean() + 0.01 * (w ** 2).sum()      // the cost to minimise
        let (gw, gb) = try { let g = try grad(cost, wrt: [w, b]); return (g[0], g[1]) }()
        let train = try function([x, y], [prediction, xent, cost], updates: [w: try w - 0.1 * gw, b: try b - 0.1 * gb], mode: mode)
        let predict = try function([x], [prediction], mode: mode)
        return (train, predict, w, b)
    }

    func testTheTextbookFormNeedsTheStabilizePass() throws {
        // The tutorial's size: exp(-dot(x, w)) reaches e^90 for these weights and 1 - p_1 rounds
        // to 0 for the confident examples, so without the stabilize pass the first cost is NaN.
        let d = try Self.data()
        let plain = try Self.model(initialWeights: d.w, mode: Mode.current.excluding("stabilize"))
        XCTAssertTrue(try plain.train(d.x, d.y)[2].doubles[0].isNaN)
        let stable = try Self.model(initialWeights: d.w)
        let text = stable.train.debugDescription()
        XCTAssertTrue(text.contains("softplus") && text.contains("sigmoid"), text)
        // No exponential is left to overflow (`exp` as an op or inside a fused program).
        XCTAssertNil(text.range(of: #"(^|[{, ])exp([,} ]|$)"#, options: .regularExpression), text)
        let r = try stable.train(d.x, d.y)
        XCTAssertEqual(r[2].doubles[0], 20.3495614, accuracy: 1e-6)
        XCTAssertTrue(r[1].doubles.allSatisfy(\.isFinite))
        XCTAssertTrue(stable.w.value.doubles.allSatisfy(\.isFinite))
    }

    func testTrainsWithoutNaNToFitTheTrainingSet() throws {
        // A quarter of the tutorial's examples and features (still more features than
        // examples, so the random labels can be fitted) and 300 of its 10,000 steps, in
        // fastRun: the test above runs the same graph in the backend's checking mode.
        let d = try Self.data(examples: 100, features: 196)
        let m = try Self.model(initialWeights: d.w, mode: .fastRun)
        var costs: [Double] = []
        for _ in 0..<300 {
            let r = try m.train(d.x, d.y)
            let cost = r[2].doubles[0]
            XCTAssertTrue(cost.isFinite, "cost \(cost) after \(costs.count) steps")
            XCTAssertTrue(r[1].doubles.allSatisfy(\.isFinite), "a cross-entropy is not finite")
            costs.append(cost)
        }
        XCTAssertTrue(zip(costs, costs.dropFirst()).allSatisfy { $1 < $0 }, "the cost does not fall at every step")
        XCTAssertLessThan(costs.last ?? .infinity, costs[0] / 5, "the cost does not fall: \(costs[0]) -> \(costs.last ?? .nan)")
        XCTAssertTrue(m.w.value.doubles.allSatisfy(\.isFinite))
        let predictions = try m.predict(d.x)[0].doubles
        let correct = zip(predictions, d.y.doubles).filter { $0 == $1 }.count
        XCTAssertEqual(correct, 100, "training accuracy \(correct)/100")
    }
}
