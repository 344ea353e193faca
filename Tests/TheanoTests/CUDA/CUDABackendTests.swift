import Foundation
import Theano
import TheanoCUDA
import XCTest

/// Functions compiled for the CUDA backend on the emulated device: elementwise nodes run as
/// generated CUDA kernels (launched through the device interface), the rest on the host; the
/// values and errors equal the reference backend's.
final class CUDABackendTests: XCTestCase {
    private let cuda = CompileOptions(backend: Backend(CUDABackend(device: EmulatedCUDADevice())))
    private let reference = CompileOptions(backend: .reference)

    func testFusedElementwiseGraphsMatchTheReference() throws {
        let x = Tensor.matrix("x", .float32), y = Tensor.variable("y", .float32, shape: [1, nil])
        let outputs = [try sigmoid(x * y) + 1, try exp(x) - y, try (x * y).sum(axis: 1)]
        let f = try function([x, y], outputs, options: cuda)
        XCTAssertGreaterThanOrEqual(f.kernelReport.count("CUDA kernel"), 1, "\(f.kernelReport)")
        let g = try function([x, y], outputs, options: reference)
        var data = TestData(seed: 41)
        for rows in [1, 3, 70] {
            let xv = data.array([rows, 5], .float32), yv = data.array([1, 5], .float32)
            for (got, want) in zip(try f(xv, yv), try g(xv, yv)) { assertClose(got, want, rtol: 1e-5, atol: 1e-6) }
        }
        // Strided input.
        let xt = try data.array([5, 4], .float32).transposed()
        let yv = data.array([1, 5], .float32)
        for (got, want) in zip(try f(xt, yv), try g(xt, yv)) { assertClose(got, want, rtol: 1e-5, atol: 1e-6) }
    }

    /// The elementwise kernel's three ways through its elements: aligned contiguous operands in
    /// packs (one vector load per operand and pack) with a tail of single elements, contiguous
    /// views of device arrays that start one element in (off the 16-byte boundary: single
    /// elements), and strided views; float32 (packs of 4), float64 (packs of 2) and a program
    /// with a bool output.
    func testVectorisedAndScalarPathsAgree() throws {
        var data = TestData(seed: 43)
        for dtype in [DType.float32, .float64] {
            let x = Tensor.vector("x", dtype), y = Tensor.vector("y", dtype)
            // x and y go to the device whole; the views are taken there, in place.
            let (xs, ys) = (try x[1...], try y[1...])
            let outputs = [try tanh(x) * y + 1, try x .> y, try tanh(xs) * ys + 1, try xs .> ys,
                           try x[.slice(nil, nil, 2)] * 2 - y[.slice(nil, nil, 2)]]
            let f = try function([x, y], outputs, options: cuda), g = try function([x, y], outputs, options: reference)
            XCTAssertGreaterThanOrEqual(f.kernelReport.count("CUDA kernel"), 3, "\(f.kernelReport)")
            for n in [2, 5, 8, 9, 1002] {
                let args = [data.array([n], dtype), data.array([n], dtype)]
                for (k, (got, want)) in zip(try f.call(args), try g.call(args)).enumerated() {
                    assertClose(got, want, rtol: 1e-6, atol: 1e-6, "\(dtype) n=\(n) output \(k)")
                }
            }
        }
    }

    func testRunTimeErrorsReadAsTheReferences() throws {
        let a = Tensor.vector("a", .int64), e = Tensor.vector("e", .int64)
        let f = try function([a, e], [a ** e], options: cuda)
        assertValues(try f(NDArray([Int64(2), 3]), NDArray([Int64(3), 2]))[0], [8, 9])
        let bad = [NDArray([Int64(2), 3]), NDArray([Int64(3), -1])]
        var expected = ""
        do { _ = try function([a, e], [a ** e], options: reference).call(bad) } catch { expected = "\(error)" }
        XCTAssertFalse(expected.isEmpty)
        XCTAssertThrowsError(try f.call(bad)) { XCTAssertEqual("\($0)", expected) }
        // Sizes that disagree.
        let x = Tensor.vector("x", .float64), z = Tensor.vector("z", .float64)
        let h = try function([x, z], [x + z], options: cuda)
        XCTAssertThrowsError(try h(NDArray([1.0, 2, 3]), NDArray([1.0, 2]))) { error in
            XCTAssertTrue("\(error)".contains("3") && "\(error)".contains("2"), "\(error)")
        }
    }

