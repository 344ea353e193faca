import ArgumentParser
import Foundation
import Theano
import TheanoNN

/// `theano demo`: trains multinomial logistic regression and a one-hidden-layer MLP on the
/// bundled digits data with minibatch SGD, and reports test accuracy.
struct Demo: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train logistic regression and an MLP on the bundled handwritten digits.",
        discussion: """
            Loads the bundled UCI digits (8x8 images; row i is a test example when i % 5 == 4), \
            builds each model symbolically, differentiates its loss with grad, compiles one SGD \
            step with function(..., updates:), trains, and prints one line per model ending in \
            '<model> test accuracy: <fraction>'.
            """)

    enum Model: String, ExpressibleByArgument, CaseIterable {
        case logistic, mlp, all
    }

    @Option(help: "Which model to train: logistic, mlp or all.")
    var model: Model = .all

    @Option(help: "Training epochs (default: 100 for logistic, 200 for mlp).")
    var epochs: Int?

    @Option(name: .customLong("learning-rate"), help: "Initial SGD learning rate, decayed to 0 on a cosine schedule (default: 0.5 for logistic, 0.1 for mlp).")
    var learningRate: Double?

    @Option(name: .customLong("weight-decay"), help: "L2 penalty on the weight matrices.")
    var weightDecay: Double = 1e-3

    @Option(help: "Momentum of the MLP's SGD updates.")
    var momentum: Double = 0.9

    @Option(name: .customLong("batch-size"), help: "Minibatch size.")
    var batchSize: Int = 32

    @Option(help: "Hidden units of the MLP.")
    var hidden: Int = 128

    @Option(help: "Random seed (initial weights and batch order).")
    var seed: UInt64 = 0

    @Option(help: "A digits .csv or .csv.gz file to use instead of the bundled one.")
    var data: String?

    func validate() throws {
        if let epochs, epochs < 1 { throw ValidationError("--epochs must be at least 1") }
        if let learningRate, !(learningRate > 0) { throw ValidationError("--learning-rate must be positive") }
        if !(weightDecay >= 0) { throw ValidationError("--weight-decay must be non-negative") }
        if batchSize < 1 { throw ValidationError("--batch-size must be at least 1") }
        if hidden < 1 { throw ValidationError("--hidden must be at least 1") }
        if !(0..<1).contains(momentum) { throw ValidationError("--momentum must be in [0, 1)") }
    }

    func run() throws {
        let start = Date()
        let (train, test) = try Digits.load(from: data.map { URL(fileURLWithPath: $0) })
        print("digits: \(train.count) training and \(test.count) test examples, \(train.features) pixels each")
        var results: [(String, Double)] = []
        if model == .logistic || model == .all {
            let classifier = try Models.logistic(features: train.features, classes: 10, learningRate: learningRate ?? 0.5,
                                                 weightDecay: weightDecay)
            results.append((classifier.name, try fit(classifier, train, test, epochs: epochs ?? 100)))
        }
        if model == .mlp || model == .all {
            let classifier = try Models.mlp(features: train.features, hidden: hidden, classes: 10,
                                            learningRate: learningRate ?? 0.1, weightDecay: weightDecay,
                                            momentum: momentum, seed: seed)
            results.append((classifier.name, try fit(classifier, train, test, epochs: epochs ?? 200)))
        }
        print(String(format: "total time %.2fs", Date().timeIntervalSince(start)))
        for (name, accuracy) in results {
            print("\(name) test accuracy: \(String(format: "%.4f", accuracy))")
        }
    }

    private func fit(_ classifier: Classifier, _ train: Dataset, _ test: Dataset, epochs: Int) throws -> Double {
        var rng: RandomGenerator? = RandomGenerator(seed: seed &+ 1)
        let bar = ProgressBar(label: classifier.name, total: epochs)
        let initialRate = classifier.learningRate
        for epoch in 1...epochs {
            // Cosine decay of the step size to zero over the run.
            classifier.learningRate = initialRate * 0.5 * (1 + cos(Double.pi * Double(epoch - 1) / Double(epochs)))
            let epochStart = Date()
            let loss = try classifier.trainEpoch(train, batchSize: batchSize, rng: &rng)
            bar.update(epoch, loss: loss, seconds: Date().timeIntervalSince(epochStart))
        }
        bar.finish()
        return try classifier.accuracy(test)
    }
}

/// A one-line progress bar redrawn in place on a terminal, one line per epoch otherwise.
struct ProgressBar {
    let label: String
    let total: Int
    let interactive = isatty(STDOUT_FILENO) != 0

    func update(_ done: Int, loss: Double, seconds: Double) {
        let width = 24
        let filled = total > 0 ? width * done / total : width
        let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
        let line = String(format: "%@ epoch %3d/%d [%@] loss %.4f  %.3fs", label, done, total, bar, loss, seconds)
        if interactive {
            print("\r" + line, terminator: "")
            fflush(nil)
        } else {
            print(line)
        }
    }

    func finish() {
        if interactive { print("") }
    }
}
