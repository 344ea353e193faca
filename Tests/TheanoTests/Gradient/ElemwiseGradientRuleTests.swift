import Theano
import XCTest

/// The documented gradient rules at kinks, poles and special values, checked exactly.
final class ElemwiseGradientRuleTests: BackendTestCase {
    let x = Tensor.vector("x", .float64)
    let y = Tensor.vector("y", .float64)
    let z = Tensor.vector("z", .float64)

    // MARK: Subgradients at kinks

    func testAbsHasGradientZeroAtZero() throws {
        let g = try gradients(abs(x), wrt: [x], [x: NDArray([-2.0, 0.0, -0.0, 3.0])])
        assertValues(g[0], [-1, 0, 0, 1])
    }

    func testMaximumAndMinimumSplitTiesEqually() throws {
        let values: [Tensor: NDArray] = [x: NDArray([1.0, 2.0, 3.0, -1.0]), y: NDArray([1.0, 5.0, 0.0, -1.0])]
        let gMax = try gradients(maximum(x, y), wrt: [x, y], values)
        assertValues(gMax[0], [0.5, 0, 1, 0.5])
        assertValues(gMax[1], [0.5, 1, 0, 0.5])
        let gMin = try gradients(minimum(x, y), wrt: [x, y], values)
        assertValues(gMin[0], [0.5, 1, 0, 0.5])
        assertValues(gMin[1], [0.5, 0, 1, 0.5])
        // The same variable on both sides gets the whole gradient.
        assertValues(try gradients(maximum(x, x), wrt: [x], [x: NDArray([0.0, 2.0])])[0], [1, 1])
        // relu at 0 (a literal operand): half the gradient.
        assertValues(try gradients(maximum(x, 0), wrt: [x], [x: NDArray([-1.0, 0.0, 2.0])])[0], [0, 0.5, 1])
    }

    func testMaximumTiesWithABroadcastOperandSumTheHalves() throws {
        let s = Tensor.scalar("s", .float64)
        let g = try gradients(maximum(x, s), wrt: [x, s], [x: NDArray([1.0, 2.0, 2.0, 3.0]), s: NDArray(scalar: 2.0)])
        assertValues(g[0], [0, 0.5, 0.5, 1])
        assertValues(g[1], [2])  // 1 + 0.5 + 0.5
    }

    func testClipPassesTheGradientToWhicheverValueIsReturned() throws {
        let values: [Tensor: NDArray] = [
            x: NDArray([-2.0, -1.0, 0.0, 1.0, 2.0, 0.5]),
            y: NDArray([-1.0, -1.0, -1.0, -1.0, -1.0, 0.5]),
            z: NDArray([1.0, 1.0, 1.0, 1.0, 1.0, 0.5]),
        ]
        let g = try gradients(clip(x, y, z), wrt: [x, y, z], values)
        // low <= x <= high (bounds included) goes to x; below to low; above to high.
        assertValues(g[0], [0, 1, 1, 1, 0, 1])
        assertValues(g[1], [1, 0, 0, 0, 0, 0])
        assertValues(g[2], [0, 0, 0, 0, 1, 0])
    }

    func testClipWithScalarBoundsSumsTheirGradients() throws {
        let lo = Tensor.scalar("lo", .float64), hi = Tensor.scalar("hi", .float64)
        let g = try gradients(clip(x, lo, hi) * 2, wrt: [x, lo, hi],
                              [x: NDArray([-3.0, -2.0, 0.0, 4.0, 5.0]), lo: NDArray(scalar: -1.0), hi: NDArray(scalar: 1.0)])
        assertValues(g[0], [0, 0, 2, 0, 0])
        assertValues(g[1], [4])
        assertValues(g[2], [4])
    }

