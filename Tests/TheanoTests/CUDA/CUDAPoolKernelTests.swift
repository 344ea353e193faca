import Foundation
import Theano
import TheanoCUDA
import XCTest

/// Pooling on the CUDA backend (emulated device): every mode over 1-3 spatial axes with
/// strides, padding, partial and overlapping windows, and the gradients of max and average
/// pooling, equal the reference bit for bit (the kernels do the reference's arithmetic in the
/// reference's order); the forward pooling through cuDNN's call (``PoolingCall``, run by
/// cuDNN's definition on the emulator) where cuDNN's pooling is the op's; shape errors read as
/// the reference's.
final class CUDAPoolKernelTests: XCTestCase {
    /// A GPU without cuDNN: every pooling node runs the backend's kernels.
    private let cuda = CompileOptions(backend: Backend(CUDABackend(device: EmulatedCUDADevice(dnnLibrary: false))))
    private let reference = CompileOptions(backend: .reference)

    private struct Case {
        let shape: [Int]
        let pool: (Tensor, PoolMode) throws -> Tensor
        let label: String
    }

    private let cases: [Case] = [
        Case(shape: [2, 3, 6, 6], pool: { try pool2d($0, window: [2, 2], mode: $1) }, label: "2x2"),
        Case(shape: [1, 2, 7, 5], pool: { try pool2d($0, window: [3, 2], stride: [2, 1], padding: [1, 0], mode: $1) }, label: "padded, strided"),
        Case(shape: [2, 1, 5, 7], pool: { try pool2d($0, window: [2, 3], stride: [1, 2], mode: $1, ignoreBorder: false) }, label: "partial windows"),
        Case(shape: [3, 4, 4], pool: { try pool2d($0, window: [3, 3], stride: [1, 1], padding: [1, 1], mode: $1) }, label: "overlapping, rank 3"),
        Case(shape: [2, 9], pool: { try pool1d($0, window: 3, stride: 2, padding: 1, mode: $1) }, label: "1-d"),
        Case(shape: [1, 2, 4, 3, 5], pool: { try pool3d($0, window: [2, 2, 3], stride: [2, 1, 2], mode: $1) }, label: "3-d"),
    ]

    /// Values with ties, signed zeros and (when `nan`) NaNs, so that the max tie rule is tested.
    private func values(_ shape: [Int], _ dtype: DType, nan: Bool) throws -> NDArray {
        let count = shape.reduce(1, *)
        let list = (0..<count).map { i -> Double in
            if nan && i % 11 == 5 { return .nan }
            if i % 13 == 7 { return -0.0 }
            return Double((i * 7919) % 7) - 3
        }
        return try NDArray(list, shape: shape).astype(dtype)
    }

    /// `f` and the reference `g` give the same bits (NaNs as NaNs) on an input of `shape`,
    /// with and without NaNs.
    private func assertSameBits(_ f: Function, _ g: Function, _ shape: [Int], _ dtype: DType, _ label: String,
                                file: StaticString = #filePath, line: UInt = #line) throws {
        for nan in [false, true] {
            let input = try values(shape, dtype, nan: nan)
            for (k, (got, want)) in zip(try f(input), try g(input)).enumerated() {
                XCTAssertEqual(got.shape, want.shape, file: file, line: line)
                for (u, v) in zip(got.doubles, want.doubles) {
                    XCTAssertTrue(u.bitPattern == v.bitPattern || (u.isNaN && v.isNaN),
                                  "\(label) nan=\(nan) output \(k): \(u) vs \(v)", file: file, line: line)
                }
            }
        }
    }

    /// On a GPU with cuDNN the forward pooling goes through cuDNN where its pooling is the
    /// op's (windows inside the padded input; max or either average), and through the
    /// backend's kernel otherwise (Theano's partial windows, the sum): equal to the reference
    /// either way, NaNs and ties included; the gradients stay on the backend's kernels.
    func testForwardPoolingThroughTheLibrary() throws {
        for dtype in [DType.float32, .float64] {
            for c in cases {
                for mode in [PoolMode.max, .averageIncludingPadding, .averageExcludingPadding, .sum] {
                    let device = LibraryCountingDevice()
                    let options = CompileOptions(backend: Backend(CUDABackend(device: device)))
                    let x = Tensor.variable("x", dtype, shape: c.shape.map { _ in nil })
                    let y = try c.pool(x, mode)
                    let outputs = [y, try grad(sum(y * y * y), wrt: x)]
                    let f = try function([x], outputs, options: options), g = try function([x], outputs, options: reference)
                    XCTAssertEqual(f.kernelReport.count("emulated cuDNN, else CUDA pooling"), 1, "\(c.label) \(mode): \(f.kernelReport)")
                    XCTAssertEqual(f.kernelReport.count("CUDA pooling"), 1, "the gradient: \(f.kernelReport)")
                    try assertSameBits(f, g, c.shape, dtype, "\(dtype) \(c.label) \(mode)")
                    let takes = mode != .sum && c.label != "partial windows"
                    XCTAssertEqual(device.poolings.withLock { $0 }, takes ? 2 : 0, "\(c.label) \(mode)")
                }
            }
        }
    }

