import Theano
import XCTest

/// nonzero, where(x), unique and bincount: outputs whose sizes depend on the values.
final class ValueSizedTests: BackendTestCase {
    func testNonzero() throws {
        let value = try LongTail.input("nz")
        let x = symbolic("x", like: value)
        let positions = try nonzero(x)
        XCTAssertEqual(positions.count, 2)
        XCTAssertEqual(positions[0].staticShape, [nil])
        let r = try function([x], positions).call([value])
        try assertFixture(r[0], "nonzero_rows")
        try assertFixture(r[1], "nonzero_cols")
        let rs = try function([x], try `where`(x)).call([try strided(value)])
        try assertFixture(rs[0], "nonzero_rows")
        try assertFixture(rs[1], "nonzero_cols")
        try checkInferShape(positions[1], [x], [value])
        // x[nonzero(x)] are the non-zero elements.
        let picked = try evaluate(x.indexed(positions), [x], [value])
        XCTAssertEqual(picked.count, 3)
        let b = Tensor.vector("b", .bool)
        XCTAssertEqual(try evaluate(flatnonzero(b), [b], [NDArray([false, true, true])]).toArray(of: Int64.self), [1, 2])
        XCTAssertEqual(try evaluate(flatnonzero(b), [b], [NDArray([Bool]())]).shape, [0])
        assertThrows(.invalidArgument, containing: ["Nonzero", "rank 0"]) { try nonzero(Tensor.scalar("s")) }
    }

    func testUnique() throws {
        let value = try LongTail.input("dup")
        let x = symbolic("x", like: value)
        let u = try unique(x, returnIndex: true, returnInverse: true, returnCounts: true)
        guard let index = u.index, let inverse = u.inverse, let counts = u.counts else { return XCTFail("missing outputs") }
        XCTAssertEqual(inverse.staticShape, [nil, nil])
        let r = try function([x], [u.values, index, inverse, counts]).call([value])
        try assertFixture(r[0], "unique_values")
        try assertFixture(r[1], "unique_index")
        try assertFixture(r[2], "unique_inverse")
        try assertFixture(r[3], "unique_counts")
        try checkInferShape(counts, [x], [value])
        try checkInferShape(inverse, [x], [value])
        let plain = try unique(x)
        XCTAssertNil(plain.counts)
        try assertFixture(try evaluate(plain.values, [x], [try strided(value)]), "unique_values")
        let i = Tensor.vector("i", .int8)
        let ui = try unique(i).values
        XCTAssertEqual(ui.dtype, .int8)
        XCTAssertEqual(try evaluate(ui, [i], [NDArray([Int8(3), -1, 3])]).toArray(of: Int8.self), [-1, 3])
        XCTAssertEqual(try evaluate(ui, [i], [NDArray([Int8]())]).shape, [0])
    }

    func testUniqueAlongAnAxis() throws {
        for (name, axis) in [("rows", 0), ("t232", -2)] {
            let value = try LongTail.input(name)
            let x = symbolic("x", like: value, fixed: axis == 0)
            let u = try unique(x, returnIndex: true, returnInverse: true, returnCounts: true, axis: axis)
            guard let index = u.index, let inverse = u.inverse, let counts = u.counts else { return XCTFail("missing outputs") }
            let r = try function([x], [u.values, index, inverse, counts]).call([value])
            try assertFixture(r[0], "unique_\(name)_values")
            try assertFixture(r[1], "unique_\(name)_index")
            try assertFixture(r[2], "unique_\(name)_inverse")
            try assertFixture(r[3], "unique_\(name)_counts")
            try checkInferShape(u.values, [x], [value])
            try checkInferShape(inverse, [x], [value])
        }
        // Rows holding NaN stay distinct (NumPy compares them so); an empty axis gives nothing.
        let m = Tensor.matrix("m", .float64)
        let rows = try unique(m, axis: 0).values
        let nan = try NDArray([Double.nan, 1, .nan, 1], shape: [2, 2])
        XCTAssertEqual(try evaluate(rows, [m], [nan]).shape, [2, 2])
        XCTAssertEqual(try evaluate(rows, [m], [try NDArray.zeros([0, 3], .float64)]).shape, [0, 3])
        assertThrows(.outOfRange, containing: ["unique", "axis 2"]) { try unique(m, axis: 2) }
    }

    func testBincount() throws {
        let values = try LongTail.input("i7"), weights = try LongTail.input("w7")
        let x = symbolic("x", like: values), w = symbolic("w", like: weights)
        let counts = try bincount(x)
        XCTAssertEqual(counts.dtype, .int64)
        try assertFixture(try evaluate(counts, [x], [values]), "bincount_i7")
        try assertFixture(try evaluate(try bincount(x, minlength: 9), [x], [try strided(values)]), "bincount_i7_min9")
        let weighted = try bincount(x, weights: w)
        XCTAssertEqual(weighted.dtype, .float64)
        try assertFixture(try evaluate(weighted, [x, w], [values, weights]), "bincount_i7_w")
        try checkInferShape(weighted, [x, w], [values, weights])
        XCTAssertEqual(try evaluate(bincount(x, minlength: 3), [x], [NDArray([Int64]())]).toArray(of: Int64.self), [0, 0, 0])
        let constant = Tensor.constant(values)
        try verifyGrad({ try bincount(constant, weights: $0[0], minlength: 6) }, at: [weights])
        assertThrows(.invalidArgument, containing: ["Bincount", "non-negative", "-2"]) {
            try function([x], [counts]).call([NDArray([Int64(1), -2])])
        }
        assertThrows(.typeMismatch, containing: ["Bincount", "integer vector"]) { try bincount(w) }
        assertThrows(.shapeMismatch, containing: ["Bincount", "length"]) {
            try bincount(Tensor.vector("a", .int64, size: 3), weights: Tensor.vector("b", .float64, size: 4))
        }
        assertThrows(.invalidArgument, containing: ["Bincount", "minlength"]) { try bincount(x, minlength: -1) }
    }
}
