import Theano
import XCTest

/// Dtype promotion (docs/DTYPES.md): the table for every pair of dtypes, weak literals, what
/// each kind of op does with dtypes, and a seeded property test over random operands.
final class ElemwisePromotionTests: BackendTestCase {
    private let dtypes = DType.allCases

    private func input(_ dtype: DType, _ name: String = "x") -> Tensor { Tensor.vector(name, dtype) }

    func testPromotionTableMatchesNumPyForAllPairs() throws {
        for (i, a) in dtypes.enumerated() {
            for (j, b) in dtypes.enumerated() {
                let expected = ElemwiseDTypeRules.promotion[i][j]
                XCTAssertEqual(DType.promote(a, b), expected, "promote(\(a), \(b))")
                XCTAssertEqual(try add(input(a, "a"), input(b, "b")).dtype, expected, "\(a) + \(b)")
                XCTAssertEqual(try maximum(input(a, "a"), input(b, "b")).dtype, expected, "maximum(\(a), \(b))")
                if a != .bool || b != .bool {
                    XCTAssertEqual(try sub(input(a, "a"), input(b, "b")).dtype, expected, "\(a) - \(b)")
                }
            }
        }
    }

    func testPromotionOfThreeDTypesDoesNotDependOnOrder() throws {
        for a in dtypes {
            for b in dtypes {
                for c in dtypes {
                    let orders = [[a, b, c], [a, c, b], [b, a, c], [b, c, a], [c, a, b], [c, b, a]]
                    XCTAssertEqual(Set(orders.map { DType.promote($0) }).count, 1, "\(a), \(b), \(c)")
                }
            }
        }
        let x = input(.int8, "x"), y = input(.uint8, "y"), z = input(.float32, "z")
        XCTAssertEqual(try `where`(x, y, z).dtype, .float32)
        XCTAssertEqual(try clip(x, y, z).dtype, .float32)
        XCTAssertEqual(try clip(x, y, input(.int32)).dtype, .int32)
    }

    func testWeakLiteralsTakeTheTensorsDType() throws {
        for (i, a) in dtypes.enumerated() {
            let x = input(a)
            XCTAssertEqual(try (x + 1).dtype, ElemwiseDTypeRules.weakInteger[i], "\(a) + 1")
            XCTAssertEqual(try (2 * x).dtype, ElemwiseDTypeRules.weakInteger[i], "2 * \(a)")
            XCTAssertEqual(try (x + 1.5).dtype, ElemwiseDTypeRules.weakFloat[i], "\(a) + 1.5")
            XCTAssertEqual(try (0.5 * x).dtype, ElemwiseDTypeRules.weakFloat[i], "0.5 * \(a)")
            XCTAssertEqual(try (x * Tensor(0.1)).dtype, ElemwiseDTypeRules.weakFloat[i], "\(a) * Tensor(0.1)")
        }
    }

    func testLiteralRulesFromTheDocs() throws {
        let f = input(.float32), i = input(.int32), b = input(.bool)
        XCTAssertEqual(try (f * 2).dtype, .float32)
        XCTAssertEqual(try (f * 2.5).dtype, .float32)
        XCTAssertEqual(try (i + 2.5).dtype, .float64)
        XCTAssertEqual(try (i * 2).dtype, .int32)
        XCTAssertEqual(try (b + 1).dtype, .int64)
        XCTAssertEqual(try (b + b).dtype, .bool)
        XCTAssertEqual(try (i / i).dtype, .float64)
        XCTAssertEqual(try exp(input(.int8)).dtype, .float32)
        XCTAssertEqual(try exp(input(.int32)).dtype, .float64)
        // A literal converted to the tensor's dtype is a constant of that dtype: no cast node.
        let y = try f * 2
        XCTAssertEqual(y.variable.owner?.inputs[1].constantValue?.dtype, .float32)
        XCTAssertTrue(y.variable.owner?.inputs[0] === f.variable)
        // Literals alone promote among themselves.
        XCTAssertEqual(try (Tensor(integerLiteral: 2) + 3).dtype, .int64)
        XCTAssertEqual(try (Tensor(integerLiteral: 2) + 0.5).dtype, .float64)
        // A strongly typed constant takes part in promotion like any tensor.
        XCTAssertEqual(try (f + Tensor.constant(2, .float64)).dtype, .float64)
        XCTAssertEqual(try (i + Tensor.constant(2, .int8)).dtype, .int32)
    }

    func testFloatFunctionsTrueDivisionAndArctan2DTypes() throws {
        for (i, a) in dtypes.enumerated() {
            let x = input(a)
            for f in [exp, log, sin, tanh, sqrt, erf, sigmoid, reciprocal] as [(Tensor) throws -> Tensor] {
                XCTAssertEqual(try f(x).dtype, ElemwiseDTypeRules.floatFunction[i], "float function of \(a)")
            }
            for (j, b) in dtypes.enumerated() {
                XCTAssertEqual(try trueDivide(x, input(b, "y")).dtype, ElemwiseDTypeRules.trueDivide[i][j], "\(a) / \(b)")
                XCTAssertEqual(try arctan2(x, input(b, "y")).dtype, ElemwiseDTypeRules.arctan2[i][j], "arctan2(\(a), \(b))")
            }
        }
    }

    func testComparisonsLogicAndClassificationGiveBool() throws {
        for a in dtypes {
            for b in dtypes {
                let (x, y) = (input(a), input(b, "y"))
                for t in try [x .== y, x .!= y, x .< y, x .<= y, x .> y, x .>= y, x .& y, x .| y, x .^ y] {
                    XCTAssertEqual(t.dtype, .bool, "\(a), \(b)")
                }
            }
            XCTAssertEqual(try logicalNot(input(a)).dtype, .bool)
            XCTAssertEqual(try isnan(input(a)).dtype, .bool)
            XCTAssertEqual(try isinf(input(a)).dtype, .bool)
        }
    }

