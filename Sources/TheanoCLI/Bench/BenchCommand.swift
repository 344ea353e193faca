import ArgumentParser
import Foundation
import Theano

/// `theano bench`: times the workloads of `../shared/bench/WORKLOADS.md`.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Time the benchmark workloads (build with -c release).",
        discussion: """
            Workloads: \(Workloads.names.joined(separator: ", ")). Each key is the median wall time in \
            seconds of at least 10 timed runs after 2 warm-up runs (30 for mlp, 2000 calls for \
            overhead). Compile workloads are timed with the C kernel cache warm.
            """)

    @Flag(help: "Print one JSON object with exactly the workload keys.")
    var json = false

    @Flag(help: "Also report compile time split into rewriting, code generation and C compilation, and the 10,000-stage chain.")
    var breakdown = false

    @Flag(help: "Profile the mlp, lenet, rnn and batchnorm steps: time per op type and per node.")
    var profile = false

    @Argument(help: "Workloads to run (default: all).")
    var workloads: [String] = []

    func validate() throws {
        for w in workloads where !Workloads.names.contains(w) {
            throw ValidationError("unknown workload '\(w)'; known: \(Workloads.names.joined(separator: ", "))")
        }
    }

    func run() throws {
        var values: [(String, Double)] = []
        var notes: [String] = []
        // Steady-state workloads wait for their generated kernels; `cold` sets its own options.
        var waiting = CompileOptions.current
        waiting.kernelCompilation = .wait
        try CompileOptions.$current.withValue(waiting) {
            for name in workloads.isEmpty ? Workloads.names : workloads {
                let r = try Workloads.run(name, breakdown: breakdown, profile: profile)
                values += r.values
                notes += r.notes
            }
        }
        if json {
            let body = values.map { "  \"\($0.0)\": \(String(format: "%.6g", $0.1))" }.joined(separator: ",\n")
            print("{\n\(body)\n}")
            for n in notes { FileHandle.standardError.write(Data((n + "\n").utf8)) }
        } else {
            let width = values.map(\.0.count).max() ?? 10
            for (k, v) in values {
                print(k.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + Workloads.format(v))
            }
            for n in notes { print(n) }
        }
    }
}
