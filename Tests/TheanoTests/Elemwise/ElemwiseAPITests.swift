import Theano
import XCTest

/// The user-facing surface: every op as a free function, a method and (where there is one) an
/// operator, all building the same node.
final class ElemwiseAPITests: BackendTestCase {
    /// The scalar op of the node that computes `t`.
    private func scalarOp(_ t: Tensor) -> ScalarOp? { (t.variable.owner?.op as? Elemwise)?.scalar }

    func testMethodsMatchFreeFunctions() throws {
        let x = Tensor.vector("x", .float64), y = Tensor.vector("y", .float64)
        let unary: [(String, ScalarOp, (Tensor) throws -> Tensor, (Tensor) throws -> Tensor)] = [
            ("exp", .exp, exp, { try $0.exp() }), ("exp2", .exp2, exp2, { try $0.exp2() }),
            ("expm1", .expm1, expm1, { try $0.expm1() }), ("log", .log, log, { try $0.log() }),
            ("log2", .log2, log2, { try $0.log2() }), ("log10", .log10, log10, { try $0.log10() }),
            ("log1p", .log1p, log1p, { try $0.log1p() }), ("sqrt", .sqrt, sqrt, { try $0.sqrt() }),
            ("reciprocal", .reciprocal, reciprocal, { try $0.reciprocal() }), ("sin", .sin, sin, { try $0.sin() }),
            ("cos", .cos, cos, { try $0.cos() }), ("tan", .tan, tan, { try $0.tan() }),
            ("arcsin", .arcsin, arcsin, { try $0.arcsin() }), ("arccos", .arccos, arccos, { try $0.arccos() }),
            ("arctan", .arctan, arctan, { try $0.arctan() }), ("sinh", .sinh, sinh, { try $0.sinh() }),
            ("cosh", .cosh, cosh, { try $0.cosh() }), ("tanh", .tanh, tanh, { try $0.tanh() }),
            ("arcsinh", .arcsinh, arcsinh, { try $0.arcsinh() }), ("arccosh", .arccosh, arccosh, { try $0.arccosh() }),
            ("arctanh", .arctanh, arctanh, { try $0.arctanh() }), ("erf", .erf, erf, { try $0.erf() }),
            ("erfc", .erfc, erfc, { try $0.erfc() }), ("gamma", .gamma, gamma, { try $0.gamma() }),
            ("lgamma", .lgamma, lgamma, { try $0.lgamma() }), ("digamma", .digamma, digamma, { try $0.digamma() }),
            ("sigmoid", .sigmoid, sigmoid, { try $0.sigmoid() }),
            ("softplus", .softplus, softplus, { try $0.softplus() }),
            ("log1mexp", .log1mexp, log1mexp, { try $0.log1mexp() }), ("neg", .neg, neg, { try $0.neg() }),
            ("abs", .abs, abs, { try $0.abs() }), ("sign", .sign, sign, { try $0.sign() }),
            ("square", .square, square, { try $0.square() }), ("floor", .floor, floor, { try $0.floor() }),
            ("ceil", .ceil, ceil, { try $0.ceil() }), ("round", .round, round, { try $0.round() }),
            ("trunc", .trunc, trunc, { try $0.trunc() }), ("isnan", .isnan, isnan, { try $0.isnan() }),
            ("isinf", .isinf, isinf, { try $0.isinf() }), ("logicalNot", .not, logicalNot, { try $0.logicalNot() }),
        ]
        for (name, op, function, method) in unary {
            XCTAssertEqual(scalarOp(try function(x)), op, name)
            XCTAssertEqual(scalarOp(try method(x)), op, name)
            XCTAssertEqual(op.arity, 1, name)
        }
        let binary: [(String, ScalarOp, (Tensor, Tensor) throws -> Tensor, (Tensor, Tensor) throws -> Tensor)] = [
            ("add", .add, add, { try $0.add($1) }), ("sub", .sub, sub, { try $0.sub($1) }),
            ("mul", .mul, mul, { try $0.mul($1) }), ("trueDivide", .trueDiv, trueDivide, { try $0.trueDivide($1) }),
            ("floorDivide", .floorDiv, floorDivide, { try $0.floorDivide($1) }), ("mod", .mod, mod, { try $0.mod($1) }),
            ("pow", .pow, pow, { try $0.pow($1) }), ("maximum", .maximum, maximum, { try $0.maximum($1) }),
            ("minimum", .minimum, minimum, { try $0.minimum($1) }), ("arctan2", .arctan2, arctan2, { try $0.arctan2($1) }),
            ("logaddexp", .logaddexp, logaddexp, { try $0.logaddexp($1) }),
            ("eq", .eq, eq, { try $0.eq($1) }), ("neq", .neq, neq, { try $0.neq($1) }),
            ("lt", .lt, lt, { try $0.lt($1) }), ("le", .le, le, { try $0.le($1) }),
            ("gt", .gt, gt, { try $0.gt($1) }), ("ge", .ge, ge, { try $0.ge($1) }),
            ("logicalAnd", .and, logicalAnd, { try $0.logicalAnd($1) }), ("logicalOr", .or, logicalOr, { try $0.logicalOr($1) }),
            ("logicalXor", .xor, logicalXor, { try $0.logicalXor($1) }),
        ]
        for (name, op, function, method) in binary {
            XCTAssertEqual(scalarOp(try function(x, y)), op, name)
            XCTAssertEqual(scalarOp(try method(x, y)), op, name)
            XCTAssertEqual(op.arity, 2, name)
        }
        let c = Tensor.vector("c", .bool)
        XCTAssertEqual(scalarOp(try `where`(c, x, y)), .where)
        XCTAssertEqual(scalarOp(try c.select(x, y)), .where)
        XCTAssertEqual(scalarOp(try clip(x, y, y)), .clip)
        XCTAssertEqual(scalarOp(try x.clip(y, y)), .clip)
        XCTAssertEqual(scalarOp(try cast(x, .int8)), .cast(.int8))
        XCTAssertEqual(scalarOp(try x.cast(.int8)), .cast(.int8))
        XCTAssertEqual(scalarOp(try x.astype(.int8)), .cast(.int8))
        // Every scalar op but identity (internal to fused programs) has a function and a method.
        let listed = Set((unary.map(\.1) + binary.map(\.1) + [.where, .clip, .cast(.int8), .identity]).map(\.tag))
        XCTAssertEqual(listed, Set(ScalarOp.Tag.allCases), "ops without a function above")
    }

