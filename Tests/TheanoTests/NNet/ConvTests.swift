import Foundation
import Theano
import XCTest

/// A convolution from its definition, written independently of the op: pad the input
/// explicitly, then for every output element sum over the window (test reference).
func naiveConv(_ x: NDArray, _ w: NDArray, stride: [Int], before: [Int], after: [Int], dilation: [Int],
               groups: Int, flip: Bool) throws -> NDArray {
    let n = stride.count
    let (batch, channels, outChannels) = (x.shape[0], x.shape[1], w.shape[0])
    let cg = channels / groups, og = outChannels / groups
    let inSizes = Array(x.shape[2...]), k = Array(w.shape[2...])
    var outSizes: [Int] = []
    for a in 0..<n {
        let padded: Int = inSizes[a] + before[a] + after[a]
        let span: Int = dilation[a] * (k[a] - 1) + 1
        outSizes.append((padded - span) / stride[a] + 1)
    }
    var values: [Double] = []
    for index in allIndices([batch, outChannels] + outSizes) {
        let (b, o) = (index[0], index[1]), g = o / og
        var acc = 0.0
        for c in 0..<cg {
            for kk in allIndices(k) {
                var pos = [b, g * cg + c]
                var inside = true
                for a in 0..<n {
                    let p = index[2 + a] * stride[a] - before[a] + kk[a] * dilation[a]
                    if p < 0 || p >= inSizes[a] { inside = false }
                    pos.append(p)
                }
                guard inside else { continue }
                let tap = flip ? zip(k, kk).map { $0 - 1 - $1 } : kk
                acc += try x.element(pos, as: Double.self) * w.element([o, c] + tap, as: Double.self)
            }
        }
        values.append(acc)
    }
    return try NDArray(values, shape: [batch, outChannels] + outSizes).astype(x.dtype)
}

final class ConvTests: BackendTestCase {
    struct Fixture {
        let stride: [Int], padding: ConvPadding, dilation: [Int], groups: Int, flip: Bool
    }

    /// Parameters of the NumPy/SciPy fixtures below (generated with `np.pad`, a dilated
    /// kernel and `scipy.signal.correlate` per channel, then strided).
    let fixtureParameters: [String: Fixture] = [
        "valid2d": Fixture(stride: [1, 1], padding: .valid, dilation: [1, 1], groups: 1, flip: true),
        "valid2dCorr": Fixture(stride: [1, 1], padding: .valid, dilation: [1, 1], groups: 1, flip: false),
        "strided": Fixture(stride: [2, 2], padding: .valid, dilation: [1, 1], groups: 1, flip: true),
        "explicit": Fixture(stride: [1, 2], padding: .explicit(before: [1, 0], after: [2, 1]), dilation: [1, 1], groups: 1, flip: false),
        "dilated": Fixture(stride: [1, 1], padding: .valid, dilation: [2, 3], groups: 1, flip: true),
        "groups": Fixture(stride: [1, 1], padding: .valid, dilation: [1, 1], groups: 2, flip: true),
        "depthwise": Fixture(stride: [1, 1], padding: .explicit(before: [1, 1], after: [1, 1]), dilation: [1, 1], groups: 3, flip: false),
        "conv1d": Fixture(stride: [2], padding: .explicit(before: [1], after: [2]), dilation: [1], groups: 1, flip: true),
        "conv3d": Fixture(stride: [1, 1, 2], padding: .explicit(before: [0, 0, 1], after: [0, 1, 0]), dilation: [1, 1, 1], groups: 1, flip: true),
    ]

