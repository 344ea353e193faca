import Foundation
import Theano
import TheanoCUDA
import XCTest

/// The CUDA backend's matrix products (`Gemm` and `MatMul` as one cuBLAS call each) on the
/// emulated device, whose cuBLAS stand-in is plain loops with cuBLAS's column-major meaning:
/// the row-major to column-major mapping, transposed operands passed as flags, batches with
/// broadcasting, vectors, empty products and the cases cuBLAS treats differently from the
/// graph. Also `strict` on the CUDA backend.
final class CUDAMatrixKernelTests: XCTestCase {
    private let cuda = CompileOptions(backend: Backend(CUDABackend(device: EmulatedCUDADevice())))
    private let reference = CompileOptions(backend: .reference)

    /// The call a row-major caller makes, run by the emulator's loops, against numbers worked
    /// out by hand: [[1, 2, 3], [4, 5, 6]] @ [[7, 8], [9, 10], [11, 12]] = [[58, 64], [139, 154]].
    func testRowMajorCallGivesTheRowMajorProduct() throws {
        let device = EmulatedCUDADevice()
        let x: [Float] = [1, 2, 3, 4, 5, 6], y: [Float] = [7, 8, 9, 10, 11, 12]
        let xt: [Float] = [1, 4, 2, 5, 3, 6]  // X stored transposed: [3, 2]
        func deviceCopy(_ values: [Float]) throws -> DeviceAddress {
            let address = try device.allocate(bytes: values.count * 4)
            try values.withUnsafeBytes { try device.copy(from: $0.baseAddress!, to: address, bytes: $0.count) }
            return address
        }
        for (stored, transposed, ld) in [(x, false, 3), (xt, true, 2)] {
            let dx = try deviceCopy(stored), dy = try deviceCopy(y), dc = try deviceCopy([100, 100, 100, 100])
            try device.gemm(.rowMajor(dtype: .float32, m: 2, n: 2, k: 3, alpha: 2, beta: 0.5,
                                      x: dx, ldx: ld, strideX: 0, transposeX: transposed,
                                      y: dy, ldy: 2, strideY: 0, transposeY: false, c: dc, strideC: 0, batch: 1))
            var out = [Float](repeating: 0, count: 4)
            try out.withUnsafeMutableBytes { try device.copy(from: dc, to: $0.baseAddress!, bytes: 16) }
            XCTAssertEqual(out, [166, 178, 328, 358], "transposed X: \(transposed)")
            for a in [dx, dy, dc] { device.free(a) }
        }
    }

    func testCallsCuBLASWouldRejectThrow() {
        let call = GEMMCall.rowMajor(dtype: .float32, m: 2, n: 3, k: 4, alpha: 1, beta: 0, x: DeviceAddress(64), ldx: 1, strideX: 0,
                                     transposeX: false, y: DeviceAddress(64), ldy: 3, strideY: 0, transposeY: false,
                                     c: DeviceAddress(64), strideC: 0, batch: 1)
        assertThrows(.invalidArgument, containing: ["ldb", "at least 4"]) { try call.validate() }
        var int = call
        int.dtype = .int32
        assertThrows(.typeMismatch, containing: ["float32 or float64", "int32"]) { try int.validate() }
        var huge = call
        huge.m = Int(Int32.max) + 1
        assertThrows(.invalidArgument, containing: ["m = 2147483648"]) { try huge.validate() }
    }

    /// Products of matrices in every layout, batches that broadcast, vectors and empty
    /// products, against the reference backend.
    func testMatMulMatchesTheReference() throws {
        var data = TestData(seed: 7)
        let cases: [([Int], [Int])] = [
            ([3, 4], [4, 5]), ([1, 1], [1, 1]), ([1, 7], [7, 1]), ([4], [4, 3]), ([3, 4], [4]), ([5], [5]),
            ([2, 3, 4], [4, 5]), ([3, 4], [2, 4, 6]), ([2, 3, 4], [2, 4, 5]), ([2, 1, 3, 4], [5, 4, 2]),
            ([0, 4], [4, 3]), ([3, 0], [0, 2]), ([2, 0, 3], [3, 4]),
        ]
        for dtype in [DType.float32, .float64] {
            for (sa, sb) in cases {
                let a = Tensor.variable("a", dtype, shape: sa.map { $0 == 1 ? 1 : nil })
                let b = Tensor.variable("b", dtype, shape: sb.map { $0 == 1 ? 1 : nil })
                let out = try matmul(a, b)
                let f = try function([a, b], [out], options: cuda), g = try function([a, b], [out], options: reference)
                if sa.count >= 1, !sa.contains(0), !sb.contains(0) {
                    XCTAssertEqual(f.kernelReport.count("cuBLAS"), 1, "\(sa) @ \(sb): \(f.kernelReport)")
                }
                let av = data.array(sa, dtype), bv = data.array(sb, dtype)
                assertClose(try f(av, bv)[0], try g(av, bv)[0], rtol: 1e-5, atol: 1e-5, "\(dtype) \(sa) @ \(sb)")
            }
        }
    }