    /// Reductions (plain and fused with their elementwise producers) run as the two-pass CUDA
    /// reduction: over leading, middle and trailing axes, with keepdims, a single output spread
    /// over several blocks, an empty reduced axis, and a max over one (which throws).
    func testReductionsMatchTheReference() throws {
        let x = Tensor.variable("x", .float64, shape: [nil, nil, nil])
        let outputs = [
            try x.sum(axis: 1), try (x * x).sum(axes: [0, 2]), try x.max(axes: [2], keepdims: true), try x.prod(axes: [0]),
            try (x .> 0).any(axes: [1]), try sum(exp(x)),
        ]
        let f = try function([x], outputs, options: cuda)
        XCTAssertGreaterThanOrEqual(f.kernelReport.count("CUDA reduction"), 4, "\(f.kernelReport)")
        let g = try function([x], outputs, options: reference)
        var data = TestData(seed: 42)
        // [1, 300, 5]: the full sum is one output over 1,500 elements, spread over 4 blocks.
        for shape in [[2, 3, 4], [1, 300, 5], [7, 1, 1]] {
            let xv = data.array(shape, .float64, low: -1, high: 1)
            for (got, want) in zip(try f(xv), try g(xv)) { assertClose(got, want, rtol: 1e-10, atol: 1e-12, "\(shape)") }
        }
        // An empty reduced axis: sums give 0, the max throws the reference's error.
        let empty = NDArray(zeros: [2, 0, 3], dtype: .float64)
        let sums = try function([x], [x.sum(axis: 1)], options: cuda)
        assertValues(try sums(empty)[0], [0, 0, 0, 0, 0, 0], shape: [2, 3])
        let maxima = try function([x], [x.max(axes: [1])], options: cuda)
        var expected = ""
        do { _ = try function([x], [x.max(axes: [1])], options: reference)(empty) } catch { expected = "\(error)" }
        XCTAssertFalse(expected.isEmpty)
        XCTAssertThrowsError(try maxima(empty)) { XCTAssertEqual("\($0)", expected) }
    }

    /// Softmax and log-softmax run one block per lane, edge lanes included: a NaN, all
    /// `-inf` (uniform), `+inf` ties (shared), large values (stable), a lane of one.
    func testSoftmaxAndLogSoftmaxMatchTheReference() throws {
        for dtype in [DType.float32, .float64] {
            let x = Tensor.matrix("x", dtype)
            let outputs = [try softmax(x, axis: 1), try logSoftmax(x, axis: 1), try softmax(x, axis: 0)]
            let f = try function([x], outputs, options: cuda)
            XCTAssertEqual(f.kernelReport.count("CUDA softmax"), 3, "\(f.kernelReport)")
            let g = try function([x], outputs, options: reference)
            var data = TestData(seed: 43)
            let random = data.array([3, 70], dtype, low: -5, high: 5)
            var rows = random.doubles
            let inf = Double.infinity
            rows += [1, .nan] + Array(repeating: 0, count: 68)
            rows += Array(repeating: -inf, count: 70)
            rows += [inf, 1, inf] + Array(repeating: -inf, count: 67)
            rows += [1000, 0] + Array(repeating: -1000, count: 68)
            let xv = try NDArray(rows, shape: [7, 70]).astype(dtype)
            let tolerance = dtype == .float32 ? 1e-5 : 1e-12
            for (k, (got, want)) in zip(try f(xv), try g(xv)).enumerated() {
                assertClose(got, want, rtol: tolerance, atol: tolerance, "\(dtype) output \(k)")
            }
            let single = try NDArray([2.0, -1], shape: [2, 1]).astype(dtype)
            for (got, want) in zip(try f(single), try g(single)) { assertClose(got, want, rtol: tolerance, atol: tolerance) }
        }
    }

