import Foundation
import Theano
import XCTest

/// Pooling from its definition over the last two axes (test reference, independent of the op).
func naivePool2d(_ x: NDArray, window: [Int], stride: [Int], padding: [Int], mode: PoolMode, ignoreBorder: Bool) throws -> NDArray {
    let lead = Array(x.shape.dropLast(2)), (h, w) = (x.shape[x.rank - 2], x.shape[x.rank - 1])
    func count(_ size: Int, _ a: Int) -> Int {
        if ignoreBorder { return (size + 2 * padding[a] - window[a]) / stride[a] + 1 }
        if stride[a] >= window[a] { return (size - 1) / stride[a] + 1 }
        return Swift.max(0, (size - 1 - window[a] + stride[a]) / stride[a]) + 1
    }
    let (oh, ow) = (count(h, 0), count(w, 1))
    var values: [Double] = []
    for index in allIndices(lead + [oh, ow]) {
        let (i, j) = (index[index.count - 2], index[index.count - 1])
        let r0 = i * stride[0] - padding[0], c0 = j * stride[1] - padding[1]
        let r1 = Swift.min(r0 + window[0], h + padding[0]), c1 = Swift.min(c0 + window[1], w + padding[1])
        var cells: [Double] = []
        for r in Swift.max(r0, 0)..<Swift.min(r1, h) {
            for c in Swift.max(c0, 0)..<Swift.min(c1, w) {
                cells.append(try x.element(Array(index.dropLast(2)) + [r, c], as: Double.self))
            }
        }
        switch mode {
        case .max: values.append(cells.max()!)
        case .sum: values.append(cells.reduce(0, +))
        case .averageIncludingPadding: values.append(cells.reduce(0, +) / Double((r1 - r0) * (c1 - c0)))
        case .averageExcludingPadding: values.append(cells.reduce(0, +) / Double(cells.count))
        }
    }
    return try NDArray(values, shape: lead + [oh, ow]).astype(x.dtype)
}

final class PoolTests: BackendTestCase {
    // NumPy fixtures (window, stride, padding, ignoreBorder, mode, output shape, values) over
    // a 5 x 5 input with a tie (7, 7) in its first window.
    let poolX: [Double] = [7, 7, 5, -2, 2, -2, 4, 1, 4, 2, 1, 0, -5, -4, 2, 2, 1, -4, 4, 3, 0, -3, 3, 0, 5]
    let fixtures: [([Int], [Int], [Int], Bool, PoolMode, [Int], [Double])] = [
    ([2, 2], [2, 2], [0, 0], true, .max, [2, 2], [7, 5, 2, 4]),
    ([2, 2], [2, 2], [0, 0], true, .sum, [2, 2], [16, 8, 4, -9]),
    ([2, 2], [2, 2], [0, 0], true, .averageIncludingPadding, [2, 2], [4, 2, 1, -2.25]),
    ([2, 2], [2, 2], [0, 0], true, .averageExcludingPadding, [2, 2], [4, 2, 1, -2.25]),
    ([2, 2], [2, 2], [0, 0], false, .max, [3, 3], [7, 5, 2, 2, 4, 3, 0, 3, 5]),
    ([2, 2], [2, 2], [0, 0], false, .sum, [3, 3], [16, 8, 4, 4, -9, 5, -3, 3, 5]),
    ([2, 2], [2, 2], [0, 0], false, .averageIncludingPadding, [3, 3], [4, 2, 2, 1, -2.25, 2.5, -1.5, 1.5, 5]),
    ([2, 2], [2, 2], [0, 0], false, .averageExcludingPadding, [3, 3], [4, 2, 2, 1, -2.25, 2.5, -1.5, 1.5, 5]),
    ([3, 2], [2, 1], [1, 1], true, .max, [3, 6], [7, 7, 7, 5, 4, 2, 2, 4, 4, 4, 4, 3, 2, 2, 3, 4, 5, 5]),
    ([3, 2], [2, 1], [1, 1], true, .sum, [3, 6], [5, 16, 17, 8, 6, 4, 1, 6, -3, -4, 11, 7, 2, 0, -3, 3, 12, 8]),
    ([3, 2], [2, 1], [1, 1], true, .averageIncludingPadding, [3, 6], [0.8333333333333334, 2.6666666666666665, 2.8333333333333335, 1.3333333333333333, 1, 0.6666666666666666, 0.16666666666666666, 1, -0.5, -0.6666666666666666, 1.8333333333333333, 1.1666666666666667, 0.3333333333333333, 0, -0.5, 0.5, 2, 1.3333333333333333]),
    ([3, 2], [2, 1], [1, 1], true, .averageExcludingPadding, [3, 6], [2.5, 4, 4.25, 2, 1.5, 2, 0.3333333333333333, 1, -0.5, -0.6666666666666666, 1.8333333333333333, 2.3333333333333335, 1, 0, -0.75, 0.75, 3, 4]),
    ([3, 3], [1, 2], [0, 0], false, .max, [3, 2], [7, 5, 4, 4, 3, 5]),
    ([3, 3], [1, 2], [0, 0], false, .sum, [3, 2], [18, 5, -2, 3, -5, 4]),
    ([3, 3], [1, 2], [0, 0], false, .averageIncludingPadding, [3, 2], [2, 0.5555555555555556, -0.2222222222222222, 0.3333333333333333, -0.5555555555555556, 0.4444444444444444]),
    ([3, 3], [1, 2], [0, 0], false, .averageExcludingPadding, [3, 2], [2, 0.5555555555555556, -0.2222222222222222, 0.3333333333333333, -0.5555555555555556, 0.4444444444444444]),
    ]

