import Foundation
import Synchronization
import Theano
import TheanoCUDA
import XCTest

/// Convolutions on the CUDA backend (emulated device), as im2col + cuBLAS (a GPU without
/// cuDNN) and through cuDNN's calls (``ConvolutionCall``, run by cuDNN's definition on the
/// emulator): the forward op and both gradients over 1-3 spatial axes with strides, padding,
/// dilation, groups (depthwise included) and `filterFlip`, against the reference; shape errors
/// read as the reference's.
final class CUDAConvKernelTests: XCTestCase {
    /// A GPU without cuDNN: every convolution is im2col + cuBLAS.
    private let cuda = CompileOptions(backend: Backend(CUDABackend(device: EmulatedCUDADevice(dnnLibrary: false))))
    private let reference = CompileOptions(backend: .reference)

    private struct Case {
        let input: [Int]
        let filters: [Int]
        let conv: (Tensor, Tensor) throws -> Tensor
        let label: String
    }

    private let cases: [Case] = [
        Case(input: [2, 3, 7, 6], filters: [4, 3, 3, 2], conv: { try conv2d($0, $1) }, label: "valid, flipped"),
        Case(input: [1, 4, 8, 7], filters: [6, 2, 3, 3], conv: { try conv2d($0, $1, stride: [2, 1], padding: .same, groups: 2, filterFlip: false) },
             label: "same, strided, 2 groups"),
        Case(input: [2, 3, 6, 6], filters: [3, 1, 3, 3], conv: { try conv2d($0, $1, padding: .explicit(before: [2, 0], after: [1, 1]), dilation: [1, 2], groups: 3) },
             label: "depthwise, dilated, explicit padding"),
        Case(input: [3, 2, 5, 4], filters: [2, 2, 2, 2], conv: { try conv2d($0, $1, padding: .full) }, label: "full"),
        Case(input: [2, 3, 11], filters: [5, 3, 4], conv: { try conv1d($0, $1, stride: 3, padding: .same, dilation: 2) }, label: "1-d"),
        Case(input: [1, 2, 4, 5, 3], filters: [3, 2, 2, 3, 2], conv: { try conv3d($0, $1, stride: [1, 2, 1], padding: .same) }, label: "3-d"),
    ]

    /// Compiles case `c`'s convolution and the gradients of `sum(y²)` on `options` and checks
    /// them against the reference, on contiguous inputs and on a transposed view; the kernel
    /// report must name `implementation` for all three nodes.
    private func check(_ c: Case, _ dtype: DType, options: CompileOptions, implementation: String, data: inout TestData) throws {
        let x = Tensor.variable("x", dtype, shape: c.input.map { _ in nil }), w = Tensor.variable("w", dtype, shape: c.filters.map { _ in nil })
        let y = try c.conv(x, w)
        let outputs = [y] + (try grad(sum(y * y), wrt: [x, w]))
        let f = try function([x, w], outputs, options: options), g = try function([x, w], outputs, options: reference)
        XCTAssertEqual(f.kernelReport.count(implementation), 3, "\(c.label): \(f.kernelReport)")
        let xv = data.array(c.input, dtype), wv = data.array(c.filters, dtype)
        let tolerance = dtype == .float64 ? 1e-11 : 2e-4
        for (k, (got, want)) in zip(try f(xv, wv), try g(xv, wv)).enumerated() {
            assertClose(got, want, rtol: tolerance, atol: tolerance, "\(dtype) \(c.label) output \(k)")
        }
        // A non-contiguous input (a transposed view) gives the same values.
        let xt = try data.array(c.input.reversed(), dtype).transposed()
        for (got, want) in zip(try f(xt, wv), try g(xt, wv)) { assertClose(got, want, rtol: tolerance, atol: tolerance, "\(c.label) strided") }
    }

    func testConvolutionsAndTheirGradientsMatchTheReference() throws {
        var data = TestData(seed: 91)
        for dtype in [DType.float64, .float32] {
            for c in cases { try check(c, dtype, options: cuda, implementation: "im2col + cuBLAS", data: &data) }
        }
    }

    /// Batch 1, channel 1 and an empty batch (run by the reference: zeros or empty results).
    func testSmallAndEmptyBatches() throws {
        var data = TestData(seed: 92)
        let x = Tensor.tensor4("x", .float32), w = Tensor.tensor4("w", .float32)
        let y = try conv2d(x, w, padding: .same)
        let outputs = [y] + (try grad(sum(y * y), wrt: [x, w]))
        let f = try function([x, w], outputs, options: cuda), g = try function([x, w], outputs, options: reference)
        for (xs, ws) in [([1, 1, 5, 5], [1, 1, 3, 3]), ([0, 2, 4, 4], [3, 2, 3, 3]), ([2, 1, 1, 1], [2, 1, 1, 1])] {
            let xv = data.array(xs, .float32), wv = data.array(ws, .float32)
            for (got, want) in zip(try f(xv, wv), try g(xv, wv)) { assertClose(got, want, rtol: 2e-4, atol: 2e-4, "\(xs) \(ws)") }
        }
    }

