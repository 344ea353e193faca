import Foundation
import Theano
import XCTest

/// The fused convolution epilogue: `conv_bias_relu` turns `max(conv(x, w) + b, 0)` into one
/// ``ConvBiasReLU`` node where nothing else reads the intermediates; values, shapes,
/// gradients and errors of the fused op.
final class ConvEpilogueTests: BackendTestCase {
    // SciPy's values for a strided (2, 2) true convolution: x (2, 2, 5, 5), w (3, 2, 3, 3),
    // y (2, 3, 2, 2) (the "strided" fixture of ConvTests).
    let xs: [Double] = [0, 3, 2, 3, -1, 1, 3, 1, 2, 1, 1, -1, 3, -3, 1, 2, 2, 0, -1, -1, -1, 0, 2, 3, -3, 3, 0, -1, 1, 1, -2, -1, 2, 1, 0, -1, 2, -1, -1, 3, -2, -2, 1, 1, -3, -3, -1, 2, -1, 2, -1, -2, 2, 3, -3, -3, 1, -1, 1, -2, 3, 0, 3, 2, 1, -2, 2, -3, 0, -1, 3, -2, 3, -3, 1, 1, 3, -1, 3, 1, 3, -2, 2, 3, -3, -1, 1, -3, 0, 1, 2, 3, -1, 0, 0, 3, -2, 0, -3, -1]
    let ws: [Double] = [2, 1, -1, 2, 1, 2, -2, 0, 2, 1, 0, 0, 0, 0, -1, 1, -2, 0, -1, 1, 1, 1, 2, 2, -2, -2, -2, 1, 2, 2, 1, 2, 2, -2, -2, 2, -2, 2, 2, 2, -1, -2, 0, 2, -1, 2, -1, 2, -1, 0, -1, -1, 2, 2]
    let ys: [Double] = [7, 8, 6, 2, 1, -3, -18, 2, -2, 2, -12, 10, -23, 0, -14, -7, -4, -10, -4, -37, -5, 9, -1, -2]
    let bias: [Double] = [0.5, -1.5, 3]

    private func model(_ dtype: DType) throws -> (x: Tensor, w: Tensor, b: Tensor, y: Tensor) {
        let x = Tensor.variable("x", dtype, shape: [nil, 2, nil, nil])
        let w = Tensor.variable("w", dtype, shape: [3, 2, 3, 3])
        let b = Tensor.vector("b", dtype)
        let y = try relu(conv2d(x, w, stride: [2, 2]) + b.dimshuffle(DimShuffle.newAxis, 0, DimShuffle.newAxis, DimShuffle.newAxis))
        return (x, w, b, y)
    }

    private func expected() -> [Double] {
        ys.indices.map { i in max(ys[i] + bias[(i / 4) % 3], 0) }
    }

    func testInferenceGraphFusesBiasAndReLUWithTheFixturesValues() throws {
        for dtype in [DType.float32, .float64] {
            let (x, w, b, y) = try model(dtype)
            let f = try function([x, w, b], [y])
            XCTAssertEqual(f.graph.count(ConvBiasReLU.self), 1, "\(f.graph)")
            XCTAssertEqual(f.graph.count(Conv.self), 0, "\(f.graph)")
            XCTAssertEqual(f.graph.count(Elemwise.self) + f.graph.count(Composite.self), 0, "\(f.graph)")
            let args = [try NDArray(xs, shape: [2, 2, 5, 5]).astype(dtype), try NDArray(ws, shape: [3, 2, 3, 3]).astype(dtype),
                        try NDArray(bias).astype(dtype)]
            let got = try f.call(args)[0]
            XCTAssertEqual(got.dtype, dtype)
            assertValues(got, expected(), shape: [2, 3, 2, 2])
            let plain = try function([x, w, b], [y], mode: Mode.current.excluding("conv_bias_relu")).call(args)[0]
            assertClose(got, plain)
        }
    }

    func testReLUAloneAndBiasAloneFuse() throws {
        let x = Tensor.variable("x", .float32, shape: [nil, 2, nil, nil]), w = Tensor.variable("w", .float32, shape: [3, 2, 3, 3])
        let xa = try NDArray(xs, shape: [2, 2, 5, 5]).astype(.float32), wa = try NDArray(ws, shape: [3, 2, 3, 3]).astype(.float32)
        let f = try function([x, w], [relu(conv2d(x, w, stride: [2, 2]))])
        XCTAssertEqual(f.graph.count(ConvBiasReLU.self), 1, "\(f.graph)")
        assertValues(try f.call([xa, wa])[0], ys.map { max($0, 0) }, shape: [2, 3, 2, 2])
        // A scalar-shaped bias [1, 1, 1, 1] adds the same value to every channel.
        let c = Tensor.variable("c", .float32, shape: [1, 1, 1, 1])
        let g = try function([x, w, c], [conv2d(x, w, stride: [2, 2]) + c])
        XCTAssertEqual(g.graph.count(ConvBiasReLU.self), 1, "\(g.graph)")
        assertValues(try g.call([xa, wa, try NDArray([Float(2)], shape: [1, 1, 1, 1])])[0], ys.map { $0 + 2 }, shape: [2, 3, 2, 2])
    }

