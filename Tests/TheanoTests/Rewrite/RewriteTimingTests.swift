import Foundation
import Theano
import XCTest

/// Measures (never asserts) the rewrite time of the WORKLOADS `compile` graph: the chain
/// `e = (i % 3 != 0) ? tanh(e) + 0.001 * i : exp(-e) * x` over a float32 matrix `x`, output
/// `sum(e)`, at 1,000 and 10,000 stages. Runs only when `THEANO_REWRITE_TIMING=1`; use a
/// release build:
///
/// ```
/// THEANO_REWRITE_TIMING=1 swift test -c release --filter RewriteTimingTests
/// ```
final class RewriteTimingTests: XCTestCase {
    static func compileWorkload(stages: Int) throws -> (Tensor, Tensor) {
        let x = Tensor.matrix("x", .float32)
        var e = x
        for i in 0..<stages {
            if i % 3 != 0 {
                e = try tanh(e) + Tensor(floatLiteral: 0.001 * Double(i))
            } else {
                e = try exp(-e) * x
            }
        }
        return (x, try sum(e))
    }

    func testRewriteTimeOfTheCompileWorkload() throws {
        guard ProcessInfo.processInfo.environment["THEANO_REWRITE_TIMING"] == "1" else {
            throw XCTSkip("set THEANO_REWRITE_TIMING=1 to measure")
        }
        for stages in [1_000, 10_000] {
            let (x, out) = try Self.compileWorkload(stages: stages)
            var best: [String: Double] = [:]
            var bestTotal = Double.infinity
            var nodes = 0
            for _ in 0..<3 {
                let graph = try FunctionGraph(inputs: [x.variable], outputs: [out.variable])
                nodes = graph.nodes.count
                var total = 0.0
                var times: [String: Double] = [:]
                for pass in StandardPipelines.fastRun.passes {
                    let start = DispatchTime.now().uptimeNanoseconds
                    try pass.run(graph, RewriteContext())
                    let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
                    times[pass.name, default: 0] += seconds
                    total += seconds
                }
                for (name, seconds) in times { best[name] = min(best[name] ?? .infinity, seconds) }
                bestTotal = min(bestTotal, total)
            }
            let start = DispatchTime.now().uptimeNanoseconds
            _ = try function([x], [out])
            let compile = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            let passes = StandardPipelines.fastRun.passes.map(\.name)
            let detail = Set(passes).sorted().map { "\($0) \(String(format: "%.4f", best[$0] ?? 0))" }.joined(separator: ", ")
            print("compile workload, \(stages) stages (\(nodes) nodes): rewrites \(String(format: "%.4f", bestTotal)) s [\(detail)]; whole function() \(String(format: "%.4f", compile)) s")
        }
    }
}