    let fixtures: [(String, [Int], [Double], [Int], [Double], [Int], [Double])] = [
    // valid2d: x (1, 1, 4, 5), w (1, 1, 2, 3), stride (1, 1), pad (0, 0)/(0, 0), dilation (1, 1), groups 1, flip True
    ("valid2d", [1, 1, 4, 5], [2, 1, 0, -2, -1, -3, -3, -3, -2, 2, 1, 3, 0, 1, 3, 2, 1, 0, 0, 3], [1, 1, 2, 3], [-1, 2, 1, -2, -1, 2], [1, 1, 3, 3], [-3, -1, -5, 10, 3, -9, 3, 5, -10]),
    // valid2dCorr: x (1, 1, 4, 5), w (1, 1, 2, 3), stride (1, 1), pad (0, 0)/(0, 0), dilation (1, 1), groups 1, flip False
    ("valid2dCorr", [1, 1, 4, 5], [0, -3, 2, 2, 2, -2, -3, 3, -3, 0, -3, -1, 0, -1, -1, -3, -3, -3, -3, 1], [1, 1, 2, 3], [0, 1, -1, 1, 1, -1], [1, 1, 3, 3], [-13, 3, 0, -10, 6, -3, -4, -2, -7]),
    // strided: x (2, 2, 5, 5), w (3, 2, 3, 3), stride (2, 2), pad (0, 0)/(0, 0), dilation (1, 1), groups 1, flip True
    ("strided", [2, 2, 5, 5], [0, 3, 2, 3, -1, 1, 3, 1, 2, 1, 1, -1, 3, -3, 1, 2, 2, 0, -1, -1, -1, 0, 2, 3, -3, 3, 0, -1, 1, 1, -2, -1, 2, 1, 0, -1, 2, -1, -1, 3, -2, -2, 1, 1, -3, -3, -1, 2, -1, 2, -1, -2, 2, 3, -3, -3, 1, -1, 1, -2, 3, 0, 3, 2, 1, -2, 2, -3, 0, -1, 3, -2, 3, -3, 1, 1, 3, -1, 3, 1, 3, -2, 2, 3, -3, -1, 1, -3, 0, 1, 2, 3, -1, 0, 0, 3, -2, 0, -3, -1], [3, 2, 3, 3], [2, 1, -1, 2, 1, 2, -2, 0, 2, 1, 0, 0, 0, 0, -1, 1, -2, 0, -1, 1, 1, 1, 2, 2, -2, -2, -2, 1, 2, 2, 1, 2, 2, -2, -2, 2, -2, 2, 2, 2, -1, -2, 0, 2, -1, 2, -1, 2, -1, 0, -1, -1, 2, 2], [2, 3, 2, 2], [7, 8, 6, 2, 1, -3, -18, 2, -2, 2, -12, 10, -23, 0, -14, -7, -4, -10, -4, -37, -5, 9, -1, -2]),
    // explicit: x (1, 2, 4, 3), w (2, 2, 2, 2), stride (1, 2), pad (1, 0)/(2, 1), dilation (1, 1), groups 1, flip False
    ("explicit", [1, 2, 4, 3], [-3, 3, 3, -2, -1, 0, 1, 0, -2, 3, 1, -3, 2, 2, -2, 1, 0, -3, 3, 2, -1, -3, -3, 2], [2, 2, 2, 2], [-2, 0, 2, 2, -1, -2, 0, 2, 1, -2, 1, -1, -1, 0, 2, 2], [1, 2, 6, 2], [4, 6, -6, -4, 9, -1, -7, -1, 3, 4, 0, 0, 2, -1, -10, -1, 10, -1, -12, 0, 4, -5, 0, 0]),
    // dilated: x (1, 1, 6, 6), w (1, 1, 2, 2), stride (1, 1), pad (0, 0)/(0, 0), dilation (2, 3), groups 1, flip True
    ("dilated", [1, 1, 6, 6], [-3, 0, 2, -2, -2, -2, -2, 3, -2, -2, -3, -3, 2, -1, 2, 1, 3, 0, 2, 2, -3, 0, 0, -1, 0, -1, 0, 2, 2, 1, 1, 3, 1, -1, -3, 0], [1, 1, 2, 2], [-1, 0, -2, 2], [1, 1, 4, 3], [-3, 1, 8, 0, 12, 3, 0, -10, 3, 5, 7, -4]),
    // groups: x (1, 4, 3, 3), w (4, 2, 2, 2), stride (1, 1), pad (0, 0)/(0, 0), dilation (1, 1), groups 2, flip True
    ("groups", [1, 4, 3, 3], [3, -2, 2, -1, -3, 3, 3, -3, 1, 2, 2, -1, 3, 2, -3, -3, -3, -1, -3, -3, -2, 1, 0, -2, 3, 1, 1, 3, 2, -3, -3, 3, -1, -3, 0, -1], [4, 2, 2, 2], [0, 0, -1, 0, 0, 2, 1, 1, -2, -1, 2, -1, 0, 2, 1, 2, -2, 0, 1, -1, 0, 2, 1, -1, -2, -2, -1, 2, -1, 2, -1, 1], [1, 4, 2, 2], [12, 3, 2, -10, 12, 10, 0, 5, -7, 6, -3, -8, -13, 12, -18, 3]),
    // depthwise: x (1, 3, 3, 4), w (6, 1, 2, 2), stride (1, 1), pad (1, 1)/(1, 1), dilation (1, 1), groups 3, flip False
    ("depthwise", [1, 3, 3, 4], [0, 3, 0, 3, 3, 2, 1, 3, 3, -2, 0, -3, -3, 1, -3, 2, 2, -2, 1, -1, 3, 3, 1, 0, 1, 1, 2, -2, 2, 0, 2, 0, -1, -3, 0, 3], [6, 1, 2, 2], [-2, 0, 0, -2, 0, 1, 1, 2, 0, 0, 2, -1, 1, -2, -1, 1, 0, -2, 1, 0, 2, 1, 2, 2], [1, 6, 4, 5], [0, -6, 0, -6, 0, -6, -4, -8, -6, -6, -6, -2, -4, 4, -6, 0, -6, 4, 0, 6, 0, 6, 3, 6, 3, 6, 10, 4, 10, 3, 9, 1, -1, -3, -3, 3, -2, 0, -3, 0, 3, -7, 5, -8, 4, -2, 6, -5, 3, -2, -3, 3, 5, 2, 0, 0, 0, 0, 0, 0, -3, 4, -4, 5, -2, 8, -9, 10, -9, 3, -1, 6, -6, 2, -1, -6, -3, 1, 1, 0, 0, 1, 1, 2, -2, -2, 0, -4, 6, 0, -4, -1, -7, 0, 3, 2, 6, 0, -6, 0, 2, 4, 6, 0, -4, 5, 7, 8, 6, -4, 0, -4, -4, 10, 6, -1, -5, -6, 3, 6]),
    // conv1d: x (2, 2, 7), w (3, 2, 3), stride (2,), pad (1,)/(2,), dilation (1,), groups 1, flip True
    ("conv1d", [2, 2, 7], [-3, -3, 0, 0, 0, 2, -1, -2, 1, -1, 3, -3, 1, 2, -2, -3, -1, -1, 3, 3, -2, 0, 1, 3, -3, 2, 3, 3], [3, 2, 3], [-1, -2, 0, -2, -2, -2, -1, 2, 1, 1, 2, 0, -2, -2, -1, 1, -1, -1], [2, 3, 4], [11, -6, -4, -4, -6, -2, -7, 4, 15, 6, -3, -3, 5, 1, -13, -8, 0, -1, 9, 5, 11, 0, -7, -5]),
    // conv3d: x (1, 2, 3, 3, 4), w (2, 2, 2, 2, 2), stride (1, 1, 2), pad (0, 0, 1)/(0, 1, 0), dilation (1, 1, 1), groups 1, flip True
    ("conv3d", [1, 2, 3, 3, 4], [-3, 1, -3, 0, 2, 0, 1, 2, -2, -3, -3, 1, -2, -2, 2, 2, 3, 0, 0, 3, 0, -2, -2, 3, -3, 2, 1, 0, 2, 2, 0, 1, 2, 1, 0, 3, 3, -3, 0, 2, -3, -1, 0, -1, 1, 3, -1, 2, -3, 0, -3, -1, -3, 3, 3, -3, 2, 1, -1, 2, 3, 2, 1, -1, 1, 2, 2, -2, -1, -1, 1, -1], [2, 2, 2, 2, 2], [0, 0, 0, -2, 2, 0, -2, -2, 0, 1, -1, 2, -2, -2, -1, 1, -1, 2, -2, 2, -2, 2, -2, 0, -1, 2, 1, 2, 0, 0, 0, 1], [1, 2, 2, 3, 2], [16, 15, -4, -9, 1, 23, 16, -8, -8, -7, -1, 5, 3, -7, -11, 7, 6, 10, 4, 9, -10, 12, -5, 6]),
    ]