    /// Inference graphs' fused `max(conv(x, w) + b, 0)` (`ConvBiasReLU`) as im2col + cuBLAS
    /// with the epilogue kernel: a bias per channel or one value, with and without the
    /// rectifier; a NaN stays NaN, as in the reference.
    func testConvolutionEpilogueMatchesTheReference() throws {
        var data = TestData(seed: 93)
        let x = Tensor.tensor4("x", .float32), w = Tensor.tensor4("w", .float32)
        for (biasShape, rectify) in [([1, 5, 1, 1], true), ([1, 1, 1, 1], true), ([1, 5, 1, 1], false)] {
            // The channel axis of the bias as unknown as the filters' (the rewrite's rule).
            let b = Tensor.variable("b", .float32, shape: [1, biasShape[1] == 1 ? 1 : nil, 1, 1])
            let pre = try conv2d(x, w, padding: .same) + b
            let y = rectify ? try relu(pre) : pre
            let f = try function([x, w, b], [y], options: cuda), g = try function([x, w, b], [y], options: reference)
            // One fused node.
            XCTAssertEqual(f.kernelReport.entries.map(\.implementation), ["im2col + cuBLAS"], "\(f.kernelReport)")
            var xv = data.array([2, 3, 6, 5], .float32)
            xv = try NDArray(xv.doubles.enumerated().map { $0.offset == 7 ? .nan : $0.element }, shape: xv.shape).astype(.float32)
            let args = [xv, data.array([5, 3, 3, 3], .float32), data.array(biasShape, .float32)]
            assertClose(try f.call(args)[0], try g.call(args)[0], rtol: 2e-4, atol: 2e-4, "bias \(biasShape) relu \(rectify)")
        }
    }

    func testShapeErrorsReadAsTheReferences() throws {
        let x = Tensor.tensor4("x", .float64), w = Tensor.tensor4("w", .float64)
        let outputs = [try conv2d(x, w)]
        let f = try function([x, w], outputs, options: cuda), g = try function([x, w], outputs, options: reference)
        let bad = [NDArray(zeros: [1, 3, 5, 5], dtype: .float64), NDArray(zeros: [2, 4, 3, 3], dtype: .float64)]
        var expected = ""
        do { _ = try g.call(bad) } catch { expected = "\(error)" }
        XCTAssertFalse(expected.isEmpty)
        XCTAssertThrowsError(try f.call(bad)) { XCTAssertEqual("\($0)", expected) }
    }

    /// The same cases through cuDNN's calls where cuDNN can express them (padding the same on
    /// both sides) and im2col + cuBLAS where it cannot: equal to the reference either way.
    func testConvolutionsThroughTheLibraryMatchTheReference() throws {
        var data = TestData(seed: 94)
        // Whether cuDNN takes the case: symmetric padding (valid, full) yes; padding of 2
        // before and 1 after no.
        let expected: [String: Bool] = ["valid, flipped": true, "full": true, "depthwise, dilated, explicit padding": false]
        for dtype in [DType.float64, .float32] {
            for c in cases {
                let device = LibraryCountingDevice()
                try check(c, dtype, options: CompileOptions(backend: Backend(CUDABackend(device: device))),
                          implementation: "emulated cuDNN, else im2col + cuBLAS", data: &data)
                let calls = device.convolutions.withLock { $0 }
                if let takes = expected[c.label] {
                    let each = takes ? 2 : 0  // two calls of the function
                    XCTAssertEqual(calls, takes ? [.forward: each, .backwardData: each, .backwardFilter: each] : [:], "\(c.label)")
                }
            }
        }
    }

    /// ``ConvolutionCall`` from a geometry: cuDNN's terms (a 1-d convolution as 2-d of height
    /// 1, `filterFlip` as `CUDNN_CONVOLUTION`), and nil where cuDNN's symmetric padding gives
    /// another output size.
    func testConvolutionCallsFromGeometries() throws {
        func geometry(_ input: [Int], _ filters: [Int], stride: [Int], padding: ConvPadding, dilation: [Int], groups: Int = 1, flip: Bool = true) throws -> ConvGeometry {
            try ConvParameters(stride: stride, padding: padding, dilation: dilation, groups: groups, filterFlip: flip)
                .geometry(input: input, filters: filters, op: "test")
        }
        let (a, b, c) = (DeviceAddress(64), DeviceAddress(128), DeviceAddress(192))
        let full = try XCTUnwrap(ConvolutionCall(try geometry([2, 4, 5, 6], [6, 2, 3, 2], stride: [1, 2], padding: .full, dilation: [2, 1], groups: 2),
                                                 direction: .forward, dtype: .float32, x: a, w: b, y: c))
        XCTAssertEqual(full.padding, [4, 1])
        XCTAssertEqual(full.stride, [1, 2])
        XCTAssertEqual(full.dilation, [2, 1])
        XCTAssertEqual(full.groups, 2)
        XCTAssertEqual(full.inputShape, [2, 4, 5, 6])
        XCTAssertEqual(full.filterShape, [6, 2, 3, 2])
        XCTAssertFalse(full.crossCorrelation)
        let oneD = try XCTUnwrap(ConvolutionCall(try geometry([3, 2, 9], [4, 2, 3], stride: [2], padding: .valid, dilation: [1], flip: false),
                                                 direction: .backwardData, dtype: .float64, x: a, w: b, y: c))
        XCTAssertEqual(oneD.inputShape, [3, 2, 1, 9])
        XCTAssertEqual(oneD.filterShape, [4, 2, 1, 3])
        XCTAssertEqual(oneD.outputShape, [3, 4, 1, 4])
        XCTAssertEqual(oneD.padding, [0, 0])
        XCTAssertTrue(oneD.crossCorrelation)
        // Two before and one after: Theano's output of 7 rows, cuDNN's formula would give 8.
        XCTAssertNil(ConvolutionCall(try geometry([1, 1, 6, 6], [1, 1, 3, 3], stride: [1, 1], padding: .explicit(before: [2, 0], after: [1, 0]), dilation: [1, 1]),
                                     direction: .forward, dtype: .float32, x: a, w: b, y: c))
        // Integer convolutions are not cuDNN's.
        XCTAssertNil(ConvolutionCall(try geometry([1, 1, 4, 4], [1, 1, 3, 3], stride: [1, 1], padding: .valid, dilation: [1, 1]),
                                     direction: .forward, dtype: .int32, x: a, w: b, y: c))
    }
}
