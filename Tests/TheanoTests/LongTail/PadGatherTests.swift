import Theano
import XCTest

/// pad, takeAlongAxis, and repeat and roll with symbolic arguments.
final class PadGatherTests: BackendTestCase {
    func testPadModes() throws {
        try checkUnary("m23", "pad_m23_constant") { try pad($0, [(1, 2), (2, 0)], constant: 9) }
        for mode in [PadMode.edge, .reflect, .symmetric, .wrap] {
            try checkUnary("m23", "pad_m23_\(mode.rawValue)") { try $0.pad([(4, 1), (2, 3)], mode: mode) }
        }
        try checkUnary("v3", "pad_v3_reflect_wide") { try pad($0, [(5, 7)], mode: .reflect) }
        let x = Tensor.matrix("x", .float64, shape: [2, 3])
        XCTAssertEqual(try pad(x, 1, mode: .edge).staticShape, [4, 5])
        XCTAssertTrue(try pad(x, 0) == x)
        // An empty axis can take constant padding only.
        let e = Tensor.vector("e", .float64)
        assertValues(try evaluate(pad(e, 2, constant: 1), [e], [NDArray([Double]())]), [1, 1, 1, 1])
        assertThrows(.invalidArgument, containing: ["PadIndices", "empty axis", "reflect"]) {
            try function([e], [pad(e, 1, mode: .reflect)]).call([NDArray([Double]())])
        }
        // A size-1 axis reflects to its only element.
        assertValues(try evaluate(pad(e, 2, mode: .reflect), [e], [NDArray([4.0])]), [4, 4, 4, 4, 4])
    }

    func testPadWithConstantsPerSide() throws {
        try checkUnary("m23", "pad_m23_constants") { try pad($0, [(1, 2), (2, 1)], constants: [(7, 8), (-1, -2)]) }
        let v = Tensor.vector("v", .float64)
        assertValues(try evaluate(pad(v, [(1, 1)], constants: [(-1, 1)]), [v], [NDArray([2.0, 3])]), [-1, 2, 3, 1])
        assertValues(try evaluate(pad(v, [(0, 2)], constants: [(5, 6)]), [v], [NDArray([Double]())]), [6, 6])
        try verifyGrad({ try pad($0[0], [(1, 0), (2, 1)], constants: [(3, 4)]) }, at: [try LongTail.input("m23")])
        assertThrows(.invalidArgument, containing: ["pad", "2 (before, after) constants", "got 3"]) {
            try pad(Tensor.matrix("m"), [(1, 1)], constants: [(0, 0), (0, 0), (0, 0)])
        }
        assertThrows(.invalidArgument, containing: ["pad", "non-negative"]) { try pad(v, [(-1, 0)], constants: [(0, 0)]) }
    }

    func testPadGradients() throws {
        let m = try LongTail.input("m23")
        try verifyGrad({ try pad($0[0], [(1, 2), (0, 1)], constant: 3) }, at: [m])
        for mode in [PadMode.edge, .reflect, .symmetric, .wrap] {
            try verifyGrad({ try pad($0[0], [(3, 1), (2, 4)], mode: mode) }, at: [m])
        }
    }

    func testTakeAlongAxis() throws {
        let m = try LongTail.input("m34")
        let x = symbolic("x", like: m)
        for (indexName, axis) in [("idx24", 0), ("idx31", 1)] {
            let idx = try LongTail.input(indexName)
            let i = symbolic("i", like: idx, fixed: indexName == "idx31")
            let y = try takeAlongAxis(x, i, axis: axis)
            let name = "take_m34_\(indexName)_\(axis)"
            try assertFixture(try evaluate(y, [x, i], [m, idx]), name)
            try assertFixture(try evaluate(y, [x, i], [try strided(m), idx]), name)
            try checkInferShape(y, [x, i], [m, idx])
            let constant = Tensor.constant(idx)
            try verifyGrad({ try takeAlongAxis($0[0], constant, axis: axis) }, at: [m])
        }
        let v = Tensor.vector("v", .float64), k = Tensor.vector("k", .int32)
        assertValues(try evaluate(v.takeAlongAxis(k, axis: nil), [v, k], [NDArray([1.0, 2, 3]), NDArray([Int32(-1), 0])]), [3, 1])
        assertThrows(.outOfRange) {
            try function([v, k], [takeAlongAxis(v, k, axis: 0)]).call([NDArray([1.0]), NDArray([Int32(1)])])
        }
        assertThrows(.typeMismatch, containing: ["takeAlongAxis", "integer"]) { try takeAlongAxis(x, x, axis: 0) }
        assertThrows(.invalidArgument, containing: ["takeAlongAxis", "rank"]) { try takeAlongAxis(x, k, axis: 0) }
        assertThrows(.invalidArgument, containing: ["takeAlongAxis", "vector"]) { try takeAlongAxis(x, Tensor.matrix("i", .int64), axis: nil) }
    }