    func testValuesAgainstNumPy() throws {
        for (window, stride, padding, ignoreBorder, mode, shape, values) in fixtures {
            for dtype in [DType.float64, .float32] {
                let xa = try NDArray(poolX, shape: [1, 1, 5, 5]).astype(dtype)
                let x = symbolicInput("x", xa)
                let y = try pool2d(x, window: window, stride: stride, padding: padding, mode: mode, ignoreBorder: ignoreBorder)
                XCTAssertEqual(y.dtype, dtype)
                assertValues(try evaluate(y, [x], [xa]), values, shape: [1, 1] + shape, rtol: 1e-6)
                let exact = try pool2d(symbolicInput("x", xa, exact: true), window: window, stride: stride, padding: padding,
                                       mode: mode, ignoreBorder: ignoreBorder)
                XCTAssertEqual(exact.staticShape, ([1, 1] + shape).map { Optional($0) })
                try checkInferShape(y, [x], [xa])
            }
        }
    }

    func testGridAgainstDefinition() throws {
        var data = TestData(seed: 21)
        let grid: [([Int], [Int], [Int]?, [Int], Bool)] = [
            ([2, 3, 6, 5], [2, 2], nil, [0, 0], true),
            ([2, 3, 6, 5], [2, 2], nil, [0, 0], false),
            ([1, 2, 7, 4], [3, 2], [2, 1], [1, 1], true),
            ([3, 5, 5], [3, 3], [1, 2], [0, 0], false),
            ([4, 4], [1, 3], [1, 1], [0, 2], true),
            ([1, 1, 1, 1], [1, 1], nil, [0, 0], true),
            ([0, 2, 4, 4], [2, 2], nil, [0, 0], true),
            ([2, 1, 3, 7], [4, 2], [3, 3], [0, 0], false),
        ]
        for (shape, window, stride, padding, ignoreBorder) in grid {
            for mode in [PoolMode.max, .averageIncludingPadding, .averageExcludingPadding, .sum] {
                for dtype in [DType.float64, .float32] {
                    let xa = try data.nonContiguous(shape, dtype)
                    let x = symbolicInput("x", xa)
                    let y = try pool2d(x, window: window, stride: stride, padding: padding, mode: mode, ignoreBorder: ignoreBorder)
                    let expected = try naivePool2d(xa, window: window, stride: stride ?? window, padding: padding, mode: mode, ignoreBorder: ignoreBorder)
                    let context = "\(shape) window \(window) stride \(String(describing: stride)) padding \(padding) ignoreBorder \(ignoreBorder) \(mode) \(dtype)"
                    assertClose(try evaluate(y, [x], [xa]), expected, rtol: 1e-5, atol: 1e-6, context)
                    try checkInferShape(y, [x], [xa])
                }
            }
        }
    }

