import ArgumentParser
import Foundation
import Theano

/// `theano graph`: draws a built-in example graph, or a saved DOT file, with Graphviz; with
/// `--rules`, lists the optimiser's passes and rules (``RewriteCatalog``).
struct GraphCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "graph",
        abstract: "Draw an expression graph (a built-in example or a saved .dot file) as SVG, PNG or DOT.",
        discussion: """
            Writes Graphviz DOT; with an .svg or .png output it runs Graphviz's `dot` to render \
            it (install the Debian package graphviz). Without Graphviz the DOT text is written \
            next to the requested file instead. With --rules it prints every rewrite pass and \
            rule name that Mode.excluding and Mode.including accept, in pipeline order, with \
            what each does (--markdown: the text of docs/REWRITES.md).
            """)

    enum Example: String, ExpressibleByArgument, CaseIterable {
        case elemwise, mlp, gradient
    }

    @Option(help: "Built-in example: elemwise (exp(-x*x)*sin(y)+tanh(x*y)), mlp (a one-hidden-layer loss) or gradient (the MLP loss's gradient, optimised).")
    var example: Example = .elemwise

    @Option(help: "A saved graph in DOT format to render instead of an example.")
    var input: String?

    @Option(name: .shortAndLong, help: "Output file: .svg, .png or .dot.")
    var output: String = "graph.svg"

    @Flag(help: "List every rewrite pass and rule name (what Mode.excluding and Mode.including accept) by pass, and exit.")
    var rules = false

    @Flag(help: "With --rules: print the list as Markdown (the text of docs/REWRITES.md).")
    var markdown = false

    func run() throws {
        if rules {
            let catalog = RewriteCatalog.fastRun
            print(markdown ? catalog.markdown : catalog.description, terminator: markdown ? "" : "\n")
            return
        }
        if markdown { throw ValidationError("--markdown goes with --rules") }
        let dotText: String
        if let input {
            do { dotText = try String(contentsOfFile: input, encoding: .utf8) } catch {
                throw ValidationError("cannot read \(input): \(error.localizedDescription)")
            }
        } else {
            dotText = try exampleDOT(example)
        }
        let url = URL(fileURLWithPath: output)
        let format = url.pathExtension.lowercased()
        guard ["svg", "png", "dot", "gv"].contains(format) else {
            throw ValidationError("--output must end in .svg, .png or .dot, got '\(output)'")
        }
        if format == "dot" || format == "gv" {
            try dotText.write(to: url, atomically: true, encoding: .utf8)
            print("wrote \(output)")
            return
        }
        if try render(dotText, format: format, to: url) {
            print("wrote \(output)")
        } else {
            let fallback = url.deletingPathExtension().appendingPathExtension("dot")
            try dotText.write(to: fallback, atomically: true, encoding: .utf8)
            print("Graphviz (`dot`) is not installed; wrote \(fallback.path) instead (apt-get install graphviz to render it)")
        }
    }

    private func exampleDOT(_ example: Example) throws -> String {
        switch example {
        case .elemwise:
            let x = Tensor.vector("x"), y = Tensor.vector("y")
            let z = try (exp(-x * x) * sin(y) + tanh(x * y)).named("z")
            return toDOT([z.variable], name: "elemwise")
        case .mlp, .gradient:
            let x = Tensor.matrix("x", .float32, shape: [nil, 64])
            let labels = Tensor.vector("labels", .int64)
            let w1 = Shared(try NDArray.zeros([64, 32]), name: "W1"), b1 = Shared(try NDArray.zeros([32]), name: "b1")
            let w2 = Shared(try NDArray.zeros([32, 10]), name: "W2"), b2 = Shared(try NDArray.zeros([10]), name: "b2")
            let p = try logSoftmax(relu(x.matmul(w1) + b1).matmul(w2) + b2, axis: 1)
            let loss = try (-p[arange(labels.shape(0)), labels].mean()).named("loss")
            if example == .mlp { return toDOT([loss.variable], name: "mlp") }
            let grads = try grad(loss, wrt: [w1, b1, w2, b2])
            return try function([x, labels], grads).dot(name: "mlp_gradient")
        }
    }

    /// Runs `dot -T<format>`; false when Graphviz is not installed.
    private func render(_ dotText: String, format: String, to url: URL) throws -> Bool {
        let candidates = ["/usr/bin/dot", "/usr/local/bin/dot", "/opt/homebrew/bin/dot"]
        guard let dot = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else { return false }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: dot)
        process.arguments = ["-T\(format)", "-o", url.path]
        let pipe = Pipe()
        process.standardInput = pipe
        try process.run()
        pipe.fileHandleForWriting.write(Data(dotText.utf8))
        try pipe.fileHandleForWriting.close()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw ValidationError("Graphviz failed (exit status \(process.terminationStatus)) rendering \(url.path)")
        }
        return true
    }
}
