import Theano
import XCTest

/// Symbolic gradients of every differentiable elementwise op against central finite
/// differences (`verifyGrad`, float64, random points away from kinks and poles).
final class ElemwiseGradientTests: BackendTestCase {
    static let unaryShapes: [[Int]] = [[], [1], [5], [2, 3], [1, 3], [2, 1, 2], [0, 3]]

    func testCasesCoverEveryDifferentiableScalarOp() throws {
        // Ops whose gradient is zero or disconnected, or tested on their own below.
        let elsewhere: Set<ScalarOp.Tag> = [
            .sign, .floor, .ceil, .round, .trunc, .floorDiv, .digamma,
            .eq, .neq, .lt, .le, .gt, .ge, .and, .or, .xor, .not, .isnan, .isinf, .where, .cast, .identity,
        ]
        var covered = Set<ScalarOp.Tag>()
        for c in GradientCase.unary + GradientCase.binary + [GradientCase.clipCase] {
            let inputs = c.ranges.indices.map { Tensor.variable("x\($0)", .float64, shape: []) }
            let op = try c.apply(inputs).variable.owner?.op as? Elemwise
            covered.insert(try XCTUnwrap(op, c.name).scalar.tag)
        }
        XCTAssertEqual(covered.intersection(elsewhere), [], "listed twice")
        XCTAssertEqual(covered.union(elsewhere), Set(ScalarOp.Tag.allCases), "scalar ops without a gradient case")
    }

    func testUnaryOpsAtSeveralShapes() {
        for c in GradientCase.unary {
            for shape in Self.unaryShapes { checkGradient(c, shapes: [shape]) }
        }
    }

    func testUnaryOpsInsideABroadcastProduct() {
        // op(x) with x [1, 3] and [3] multiplied by a [2, 3] matrix: the broadcast is undone
        // after the op's gradient.
        for c in GradientCase.unary {
            let composite = GradientCase(c.name + " * m", c.ranges + [-2...2], isSmooth: { c.isSmooth([$0[0]]) }) {
                try c.apply([$0[0]]) * $0[1]
            }
            checkGradient(composite, shapes: [[1, 3], [2, 3]])
            checkGradient(composite, shapes: [[3], [2, 3]])
            checkGradient(composite, shapes: [[], [2, 3]])
        }
    }

    static let binaryShapes: [[[Int]]] = [
        [[2, 3], [2, 3]],
        [[], []],
        [[1], [1]],
        [[2, 3], [3]],        // lower-rank operand
        [[3], [2, 3]],
        [[], [2, 3]],         // scalar with a matrix
        [[2, 3], []],
        [[2, 1], [1, 3]],     // both broadcast
        [[1, 3], [2, 1]],
        [[1, 1], [2, 3]],
        [[2, 3], [2, 1]],
        [[2, 1, 3], [4, 1]],  // rank 3 with a lower-rank operand broadcasting too
        [[0, 3], [3]],        // size 0
    ]

    func testBinaryOpsWithBroadcasting() {
        for c in GradientCase.binary {
            for shapes in Self.binaryShapes { checkGradient(c, shapes: shapes) }
        }
    }

    func testClipWithBroadcastBounds() {
        let shapes: [[[Int]]] = [
            [[2, 3], [], []], [[2, 3], [2, 3], [2, 3]], [[2, 3], [1, 3], [2, 1]],
            [[4], [4], []], [[], [3], [3]], [[1], [1], [1]],
        ]
        for s in shapes { checkGradient(GradientCase.clipCase, shapes: s) }
    }

    func testWhereRoutesThroughBroadcastBranches() throws {
        let cases: [(cond: [Bool], condShape: [Int], a: [Int], b: [Int])] = [
            ([true, false, true, false, false, true], [2, 3], [2, 3], [2, 3]),
            ([true, false, true, false, false, true], [2, 3], [], [3]),
            ([true, false, true], [1, 3], [2, 1], [2, 3]),
            ([false], [], [2, 3], [2, 3]),
            ([true, false], [2, 1], [1, 3], []),
        ]
        for c in cases {
            let cond = Tensor.constant(try NDArray(c.cond, shape: c.condShape))
            let wc = GradientCase("where", [-3...3, -3...3]) { try `where`(cond, $0[0], $0[1]) }
            checkGradient(wc, shapes: [c.a, c.b])
        }
    }

