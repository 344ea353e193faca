import ArgumentParser
import Foundation
import Theano
import TheanoNN

/// `theano demo`: trains multinomial logistic regression and a one-hidden-layer MLP on the
/// bundled digits data with minibatch SGD, and reports test accuracy.
struct Demo: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train logistic regression, an MLP, a convnet and an RNN on the bundled handwritten digits.",
        discussion: """
            Loads the bundled UCI digits (8x8 images; row i is a test example when i % 5 == 4), \
            builds each model symbolically, differentiates its loss with grad, compiles one SGD \
            step with function(..., updates:), trains, and prints one line per model ending in \
            '<model> test accuracy: <fraction>'.
            """)

    enum Model: String, ExpressibleByArgument, CaseIterable {
        case logistic, mlp, convnet, rnn, all
    }

    @Option(help: "Which model to train: logistic, mlp, convnet, rnn or all (logistic and mlp).")
    var model: Model = .all

    @Option(help: "Training epochs (default: 100 for logistic, 200 for mlp, 30 for convnet, 30 for rnn).")
    var epochs: Int?

    @Option(name: .customLong("learning-rate"), help: "Initial SGD learning rate, decayed to 0 on a cosine schedule (default: 0.5 for logistic, 0.1 for mlp, 0.05 for convnet; Adam's step size for rnn, default 0.01).")
    var learningRate: Double?

    @Option(name: .customLong("weight-decay"), help: "L2 penalty on the weight matrices.")
    var weightDecay: Double = 1e-3

    @Option(help: "Momentum of the MLP's SGD updates.")
    var momentum: Double = 0.9

    @Option(name: .customLong("batch-size"), help: "Minibatch size.")
    var batchSize: Int = 32

    @Option(help: "Hidden units of the MLP and the RNN.")
    var hidden: Int = 128

    @Option(help: "Random seed (initial weights and batch order).")
    var seed: UInt64 = 0

    @Option(help: "A digits .csv or .csv.gz file to use instead of the bundled one.")
    var data: String?

    @Option(help: "Write the training loss and test accuracy per epoch as an SVG image to this file.")
    var plot: String?

    @Option(help: "Save the trained parameters to this .npz file (with several models, each gets its name appended).")
    var save: String?

    @Option(help: "Load the parameters from this .npz file (written by --save) before training (it then continues from them; --epochs 0 only evaluates).")
    var load: String?

    func validate() throws {
        if let epochs, epochs < (load == nil ? 1 : 0) {
            throw ValidationError("--epochs must be at least 1 (or 0 with --load, to evaluate saved parameters)")
        }
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
        let backend = CompileOptions.current.backend.name
        if backend != "cpu" { print("backend: \(backend) (THEANO_BACKEND or THEANO_DEVICE)") }
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
        if model == .convnet {
            let side = Int(Double(train.features).squareRoot())
            guard side * side == train.features else {
                throw ValidationError("--model convnet needs square images; the data has \(train.features) features")
            }
            let classifier = try Models.convnet(side: side, classes: 10, learningRate: learningRate ?? 0.05,
                                                weightDecay: weightDecay, momentum: momentum, seed: seed)
            print(try classifier.model.summary(inputShape: [train.features]))
            results.append((classifier.name, try fit(classifier, train, test, epochs: epochs ?? 30)))
        }
        if model == .rnn {
            // Each digit as a sequence of its rows.
            let side = Int(Double(train.features).squareRoot())
            guard side * side == train.features else {
                throw ValidationError("--model rnn needs square images; the data has \(train.features) features")
            }
            let classifier = try Models.rnn(steps: side, inputs: side, hidden: hidden, classes: 10,
                                            learningRate: learningRate ?? 0.01, weightDecay: weightDecay, seed: seed)
            print(try classifier.model.summary(inputShape: [train.features]))
            results.append((classifier.name, try fit(classifier, train, test, epochs: epochs ?? 30)))
        }
        print(String(format: "total time %.2fs", Date().timeIntervalSince(start)))
        for (name, accuracy) in results {
            print("\(name) test accuracy: \(String(format: "%.4f", accuracy))")
        }
    }

    private func fit(_ classifier: Classifier, _ train: Dataset, _ test: Dataset, epochs: Int) throws -> Double {
        if let load {
            try classifier.model.load(from: URL(fileURLWithPath: fileName(load, classifier)))
        }
        var rng: RandomGenerator? = RandomGenerator(seed: seed &+ 1)
        let bar = ProgressBar(label: classifier.name, total: epochs)
        let initialRate = classifier.learningRate
        var curve = TrainingCurve(model: classifier.name)
        for epoch in stride(from: 1, through: epochs, by: 1) {
            // Cosine decay of the step size to zero over the run.
            classifier.learningRate = initialRate * 0.5 * (1 + cos(Double.pi * Double(epoch - 1) / Double(epochs)))
            let epochStart = Date()
            let loss = try classifier.trainEpoch(train, batchSize: batchSize, rng: &rng)
            bar.update(epoch, loss: loss, seconds: Date().timeIntervalSince(epochStart))
            if plot != nil { curve.append(loss: loss, accuracy: try classifier.accuracy(test)) }
        }
        if epochs > 0 { bar.finish() }
        if let plot {
            try curve.svg().write(toFile: fileName(plot, classifier), atomically: true, encoding: .utf8)
        }
        if let save {
            try classifier.model.save(to: URL(fileURLWithPath: fileName(save, classifier)))
        }
        return try classifier.accuracy(test)
    }

    /// `path` itself when one model trains, else with the model's name before the extension.
    private func fileName(_ path: String, _ classifier: Classifier) -> String {
        guard model == .all else { return path }
        let url = URL(fileURLWithPath: path)
        let ext = url.pathExtension
        let base = url.deletingPathExtension().path
        return ext.isEmpty ? "\(base)-\(classifier.name)" : "\(base)-\(classifier.name).\(ext)"
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