    func testClipWithLowAboveHighGivesEverythingToHigh() throws {
        // clip is minimum(maximum(x, low), high): with low > high it returns high everywhere.
        let (xv, yv, zv) = (NDArray([-5.0, 0.0, 5.0, 1.0, 2.0]), NDArray([2.0, 2.0, 2.0, 2.0, 2.0]), NDArray([1.0, 1.0, 1.0, 1.0, 1.0]))
        let clipped = try clip(x, y, z)
        assertValues(try function([x, y, z], [clipped]).call([xv, yv, zv])[0], [1, 1, 1, 1, 1])
        let g = try gradients(clipped, wrt: [x, y, z], [x: xv, y: yv, z: zv])
        assertValues(g[0], [0, 0, 0, 0, 0])
        assertValues(g[1], [0, 0, 0, 0, 0])
        assertValues(g[2], [1, 1, 1, 1, 1])
    }

    func testClipAtNaNGivesNoGradient() throws {
        let g = try gradients(clip(x, -1, 1), wrt: [x], [x: NDArray([Double.nan, 0.5])])
        assertValues(g[0], [0, 1])
    }

    func testRoundingAndSignHaveZeroConnectedGradients() throws {
        let value = NDArray([-1.5, -0.5, 0.0, 0.4, 2.5])
        let ops: [(String, (Tensor) throws -> Tensor)] = [
            ("floor", floor), ("ceil", ceil), ("round", round), ("trunc", trunc), ("sign", sign),
        ]
        for (name, op) in ops {
            // Connected: the default `disconnected: .raise` does not throw.
            let g = try gradients(op(x), wrt: [x], [x: value])
            XCTAssertEqual(g[0].dtype, .float64, name)
            assertValues(g[0], [0, 0, 0, 0, 0])
        }
        let gDiv = try gradients(floorDivide(x, y), wrt: [x, y], [x: NDArray([3.0, -7.0]), y: NDArray([2.0, 2.0])])
        assertValues(gDiv[0], [0, 0])
        assertValues(gDiv[1], [0, 0])
    }

    func testComparisonsLogicAndClassificationAreDisconnected() throws {
        let builders: [(String, (Tensor, Tensor) throws -> Tensor)] = [
            ("eq", eq), ("neq", neq), ("lt", lt), ("le", le), ("gt", gt), ("ge", ge),
            ("logicalAnd", { try logicalAnd($0 .> 0, $1 .> 0) }),
            ("logicalOr", { try logicalOr($0 .> 0, $1 .> 0) }),
            ("logicalXor", { try logicalXor($0 .> 0, $1 .> 0) }),
            ("logicalNot", { a, _ in try logicalNot(a .> 0) }),
            ("isnan", { a, _ in try isnan(a) }),
            ("isinf", { a, _ in try isinf(a) }),
        ]
        for (name, build) in builders {
            let cost = try sum(cast(build(x, y), .float64))
            assertThrows(.notDifferentiable, containing: ["does not depend on", "x"]) {
                try grad(cost, wrt: x)
            }
            let g = try grad(cost, wrt: [x, y], disconnected: .zero)
            let out = try function([x, y], g).call([NDArray([1.0, -2.0]), NDArray([0.5, 3.0])])
            assertClose(out[0], NDArray([0.0, 0.0]), name)
            assertClose(out[1], NDArray([0.0, 0.0]), name)
        }
    }

    func testWhereRoutesTheGradientByTheCondition() throws {
        let g = try gradients(`where`(x .> 0, x * 3, y * y), wrt: [x, y],
                              [x: NDArray([1.0, -1.0, 2.0, 0.0]), y: NDArray([5.0, 6.0, 7.0, 8.0])])
        assertValues(g[0], [3, 0, 3, 0])
        assertValues(g[1], [0, 12, 0, 16])
        // A NaN in the branch not taken does not leak into the gradient. (An infinite
        // derivative there does: at x = 0 log's pullback computes 0 / 0, as in Theano and JAX.)
        let safe = try gradients(`where`(x .> 0, log(x), x), wrt: [x], [x: NDArray([2.0, -1.0, -3.0])])
        assertValues(safe[0], [0.5, 1, 1])
    }

    func testWhereWithALiteralBranch() throws {
        let g = try gradients(`where`(x .> 0, x, 0), wrt: [x], [x: NDArray([1.0, -1.0])])
        assertValues(g[0], [1, 0])
    }

