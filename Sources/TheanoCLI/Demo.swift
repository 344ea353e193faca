import ArgumentParser
import Theano

/// `theano demo`: builds an expression, compiles it, evaluates it and prints the graph and the
/// result.
struct Demo: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Build, compile and evaluate a small expression; print its graph and result.")

    @Option(help: "Number of elements in the demo vectors.")
    var size: Int = 5

    @Option(help: "Seed for the random inputs.")
    var seed: UInt64 = 0

    func run() throws {
        guard size >= 0 else { throw ValidationError("--size must be non-negative") }
        let x = Tensor.vector("x", .float32)
        let y = Tensor.vector("y", .float32)
        let z = try (exp(-x * x) * sin(y) + tanh(x * y)).named("z")
        print("Expression graph:")
        print(debugPrint([z.variable], types: true))
        let f = try function([x, y], [z])
        var rng = RandomGenerator(seed: seed)
        let xs = NDArray.randomNormal([size], using: &rng, .float32)
        let ys = NDArray.randomNormal([size], using: &rng, .float32)
        let result = try f(xs, ys)[0]
        print("\nx = \(xs.toArray(of: Float.self))")
        print("y = \(ys.toArray(of: Float.self))")
        print("z = exp(-x*x) * sin(y) + tanh(x*y) = \(result.toArray(of: Float.self))")
    }
}
