import Theano
import XCTest

/// Bad inputs: every mistake throws a `TheanoError` that names the op, the inputs and what
/// was expected, at graph construction when the types show it, at call time otherwise.
final class ElemwiseErrorTests: BackendTestCase {
    func testAddingShapes3And4ThrowsAtGraphConstruction() {
        let x = Tensor.vector("x", size: 3), y = Tensor.vector("y", size: 4)
        assertThrows(.shapeMismatch, containing: ["add", "x", "y", "[3]", "[4]", "float32[3]", "float32[4]"]) { try x + y }
        assertThrows(.shapeMismatch, containing: ["mul", "[3]", "[4]"]) { try x.mul(y) }
        assertThrows(.shapeMismatch, containing: ["where", "[3]", "[4]"]) { try `where`(x .> 0, x, y) }
    }

    func testBroadcastErrorNamesTheInputsAsWritten() {
        // The vector gains a leading axis internally; the message still shows the user's shapes.
        let m = Tensor.matrix("m", shape: [2, 3]), v = Tensor.vector("v", size: 4)
        assertThrows(.shapeMismatch, containing: ["sub", "m", "v", "[2, 3]", "[4]", "last axis"]) { try m - v }
        let t = Tensor.variable("t", shape: [5, nil, 3]), u = Tensor.variable("u", shape: [6, 1, 1])
        assertThrows(.shapeMismatch, containing: ["add", "[5, ?, 3]", "[6, 1, 1]", "axis -3"]) { try t + u }
    }

    func testRunTimeShapeMismatchThrowsAtCallTime() throws {
        let x = Tensor.vector("x"), y = Tensor.vector("y")
        let f = try function([x, y], [x + y])
        assertThrows(.shapeMismatch, containing: ["add", "[3]", "[4]"]) {
            try f(NDArray([1, 2, 3] as [Float]), NDArray([1, 2, 3, 4] as [Float]))
        }
        // An axis of unknown size never broadcasts, even when its value has size 1.
        assertThrows(.shapeMismatch, containing: ["add", "[3]", "[1]", "broadcastable"]) {
            try f(NDArray([1, 2, 3] as [Float]), NDArray([1] as [Float]))
        }
        let m = Tensor.matrix("m"), n = Tensor.matrix("n")
        let g = try function([m, n], [m * n])
        assertThrows(.shapeMismatch, containing: ["mul", "[2, 3]", "[2, 4]", "axis 1"]) {
            try g(NDArray(zeros: [2, 3], dtype: .float32), NDArray(zeros: [2, 4], dtype: .float32))
        }
    }

    func testWrongArityThrows() {
        let a = Tensor.vector("a", .bool), b = Tensor.vector("b", .bool)
        for (op, inputs) in [(ScalarOp.and, [a]), (.or, [a, b, a]), (.xor, []), (.not, [a, b]), (.add, [a]),
                             (.exp, [a, b]), (.where, [a, b]), (.clip, [a]), (.cast(.int8), [])] as [(ScalarOp, [Tensor])] {
            assertThrows(.invalidArgument, containing: [op.description, "expected \(op.arity) inputs, got \(inputs.count)"]) {
                try Elemwise(op).makeNode(inputs.map(\.variable))
            }
            assertThrows(.invalidArgument, containing: [op.description, "expected \(op.arity) inputs"]) {
                try elemwise(op, inputs)
            }
        }
    }

    func testElemwiseNodeRejectsDTypesItsScalarOpDoesNotAccept() {
        let f = Tensor.vector("f", .float32), i = Tensor.vector("i", .int32), b = Tensor.vector("b", .bool)
        // Built directly, nodes do no promotion.
        assertThrows(.typeMismatch, containing: ["add", "float32", "int32", "f", "i"]) { try Elemwise(.add).apply([f, i]) }
        assertThrows(.typeMismatch, containing: ["exp", "floating-point", "int32"]) { try Elemwise(.exp).apply([i]) }
        assertThrows(.typeMismatch, containing: ["and", "bool", "float32"]) { try Elemwise(.and).apply([f, f]) }
        assertThrows(.typeMismatch, containing: ["where", "condition", "float32"]) { try Elemwise(.where).apply([f, f, f]) }
        assertThrows(.typeMismatch, containing: ["floor_div", "bool"]) { try Elemwise(.floorDiv).apply([b, b]) }
        assertThrows(.shapeMismatch, containing: ["add", "rank", "f", "m"]) {
            try Elemwise(.add).apply([f, Tensor.matrix("m")])
        }
        assertThrows(.shapeMismatch, containing: ["add", "[3]", "[4]"]) {
            try Elemwise(.add).apply([Tensor.vector("p", size: 3), Tensor.vector("q", size: 4)])
        }
    }

    func testSubtractingAndNegatingBoolsThrows() {
        let a = Tensor.vector("a", .bool), b = Tensor.vector("b", .bool)
        assertThrows(.typeMismatch, containing: ["sub", "bool", "logicalXor", "a", "b"]) { try a - b }
        assertThrows(.typeMismatch, containing: ["sub", "bool"]) { try sub(a, b) }
        assertThrows(.typeMismatch, containing: ["neg", "bool", "logicalNot", "a"]) { try -a }
        assertThrows(.typeMismatch, containing: ["sign", "bool"]) { try sign(a) }
        // With a number on the other side, bools are numbers.
        XCTAssertEqual(try (a - 1).dtype, .int64)
        XCTAssertEqual(try (a - Tensor.vector("i", .int8)).dtype, .int8)
    }

    func testIntegerLiteralThatDoesNotFitThrows() {
        let i = Tensor.vector("i", .int8), u = Tensor.vector("u", .uint8)
        assertThrows(.typeMismatch, containing: ["add", "1000", "int8", "i"]) { try i + 1000 }
        assertThrows(.typeMismatch, containing: ["mul", "-1", "uint8", "u"]) { try u * -1 }
        assertThrows(.typeMismatch, containing: ["where", "300", "uint8"]) { try `where`(u .> 1, u, 300) }
        // Float functions, comparisons and clip take any literal.
        XCTAssertEqual(try (i / 1000).dtype, .float64)
        XCTAssertEqual(try (i .< 1000).dtype, .bool)
        XCTAssertEqual(try clip(u, -5, 300).dtype, .uint8)
        XCTAssertEqual(try (i + 127).dtype, .int8)
        XCTAssertEqual(try (i + -128).dtype, .int8)
    }
}