    /// Builds the convolution through the public function of the fixture's spatial rank.
    func convolve(_ x: Tensor, _ w: Tensor, _ p: Fixture) throws -> Tensor {
        switch p.stride.count {
        case 1: return try conv1d(x, w, stride: p.stride[0], padding: p.padding, dilation: p.dilation[0], groups: p.groups, filterFlip: p.flip)
        case 2: return try conv2d(x, w, stride: p.stride, padding: p.padding, dilation: p.dilation, groups: p.groups, filterFlip: p.flip)
        default: return try conv3d(x, w, stride: p.stride, padding: p.padding, dilation: p.dilation, groups: p.groups, filterFlip: p.flip)
        }
    }

    func testValuesAgainstSciPy() throws {
        for (name, xs, xv, ws, wv, ys, yv) in fixtures {
            let p = try XCTUnwrap(fixtureParameters[name])
            for dtype in [DType.float64, .float32] {
                let xa = try NDArray(xv, shape: xs).astype(dtype), wa = try NDArray(wv, shape: ws).astype(dtype)
                let x = symbolicInput("x", xa), w = symbolicInput("w", wa)
                let y = try convolve(x, w, p)
                XCTAssertEqual(y.dtype, dtype)
                assertValues(try evaluate(y, [x, w], [xa, wa]), yv, shape: ys)
                // Static sizes are known when the operands' are.
                let xe = symbolicInput("x", xa, exact: true), we = symbolicInput("w", wa, exact: true)
                XCTAssertEqual(try convolve(xe, we, p).staticShape, ys.map { Optional($0) }, name)
                try checkInferShape(y, [x, w], [xa, wa])
            }
        }
    }

    // scipy.signal.convolve2d(x, w, mode) for x 4x5, w 3x3
    let scipyX: [Double] = [0, 3, -2, 0, -2, 3, -3, 1, 3, -1, -2, 2, 1, 0, 3, -3, -2, -1, 3, -3]
    let scipyW: [Double] = [0, 0, -2, 0, 1, 0, -1, 0, 2]
    // full: [6, 7]
    let scipy_full: [Double] = [0, 0, 0, -6, 4, 0, 4, 0, 0, -3, 4, -2, -8, 2, 0, 0, 3, 3, -1, -1, -10, -3, 1, 13, -4, 5, 3, 4, 2, -5, -7, 3, 2, -3, 6, 3, 2, -5, -7, 1, 6, -6]
    // same: [4, 5]
    let scipy_same: [Double] = [0, -3, 4, -2, -8, 0, 3, 3, -1, -1, 1, 13, -4, 5, 3, -5, -7, 3, 2, -3]
    // valid: [2, 3]
    let scipy_valid: [Double] = [3, 3, -1, 13, -4, 5]