    /// Transposed and sliced operands: a transpose goes to cuBLAS as a flag, other views are
    /// copied first; the values are the same either way.
    func testNonContiguousOperands() throws {
        var data = TestData(seed: 8)
        let a = Tensor.matrix("a", .float64), b = Tensor.matrix("b", .float64)
        let outputs = [try matmul(a, b), try matmul(a.T, b.T)]
        let f = try function([a, b], outputs, options: cuda), g = try function([a, b], outputs, options: reference)
        let av = try data.array([5, 10], .float64).slice([.all, .slice(start: 0, stop: 10, step: 2)])  // [5, 5], strided rows
        let bt = try data.array([5, 5], .float64).transposed()
        for (got, want) in zip(try f(av, bt), try g(av, bt)) { assertClose(got, want, rtol: 1e-10, atol: 1e-12) }
        // A stack whose matrices are transposed in place ([2, 3, 4] with its last axes swapped).
        let s = Tensor.variable("s", .float64, shape: [nil, nil, nil])
        let h = try function([s, b], [try matmul(s, b)], options: cuda), k = try function([s, b], [try matmul(s, b)], options: reference)
        let sv = try data.array([2, 4, 3], .float64).transposed([0, 2, 1]), bv = data.array([4, 2], .float64)
        assertClose(try h(sv, bv)[0], try k(sv, bv)[0], rtol: 1e-10, atol: 1e-12)
    }

    /// `Gemm` with a broadcast accumulator, symbolic factors and both transposes; with
    /// `alpha = 0` (X not read) and `beta = 0` (Z multiplied, so its NaN propagates) the node
    /// runs its reference, as cuBLAS would read neither.
    func testGemmMatchesTheReference() throws {
        var data = TestData(seed: 9)
        let x = Tensor.matrix("x", .float32), y = Tensor.matrix("y", .float32), z = Tensor.variable("z", .float32, shape: [1, nil])
        let alpha = Tensor.scalar("alpha", .float32), beta = Tensor.scalar("beta", .float32)
        for (tx, ty) in [(false, false), (true, false), (false, true), (true, true)] {
            let out = try gemm(x, y, alpha: alpha, adding: z, beta: beta, transposeX: tx, transposeY: ty)
            let f = try function([x, y, z, alpha, beta], [out], options: cuda)
            let g = try function([x, y, z, alpha, beta], [out], options: reference)
            XCTAssertEqual(f.kernelReport.count("cuBLAS"), 1, "\(f.kernelReport)")
            let xv = data.array(tx ? [4, 3] : [3, 4], .float32), yv = data.array(ty ? [5, 4] : [4, 5], .float32)
            let zv = data.array([1, 5], .float32)
            for (a, b) in [(1.5, -0.5), (0, 2), (1, 0)] {
                let args = [xv, yv, zv, NDArray(scalar: Float(a)), NDArray(scalar: Float(b))]
                assertClose(try f.call(args)[0], try g.call(args)[0], rtol: 1e-5, atol: 1e-5, "T: \(tx) \(ty), alpha \(a), beta \(b)")
            }
            // NaN in Z with beta = 0 stays NaN, as in the graph's `0 * z`.
            let nanZ = try NDArray([Float.nan, 1, 2, 3, 4]).reshaped([1, 5])
            let got = try f.call([xv, yv, nanZ, NDArray(scalar: Float(1)), NDArray(scalar: Float(0))])[0]
            XCTAssertTrue(try got.slice([.index(0), .index(0)]).item(Double.self).isNaN)
        }
    }

    func testRunTimeShapeErrorsReadAsTheReferences() throws {
        let a = Tensor.matrix("a", .float64), b = Tensor.matrix("b", .float64)
        let out = try matmul(a, b)
        let f = try function([a, b], [out], options: cuda), g = try function([a, b], [out], options: reference)
        let args = [try NDArray.zeros([2, 3], .float64), try NDArray.zeros([4, 2], .float64)]
        var expected = ""
        do { _ = try g.call(args) } catch { expected = "\(error)" }
        XCTAssertTrue(expected.contains("matmul"), expected)
        XCTAssertThrowsError(try f.call(args)) { XCTAssertEqual("\($0)", expected) }
    }

    /// The gradient of a small network, each product on cuBLAS, equals the reference's.
    func testGradientsThroughProducts() throws {
        var data = TestData(seed: 10)
        let x = Tensor.matrix("x", .float64), w = Tensor.matrix("w", .float64), v = Tensor.vector("v", .float64)
        let loss = try sum(tanh(matmul(x, w)).matmul(v) ** 2)
        let grads = try grad(loss, wrt: [w, v])
        let f = try function([x, w, v], grads, options: cuda), g = try function([x, w, v], grads, options: reference)
        XCTAssertGreaterThanOrEqual(f.kernelReport.count("cuBLAS"), 2, "\(f.kernelReport)")
        let args = [data.array([6, 4], .float64), data.array([4, 3], .float64), data.array([3], .float64)]
        for (got, want) in zip(try f.call(args), try g.call(args)) { assertClose(got, want, rtol: 1e-10, atol: 1e-12) }
    }

    /// With `strict`, a node that would compute on the host is a compile-time error naming the
    /// op; views, shapes and nodes with CUDA kernels are fine.
    func testStrictRejectsHostNodes() throws {
        let strict = CompileOptions(backend: Backend(CUDABackend(device: EmulatedCUDADevice())), strict: true)
        let x = Tensor.matrix("x", .float32), w = Tensor.matrix("w", .float32)
        let f = try function([x, w], [try (matmul(x.T, w) + 1).sum(axis: 0), try x.reshape([-1])], options: strict)
        XCTAssertEqual(f.kernelReport.count("reference (fallback)"), 0, "\(f.kernelReport)")
        assertThrows(.unsupported, containing: ["cuda-emulator", "no CUDA kernel", "strict"]) {
            try function([x], [try cumsum(x, axis: 0)], options: strict)
        }
        // Without strict the same node runs on the host, and the report says so.
        let g = try function([x], [try cumsum(x, axis: 0)], options: cuda)
        XCTAssertEqual(g.kernelReport.count("reference (fallback)"), 1, "\(g.kernelReport)")
    }
}