    func testTrueDivideGradientAtExtremeScales() throws {
        // d/db a/b = -(a/b)/b, without forming b * b (which overflows or goes subnormal).
        let g = try gradients(x / y, wrt: [x, y], [x: NDArray([1e200, 1e-160]), y: NDArray([1e200, 1e-160])])
        assertClose(g[0], NDArray([1e-200, 1e160]), rtol: 1e-12, atol: 0)
        assertClose(g[1], NDArray([-1e-200, -1e160]), rtol: 1e-12, atol: 0)
    }

    // MARK: Powers

    func testPowOfNegativeBasesWithIntegerExponents() throws {
        assertValues(try gradients(x ** 2, wrt: [x], [x: NDArray([-3.0])])[0], [-6])
        assertValues(try gradients(x ** 3, wrt: [x], [x: NDArray([-2.0])])[0], [12])
        assertValues(try gradients(x ** -1, wrt: [x], [x: NDArray([-2.0])])[0], [-0.25])
        assertValues(try gradients(x ** 2.0, wrt: [x], [x: NDArray([-3.0, 0.0])])[0], [-6, 0])
        let k = Tensor.constant(NDArray([2.0, 3.0]))
        assertValues(try gradients(x ** k, wrt: [x], [x: NDArray([-3.0, -2.0])])[0], [-6, 12])
    }

    func testPowToTheZeroHasGradientZeroEverywhere() throws {
        let g = try gradients(x ** 0, wrt: [x], [x: NDArray([-2.0, 0.0, 3.0])])
        assertValues(g[0], [0, 0, 0])
        let gy = try gradients(x ** y, wrt: [x], [x: NDArray([-2.0, 0.0, 3.0]), y: NDArray([0.0, 0.0, 0.0])])
        assertValues(gy[0], [0, 0, 0])
    }

    func testPowExponentGradientAtZeroBaseIsZero() throws {
        let g = try gradients(x ** y, wrt: [x, y], [x: NDArray([0.0, 2.0, 0.0]), y: NDArray([2.0, 3.0, 1.0])])
        assertValues(g[0], [0, 12, 1])
        assertValues(g[1], [0, 8 * Foundation.log(2.0), 0])
    }

    func testPowWithAnIntegerExponentTensor() throws {
        let k = Tensor.vector("k", .int32)
        let gs = try grad(sum(x ** k), wrt: [x, k])
        let out = try function([x, k], gs).call([NDArray([-3.0, 2.0, 5.0]), NDArray([2, 3, 0] as [Int32])])
        assertValues(out[0], [-6, 12, 0])
        XCTAssertEqual(out[1].dtype, .float64)
        assertValues(out[1], [0, 0, 0])
    }

    // MARK: Dtypes

    func testGradientsOfFloat32InputsAreFloat32Throughout() throws {
        let x32 = Tensor.variable("x", .float32, shape: [2, 3])
        let y32 = Tensor.variable("y", .float32, shape: [1, 3])
        var cases = GradientCase.unary + GradientCase.binary
        cases.append(GradientCase("clip(x, y, 0.5)", [-3...3, -1.5...(-0.3)]) { try clip($0[0], $0[1], 0.5) })
        cases.append(GradientCase("where(x > 0, x, y)", [-3...3, -3...3]) { try `where`($0[0] .> 0, $0[0], $0[1]) })
        cases.append(GradientCase("floor(x) * y", [-3...3, -3...3]) { try floor($0[0]) * $0[1] })
        for c in cases {
            let inputs = Array([x32, y32].prefix(c.ranges.count))
            let cost = try sum(c.apply(inputs))
            let gs = try grad(cost, wrt: inputs)
            for (g, v) in zip(gs, inputs) {
                XCTAssertEqual(g.dtype, .float32, c.name)
                XCTAssertEqual(g.staticShape, v.staticShape, c.name)
            }
            // No float64 anywhere: constants in the pullbacks take the gradient's dtype.
            XCTAssertFalse(graphDTypes(gs).contains(.float64), "\(c.name): a float64 node in the gradient graph")
            let points = try smoothPoints(c, shapes: Array([[2, 3], [1, 3]].prefix(c.ranges.count)))
            let out = try function(inputs, gs).call(points.map { $0.astype(.float32) })
            XCTAssertEqual(out.map(\.dtype), gs.map { _ in .float32 }, c.name)
            XCTAssertTrue(out.allSatisfy { $0.doubles.allSatisfy(\.isFinite) }, "\(c.name): \(out)")
        }
    }

