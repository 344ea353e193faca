import Foundation
import Theano
import XCTest

/// Every node's implementation is visible: the CPU backend's report names generated C,
/// OpenBLAS and the reference, and a failed C compile is reported with its reason.
final class KernelReportTests: XCTestCase {
    func testTheCPUBackendReportsEachNodesImplementation() throws {
        let x = Tensor.matrix("x", .float32, shape: [nil, 8]), w = Tensor.matrix("w", .float32, shape: [8, 4])
        let y = try relu(x.matmul(w) + 1).sum(axis: 1)
        let f = try function([x, w], [y, x.shape(0)], options: CompileOptions(backend: .cpu))
        let report = f.kernelReport
        XCTAssertEqual(report.backend, "cpu")
        XCTAssertGreaterThan(report.count("generated C"), 0, report.description)
        XCTAssertEqual(report.count("OpenBLAS"), 1, report.description)
        XCTAssertTrue(report.entries.contains { $0.kind == .reference }, report.description)
        XCTAssertTrue(report.missing.isEmpty, report.description)
        XCTAssertTrue(report.description.hasPrefix("backend cpu:"), report.description)
        XCTAssertTrue(report.description.contains("OpenBLAS"), report.description)
        XCTAssertEqual(f.compiledKernelCount, report.count("generated C"))
        XCTAssertNotNil(f.generatedSource("C"))
    }

    func testTheReferenceBackendRunsEveryNodesPerform() throws {
        let x = Tensor.vector("x", .float64)
        let f = try function([x], [exp(x).sum()], options: CompileOptions(backend: .reference))
        XCTAssertTrue(f.kernelReport.entries.allSatisfy { $0.kind == .reference && $0.implementation == "reference" })
        XCTAssertNil(f.cSource)
        XCTAssertEqual(f.compiledKernelCount, 0)
    }

    func testMatrixProductsRunOnBLASOnlyForFloats() throws {
        let a = Tensor.matrix("a", .int32), b = Tensor.matrix("b", .int32)
        let f = try function([a, b], [a.matmul(b)], options: CompileOptions(backend: .cpu))
        XCTAssertEqual(f.kernelReport.count("OpenBLAS"), 0, f.kernelReport.description)
        XCTAssertEqual(try f(try NDArray([[1, 2]] as [[Int32]]), try NDArray([[3], [4]] as [[Int32]]))[0].doubles, [11])
    }

    func testAFailedCCompileIsReportedWithItsReason() throws {
        // `false` accepts `--version` but fails every compile.
        guard FileManager.default.isExecutableFile(atPath: "/bin/false") else { throw XCTSkip("no /bin/false") }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("theano-report-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let x = Tensor.vector("x", .float64)
        let options = CompileOptions(backend: .cpu, compilerPath: "/bin/false", cacheDirectory: directory)
        let f = try function([x], [exp(x) + 1], options: options)
        assertValues(try f(NDArray([0.0]))[0], [2])
        let missing = f.kernelReport.missing
        XCTAssertFalse(missing.isEmpty, f.kernelReport.description)
        XCTAssertTrue(missing.allSatisfy { $0.note?.contains("did not compile") ?? false }, f.kernelReport.description)
        var strict = options
        strict.strict = true
        assertThrows(.unsupported, containing: ["cpu", "did not compile", "strict"]) { try function([x], [exp(x) + 1], options: strict) }
    }

    func testProfileNamesEachNodesImplementation() throws {
        let a = Tensor.matrix("a", .float64), b = Tensor.matrix("b", .float64)
        let f = try function([a, b], [tanh(a.matmul(b))], options: CompileOptions(backend: .cpu, profile: true))
        _ = try f(try NDArray([[1.0]]), try NDArray([[2.0]]))
        let text = try XCTUnwrap(f.profile).summary()
        XCTAssertTrue(text.contains("OpenBLAS"), text)
        XCTAssertTrue(text.contains("generated C"), text)
    }
}