    /// The fused softmax cross-entropy and its gradient as CUDA kernels: values against the
    /// reference (negative labels, huge logits, a row with NaN), and a label out of range
    /// reported as the reference reports it.
    func testCrossEntropyMatchesTheReference() throws {
        let x = Tensor.matrix("x", .float64), y = Tensor.vector("y", .int32)
        let loss = try softmaxCrossEntropy(logits: x, labels: y)
        let outputs = [loss, try grad(loss.sum(), wrt: [x])[0]]
        let f = try function([x, y], outputs, options: cuda), g = try function([x, y], outputs, options: reference)
        XCTAssertEqual(f.kernelReport.count("CUDA cross-entropy"), 2, "\(f.kernelReport)")
        var data = TestData(seed: 43)
        for (rows, classes) in [(1, 1), (3, 10), (40, 70)] {
            let xv = data.array([rows, classes], .float64)
            let yv = NDArray((0..<rows).map { Int32(($0 * 7) % classes) - ($0 % 2 == 0 ? 0 : Int32(classes)) })
            for (got, want) in zip(try f(xv, yv), try g(xv, yv)) { assertClose(got, want, rtol: 1e-12, atol: 1e-12, "\(rows)x\(classes)") }
        }
        let extreme = try NDArray([1000.0, -1000, 0, .nan, 1, 2]).reshaped([2, 3])
        for (got, want) in zip(try f(extreme, NDArray([Int32(0), 2])), try g(extreme, NDArray([Int32(0), 2]))) {
            assertClose(got, want, rtol: 1e-12, atol: 1e-12)
        }
        var expected = ""
        do { _ = try g(data.array([2, 3], .float64), NDArray([Int32(0), 3])) } catch { expected = "\(error)" }
        XCTAssertTrue(expected.contains("out of range"), expected)
        XCTAssertThrowsError(try f(data.array([2, 3], .float64), NDArray([Int32(0), 3]))) { XCTAssertEqual("\($0)", expected) }
    }

    /// `Alloc` on the device: a row, a column, a scalar and a full value broadcast to shapes
    /// known only at run time (the identity kernel reading the value with zero strides), empty
    /// outputs, and a value that does not fit reported as the reference reports it.
    func testAllocMatchesTheReference() throws {
        let v = Tensor.variable("v", .float32, shape: [1, nil]), c = Tensor.variable("c", .float32, shape: [nil, 1])
        let s = Tensor.scalar("s", .int32), n = Tensor.scalar("n", .int64), m = Tensor.scalar("m", .int64)
        let outputs = [try alloc(v, shape: [n, m]), try alloc(c, shape: [Tensor.constant(2, .int64), n, m]), try alloc(s, shape: [n, m]),
                       try alloc(v, shape: [Tensor.constant(1, .int64), m])]
        let f = try function([v, c, s, n, m], outputs, options: cuda), g = try function([v, c, s, n, m], outputs, options: reference)
        XCTAssertGreaterThanOrEqual(f.kernelReport.count("CUDA kernel"), 3, "\(f.kernelReport)")
        var data = TestData(seed: 44)
        for (rows, columns) in [(3, 4), (1, 1), (0, 5)] {
            let args = [data.array([1, columns], .float32), data.array([rows, 1], .float32), NDArray(scalar: Int32(-7)),
                        NDArray(scalar: Int64(rows)), NDArray(scalar: Int64(columns))]
            for (got, want) in zip(try f.call(args), try g.call(args)) { assertClose(got, want, rtol: 0, atol: 0, "\(rows)x\(columns)") }
        }
        let bad = [data.array([1, 3], .float32), data.array([2, 1], .float32), NDArray(scalar: Int32(1)),
                   NDArray(scalar: Int64(2)), NDArray(scalar: Int64(4))]
        var expected = ""
        do { _ = try g.call(bad) } catch { expected = "\(error)" }
        XCTAssertFalse(expected.isEmpty)
        XCTAssertThrowsError(try f.call(bad)) { XCTAssertEqual("\($0)", expected) }
    }