    func testPaddingModesAgainstConvolve2d() throws {
        let xa = try NDArray(scipyX, shape: [1, 1, 4, 5]), wa = try NDArray(scipyW, shape: [1, 1, 3, 3])
        let x = Tensor.tensor4("x", .float64), w = Tensor.tensor4("w", .float64)
        assertValues(try evaluate(try conv2d(x, w, padding: .full), [x, w], [xa, wa]), scipy_full, shape: [1, 1, 6, 7])
        assertValues(try evaluate(try conv2d(x, w, padding: .same), [x, w], [xa, wa]), scipy_same, shape: [1, 1, 4, 5])
        assertValues(try evaluate(try conv2d(x, w), [x, w], [xa, wa]), scipy_valid, shape: [1, 1, 2, 3])
        assertValues(try evaluate(try x.conv2d(w, padding: .same), [x, w], [xa, wa]), scipy_same, shape: [1, 1, 4, 5])
        // Correlation is convolution with the flipped kernel.
        let flipped = try NDArray(Array(scipyW.reversed()), shape: [1, 1, 3, 3])
        assertValues(try evaluate(try conv2d(x, w, padding: .full, filterFlip: false), [x, w], [xa, flipped]), scipy_full, shape: [1, 1, 6, 7])
    }

    func testSamePaddingPutsTheExtraZeroAfter() throws {
        // Kernel [1, 1] (even): span 2, padding 0 before and 1 after (TensorFlow/JAX 'SAME').
        let x = Tensor.variable("x", .float64, shape: [1, 1, 4]), w = Tensor.variable("w", .float64, shape: [1, 1, 2])
        let y = try conv1d(x, w, padding: .same, filterFlip: false)
        XCTAssertEqual(y.staticShape, [1, 1, 4])
        assertValues(try evaluate(y, [x, w], [try NDArray([1.0, 2, 3, 4], shape: [1, 1, 4]), try NDArray([1.0, 1], shape: [1, 1, 2])]), [3, 5, 7, 4])
        // Stride 2: ceil(5 / 2) = 3 outputs.
        let x5 = Tensor.variable("x", .float64, shape: [1, 1, 5])
        XCTAssertEqual(try conv1d(x5, w, stride: 2, padding: .same).staticShape, [1, 1, 3])
        XCTAssertEqual(ConvPadding.same.amounts(kernel: [4, 3], dilation: [1, 2]).before, [1, 2])
        XCTAssertEqual(ConvPadding.same.amounts(kernel: [4, 3], dilation: [1, 2]).after, [2, 2])
        // A span beyond Int saturates instead of trapping.
        XCTAssertEqual(ConvPadding.full.amounts(kernel: [Int.max, 3], dilation: [3, Int.max]).before, [Int.max, Int.max])
    }

    func testConfigurationGrid() throws {
        var data = TestData(seed: 7)
        // (input shape, filter shape, stride, padding, dilation, groups)
        let grid: [([Int], [Int], [Int], ConvPadding, [Int], Int)] = [
            ([1, 1, 5, 5], [1, 1, 3, 3], [1, 1], .valid, [1, 1], 1),
            ([2, 3, 6, 5], [4, 3, 2, 3], [2, 1], .same, [1, 1], 1),
            ([1, 2, 4, 7], [2, 2, 3, 2], [1, 3], .full, [1, 2], 1),
            ([2, 4, 5, 4], [6, 2, 3, 3], [1, 1], .explicit(before: [2, 0], after: [1, 1]), [1, 1], 2),
            ([1, 3, 5, 6], [3, 1, 3, 3], [2, 2], .same, [1, 1], 3),
            ([1, 2, 7, 3], [2, 2, 2, 1], [3, 1], .explicit(before: [0, 1], after: [0, 0]), [2, 1], 1),
            ([3, 1, 3, 3], [2, 1, 3, 3], [1, 1], .same, [1, 1], 1),
            ([0, 2, 4, 4], [1, 2, 2, 2], [1, 1], .valid, [1, 1], 1),
        ]
        for (xs, ws, stride, padding, dilation, groups) in grid {
            for dtype in [DType.float64, .float32] {
                for flip in [true, false] {
                    let xa = data.array(xs, dtype), wa = try data.nonContiguous(ws, dtype)
                    let x = symbolicInput("x", xa), w = symbolicInput("w", wa)
                    let y = try conv2d(x, w, stride: stride, padding: padding, dilation: dilation, groups: groups, filterFlip: flip)
                    let pads = padding.amounts(kernel: Array(ws[2...]), dilation: dilation)
                    let expected = try naiveConv(xa, wa, stride: stride, before: pads.before, after: pads.after,
                                                 dilation: dilation, groups: groups, flip: flip)
                    let context = "\(xs) \(ws) stride \(stride) \(padding) dilation \(dilation) groups \(groups) flip \(flip) \(dtype)"
                    assertClose(try evaluate(y, [x, w], [xa, wa]), expected, rtol: 1e-5, atol: 1e-5, context)
                    try checkInferShape(y, [x, w], [xa, wa])
                }
            }
        }
    }