    func testOperatorsBuildTheSameOps() throws {
        let x = Tensor.vector("x", .float64), y = Tensor.vector("y", .float64)
        let pairs: [(Tensor, ScalarOp)] = try [
            (x + y, .add), (x - y, .sub), (x * y, .mul), (x / y, .trueDiv), (x % y, .mod), (x ** y, .pow), (-x, .neg),
            (x .== y, .eq), (x .!= y, .neq), (x .< y, .lt), (x .<= y, .le), (x .> y, .gt), (x .>= y, .ge),
            (x .& y, .and), (x .| y, .or), (x .^ y, .xor), (.!x, .not),
        ]
        for (t, op) in pairs { XCTAssertEqual(scalarOp(t), op, "\(op)") }
        // `==` compares graph identity, never elements.
        XCTAssertTrue(x == x)
        XCTAssertFalse(x == y)
    }

    func testExponentiationBindsTighterThanMultiplicationAndToTheRight() throws {
        let x = Tensor.scalar("x", .float64)
        let f = try function([x], [2 * x ** 2, x ** 3 ** 2, -x ** 2])
        let r = try f(NDArray(scalar: 2.0))
        assertValues(r[0], [8])
        assertValues(r[1], [512])
        assertValues(r[2], [4], shape: [])  // prefix minus binds tightest in Swift: (-x) ** 2
    }

    func testElemwiseOpsAreEqualWhenTheirScalarOpsAre() {
        XCTAssertEqual(Elemwise(.add), Elemwise(.add))
        XCTAssertNotEqual(Elemwise(.add), Elemwise(.sub))
        XCTAssertNotEqual(Elemwise(.cast(.int8)), Elemwise(.cast(.int16)))
        XCTAssertEqual(Elemwise(.cast(.int8)).description, "cast{int8}")
        XCTAssertEqual(Elemwise(.floorDiv).description, "floor_div")
    }

    func testDoubleVariablesJoinAsWeakConstants() throws {
        let x = Tensor.vector("x", .float32)
        let lr = 0.1
        let y = try x - Tensor(lr) * x
        XCTAssertEqual(y.dtype, .float32)
        assertValues(try function([x], [y])(NDArray([10, 20] as [Float]))[0], [9, 18])
    }

    func testRoundingOnIntegersReturnsTheInput() throws {
        for dtype in [DType.bool, .uint8, .int8, .int16, .int32, .int64] {
            let x = Tensor.vector("x", dtype)
            for f in [floor, ceil, round, trunc] as [(Tensor) throws -> Tensor] {
                XCTAssertTrue(try f(x) === x, "\(dtype)")
            }
        }
    }

    func testRoundIsHalfToEven() throws {
        let x = Tensor.vector("x", .float64)
        let r = try function([x], [x.round()])(NDArray([0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 2.4999999999999996]))
        assertValues(r[0], [0, 2, 2, 0, -2, -2, 2])
    }
}
