import Theano
import XCTest

/// meshgrid, isclose and allclose.
final class GridCloseTests: BackendTestCase {
    func testMeshgrid() throws {
        let a = try LongTail.input("g2"), b = try LongTail.input("v3"), c = try LongTail.input("g4")
        let x = symbolic("x", like: a), y = symbolic("y", like: b), z = symbolic("z", like: c)
        let xy = try meshgrid([x, y, z])
        let r = try function([x, y, z], xy).call([a, b, c])
        for k in 0..<3 { try assertFixture(r[k], "meshgrid_xy_\(k)") }
        try checkInferShape(xy[2], [x, y, z], [a, b, c])
        let ij = try meshgrid([x, y], indexing: .ij)
        let rij = try function([x, y], ij).call([try strided(a), try strided(b)])
        for k in 0..<2 { try assertFixture(rij[k], "meshgrid_ij_\(k)") }
        let fixed = try meshgrid([Tensor.vector("p", size: 2), Tensor.vector("q", size: 3)])
        XCTAssertEqual(fixed[0].staticShape, [3, 2])
        try verifyGrad({ v in try meshgrid(v)[0] * meshgrid(v)[1] }, at: [a, b])
        XCTAssertEqual(try meshgrid([]).count, 0)
        let variadic = try meshgrid(x, y, indexing: .ij)
        try assertFixture(try function([x, y], variadic).call([a, b])[1], "meshgrid_ij_1")
    }

    func testIsClose() throws {
        let a = try LongTail.input("close_a"), b = try LongTail.input("close_b")
        let x = symbolic("x", like: a), y = symbolic("y", like: b)
        let close = try isclose(x, y)
        XCTAssertEqual(close.dtype, .bool)
        try assertFixture(try evaluate(close, [x, y], [a, b]), "isclose_default")
        try assertFixture(try evaluate(isclose(x, y, equalNaN: true), [x, y], [a, b]), "isclose_nan")
        try assertFixture(try evaluate(isclose(x, y, rtol: 1e-3, atol: 1e-7), [x, y], [try strided(a), try strided(b)]), "isclose_loose")
        let all = try allclose(x, y, rtol: 1, atol: 1)
        XCTAssertEqual(all.rank, 0)
        XCTAssertEqual(try evaluate(all, [x, y], [a, b]).item(Bool.self), false)   // NaN is never close
        let ok = try allclose(x, y, rtol: 1e-3, equalNaN: true)
        let finite = NDArray([1.0, 2.0]), near = NDArray([1.0005, 2.001])
        XCTAssertEqual(try evaluate(ok, [x, y], [finite, near]).item(Bool.self), true)
        // Integers compare as floats; mixed dtypes promote.
        let i = Tensor.vector("i", .int32), f = Tensor.vector("f", .float32)
        let mixed = try isclose(i, f)
        XCTAssertEqual(try evaluate(mixed, [i, f], [NDArray([Int32(1), 2]), NDArray([Float(1), 2.5])]).toArray(of: Bool.self), [true, false])
        assertThrows(.invalidArgument, containing: ["isclose", "non-negative"]) { try isclose(x, y, rtol: -1) }
    }
}