    func testFloat32GradientValuesMatchFloat64() throws {
        let x32 = Tensor.vector("x", .float32)
        for c in GradientCase.unary {
            let points = try smoothPoints(c, shapes: [[6]])
            let g32 = try gradients(c.apply([x32]), wrt: [x32], [x32: points[0].astype(.float32)])[0]
            XCTAssertEqual(g32.dtype, .float32, c.name)
            // Compare with the float64 gradient at the same float32-rounded point.
            let g64AtRounded = try gradients(c.apply([x]), wrt: [x], [x: points[0].astype(.float32).astype(.float64)])[0]
            assertClose(g32, g64AtRounded.astype(.float32), rtol: 1e-4, atol: 1e-5, c.name)
        }
    }

    func testCastGradientsTakeEachVariablesDType() throws {
        let h = try cast(x, .float32).named("h")
        let cost = try sum(cast(h * h, .float64) * 3)
        let gs = try grad(cost, wrt: [x, h])
        XCTAssertEqual(gs[0].dtype, .float64)
        XCTAssertEqual(gs[1].dtype, .float32)
        let out = try function([x], gs).call([NDArray([1.0, -2.0])])
        XCTAssertEqual(out[0].dtype, .float64)
        XCTAssertEqual(out[1].dtype, .float32)
        assertValues(out[0], [6, -12])
        assertValues(out[1], [6, -12])
        // float32 -> float64 -> float32.
        let x32 = Tensor.vector("x32", .float32)
        let g32 = try grad(sum(cast(cast(x32, .float64) * 2, .float32)), wrt: x32)
        XCTAssertEqual(g32.dtype, .float32)
        assertValues(try g32.eval([x32: NDArray([1, 2] as [Float])]), [2, 2])
    }

    func testCastToAnIntegerDisconnects() throws {
        let cost = try sum(cast(cast(x, .int32), .float64))
        assertThrows(.notDifferentiable, containing: ["does not depend on"]) { try grad(cost, wrt: x) }
    }

    // MARK: Integer inputs

    func testIntegerOperandsGetNoGradientThroughTheOp() throws {
        let k = Tensor.vector("k", .int32)
        let kValue = NDArray([2, -3] as [Int32])
        let xValue = NDArray([1.5, 4.0])
        let cases: [(String, Tensor, [Double])] = [
            ("x * k", try x * k, [2, -3]),
            ("x + k", try x + k, [1, 1]),
            ("x - k", try x - k, [1, 1]),
            ("x / k", try x / k, [0.5, -1.0 / 3]),
            ("maximum(x, k)", try maximum(x, k), [0, 1]),
            ("where(k > 0, x, k)", try `where`(k .> 0, x, k), [1, 0]),
        ]
        for (name, expr, expected) in cases {
            let gs = try grad(sum(expr), wrt: [x, k])
            let out = try function([x, k], gs).call([xValue, kValue])
            assertClose(out[0], NDArray(expected), name)
            assertClose(out[1], NDArray([0.0, 0.0]), name)
            assertThrows(.notDifferentiable, containing: ["k"]) {
                try grad(sum(expr), wrt: [k], integers: .disconnected)
            }
        }
    }

    func testFloat32TimesInt32PromotesButTheGradientIsFloat32() throws {
        // NumPy promotes float32 * int32 to float64; the gradient comes back as float32.
        let x32 = Tensor.vector("x", .float32)
        let k = Tensor.vector("k", .int32)
        let product = try x32 * k
        XCTAssertEqual(product.dtype, .float64)
        let g = try grad(sum(product), wrt: x32)
        XCTAssertEqual(g.dtype, .float32)
        let out = try function([x32, k], [g]).call([NDArray([1, 1] as [Float]), NDArray([4, 5] as [Int32])])[0]
        XCTAssertEqual(out.dtype, .float32)
        assertValues(out, [4, 5])
    }

    // MARK: Saturation