    func testTransposedInputView() throws {
        var data = TestData(seed: 8)
        // [1, 2, 5, 4] stored as the transpose of [1, 2, 4, 5].
        let xa = try data.array([1, 2, 4, 5]).transposed([0, 1, 3, 2])
        XCTAssertFalse(xa.isContiguous)
        let wa = data.array([3, 2, 2, 3])
        let x = Tensor.tensor4("x", .float64), w = Tensor.tensor4("w", .float64)
        let expected = try naiveConv(xa, wa, stride: [2, 1], before: [1, 1], after: [1, 1], dilation: [1, 1], groups: 1, flip: true)
        let y = try conv2d(x, w, stride: [2, 1], padding: .explicit(before: [1, 1], after: [1, 1]))
        assertClose(try evaluate(y, [x, w], [xa, wa]), expected, rtol: 1e-9, atol: 1e-9)
        let gx = try conv2dGradInputs(Tensor.tensor4("g", .float64), w, inputShape: [1, 2, 5, 4], stride: [2, 1],
                                      padding: .explicit(before: [1, 1], after: [1, 1]))
        XCTAssertEqual(gx.staticShape, [nil, nil, 5, 4])
    }

    /// `<conv(x, w), g> == <x, gradInputs(g, w)> == <w, gradWeights(x, g)>`: the gradient ops
    /// are the adjoints of the convolution.
    func testGradientOpsAreAdjoints() throws {
        var data = TestData(seed: 9)
        let configs: [([Int], [Int], [Int], ConvPadding, [Int], Int)] = [
            ([2, 4, 7, 6], [6, 2, 3, 2], [2, 3], .same, [1, 1], 2),
            ([1, 3, 5, 5], [3, 3, 2, 2], [1, 1], .full, [2, 1], 1),
            ([1, 2, 6, 5], [2, 2, 3, 3], [2, 2], .explicit(before: [1, 0], after: [0, 2]), [1, 1], 1),
        ]
        for (xs, ws, stride, padding, dilation, groups) in configs {
            for flip in [true, false] {
                let xa = data.array(xs), wa = data.array(ws)
                let x = Tensor.tensor4("x", .float64), w = Tensor.tensor4("w", .float64), g = Tensor.tensor4("g", .float64)
                let y = try conv2d(x, w, stride: stride, padding: padding, dilation: dilation, groups: groups, filterFlip: flip)
                let ya = try evaluate(y, [x, w], [xa, wa])
                let ga = data.array(ya.shape)
                let gx = try conv2dGradInputs(g, w, inputShape: xs, stride: stride, padding: padding, dilation: dilation, groups: groups, filterFlip: flip)
                let gw = try conv2dGradWeights(x, g, filterShape: ws, stride: stride, padding: padding, dilation: dilation, groups: groups, filterFlip: flip)
                let gxa = try evaluate(gx, [g, w], [ga, wa]), gwa = try evaluate(gw, [x, g], [xa, ga])
                XCTAssertEqual(gxa.shape, xs)
                XCTAssertEqual(gwa.shape, ws)
                let dot = { (a: NDArray, b: NDArray) in zip(a.doubles, b.doubles).reduce(0.0) { $0 + $1.0 * $1.1 } }
                let reference = dot(ya, ga)
                XCTAssertEqual(dot(xa, gxa), reference, accuracy: 1e-9 * Swift.max(1, abs(reference)))
                XCTAssertEqual(dot(wa, gwa), reference, accuracy: 1e-9 * Swift.max(1, abs(reference)))
                // conv2dTranspose is the same op.
                let t = try conv2dTranspose(g, w, outputShape: xs, stride: stride, padding: padding, dilation: dilation, groups: groups, filterFlip: flip)
                assertClose(try evaluate(t, [g, w], [ga, wa]), gxa, rtol: 1e-12, atol: 1e-12)
                try checkInferShape(gx, [g, w], [ga, wa])
                try checkInferShape(gw, [x, g], [xa, ga])
            }
        }
    }