    func testPowWithNegativeBasesAndIntegerExponents() {
        for k in [2, 3, -1, -2] {
            let c = GradientCase("x ** \(k)", [-3...(-0.5)]) { try $0[0] ** Tensor(integerLiteral: k) }
            checkGradient(c, shapes: [[2, 3]])
        }
        let floatExponent = GradientCase("x ** 3.0", [-3...(-0.5)]) { try $0[0] ** 3.0 }
        checkGradient(floatExponent, shapes: [[4]])
        // An exponent tensor holding whole numbers: only the base is differentiated here.
        let wholeExponents = Tensor.constant(NDArray([2.0, 3.0, 4.0, -3.0]))
        let tensorExponent = GradientCase("x ** [2, 3, 4, -3]", [-3...(-0.5)]) { try $0[0] ** wholeExponents }
        checkGradient(tensorExponent, shapes: [[4]])
        checkGradient(tensorExponent, shapes: [[1]])
    }

    func testCastChainsThroughFloat32() {
        // Float32 rounding makes small steps useless; quadratics have exact central
        // differences, so a large step checks the chain rule through both casts.
        let cases: [GradientCase] = [
            GradientCase("cast64(square(cast32(x)))", [-3...3]) { try cast(square(cast($0[0], .float32)) * 0.5, .float64) },
            GradientCase("cast64(cast32(x) * cast32(y))", [-3...3, -3...3]) { try cast(cast($0[0], .float32) * cast($0[1], .float32), .float64) },
            GradientCase("cast32(x) * y", [-3...3, -3...3]) { try cast($0[0], .float32) * $0[1] },
            GradientCase("cast64(exp(cast32(x)))", [-1...1]) { try cast(exp(cast($0[0], .float32)), .float64) },
        ]
        for c in cases {
            for shapes in [[[2, 3], [2, 3]], [[1, 3], [2, 1]], [[], [3]]] {
                do {
                    let points = try smoothPoints(c, shapes: Array(shapes.prefix(c.ranges.count)))
                    try verifyGrad(c.apply, at: points, eps: 1e-2, absoluteTolerance: 1e-3, relativeTolerance: 1e-3)
                } catch {
                    XCTFail("\(c.name) at \(shapes): \(error)")
                }
            }
        }
    }

    func testSecondDerivativesOfUnaryOps() {
        // The pullbacks are built from differentiable ops, so they differentiate again
        // (except through digamma, whose derivative is not implemented).
        for c in GradientCase.unary where !c.name.contains("gamma") {
            let second = GradientCase("d/dx " + c.name, c.ranges, isSmooth: c.isSmooth) { x in
                try grad(sum(c.apply(x)), wrt: x[0])
            }
            checkGradient(second, shapes: [[2, 2]])
        }
    }

    func testSecondDerivativesOfBinaryOps() {
        for c in GradientCase.binary {
            let mixed = GradientCase("d/da + d/db " + c.name, c.ranges, isSmooth: c.isSmooth) { x in
                let gs = try grad(sum(c.apply(x)), wrt: x)
                return try gs[0] * 2 + gs[1]
            }
            checkGradient(mixed, shapes: [[2, 2], [2, 2]])
            checkGradient(mixed, shapes: [[1, 2], [2, 1]])
        }
        let second = GradientCase("d/dx clip", GradientCase.clipCase.ranges, isSmooth: GradientCase.clipCase.isSmooth) { x in
            let gs = try grad(sum(clip(x[0], x[1], x[2]) * x[0]), wrt: x)
            return try gs[0] + gs[1] + gs[2]
        }
        checkGradient(second, shapes: [[4], [4], [4]])
    }

    func testLgammaSecondDerivativeIsNotImplemented() throws {
        let x = Tensor.vector("x", .float64)
        let g = try grad(sum(lgamma(x)), wrt: x)
        assertThrows(.notDifferentiable, containing: ["digamma"]) { try grad(sum(g), wrt: x) }
    }
}