    func testOneAndThreeDimensions() throws {
        let x1 = Tensor.variable("x", .float64, shape: [1, 6])
        let a1 = try NDArray([1.0, 5, 2, 0, 3, 4], shape: [1, 6])
        assertValues(try evaluate(try pool1d(x1, window: 2), [x1], [a1]), [5, 2, 4])
        assertValues(try evaluate(try x1.pool1d(window: 3, mode: .averageExcludingPadding), [x1], [a1]), [8.0 / 3, 7.0 / 3])
        assertValues(try evaluate(try pool1d(x1, window: 4, stride: 3, mode: .sum, ignoreBorder: false), [x1], [a1]), [8, 7])
        assertValues(try evaluate(try pool1d(x1, window: 3, padding: 1, mode: .averageIncludingPadding), [x1], [a1]), [2, 5.0 / 3])
        assertValues(try evaluate(try pool1d(x1, window: 3, padding: 1, mode: .averageExcludingPadding), [x1], [a1]), [3, 5.0 / 3])
        let x3 = Tensor.variable("x", .float64, shape: [1, 2, 2, 4])
        let a3 = try NDArray((0..<16).map(Double.init), shape: [1, 2, 2, 4])
        // Windows 2 x 2 x 2 every 2: max is the last element of each window, sums add 8 cells.
        assertValues(try evaluate(try pool3d(x3, window: [2, 2, 2]), [x3], [a3]), [13, 15])
        assertValues(try evaluate(try pool3d(x3, window: [2, 2, 2], mode: .sum), [x3], [a3]), [0 + 1 + 4 + 5 + 8 + 9 + 12 + 13, 2 + 3 + 6 + 7 + 10 + 11 + 14 + 15])
        try checkInferShape(try pool3d(x3, window: [1, 2, 3], stride: [1, 1, 2], ignoreBorder: false), [x3], [a3])
    }

    func testMaxGradientGoesToTheFirstMaximum() throws {
        let x = Tensor.variable("x", .float64, shape: [1, 1, 2, 4])
        // Window 1: ties 3, 3 (row-major first wins); window 2: all equal.
        let a = try NDArray([1.0, 3, 2, 2, 3, 0, 2, 2], shape: [1, 1, 2, 4])
        let y = try pool2d(x, window: [2, 2])
        let g = try grad(sum(y * Tensor.constant(try NDArray([10.0, 20], shape: [1, 1, 1, 2]))), wrt: x)
        assertValues(try evaluate(g, [x], [a]), [0, 10, 20, 0, 0, 0, 0, 0])
        // Overlapping windows add up at a shared winner.
        let y2 = try pool2d(x, window: [2, 2], stride: [1, 1])
        assertValues(try evaluate(try grad(sum(y2), wrt: x), [x], [a]), [0, 2, 1, 0, 0, 0, 0, 0])
    }

    func testGradients() throws {
        var data = TestData(seed: 22)
        let configs: [([Int], [Int], [Int]?, [Int], Bool)] = [
            ([2, 2, 5, 4], [2, 2], nil, [0, 0], true),
            ([1, 2, 5, 5], [3, 2], [2, 1], [1, 1], true),
            ([1, 1, 5, 4], [2, 3], [2, 2], [0, 0], false),
        ]
        for (shape, window, stride, padding, ignoreBorder) in configs {
            for mode in [PoolMode.max, .averageIncludingPadding, .averageExcludingPadding, .sum] {
                let xa = data.array(shape)
                try verifyGrad({ try pool2d($0[0], window: window, stride: stride, padding: padding, mode: mode, ignoreBorder: ignoreBorder) }, at: [xa])
                // The gradient op with respect to the output gradient (x held constant), and
                // double backprop through it.
                let xc = Tensor.constant(xa)
                let pooledShape = try pool2d(xc, window: window, stride: stride, padding: padding, mode: mode, ignoreBorder: ignoreBorder).staticShape.map { $0! }
                let p = PoolParameters(window: window, stride: stride ?? window, padding: padding, mode: mode, ignoreBorder: ignoreBorder)
                try verifyGrad({ v in
                    if mode == .max { return try MaxPoolGrad(p).apply([xc, v[0]]) }
                    return try AveragePoolGrad(p).apply([xc, v[0]])
                }, at: [data.array(pooledShape)])
                try verifyGrad({ v in
                    let y = try pool2d(v[0], window: window, stride: stride, padding: padding, mode: mode, ignoreBorder: ignoreBorder)
                    let g = try grad(sum(y * y), wrt: v[0])
                    return try g * v[0]
                }, at: [xa])
            }
        }
    }