    func testSymbolicShapesOfTheGradientOps() throws {
        var data = TestData(seed: 10)
        let x = Tensor.tensor4("x", .float64), w = Tensor.tensor4("w", .float64), g = Tensor.tensor4("g", .float64)
        let xa = data.array([1, 2, 5, 6]), wa = data.array([3, 2, 2, 3])
        let ga = data.array([1, 3, 3, 6])
        let gx = try conv2dGradInputs(g, w, inputShape: try x.shapeList(), stride: [2, 1], padding: .same)
        let gw = try conv2dGradWeights(x, g, filterShape: try w.shapeList(), stride: [2, 1], padding: .same)
        let f = try function([x, w, g], [gx, gw])
        let r = try f.call([xa, wa, ga])
        XCTAssertEqual(r[0].shape, [1, 2, 5, 6])
        XCTAssertEqual(r[1].shape, [3, 2, 2, 3])
    }

    func testGradients() throws {
        var data = TestData(seed: 11)
        let configs: [([Int], [Int], [Int], ConvPadding, [Int], Int, Bool)] = [
            ([1, 2, 4, 4], [2, 2, 2, 3], [1, 1], .valid, [1, 1], 1, true),
            ([2, 2, 5, 4], [2, 1, 3, 2], [2, 1], .same, [1, 1], 2, false),
            ([1, 1, 4, 5], [2, 1, 2, 2], [1, 2], .full, [2, 1], 1, true),
        ]
        for (xs, ws, stride, padding, dilation, groups, flip) in configs {
            let xa = data.array(xs), wa = data.array(ws)
            try verifyGrad({ try conv2d($0[0], $0[1], stride: stride, padding: padding, dilation: dilation, groups: groups, filterFlip: flip) },
                           at: [xa, wa])
            let ga = data.array(try conv2d(Tensor.constant(xa), Tensor.constant(wa), stride: stride, padding: padding,
                                           dilation: dilation, groups: groups, filterFlip: flip).staticShape.map { $0! })
            // The gradient ops, each with respect to both operands.
            try verifyGrad({ try conv2dGradInputs($0[0], $0[1], inputShape: xs, stride: stride, padding: padding, dilation: dilation,
                                                  groups: groups, filterFlip: flip) }, at: [ga, wa])
            try verifyGrad({ try conv2dGradWeights($0[0], $0[1], filterShape: ws, stride: stride, padding: padding, dilation: dilation,
                                                   groups: groups, filterFlip: flip) }, at: [xa, ga])
            // Double backprop: the gradient of a gradient.
            try verifyGrad({ v in
                let y = try conv2d(v[0], v[1], stride: stride, padding: padding, dilation: dilation, groups: groups, filterFlip: flip)
                let gs = try grad(sum(y * y), wrt: [v[0], v[1]])
                return try sum(gs[0] * gs[0]) + sum(gs[1] * v[1])
            }, at: [xa, wa])
        }
    }

    func testGradients1dAnd3d() throws {
        var data = TestData(seed: 12)
        try verifyGrad({ try conv1d($0[0], $0[1], stride: 2, padding: .same, dilation: 2, groups: 2) },
                       at: [data.array([2, 2, 7]), data.array([4, 1, 3])])
        try verifyGrad({ try conv3d($0[0], $0[1], stride: [1, 2, 1], padding: .explicit(before: [1, 0, 0], after: [0, 1, 1])) },
                       at: [data.array([1, 2, 3, 4, 3]), data.array([2, 2, 2, 2, 2])])
    }