    func testRepeatWithTensorCounts() throws {
        let m = try LongTail.input("m34")
        let x = symbolic("x", like: m)
        let counts = Tensor.vector("c", .int64)
        let y = try `repeat`(x, repeats: counts, axis: 0)
        XCTAssertEqual(y.staticShape, [nil, nil])
        let c = NDArray([Int64(1), 0, 2])
        try assertFixture(try evaluate(y, [x, counts], [m, c]), "repeat_m34_102_0")
        try assertFixture(try evaluate(y, [x, counts], [try strided(m), c]), "repeat_m34_102_0")
        try checkInferShape(y, [x, counts], [m, c])
        let r = Tensor.scalar("r", .int32)
        let byScalar = try x.repeat(repeats: r, axis: 1)
        try assertFixture(try evaluate(byScalar, [x, r], [m, NDArray(scalar: Int32(2))]), "repeat_m34_2_1")
        let m23 = try LongTail.input("m23")
        let z = symbolic("z", like: m23)
        try assertFixture(try evaluate(`repeat`(z, repeats: r), [z, r], [m23, NDArray(scalar: Int32(2))]), "repeat_m23_2_none")
        XCTAssertEqual(try evaluate(byScalar, [x, r], [m, NDArray(scalar: Int32(0))]).shape, [3, 0])
        try verifyGrad({ try `repeat`($0[0], repeats: Tensor.constant(c), axis: 0) }, at: [m])
        assertThrows(.invalidArgument, containing: ["RepeatIndices", "non-negative", "-1"]) {
            try function([x, r], [byScalar]).call([m, NDArray(scalar: Int32(-1))])
        }
        assertThrows(.shapeMismatch, containing: ["RepeatIndices", "2 repetition counts", "size 3"]) {
            try function([x, counts], [y]).call([m, NDArray([Int64(1), 2])])
        }
        assertThrows(.typeMismatch, containing: ["repeat", "integer scalar or vector"]) { try `repeat`(x, repeats: x) }
    }

    func testRollWithTensorShift() throws {
        let m = try LongTail.input("m34")
        let x = symbolic("x", like: m)
        let s = Tensor.scalar("s", .int64)
        let y = try roll(x, shift: s, axis: 1)
        try assertFixture(try evaluate(y, [x, s], [m, NDArray(scalar: Int64(-2))]), "roll_m34_m2_1")
        try assertFixture(try evaluate(y, [x, s], [try strided(m), NDArray(scalar: Int64(-2))]), "roll_m34_m2_1")
        let flat = try x.roll(shift: s)
        try assertFixture(try evaluate(flat, [x, s], [m, NDArray(scalar: Int64(7))]), "roll_m34_7_none")
        try checkInferShape(flat, [x, s], [m, NDArray(scalar: Int64(7))])
        let e = Tensor.vector("e", .float64)
        XCTAssertEqual(try evaluate(roll(e, shift: s, axis: 0), [e, s], [NDArray([Double]()), NDArray(scalar: Int64(3))]).shape, [0])
        // A shift computed in the graph (not a constant), so the gather path is the one checked.
        try verifyGrad({ x in
            let shift = try cast(sum(x[0]) * 0, .int64) + 3
            return try roll(x[0], shift: shift, axis: 1)
        }, at: [m])
        assertThrows(.typeMismatch, containing: ["roll", "integer scalar"]) { try roll(x, shift: x) }
    }
}
