import Foundation
import Theano
import XCTest

/// The list of rewrite names (`RewriteCatalog`, `theano graph --rules`, docs/REWRITES.md):
/// complete, documented, in sync with the docs, and every name really accepted by
/// `Mode.excluding`.
final class RewriteCatalogTests: XCTestCase {
    func testEveryNameIsDocumentedAndEverySummaryIsUsed() {
        let catalog = RewriteCatalog.fastRun
        XCTAssertEqual(catalog.undocumented, [], "add a one-line summary to RewriteCatalog.summaries for these")
        XCTAssertEqual(catalog.unusedSummaries, [], "these summaries name no pass or rule of the pipeline")
        XCTAssertEqual(catalog.passes.map(\.name), Mode.fastRun.pipeline.passes.map(\.name))
        for (pass, entry) in zip(Mode.fastRun.pipeline.passes, catalog.passes) {
            XCTAssertEqual(Array(entry.rules.map(\.name).prefix(pass.rewrites.count)), pass.rewrites.map(\.name))
        }
        let names = Set(catalog.names)
        for name in ["merge", "constant_folding", "canonicalize", "mul_by_one", "useless_specify_shape", "log_softmax",
                     "pow_to_square", "blas", "gemv_from_sum", "fusion", "fusion_reduce", "inplace"] {
            XCTAssertTrue(names.contains(name), name)
        }
        // fastCompile's steps are among them.
        XCTAssertTrue(Mode.fastCompile.pipeline.passes.allSatisfy { names.contains($0.name) })
    }

    func testDocsAreGeneratedFromTheCode() throws {
        let docs = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("docs/REWRITES.md")
        let text = try String(contentsOf: docs, encoding: .utf8)
        XCTAssertEqual(text, RewriteCatalog.fastRun.markdown,
                       "docs/REWRITES.md is stale: regenerate it with `swift run theano graph --rules --markdown > docs/REWRITES.md`")
        XCTAssertTrue(RewriteCatalog.fastRun.description.contains("1. inline (equilibrium)"))
    }

    /// The rules that fire on `graphs` under the fast-run pipeline without `excluded`.
    private func fired(_ graphs: [([Tensor], [Tensor])], excluding excluded: Set<String> = []) throws -> Set<String> {
        var names = Set<String>()
        for (inputs, outputs) in graphs {
            let graph = try FunctionGraph(inputs: inputs.map(\.variable), outputs: outputs.map(\.variable))
            let trace = RewriteTrace()
            try Mode.fastRun.pipeline.run(graph, RewriteContext(excluded: excluded, trace: trace, strictRules: true))
            names.formUnion(trace.entries.map(\.rewrite))
        }
        return names
    }

    /// Graphs on which many rules of every pass fire.
    private func sampleGraphs() throws -> [([Tensor], [Tensor])] {
        let x = Tensor.vector("x", .float64), y = Tensor.vector("y", .float64)
        let a = Tensor.matrix("A", .float64), b = Tensor.matrix("B", .float64), z = Tensor.matrix("Z", .float64)
        let m = Tensor.matrix("m", .float64, shape: [nil, 3])
        return [
            ([x, y], [try (x * 1 + 0) * (y - 0), try log(1 + x), try exp(y) - 1, try log(softmax(x)), try x ** 2, try x ** 3,
                      try (x + 1) + 2, try (x * 2) * 3, try exp(x).sum(), try -(-y), try x * x, try log(sigmoid(y)),
                      try specifyShape(x, [nil]), try x.shape(0) * 2, try x.cast(.float64)]),
            ([a, b, z], [try z + 2 * a.matmul(b)]),
            ([a, b], [try a.matmul(b.transpose()) * 3, try (a + b).transpose().transpose()]),
            ([a], [try specifyShape(specifyShape(a, [nil, 2]), [3, nil]) * 2]),
            ([a, x, y], [try y + 0.5 * a.matmul(x), try a + 2 * outer(x, y)]),
            ([m], [try log(exp(m).sum(axis: 1)), try (exp(m) * 2 + 1)[0], try m.reshape([-1]).reshape([3, -1])]),
        ]
    }

    func testEveryFiredRuleIsExcludedByName() throws {
        let graphs = try sampleGraphs()
        let all = try fired(graphs)
        // The samples exercise rules of every kind of pass.
        for name in ["mul_by_one", "log1p_from_log", "pow_to_square", "gemm_from_sum", "ger_from_sum", "fusion",
                     "fusion_reduce", "merge", "constant_folding", "specify_shape_chain"] {
            XCTAssertTrue(all.contains(name), "\(name) did not fire: \(all.sorted())")
        }
        let catalogNames = Set(RewriteCatalog.fastRun.names)
        for name in all.sorted() {
            XCTAssertTrue(catalogNames.contains(name), "\(name) fired but is not listed")
            XCTAssertFalse(try fired(graphs, excluding: [name]).contains(name), "excluding \(name) did not stop it")
        }
    }

    func testExcludingAPassStopsItsOwnRules() throws {
        let graphs = try sampleGraphs()
        let catalog = RewriteCatalog.fastRun
        var owners: [String: Set<String>] = [:]
        for pass in catalog.passes {
            for rule in pass.rules { owners[rule.name, default: []].insert(pass.name) }
        }
        for pass in catalog.passes where !pass.repeated {
            let own = Set(pass.rules.map(\.name).filter { owners[$0] == [pass.name] })
            let still = try fired(graphs, excluding: [pass.name]).intersection(own.union([pass.name]))
            XCTAssertEqual(still, [], "excluding the pass \(pass.name) left these running")
        }
        // The BLAS pass's two steps, excluded together.
        let blas = try fired(graphs, excluding: ["blas_walk", "blas_equilibrium"])
        XCTAssertFalse(blas.contains { $0.hasPrefix("gemm") || $0.hasPrefix("gemv") || $0.hasPrefix("ger") }, "\(blas)")
    }
}
