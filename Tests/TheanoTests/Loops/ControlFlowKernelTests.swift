import Theano
import XCTest

/// How the CPU backend runs control flow: inner graphs optimised once and compiled into nested
/// programs (fused C, OpenBLAS), against the reference backend.
final class ControlFlowKernelTests: XCTestCase {
    func testScanBodyIsOneNestedProgramOfFusedCAndBLAS() throws {
        // An RNN step: h = tanh(h W + x), float32.
        let x = Tensor.tensor3("x", .float32), h0 = Tensor.matrix("h0", .float32), w = Tensor.matrix("w", .float32)
        let hs = try scan({ a in [try tanh(a[1].matmul(a[2]) + a[0] * 2)] }, sequences: [x], outputsInfo: [h0], nonSequences: [w]).output
        let f = try function([x, h0, w], [hs], options: CompileOptions(backend: .cpu))
        let report = f.kernelReport
        let node = try XCTUnwrap(report.entries.first { $0.op == "Scan" }, report.description)
        XCTAssertEqual(node.implementation, "nested program")
        let body = try XCTUnwrap(node.nested.first)
        XCTAssertEqual(body.count("generated C"), 1, report.description)
        XCTAssertGreaterThanOrEqual(body.count("OpenBLAS"), 1, report.description)

        var rng = RandomGenerator(seed: 7)
        let args = [try NDArray.randomNormal([5, 3, 4], using: &rng, .float32), try NDArray.randomNormal([3, 4], using: &rng, .float32),
                    try NDArray.randomNormal([4, 4], std: 0.5, using: &rng, .float32)]
        let reference = try function([x, h0, w], [hs], options: CompileOptions(backend: .reference))
        let got = try f.call(args)[0], want = try reference.call(args)[0]
        XCTAssertEqual(got.shape, [5, 3, 4])
        assertClose(got, want, rtol: 1e-5, atol: 1e-5)
        // Called again: the same values (buffers reused across calls and steps).
        assertClose(try f.call(args)[0], want, rtol: 1e-5, atol: 1e-5)

        // Its gradient is a scan too, compiled the same way.
        let g = try grad(hs.sum(), wrt: [w, h0])
        let gf = try function([x, h0, w], g, options: CompileOptions(backend: .cpu))
        XCTAssertEqual(gf.kernelReport.entries.filter { $0.op == "Scan" }.count, 2, gf.kernelReport.description)
        let gr = try function([x, h0, w], g, options: CompileOptions(backend: .reference))
        for (a, b) in zip(try gf.call(args), try gr.call(args)) { assertClose(a, b, rtol: 1e-4, atol: 1e-4) }
    }

    func testIfElseCompilesBothBranches() throws {
        let x = Tensor.vector("x", .float32)
        let y = try ifelse(x.sum() .> 0, exp(x) * 2 + 1, sin(x) - x)
        let f = try function([x], [y], options: CompileOptions(backend: .cpu))
        let node = try XCTUnwrap(f.kernelReport.entries.first { $0.op == "IfElse" }, f.kernelReport.description)
        XCTAssertEqual(node.implementation, "nested program")
        XCTAssertEqual(node.nested.count, 2)
        XCTAssertEqual(node.nested.map { $0.count("generated C") }, [1, 1], f.kernelReport.description)
        let reference = try function([x], [y], options: CompileOptions(backend: .reference))
        for v in [NDArray([Float(1), 2]), NDArray([Float(-1), -2])] {
            assertClose(try f.call([v])[0], try reference.call([v])[0], rtol: 1e-6, atol: 1e-6)
        }
    }
}