    func testErrors() throws {
        let x = Tensor.variable("x", .float32, shape: [2, 3, 8, 8])
        let w = Tensor.variable("w", .float32, shape: [8, 4, 3, 3])
        assertThrows(.shapeMismatch, containing: ["conv2d", "input has 3 channels but filters expect 4", "[8, 4, 3, 3]", "groups 1"]) {
            try conv2d(x, w)
        }
        let w2 = Tensor.variable("w", .float32, shape: [6, 2, 3, 3])
        assertThrows(.shapeMismatch, containing: ["conv2d", "input has 3 channels but filters expect 4", "groups 2"]) {
            try conv2d(x, w2, groups: 2)
        }
        let x4 = Tensor.variable("x", .float32, shape: [2, 4, 8, 8])
        let w3 = Tensor.variable("w", .float32, shape: [5, 2, 3, 3])
        assertThrows(.shapeMismatch, containing: ["conv2d", "5 output channels", "groups 2"]) { try conv2d(x4, w3, groups: 2) }
        assertThrows(.shapeMismatch, containing: ["conv2d", "input", "rank 4", "rank 3"]) {
            try conv2d(Tensor.tensor3("x"), Tensor.tensor4("w"))
        }
        assertThrows(.shapeMismatch, containing: ["conv1d", "filters", "rank 3"]) { try conv1d(Tensor.tensor3("x"), Tensor.tensor4("w")) }
        assertThrows(.typeMismatch, containing: ["conv2d", "float32 or float64", "int32"]) {
            try conv2d(Tensor.variable("x", .int32, shape: [nil, nil, nil, nil]), Tensor.tensor4("w"))
        }
        assertThrows(.typeMismatch, containing: ["conv2d", "one dtype", "float64"]) {
            try conv2d(Tensor.tensor4("x", .float64), Tensor.tensor4("w", .float32))
        }
        let small = Tensor.variable("x", .float32, shape: [1, 1, 2, 8])
        let big = Tensor.variable("w", .float32, shape: [1, 1, 3, 3])
        assertThrows(.shapeMismatch, containing: ["conv2d", "spans 3", "padded input's 2"]) { try conv2d(small, big) }
        assertThrows(.shapeMismatch, containing: ["conv2d", "spans 5"]) {
            try conv2d(Tensor.variable("x", .float32, shape: [1, 1, 4, 8]), big, dilation: [2, 1])
        }
        XCTAssertNoThrow(try conv2d(small, big, padding: .same))
        // Sizes beyond Int: an error naming the op and the axis, never an overflow trap.
        assertThrows(.invalidArgument, containing: ["conv2d", "spatial axis 0", "dilation \(Int.max)"]) {
            try conv2d(small, big, dilation: [Int.max, 1])
        }
        assertThrows(.invalidArgument, containing: ["conv2d", "spatial axis 1"]) {
            try conv2d(small, big, padding: .full, dilation: [1, Int.max / 2])
        }
        assertThrows(.invalidArgument, containing: ["conv2d", "padding", "spatial axis 0"]) {
            try conv2d(small, big, padding: .explicit(before: [Int.max, 0], after: [1, 0]))
        }
        assertThrows(.invalidArgument, containing: ["conv2d", "padding", "spatial axis 1"]) {
            try conv2d(Tensor.tensor4("x"), Tensor.tensor4("w"), padding: .explicit(before: [0, Int.max - 1], after: [0, 2]))
        }
        assertThrows(.invalidArgument, containing: ["conv2d", "strides must be positive"]) { try conv2d(x4, Tensor.tensor4("w"), stride: [0, 1]) }
        assertThrows(.invalidArgument, containing: ["conv2d", "2 strides"]) { try conv2d(x4, Tensor.tensor4("w"), stride: [1]) }
        assertThrows(.invalidArgument, containing: ["conv2d", "explicit padding", "2 entries"]) {
            try conv2d(x4, Tensor.tensor4("w"), padding: .explicit(before: [1], after: [1]))
        }
        // Run-time checks: the same messages from perform (and the kernels).
        let xs = Tensor.tensor4("x", .float64), ws = Tensor.tensor4("w", .float64)
        let f = try function([xs, ws], [try conv2d(xs, ws)])
        assertThrows(.shapeMismatch, containing: ["conv2d", "input has 3 channels but filters expect 4"]) {
            try f.call([NDArray(zeros: [1, 3, 5, 5], dtype: .float64), NDArray(zeros: [2, 4, 3, 3], dtype: .float64)])
        }
        assertThrows(.shapeMismatch, containing: ["conv2d", "spans 3"]) {
            try f.call([NDArray(zeros: [1, 1, 2, 5], dtype: .float64), NDArray(zeros: [2, 1, 3, 3], dtype: .float64)])
        }
        // Gradient ops: mismatched output gradient.
        let g = Tensor.variable("g", .float32, shape: [2, 8, 5, 5])
        let wf = Tensor.variable("w", .float32, shape: [8, 3, 3, 3])
        assertThrows(.shapeMismatch, containing: ["conv2dGradInputs", "give 6 output positions", "has 5"]) {
            try conv2dGradInputs(g, wf, inputShape: [2, 3, 8, 8])
        }
        assertThrows(.shapeMismatch, containing: ["conv2dGradInputs", "7 channels", "8 output channels"]) {
            try conv2dGradInputs(Tensor.variable("g", .float32, shape: [2, 7, 6, 6]), wf, inputShape: [2, 3, 8, 8])
        }
        assertThrows(.shapeMismatch, containing: ["conv2dGradWeights", "give 6 output positions", "has 5"]) {
            try conv2dGradWeights(x, g, filterShape: [8, 3, 3, 3])
        }
    }

    func testKernelsRun() throws {
        let x = Tensor.tensor4("x", .float32), w = Tensor.tensor4("w", .float32)
        let y = try conv2d(x, w, stride: [2, 1], padding: .same, groups: 2)
        let gs = try grad(sum(y * y), wrt: [x, w])
        let f = try function([x, w], [y] + gs)
        var data = TestData(seed: 13)
        let r = try f.call([data.array([2, 4, 5, 6], .float32), data.array([4, 2, 3, 2], .float32)])
        XCTAssertEqual(r[1].shape, [2, 4, 5, 6])
        XCTAssertEqual(r[2].shape, [4, 2, 3, 2])
        if backendName == "cpu" {
            let convNodes = f.kernelReport.entries.filter { $0.op.hasPrefix("Conv") }
            XCTAssertEqual(convNodes.count, 3, f.kernelReport.description)
            // oneDNN runs float32 convolutions in processes whose OpenMP threads sleep
            // (`OMP_WAIT_POLICY=PASSIVE`, as `./run.sh test` and the `theano` CLI set).
            let passive = ProcessInfo.processInfo.environment["OMP_WAIT_POLICY"]?.lowercased() == "passive"
            let expected = passive ? "oneDNN" : "im2col+OpenBLAS"
            XCTAssertTrue(convNodes.allSatisfy { $0.implementation.hasPrefix(expected) }, f.kernelReport.description)
        }
    }