    func testPreActivationReadElsewhereKeepsTheReLUSeparate() throws {
        // Training: the rectifier's gradient reads the pre-activation, so only the bias fuses.
        let (x, w, b, y) = try model(.float64)
        let loss = try (y * y).sum()
        let grads = try grad(loss, wrt: [w, b])
        let f = try function([x, w, b], [loss] + grads)
        XCTAssertEqual(f.graph.nodes.filter { ($0.op as? ConvBiasReLU)?.relu == true }.count, 0, "\(f.graph)")
        let args = [try NDArray(xs, shape: [2, 2, 5, 5]), try NDArray(ws, shape: [3, 2, 3, 3]), try NDArray(bias)]
        let plain = try function([x, w, b], [loss] + grads, mode: Mode.current.excluding("conv_bias_relu")).call(args)
        for (got, want) in zip(try f.call(args), plain) { assertClose(got, want, rtol: 1e-12, atol: 1e-12) }
        let want = expected().reduce(0) { $0 + $1 * $1 }
        assertValues(plain[0], [want])
    }

    func testNaNStaysNaN() throws {
        let (x, w, b, y) = try model(.float32)
        var xv = xs
        xv[0] = .nan
        let f = try function([x, w, b], [y])
        let got = try f.call([try NDArray(xv, shape: [2, 2, 5, 5]).astype(.float32), try NDArray(ws, shape: [3, 2, 3, 3]).astype(.float32),
                              try NDArray(bias).astype(.float32)])[0].toArray(of: Float.self)
        // x[0, 0, 0, 0] lies in the first window of every output channel of image 0.
        for c in 0..<3 { XCTAssertTrue(got[c * 4].isNaN, "channel \(c): \(got)") }
        XCTAssertFalse(got[12].isNaN, "image 1 does not read the NaN")

    }

    func testShapeInferenceWithoutRunningTheConvolution() throws {
        let (x, w, b, y) = try model(.float32)
        let f = try function([x, w, b], [y.shape])
        XCTAssertEqual(f.graph.count(ConvBiasReLU.self) + f.graph.count(Conv.self), 0, "\(f.graph)")
        let args = [NDArray(zeros: [3, 2, 9, 7], dtype: .float32), NDArray(zeros: [3, 2, 3, 3], dtype: .float32),
                    NDArray(zeros: [3], dtype: .float32)]
        XCTAssertEqual(try f.call(args)[0].toArray(of: Int64.self), [3, 3, 4, 3])
        let op = ConvBiasReLU(ConvParameters(stride: [2, 2], padding: .valid, dilation: [1, 1], groups: 1, filterFlip: true), hasBias: true, relu: true)
        let node = try op.makeNode([x.variable, w.variable,
                                    b.dimshuffle(DimShuffle.newAxis, 0, DimShuffle.newAxis, DimShuffle.newAxis).variable])
        XCTAssertEqual(node.outputTypes[0].shape, [nil, 3, nil, nil])
    }

    func testGradientOfTheFusedOp() throws {
        var data = TestData(seed: 21)
        let op = ConvBiasReLU(ConvParameters(stride: [1, 2], padding: .explicit(before: [1, 0], after: [0, 1]), dilation: [1, 1], groups: 1, filterFlip: true),
                              hasBias: true, relu: true)
        // Inputs away from the rectifier's kink: the bias keeps most pre-activations off 0.
        try verifyGrad({ v in
            Tensor(try op.makeNode([v[0].variable, v[1].variable, v[2].variable]).outputs[0])
        }, at: [data.array([2, 2, 4, 5]), data.array([3, 2, 2, 3]), data.array([1, 3, 1, 1])])
    }

    func testBadBiasIsRefused() throws {
        let x = Tensor.variable("x", .float32, shape: [nil, 2, nil, nil]), w = Tensor.variable("w", .float32, shape: [3, 2, 3, 3])
        let op = ConvBiasReLU(ConvParameters(stride: [1, 1], padding: .valid, dilation: [1, 1], groups: 1, filterFlip: true), hasBias: true, relu: false)
        assertThrows(.typeMismatch, containing: ["bias", "channel axis"]) {
            try op.makeNode([x.variable, w.variable, Tensor.variable("b", .float32, shape: [3, 1, 1]).variable])
        }
        assertThrows(.typeMismatch, containing: ["bias"]) {
            try op.makeNode([x.variable, w.variable, Tensor.variable("b", .float32, shape: [1, 3, 2, 1]).variable])
        }
        // A bias whose channel count is only known when the function runs is checked then.
        let b = Tensor.vector("b", .float32)
        let f = try function([x, w, b], [relu(conv2d(x, w) + b.dimshuffle(DimShuffle.newAxis, 0, DimShuffle.newAxis, DimShuffle.newAxis))])
        assertThrows(containing: ["shape"]) {
            try f.call([NDArray(zeros: [1, 2, 4, 4], dtype: .float32), NDArray(zeros: [3, 2, 3, 3], dtype: .float32),
                        NDArray(zeros: [2], dtype: .float32)])
        }
    }
}
