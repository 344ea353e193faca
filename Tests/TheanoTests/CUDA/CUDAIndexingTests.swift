import Theano
import TheanoCUDA
import XCTest

/// NumPy indexing of every kind on the CUDA backend (emulated device): a row lookup runs the
/// row gather, any other advanced index the selection gather (offsets worked out on the host
/// from the array's header and the indices), on device arrays read in place, with the
/// reference's values and errors.
final class CUDAIndexingTests: XCTestCase {
    func testEveryAdvancedIndexGathersOnTheDevice() throws {
        let x = Tensor.variable("x", .float32, shape: [nil, nil, nil])
        let i = Tensor.vector("i", .int64), mask = Tensor.variable("m", .bool, shape: [nil, nil])
        let y = try exp(x) * 1  // in device memory when the index reads it
        let outputs = [
            try y[i, .all, 0], try y[.all, i, i], try y[i, i], try y[mask], try y.T[i][.slice(nil, nil, -1)],
            try y[1..., .newAxis, i], try y[-1, mask[0]],
        ]
        let options = CompileOptions(backend: .cudaEmulator, strict: true)
        let f = try function([x, i, mask], outputs, options: options)
        let g = try function([x, i, mask], outputs, options: CompileOptions(backend: .reference))
        var data = TestData(seed: 8)
        let xv = data.array([3, 4, 3], .float32)
        let iv = NDArray([2, 0, -1, 2] as [Int64])
        let mv = try NDArray([true, false, true, true, false, false, true, false, true, false, true, true], shape: [3, 4])
        for (k, (got, want)) in zip(try f(xv, iv, mv), try g(xv, iv, mv)).enumerated() {
            XCTAssertEqual(got.shape, want.shape, "output \(k)")
            assertClose(got, want, rtol: 1e-6, atol: 0, "output \(k)")
        }
        let gathers = f.kernelReport.entries.filter { $0.op == "AdvancedSubtensor" }
        XCTAssertEqual(gathers.count, outputs.count, "\(f.kernelReport)")
        XCTAssertTrue(gathers.allSatisfy { $0.implementation == "CUDA gather" }, "\(f.kernelReport)")
        // An index out of range is the reference's error.
        XCTAssertThrowsError(try f(xv, NDArray([3] as [Int64]), mv)) { error in
            XCTAssertTrue("\(error)".contains("out of bounds") || "\(error)".contains("out of range"), "\(error)")
        }
    }
}