    func testEveryModeAndItsGradientEqualTheReference() throws {
        for dtype in [DType.float32, .float64] {
            for c in cases {
                for mode in [PoolMode.max, .averageIncludingPadding, .averageExcludingPadding, .sum] {
                    let x = Tensor.variable("x", dtype, shape: c.shape.map { _ in nil })
                    let y = try c.pool(x, mode)
                    let outputs = [y, try grad(sum(y * y * y), wrt: x)]
                    let f = try function([x], outputs, options: cuda), g = try function([x], outputs, options: reference)
                    XCTAssertEqual(f.kernelReport.count("CUDA pooling"), 2, "\(c.label) \(mode): \(f.kernelReport)")
                    try assertSameBits(f, g, c.shape, dtype, "\(dtype) \(c.label) \(mode)")
                }
            }
        }
    }

    /// The second derivative through max pooling reads the winners' values with
    /// `MaxPoolGather`, also a pooling kernel on the device: bit for bit the reference's.
    func testMaxPoolGatherOfTheSecondDerivative() throws {
        for dtype in [DType.float32, .float64] {
            let x = Tensor.variable("x", dtype, shape: [nil, nil, nil, nil])
            let y = try pool2d(x, window: [3, 2], stride: [1, 2], padding: [1, 0], mode: .max)
            let gx = try grad(sum(y * y), wrt: x)
            let outputs = [try grad(sum(gx * gx), wrt: x)]
            let f = try function([x], outputs, options: cuda), g = try function([x], outputs, options: reference)
            XCTAssertTrue(f.kernelReport.entries.contains { $0.op.hasPrefix("MaxPoolGather") && $0.implementation == "CUDA pooling" }, "\(f.kernelReport)")
            for nan in [false, true] {
                let input = try values([2, 3, 5, 6], dtype, nan: nan)
                for (u, v) in zip(try f(input)[0].doubles, try g(input)[0].doubles) {
                    XCTAssertTrue(u.bitPattern == v.bitPattern || (u.isNaN && v.isNaN), "\(dtype) nan=\(nan): \(u) vs \(v)")
                }
            }
        }
    }

    /// Random float32 data of a LeNet-like size (windows split over many threads) and an empty
    /// batch.
    func testLargeAndEmptyInputs() throws {
        var data = TestData(seed: 81)
        let x = Tensor.tensor4("x", .float32)
        let y = try pool2d(x, window: [2, 2], mode: .max)
        let outputs = [y, try grad(sum(y * y), wrt: x)]
        let f = try function([x], outputs, options: cuda), g = try function([x], outputs, options: reference)
        for shape in [[4, 6, 24, 24], [0, 3, 4, 4]] {
            let input = data.array(shape, .float32)
            for (got, want) in zip(try f(input), try g(input)) { assertClose(got, want, rtol: 0, atol: 0, "\(shape)") }
        }
    }

    func testShapeErrorsReadAsTheReferences() throws {
        let x = Tensor.tensor4("x", .float64)
        let y = try pool2d(x, window: [3, 3], mode: .averageExcludingPadding)
        let outputs = [y, try grad(sum(y), wrt: x)]
        let f = try function([x], outputs, options: cuda), g = try function([x], outputs, options: reference)
        let small = NDArray(zeros: [1, 1, 2, 5], dtype: .float64)
        var expected = ""
        do { _ = try g(small) } catch { expected = "\(error)" }
        XCTAssertTrue(expected.contains("larger than the padded input"), expected)
        XCTAssertThrowsError(try f(small)) { XCTAssertEqual("\($0)", expected) }
    }
}