    func testGatherAtWinners() throws {
        let x = Tensor.variable("x", .float64, shape: [1, 4]), v = Tensor.variable("v", .float64, shape: [1, 4])
        let p = PoolParameters(window: [2], stride: [2], padding: [0], mode: .max, ignoreBorder: true)
        let gathered = try MaxPoolGather(p).apply([x, v])
        XCTAssertEqual(gathered.staticShape, [1, 2])
        assertValues(try evaluate(gathered, [x, v], [try NDArray([1.0, 4, 4, 2], shape: [1, 4]), try NDArray([10.0, 20, 30, 40], shape: [1, 4])]), [20, 30])
        try checkInferShape(gathered, [x, v], [try NDArray([1.0, 4, 4, 2], shape: [1, 4]), try NDArray([10.0, 20, 30, 40], shape: [1, 4])])
    }

    func testGlobalPooling() throws {
        let x = Tensor.tensor4("x", .float64)
        let a = try NDArray((0..<12).map(Double.init), shape: [1, 2, 2, 3])
        assertValues(try evaluate(try globalPool2d(x, mode: .max), [x], [a]), [5, 11], shape: [1, 2])
        assertValues(try evaluate(try x.globalPool2d(mode: .max), [x], [a]), [5, 11], shape: [1, 2])
        assertValues(try evaluate(try globalPool2d(x, mode: .sum), [x], [a]), [15, 51], shape: [1, 2])
        assertValues(try evaluate(try globalPool2d(x, mode: .averageExcludingPadding), [x], [a]), [2.5, 8.5], shape: [1, 2])
        assertValues(try evaluate(try globalPool2d(x, mode: .averageIncludingPadding), [x], [a]), [2.5, 8.5], shape: [1, 2])
        assertThrows(.shapeMismatch, containing: ["globalPool2d", "rank 4"]) { try globalPool2d(Tensor.tensor3("x"), mode: .max) }
    }

    func testErrors() throws {
        let x = Tensor.variable("x", .float32, shape: [1, 1, 4, 4])
        assertThrows(.invalidArgument, containing: ["pool2d", "2 window sizes"]) { try pool2d(x, window: [2]) }
        assertThrows(.invalidArgument, containing: ["pool2d", "positive"]) { try pool2d(x, window: [0, 2]) }
        assertThrows(.invalidArgument, containing: ["pool2d", "smaller than the window"]) { try pool2d(x, window: [2, 2], padding: [2, 0]) }
        assertThrows(.invalidArgument, containing: ["pool2d", "requires ignoreBorder"]) { try pool2d(x, window: [2, 2], padding: [1, 0], ignoreBorder: false) }
        assertThrows(.shapeMismatch, containing: ["pool2d", "larger than the padded input"]) { try pool2d(x, window: [5, 2]) }
        // Padding near Int.max: an error, never an overflow trap.
        assertThrows(.invalidArgument, containing: ["pool2d", "pooled axis 0"]) {
            try pool2d(x, window: [Int.max, 2], padding: [Int.max - 1, 0])
        }
        assertThrows(.shapeMismatch, containing: ["pool2d", "at least 2 axes"]) { try pool2d(Tensor.vector("v"), window: [2, 2]) }
        assertThrows(.typeMismatch, containing: ["pool2d", "float32 or float64", "int32"]) {
            try pool2d(Tensor.variable("i", .int32, shape: [4, 4]), window: [2, 2])
        }
        let m = Tensor.matrix("m", .float64)
        let g = try function([m], [try pool2d(m, window: [3, 3])])
        assertThrows(.shapeMismatch, containing: ["pool2d", "larger than the padded input"]) { try g.call([NDArray(zeros: [2, 5], dtype: .float64)]) }
    }