    func testSigmoidAndSoftplusGradientsAreFiniteFarOut() throws {
        for dtype in [DType.float64, .float32] {
            let v = Tensor.vector("v", dtype)
            let value = NDArray([1000.0, -1000.0, 0.0]).astype(dtype)
            let gSigmoid = try gradients(sigmoid(v), wrt: [v], [v: value])[0]
            XCTAssertEqual(gSigmoid.dtype, dtype)
            assertValues(gSigmoid, [0, 0, 0.25])
            let gSoftplus = try gradients(softplus(v), wrt: [v], [v: value])[0]
            assertValues(gSoftplus, [1, 0, 0.5])
            let gTanh = try gradients(tanh(v), wrt: [v], [v: value])[0]
            assertValues(gTanh, [0, 0, 1])
            // log(sigmoid(x)) = -softplus(-x) stays finite too.
            let gLogSigmoid = try gradients(-softplus(-v), wrt: [v], [v: value])[0]
            assertValues(gLogSigmoid, [0, 1, 0.5])
        }
    }

    // MARK: Known values

    func testDerivativesAtKnownPoints() throws {
        let ln2 = Foundation.log(2.0), ln10 = Foundation.log(10.0)
        let cases: [(String, (Tensor) throws -> Tensor, Double, Double)] = [
            ("exp", exp, 1, Foundation.exp(1.0)), ("exp2", exp2, 3, 8 * ln2), ("expm1", expm1, 0, 1),
            ("log", log, 4, 0.25), ("log2", log2, 2, 1 / (2 * ln2)), ("log10", log10, 10, 1 / (10 * ln10)),
            ("log1p", log1p, 1, 0.5), ("sqrt", sqrt, 4, 0.25), ("square", square, -3, -6),
            ("reciprocal", reciprocal, -2, -0.25), ("neg", neg, 1, -1), ("abs", abs, -2, -1),
            ("sin", sin, 0, 1), ("cos", cos, Double.pi / 2, -1), ("tan", tan, Double.pi / 4, 2),
            ("arcsin", arcsin, 0.6, 1.25), ("arccos", arccos, 0.6, -1.25), ("arctan", arctan, 1, 0.5),
            ("sinh", sinh, 0, 1), ("cosh", cosh, 0, 0), ("tanh", tanh, 0, 1),
            ("arcsinh", arcsinh, 0, 1), ("arccosh", arccosh, 1.25, 1 / 0.75), ("arctanh", arctanh, 0.5, 4.0 / 3),
            ("erf", erf, 0, 2 / Double.pi.squareRoot()), ("erfc", erfc, 0, -2 / Double.pi.squareRoot()),
            ("gamma", gamma, 1, -0.5772156649015329), ("lgamma", lgamma, 2, 1 - 0.5772156649015329),
            ("sigmoid", sigmoid, 0, 0.25), ("softplus", softplus, 0, 0.5),
        ]
        for (name, op, at, expected) in cases {
            let g = try gradients(op(x), wrt: [x], [x: NDArray([at])])[0]
            assertClose(g, NDArray([expected]), rtol: 1e-12, atol: 1e-14, name)
        }
    }

    func testBinaryDerivativesAtKnownPoints() throws {
        let values: [Tensor: NDArray] = [x: NDArray([3.0]), y: NDArray([-2.0])]
        let cases: [(String, Tensor, Double, Double)] = [
            ("add", try x + y, 1, 1), ("sub", try x - y, 1, -1), ("mul", try x * y, -2, 3),
            ("trueDivide", try x / y, -0.5, -0.75), ("mod", try x % y, 1, 2),  // 3 % -2 = -1, floor(3 / -2) = -2
            ("arctan2", try arctan2(x, y), -2.0 / 13, -3.0 / 13),
            ("maximum", try maximum(x, y), 1, 0), ("minimum", try minimum(x, y), 0, 1),
        ]
        for (name, expr, gx, gy) in cases {
            let g = try gradients(expr, wrt: [x, y], values)
            assertClose(g[0], NDArray([gx]), rtol: 1e-12, atol: 1e-14, name)
            assertClose(g[1], NDArray([gy]), rtol: 1e-12, atol: 1e-14, name)
        }
    }
}