    func testNumericOpsOnIntegersKeepTheDTypeAndOnBoolsFollowNumPy() throws {
        for a in dtypes where a != .bool {
            let x = input(a)
            for f in [abs, square, floor, ceil, round, trunc, neg, sign] as [(Tensor) throws -> Tensor] {
                XCTAssertEqual(try f(x).dtype, a)
            }
        }
        let b = input(.bool)
        XCTAssertEqual(try abs(b).dtype, .bool)
        XCTAssertEqual(try (b * b).dtype, .bool)
        XCTAssertEqual(try minimum(b, b).dtype, .bool)
        XCTAssertEqual(try square(b).dtype, .int8)
        XCTAssertEqual(try (b ** b).dtype, .int8)
        XCTAssertEqual(try floorDivide(b, b).dtype, .int8)
        XCTAssertEqual(try (b % b).dtype, .int8)
        XCTAssertEqual(try round(b).dtype, .bool)
        XCTAssertTrue(try floor(b) === b, "rounding is the identity on bools")
        let i = input(.int16)
        XCTAssertTrue(try ceil(i) === i, "rounding is the identity on integers")
    }

    // MARK: - Property test

    /// An operand of the property test: a tensor of some dtype, or a literal.
    private enum Operand: CustomStringConvertible {
        case tensor(DType)
        case intLiteral
        case floatLiteral

        var description: String {
            switch self {
            case .tensor(let t): return "\(t)"
            case .intLiteral: return "2"
            case .floatLiteral: return "0.5"
            }
        }
    }

    /// The common dtype of two operands (not both literals) under the documented rules.
    private func common(_ a: Operand, _ b: Operand) -> DType {
        switch (a, b) {
        case let (.tensor(x), .tensor(y)): return ElemwiseDTypeRules.promotion[x.index][y.index]
        case let (.tensor(x), .intLiteral), let (.intLiteral, .tensor(x)): return ElemwiseDTypeRules.weakInteger[x.index]
        case let (.tensor(x), .floatLiteral), let (.floatLiteral, .tensor(x)): return ElemwiseDTypeRules.weakFloat[x.index]
        default: return .float64
        }
    }

    /// The result dtype of `op(a, b)` under the documented rules, or nil when it must throw.
    private func expectedDType(_ op: String, _ a: Operand, _ b: Operand) -> DType? {
        let c = common(a, b)
        switch op {
        case "add", "mul", "maximum", "minimum": return c
        case "sub": return c == .bool ? nil : c
        case "floorDivide", "mod", "pow": return c == .bool ? .int8 : c
        case "trueDivide":
            if case let (.tensor(x), .tensor(y)) = (a, b) { return ElemwiseDTypeRules.trueDivide[x.index][y.index] }
            return c.isFloatingPoint ? c : .float64
        case "arctan2":
            if case let (.tensor(x), .tensor(y)) = (a, b) { return ElemwiseDTypeRules.arctan2[x.index][y.index] }
            return ElemwiseDTypeRules.floatFunction[c.index]
        default: return .bool
        }
    }

    func testPromotionPropertyOverRandomOperands() throws {
        let ops = ["add", "sub", "mul", "trueDivide", "floorDivide", "mod", "pow", "maximum", "minimum",
                   "arctan2", "eq", "lt", "ge", "logicalAnd", "logicalXor"]
        var rng = ElemwiseRandom(seed: 7)
        var data = TestData(seed: 7)
        for case_ in 0..<400 {
            let op = ops[rng.next(below: ops.count)]
            func operand() -> Operand {
                switch rng.next(below: 6) {
                case 0: return .intLiteral
                case 1: return .floatLiteral
                default: return .tensor(DType.allCases[rng.next(below: DType.allCases.count)])
                }
            }
            var (a, b) = (operand(), operand())
            if case .tensor = a {} else if case .tensor = b {} else { a = .tensor(.float32) }
            let rank = rng.next(below: 3)
            var inputs: [Tensor] = []
            func tensor(_ o: Operand, _ name: String) -> Tensor {
                switch o {
                case .tensor(let t):
                    let x = Tensor.variable(name, t, shape: Array(repeating: nil, count: rank))
                    inputs.append(x)
                    return x
                case .intLiteral: return 2
                case .floatLiteral: return 0.5
                }
            }
            let (x, y) = (tensor(a, "a"), tensor(b, "b"))
            let context = "case \(case_): \(op)(\(a), \(b))"
            guard let expected = expectedDType(op, a, b) else {
                assertThrows(.typeMismatch, containing: [op]) { try ElemwiseFixture.apply(op, [x, y]) }
                continue
            }
            let result = try ElemwiseFixture.apply(op, [x, y])
            XCTAssertEqual(result.dtype, expected, context)
            XCTAssertEqual(result.rank, rank, context)
            // Every fifth case also runs, to check that values have the static dtype.
            if case_ % 5 == 0 {
                let values = inputs.map { data.array(Array(repeating: 2, count: rank), $0.dtype, low: 0, high: 5) }
                let out = try function(inputs, [result]).call(values)[0]
                XCTAssertEqual(out.dtype, expected, context)
                XCTAssertEqual(out.shape, Array(repeating: 2, count: rank), context)
            }
        }
    }
}

extension DType {
    /// The position in `DType.allCases` (the order of the NumPy tables).
    fileprivate var index: Int { DType.allCases.firstIndex(of: self) ?? 0 }
}