    func testKernelsRun() throws {
        for mode in [PoolMode.max, .averageExcludingPadding] {
            let x = Tensor.tensor4("x", .float32)
            let y = try pool2d(x, window: [3, 2], stride: [2, 1], padding: [1, 0], mode: mode)
            let f = try function([x], [y, try grad(sum(y * y), wrt: x)])
            var data = TestData(seed: 23)
            let r = try f.call([data.array([2, 3, 5, 4], .float32)])
            XCTAssertEqual(r[0].shape, [2, 3, 3, 3])
            if backendName == "cpu" {
                let nodes = f.kernelReport.entries.filter { $0.op.contains("Pool") }
                XCTAssertEqual(nodes.count, 2, f.kernelReport.description)
                XCTAssertTrue(nodes.allSatisfy { $0.implementation == "Swift loops" }, f.kernelReport.description)
            }
        }
    }

    /// 2x2 windows with stride 2 run the runtime library's C loops on the CPU backend, on
    /// planes split over threads, and match the reference on random data of several sizes.
    func testTwoByTwoMaxPoolingKernel() throws {
        for dtype in [DType.float32, .float64] {
            let x = Tensor.variable("x", dtype, shape: [nil, nil, nil, nil])
            let y = try pool2d(x, window: [2, 2], mode: .max)
            let f = try function([x], [y, try grad(sum(y * y * y), wrt: x)])
            let reference = try function([x], [y, try grad(sum(y * y * y), wrt: x)], options: CompileOptions(backend: .reference))
            if backendName == "cpu" {
                let nodes = f.kernelReport.entries.filter { $0.op.contains("Pool") }
                XCTAssertEqual(nodes.count, 2, f.kernelReport.description)
                XCTAssertTrue(nodes.allSatisfy { $0.implementation.hasPrefix("C loops") }, f.kernelReport.description)
            }
            var data = TestData(seed: 5)
            for shape in [[16, 20, 24, 24], [1, 1, 2, 2], [3, 4, 9, 11], [2, 1, 2, 5], [0, 3, 4, 4]] {
                let input = data.array(shape, dtype)
                let got = try f.call([input]), want = try reference.call([input])
                for (a, b) in zip(got, want) {
                    XCTAssertEqual(a.shape, b.shape, "\(shape)")
                    XCTAssertEqual(a.doubles, b.doubles, "\(dtype) \(shape)")
                }
            }
        }
    }

    /// The CPU's branch-free max-pooling loops (2x2 windows and others, no padding) keep the
    /// reference's tie rule on ties, signed zeros and NaNs, forward and backward.
    func testMaxPoolingTiesZerosAndNaNsMatchTheReference() throws {
        for dtype in [DType.float32, .float64] {
            // 6x6 planes tile exactly; 7x5 planes leave a row and a column outside every 2x2
            // window (their gradient is 0). With `withNaN` false, the 2x2 C loops take their
            // branch-free path on ties and signed zeros; with it, some rows take the plain loop.
            for (window, stride) in [([2, 2], [2, 2]), ([3, 2], [1, 2]), ([2, 3], [2, 1])] {
                for (shape, withNaN) in [([3, 2, 6, 6], true), ([3, 2, 6, 6], false), ([2, 3, 7, 5], true), ([2, 3, 7, 5], false)] {
                    let x = Tensor.variable("x", dtype, shape: [nil, shape[1], shape[2], shape[3]])
                    let y = try pool2d(x, window: window, stride: stride, mode: .max)
                    let outputs = [y] + (try grad(sum(y * y), wrt: [x]))
                    var values: [Double] = []
                    for i in 0..<shapeSize(shape) {
                        switch i % (withNaN ? 9 : 8) {
                        case 0: values.append(withNaN && i % 5 == 0 ? .nan : 2)
                        case 1, 2: values.append(1)          // ties
                        case 3: values.append(-0.0)
                        case 4: values.append(0)
                        default: values.append(Double((i * 37) % 11) - 5)
                        }
                    }
                    let input = try NDArray(values, shape: shape).astype(dtype)
                    let got = try function([x], outputs).call([input])
                    let want = try function([x], outputs, options: CompileOptions(backend: .reference)).call([input])
                    for (a, b) in zip(got, want) {
                        XCTAssertEqual(a.shape, b.shape)
                        for (u, v) in zip(a.doubles, b.doubles) {
                            XCTAssertTrue(u.bitPattern == v.bitPattern || (u.isNaN && v.isNaN), "\(dtype) window \(window) shape \(shape): \(u) vs \(v)")
                        }
                    }
                }
            }
        }
    }
}
