import Theano
import XCTest

/// triu, tril, diagonal, diag, swapaxes and moveaxis.
final class TriangleDiagonalTests: BackendTestCase {
    func testTriangles() throws {
        for k in [-1, 0, 2] {
            try checkUnary("b234", "triu_b234_\(k)") { try triu($0, k: k) }
            try checkUnary("b234", "tril_b234_\(k)") { try $0.tril(k: k) }
        }
        let b = Tensor.matrix("b", .bool)
        let t = try triu(b)
        XCTAssertEqual(t.dtype, .bool)
        let r = try evaluate(t, [b], [try NDArray([true, true, true, true], shape: [2, 2])])
        XCTAssertEqual(r.toArray(of: Bool.self), [true, true, false, true])
    }

    func testDiagonals() throws {
        try checkUnary("b234", "diagonal_b234_1_1_2") { try diagonal($0, offset: 1, axis1: 1, axis2: 2) }
        try checkUnary("b234", "diagonal_b234_m1_0_2") { try $0.diagonal(offset: -1, axis1: 0, axis2: -1) }
        for k in [0, 2, -2, 5] {
            try checkUnary("m34", "diagonal_m34_\(k)") { try diagonal($0, offset: k) }
            try checkUnary("m34", "diagonal_m34_\(k)") { try diag($0, k: k) }
        }
        try checkUnary("v3", "diag_v3_1") { try diag($0, k: 1) }
        try checkUnary("v3", "diag_v3_m2") { try diag($0, k: -2) }
        XCTAssertEqual(try diagonal(Tensor.matrix("m", shape: [3, 4]), offset: 2).staticShape, [2])
        // Extreme offsets give empty diagonals, without overflow.
        let m = Tensor.matrix("m", .float64)
        for offset in [Int.min, Int.max] {
            XCTAssertEqual(try diagonal(Tensor.matrix("s", shape: [3, 4]), offset: offset).staticShape, [0])
            XCTAssertEqual(try evaluate(diagonal(m, offset: offset), [m], [try LongTail.input("m34")]).shape, [0])
        }
    }

    func testSizeZeroAndOne() throws {
        let x = Tensor.tensor3("x", .float64)
        for shape in [[0, 2, 2], [2, 0, 3], [1, 1, 1]] {
            let value = try NDArray.ones(shape, .float64)
            for out in [try triu(x), try tril(x, k: -1), try diagonal(x, axis1: 1, axis2: 2)] {
                _ = try evaluate(out, [x], [value])
                try checkInferShape(out, [x], [value])
            }
        }
        let v = Tensor.vector("v", .float64)
        XCTAssertEqual(try evaluate(diag(v, k: 2), [v], [NDArray([Double]())]).shape, [2, 2])
    }

    func testGradients() throws {
        let b = try LongTail.input("b234")
        try verifyGrad({ try triu($0[0], k: 1) }, at: [b])
        try verifyGrad({ try tril($0[0], k: -1) }, at: [b])
        try verifyGrad({ try diagonal($0[0], offset: 1, axis1: 1, axis2: 2) }, at: [b])
        try verifyGrad({ try diag($0[0], k: -1) }, at: [try LongTail.input("v3")])
        try verifyGrad({ try diag($0[0], k: 1) }, at: [try LongTail.input("m34")])
        try verifyGrad({ try moveaxis($0[0], 0, -1) }, at: [b])
    }

    func testAxisMoves() throws {
        let x = Tensor.variable("x", .float64, shape: [2, 3, 4])
        XCTAssertEqual(try swapaxes(x, 0, 2).staticShape, [4, 3, 2])
        XCTAssertEqual(try x.swapaxes(-1, 1).staticShape, [2, 4, 3])
        XCTAssertEqual(try moveaxis(x, 0, -1).staticShape, [3, 4, 2])
        XCTAssertEqual(try x.moveaxis(2, 0).staticShape, [4, 2, 3])
        // np.moveaxis(np.zeros((2, 3, 4)), [0, 1], [-1, -2]).shape == (4, 3, 2)
        XCTAssertEqual(try moveaxis(x, [0, 1], [-1, -2]).staticShape, [4, 3, 2])
        XCTAssertTrue(try swapaxes(x, 1, 1) == x)
        let value = try LongTail.input("b234")
        let y = try evaluate(try moveaxis(x, 0, -1), [x], [value])
        XCTAssertEqual(try y.element([2, 1, 1], as: Double.self), try value.element([1, 2, 1], as: Double.self))
        XCTAssertTrue(try swapaxes(x, 0, 1).variable.owner?.op is DimShuffle)
    }

    func testErrors() {
        let v = Tensor.vector("v")
        let m = Tensor.matrix("m", shape: [3, 4])
        assertThrows(.invalidArgument, containing: ["triu", "rank >= 2", "v"]) { try triu(v) }
        assertThrows(.invalidArgument, containing: ["tril", "rank 1"]) { try tril(v) }
        assertThrows(.invalidArgument, containing: ["diagonal", "same axis"]) { try diagonal(m, axis1: 1, axis2: -1) }
        assertThrows(.outOfRange, containing: ["diagonal", "axis 2"]) { try diagonal(m, axis1: 2) }
        assertThrows(.invalidArgument, containing: ["diag", "rank 3"]) { try diag(Tensor.tensor3("t")) }
        assertThrows(.outOfRange, containing: ["swapaxes", "axis 2"]) { try swapaxes(m, 0, 2) }
        assertThrows(.invalidArgument, containing: ["moveaxis", "same number"]) { try moveaxis(m, [0], [0, 1]) }
        assertThrows(.invalidArgument, containing: ["moveaxis", "repeated"]) { try moveaxis(m, [0, 0], [0, 1]) }
    }
}