    /// float32 convolutions and both gradients over strides, dilations, groups, asymmetric and
    /// `same`/`full` padding, true convolution and correlation: on the CPU backend these run
    /// oneDNN (when OpenMP is passive) or im2col, and `Mode.debug` compares every node with
    /// `perform`; the values are also checked against the reference backend.
    func testFloat32ConvolutionKernelsAgainstTheReference() throws {
        var data = TestData(seed: 21)
        let configs: [(x: [Int], w: [Int], stride: [Int], padding: ConvPadding, dilation: [Int], groups: Int, flip: Bool)] = [
            ([2, 3, 9, 8], [4, 3, 3, 2], [1, 1], .valid, [1, 1], 1, true),
            ([2, 3, 9, 8], [4, 3, 3, 2], [2, 1], .same, [1, 1], 1, false),
            ([1, 4, 7, 7], [6, 2, 3, 3], [1, 2], .explicit(before: [2, 0], after: [1, 3]), [1, 1], 2, true),
            ([3, 4, 10, 9], [4, 1, 3, 3], [1, 1], .full, [2, 1], 4, false),
            ([2, 1, 12, 12], [5, 1, 5, 5], [1, 1], .valid, [1, 1], 1, false),
            ([2, 6, 6, 5], [3, 6, 2, 2], [2, 2], .valid, [1, 1], 1, true),
        ]
        for c in configs {
            let x = Tensor.variable("x", .float32, shape: c.x.map { Optional($0) })
            let w = Tensor.variable("w", .float32, shape: c.w.map { Optional($0) })
            let y = try conv2d(x, w, stride: c.stride, padding: c.padding, dilation: c.dilation, groups: c.groups, filterFlip: c.flip)
            let outputs = [y] + (try grad(sum(y * y), wrt: [x, w]))
            let args = [data.array(c.x, .float32), data.array(c.w, .float32)]
            let got = try function([x, w], outputs).call(args)
            let want = try function([x, w], outputs, options: CompileOptions(backend: .reference)).call(args)
            for (a, b) in zip(got, want) { assertClose(a, b, rtol: 1e-4, atol: 1e-3) }
        }
    }

    /// The gradient ops on float32, non-contiguous operands, and empty batches (on the CPU
    /// backend `Mode.debug` compares the im2col kernels with `perform` at every node).
    func testGradientOpsOnViewsAndEmptyBatches() throws {
        var data = TestData(seed: 14)
        let configs: [([Int], [Int], [Int], ConvPadding, [Int], Int)] = [
            ([2, 4, 6, 5], [4, 1, 3, 2], [2, 1], .same, [1, 2], 4),
            ([0, 2, 4, 4], [3, 2, 2, 2], [1, 1], .valid, [1, 1], 1),
            ([1, 3, 5, 4], [2, 3, 1, 1], [2, 2], .full, [1, 1], 1),
        ]
        for (xs, ws, stride, padding, dilation, groups) in configs {
            for dtype in [DType.float32, .float64] {
                let x = Tensor.tensor4("x", dtype), w = Tensor.tensor4("w", dtype), g = Tensor.tensor4("g", dtype)
                let xa = try data.nonContiguous(xs, dtype), wa = try data.nonContiguous(ws, dtype)
                let y = try conv2d(x, w, stride: stride, padding: padding, dilation: dilation, groups: groups)
                let ya = try evaluate(y, [x, w], [xa, wa])
                let ga = try data.nonContiguous(ya.shape, dtype)
                let gx = try conv2dGradInputs(g, w, inputShape: xs, stride: stride, padding: padding, dilation: dilation, groups: groups)
                let gw = try conv2dGradWeights(x, g, filterShape: ws, stride: stride, padding: padding, dilation: dilation, groups: groups)
                let f = try function([x, w, g], [gx, gw])
                let r = try f.call([xa, wa, ga])
                XCTAssertEqual(r[0].shape, xs)
                XCTAssertEqual(r[1].shape, ws)
                XCTAssertEqual(r[0].dtype, dtype)
                let dot = { (a: NDArray, b: NDArray) in zip(a.doubles, b.doubles).reduce(0.0) { $0 + $1.0 * $1.1 } }
                let reference = dot(ya, ga), tolerance = (dtype == .float32 ? 1e-4 : 1e-9) * Swift.max(1, abs(reference))
                XCTAssertEqual(dot(xa, r[0]), reference, accuracy: tolerance, "\(xs) \(dtype)")
                XCTAssertEqual(dot(wa, r[1]), reference, accuracy: tolerance, "\(xs) \(dtype)")
                if xs[0] == 0 { XCTAssertEqual(r[1].doubles, [Double](repeating: 0, count: r[1].count)) }
            }
        }
    }
}