    /// A lookup `x[idx]` (any dtype, rows of any shape, negative and repeated indices) as the
    /// gather kernel, and its gradient as the atomic scatter-add (repeated rows add up);
    /// out-of-range indices reported as the reference reports them.
    func testRowGatherAndScatterAddMatchTheReference() throws {
        var data = TestData(seed: 45)
        let idx = Tensor.vector("idx", .int32), w = Tensor.variable("w", .float64, shape: [nil, nil, nil])
        let rows = try take(w, idx, axis: 0)
        let outputs = [rows, try grad(sum(rows * rows), wrt: [w])[0]]
        let f = try function([w, idx], outputs, options: cuda), g = try function([w, idx], outputs, options: reference)
        XCTAssertEqual(f.kernelReport.count("CUDA gather"), 1, "\(f.kernelReport)")
        XCTAssertEqual(f.kernelReport.count("CUDA scatter-add"), 1, "\(f.kernelReport)")
        for (table, picks) in [([5, 3, 2], [Int32(0), 4, -1, 2, 2, 0]), ([1, 1, 1], [Int32(0)]), ([4, 2, 3], [])] {
            let wv = data.array(table, .float64), iv = NDArray(picks)
            for (got, want) in zip(try f(wv, iv), try g(wv, iv)) { assertClose(got, want, rtol: 1e-12, atol: 1e-12, "\(table) \(picks)") }
        }
        var expected = ""
        do { _ = try g(data.array([3, 2, 2], .float64), NDArray([Int32(1), 3])) } catch { expected = "\(error)" }
        XCTAssertFalse(expected.isEmpty)
        XCTAssertThrowsError(try f(data.array([3, 2, 2], .float64), NDArray([Int32(1), 3]))) { XCTAssertEqual("\($0)", expected) }
        // Integer and bool tables go through the same gather (elements moved by width).
        for dtype in [DType.int64, .bool, .int16] {
            let t = Tensor.matrix("t", dtype)
            let h = try function([t, idx], [try take(t, idx, axis: 0)], options: cuda)
            let k = try function([t, idx], [try take(t, idx, axis: 0)], options: reference)
            let tv = data.array([4, 3], .float64).astype(dtype), iv = NDArray([Int32(3), -4, 1])
            assertClose(try h(tv, iv)[0], try k(tv, iv)[0], rtol: 0, atol: 0, "\(dtype)")
        }
    }

    /// Random draws as the Philox kernel: the same numbers as the reference for the same seed
    /// (uniforms and integers bit for bit, normals within rounding), over two calls (the
    /// state advances the same way), sizes known only at run time, and an empty draw.
    func testRandomDrawsEqualTheReferences() throws {
        let n = Tensor.scalar("n", .int64)
        func draws(_ streams: RandomStreams) throws -> [Tensor] {
            [try streams.uniform([n, Tensor.constant(3, .int64)]), try streams.uniform([n], low: -2, high: 5, dtype: .float64),
             try streams.normal([n], dtype: .float64), try streams.truncatedNormal([n, n]),
             try streams.integers([n], low: -5, high: 17), try streams.integers([n, Tensor.constant(2, .int64)], low: Int(Int32.min), high: Int(Int32.max), dtype: .int32),
             try streams.integers([n], low: Int.min, high: Int.max)]
        }
        let f = try function([n], try draws(RandomStreams(seed: 1234)), options: cuda)
        let g = try function([n], try draws(RandomStreams(seed: 1234)), options: reference)
        XCTAssertEqual(f.kernelReport.count("CUDA Philox"), 7, "\(f.kernelReport)")
        for size in [Int64(0), 1, 37, 37] {
            for (k, (got, want)) in zip(try f(NDArray(scalar: size)), try g(NDArray(scalar: size))).enumerated() {
                let exact = ![2, 3].contains(k)
                assertClose(got, want, rtol: exact ? 0 : 1e-13, atol: exact ? 0 : 1e-13, "draw \(k), size \(size)")
            }
        }
    }
}
