import Theano
import XCTest

/// Symbolic indices, views, static shapes, size 0 and 1, dtypes and functional updates.
final class IndexingBehaviourTests: BackendTestCase {
    func testSubtensorIsAViewAndDeclaresIt() throws {
        let a = try NDArray.arange(0, 12, step: 1, .float32).reshaped([3, 4])
        let x = Tensor.matrix("x")
        let node = try Subtensor([.scalar(.constant(1)), .slice(start: nil, stop: nil, step: .constant(-1))]).makeNode([x.variable])
        let out = try node.op.perform(node, [a])[0]
        XCTAssertTrue(out.sharesStorage(with: a))
        assertValues(out, [7, 6, 5, 4])
        XCTAssertEqual(node.op.viewMap, [0: [0]])
        XCTAssertEqual("\(node.op)", "Subtensor{1, ::-1}")
        // Advanced indexing copies.
        let advanced = try a.indexed([.integers(NDArray([Int64(0), 2]))])
        XCTAssertFalse(advanced.sharesStorage(with: a))
    }

    func testSymbolicScalarIndex() throws {
        let x = Tensor.matrix("x", .float64)
        let i = Tensor.scalar("i", .int64)
        let row = try x[i]
        XCTAssertTrue(row.variable.owner?.op is Subtensor)
        let m = try FixtureInput.m.value
        let f = try function([x, i], [row])
        assertValues(try f(m, NDArray(scalar: Int64(2)))[0], [10, 11, 12, 13, 14])
        assertValues(try f(m, NDArray(scalar: Int64(-1)))[0], [15, 16, 17, 18, 19])
        try checkInferShape(row, [x, i], [m, NDArray(scalar: Int64(1))])
        assertThrows(.outOfRange, containing: ["Subtensor", "index 4", "axis 0", "size 4"]) {
            try f(m, NDArray(scalar: Int64(4)))
        }
        // Other integer dtypes work; the symbolic index also works beside slices and arrays.
        let j = Tensor.scalar("j", .int32)
        let g = try function([x, j], [try x[.all, j], try x[j, [0, 4]]])
        let out = try g(m, NDArray(scalar: Int32(3)))
        assertValues(out[0], [3, 8, 13, 18])
        assertValues(out[1], [15, 19])
        // A constant scalar tensor folds into the op.
        let k = try x[Tensor.constant(NDArray(scalar: Int64(3)))]
        XCTAssertEqual(k.variable.owner?.inputs.count, 1)
    }

    func testSymbolicSliceBounds() throws {
        let v = Tensor.vector("v", .float64)
        let a = Tensor.scalar("a", .int64), b = Tensor.scalar("b", .int64), s = Tensor.scalar("s", .int64)
        let out = try v[.symbolicSlice(a, b, s)]
        let values = try FixtureInput.v.value
        let f = try function([v, a, b, s], [out])
        func run(_ start: Int, _ stop: Int, _ step: Int) throws -> NDArray {
            try f(values, NDArray(scalar: Int64(start)), NDArray(scalar: Int64(stop)), NDArray(scalar: Int64(step)))[0]
        }
        assertValues(try run(1, 8, 3), [1, 4, 7])
        assertValues(try run(8, 2, -2), [8, 6, 4])
        assertValues(try run(-100, 100, 4), [0, 4, 8])
        assertValues(try run(5, 2, 1), [], shape: [0])
        for (start, stop, step) in [(1, 8, 3), (9, -100, -1), (100, 0, -3), (5, 2, 1)] {
            try checkInferShape(out, [v, a, b, s], [values, NDArray(scalar: Int64(start)), NDArray(scalar: Int64(stop)), NDArray(scalar: Int64(step))])
        }
        assertThrows(.invalidArgument, containing: ["Subtensor", "step cannot be zero"]) { try run(0, 5, 0) }
        // Mixed constant and symbolic bounds; literal bounds fold.
        let tail = try v[.symbolicSlice(a, nil, 2)]
        XCTAssertEqual("\(tail.variable.owner!.op)", "Subtensor{?::2}")
        assertValues(try evaluate(tail, [v, a], [values, NDArray(scalar: Int64(3))]), [3, 5, 7, 9])
        try checkInferShape(tail, [v, a], [values, NDArray(scalar: Int64(3))])
    }

    func testShapeOfConstantIndexIsShapeIndex() throws {
        let x = Tensor.matrix("x", shape: [nil, 3])
        let n = try x.shape[0]
        XCTAssertEqual(n.variable.owner?.op as? ShapeIndex, ShapeIndex(0))
        XCTAssertEqual(try x.shape[1].constantValue, NDArray(scalar: Int64(3)))
        XCTAssertEqual(try x.shape[-1].constantValue, NDArray(scalar: Int64(3)))
        assertValues(try evaluate(n, [x], [try NDArray.zeros([5, 3])]), [5])
        assertThrows(.outOfRange, containing: ["axis 2"]) { try x.shape[2] }
        // A symbolic position still indexes the shape vector.
        let i = Tensor.scalar("i", .int64)
        assertValues(try evaluate(try x.shape[i], [x, i], [try NDArray.zeros([5, 3]), NDArray(scalar: Int64(1))]), [3])
    }

    func testStaticShapes() throws {
        let m = Tensor.matrix("m", shape: [4, 5])
        XCTAssertEqual(try m[1..<3].staticShape, [2, 5])
        XCTAssertEqual(try m[.slice(nil, nil, -2), 0].staticShape, [2])
        XCTAssertEqual(try m[.newAxis, .ellipsis, .newAxis].staticShape, [1, 4, 5, 1])
        XCTAssertEqual(try m[Tensor.vector("i", .int64, size: 3)].staticShape, [3, 5])
        XCTAssertEqual(try m[Tensor.vector("i", .int64)].staticShape, [nil, 5])
        XCTAssertEqual(try m[[0, 1], Tensor.vector("i", .int64)].staticShape, [2])
        XCTAssertEqual(try m[Tensor.matrix("b", .bool)].staticShape, [nil])
        XCTAssertEqual(try m[[true, false, true, true]].staticShape, [3, 5])
        let u = Tensor.matrix("u")
        XCTAssertEqual(try u[1..<3].staticShape, [nil, nil])
        XCTAssertEqual(try u[.all, 0..<0].staticShape, [nil, nil])
        XCTAssertEqual(try u[.newAxis].staticShape, [1, nil, nil])
        XCTAssertEqual(try setSubtensor(try u[0], 1).staticShape, [nil, nil])
    }

    func testInferShapeWithUnknownIndexShapes() throws {
        let x = Tensor.tensor3("x", .float64)
        let i = Tensor.vector("i", .int64), j = Tensor.matrix("j", .int64)
        let mask = Tensor.matrix("mask", .bool)
        let a = try FixtureInput.x.value
        let iv = NDArray([Int64(1), 0, 1]), jv = try NDArray([[Int64(0), 2, 1]])
        let mv = try NDArray([true, false, true, false, true, true], shape: [2, 3])
        try checkInferShape(try x[i, .all, j], [x, i, j], [a, iv, jv])
        try checkInferShape(try x[.all, i, j], [x, i, j], [a, iv, jv])
        try checkInferShape(try x[mask], [x, mask], [a, mv])
        try checkInferShape(try x[mask, [2]], [x, mask], [a, mv])
        try checkInferShape(try x[.newAxis, 1, mask[0]], [x, mask], [a, mv])
        try checkInferShape(try x[.all, .slice(nil, nil, -2), j], [x, j], [a, jv])
        try checkInferShape(try take(x, j), [x, j], [a, jv])
        try checkInferShape(try setSubtensor(try x[mask], 0), [x, mask], [a, mv])
        try checkInferShape(try incSubtensor(try x[i, .all, j], 1), [x, i, j], [a, iv, jv])
    }

    func testSizeZeroAndSizeOne() throws {
        let v = Tensor.vector("v", .float64)
        let empty = try NDArray.zeros([0], .float64)
        for out in [try v[0..<0], try v[.slice(nil, nil, -1)], try v[NDArray([Int64]())], try v[NDArray([Bool]())]] {
            let r = try evaluate(out, [v], [empty])
            XCTAssertEqual(r.shape, [0])
            try checkInferShape(out, [v], [empty])
        }
        let m = Tensor.matrix("m", .float64)
        let m05 = try NDArray.zeros([0, 5], .float64)
        XCTAssertEqual(try evaluate(try m[.all, [1, 2]], [m], [m05]).shape, [0, 2])
        XCTAssertEqual(try evaluate(try m[2..., 1], [m], [m05]).shape, [0])
        XCTAssertEqual(try evaluate(try setSubtensor(try m[.all, [1, 2]], 1), [m], [m05]).shape, [0, 5])
        // An empty index array selects nothing and leaves x unchanged on increment.
        let values = try FixtureInput.v.value
        assertValues(try evaluate(try incSubtensor(try v[NDArray([Int64]())], 5), [v], [values]), values.doubles)
        // An all-false mask.
        XCTAssertEqual(try evaluate(try v[try v .> 100], [v], [values]).shape, [0])
        // Size 1: scalars out of 1x1, repeated index 0, static broadcastable axes.
        let one = Tensor.matrix("one", .float64, shape: [1, 1])
        let oneValue = try NDArray([[7.0]])
        assertValues(try evaluate(try one[0, 0], [one], [oneValue]), [7], shape: [])
        assertValues(try evaluate(try one[[0, 0, -1]], [one], [oneValue]), [7, 7, 7], shape: [3, 1])
        assertValues(try evaluate(try incSubtensor(try one[[0, 0, -1], 0], 1), [one], [oneValue]), [10], shape: [1, 1])
        XCTAssertEqual(try one[.all, 0].staticShape, [1])
    }

    func testNonContiguousInputsAndIndexArrays() throws {
        var data = TestData(seed: 7)
        let a = try data.nonContiguous([4, 6])
        let x = Tensor.matrix("x", .float64)
        let idx = try NDArray([Int64(3), 9, 0, 9, 1, 9, 2, 9, 2, 9, -4, 9], shape: [2, 6]).slice([.all, .slice(start: nil, stop: nil, step: 2)])
        XCTAssertFalse(a.isContiguous)
        XCTAssertFalse(idx.isContiguous)
        let i = Tensor.matrix("i", .int64)
        let outputs = [try x[1..., .slice(nil, nil, -2)], try x[i], try x[.all, i], try x[try x .> 0],
                       try incSubtensor(try x[.all, i], 1), try setSubtensor(try x[i, 1..<3], 0), try take(x, i)]
        let f = try function([x, i], outputs)
        let onView = try f(a, idx)
        let onCopy = try f(a.copy(), idx.copy())
        for (k, (p, q)) in zip(onView, onCopy).enumerated() {
            assertClose(p, q, "output \(k)")
        }
    }

    func testSetAndIncrementAreFunctional() throws {
        let x = Tensor.vector("x", .float64)
        let values = try FixtureInput.v.value
        let set = try setSubtensor(try x[2..<4], 0)
        let f = try function([x], [set, x, try x * 1])
        let out = try f(values)
        assertValues(out[0], [0, 1, 0, 0, 4, 5, 6, 7, 8, 9])
        assertValues(out[1], values.doubles)
        assertValues(out[2], values.doubles)
        assertValues(values, (0..<10).map(Double.init))
        // NDArray level: scattering returns a new array.
        let scattered = try values.scattering([.basic(.index(1))], values: NDArray(scalar: 5.0), accumulate: true)
        XCTAssertEqual(try scattered.element([1], as: Double.self), 6)
        XCTAssertEqual(try values.element([1], as: Double.self), 1)
    }

    func testValueDTypeIsCastToTheIndexedTensor() throws {
        let x = Tensor.vector("x", .int32)
        let xs = NDArray([Int32(1), 2, 3])
        let set = try setSubtensor(try x[0], 2.7)
        XCTAssertEqual(set.dtype, .int32)
        let y = Tensor.vector("y", .float64)
        let inc = try incSubtensor(try x[[0, 0]], y)
        XCTAssertEqual(inc.dtype, .int32)
        let out = try function([x, y], [set, inc])(xs, NDArray([1.9, -0.5]))
        XCTAssertEqual(out[0], NDArray([Int32(2), 2, 3]))
        XCTAssertEqual(out[1], NDArray([Int32(2), 2, 3]))   // 1 + trunc(1.9) + trunc(-0.5)
        // Bool masks set and accumulate (logical or).
        let b = Tensor.vector("b", .bool)
        let flags = NDArray([false, true, false])
        let bs = try function([b], [try b.setting([0, 2], to: 1), try b.incrementing(1, by: 0)])(flags)
        XCTAssertEqual(bs[0], NDArray([true, true, true]))
        XCTAssertEqual(bs[1], flags)
    }

    func testIndexArraysBroadcastOnlyWhereStaticSizeIsOne() throws {
        let m = Tensor.matrix("m", .float64)
        let i = Tensor.vector("i", .int64), j = Tensor.vector("j", .int64)
        let f = try function([m, i, j], [try m[i, j]])
        let mv = try FixtureInput.m.value
        assertValues(try f(mv, NDArray([Int64(1), 2]), NDArray([Int64(0), 4]))[0], [5, 14])
        assertThrows(.shapeMismatch, containing: ["AdvancedSubtensor", "[1]", "[2]", "static size 1"]) {
            try f(mv, NDArray([Int64(1)]), NDArray([Int64(0), 4]))
        }
        // Declared broadcastable: fine.
        let one = Tensor.vector("one", .int64, size: 1)
        let g = try function([m, one, j], [try m[one, j]])
        assertValues(try g(mv, NDArray([Int64(3)]), NDArray([Int64(0), 4]))[0], [15, 19])
    }

    func testSelectionOrderOfSeparatedIndicesAtNDArrayLevel() throws {
        let x = try FixtureInput.x.value
        let i = NDArray([Int64(0), 1, 1])
        let r = try x.indexed([.basic(.index(1)), .basic(.all), .integers(i)])
        XCTAssertEqual(r.shape, [3, 3])   // separated by a slice: the index axis comes first
        assertValues(r, [12, 16, 20, 13, 17, 21, 13, 17, 21])
        let t = try x.take(NDArray([Int64(-1)]), axis: 1)
        XCTAssertEqual(t.shape, [2, 1, 4])
        assertValues(t, [8, 9, 10, 11, 20, 21, 22, 23])
    }

    func testSubscriptsInLongExpressionsTypeCheckQuickly() throws {
        // Compiled with -warn-long-expression-type-checking by ./run.sh test.
        let x = Tensor.matrix("x", .float64)
        let i = Tensor.vector("i", .int64, size: 5)
        let e = try x[1..<3, .newAxis, .ellipsis] * 2 + x[0, .all] - x[.slice(nil, nil, -1), 0...][0..<2] * 0.5 + x[i, 0] * x[-1, [0, 1]][0] - 1
        XCTAssertEqual(e.rank, 3)
        let values = try FixtureInput.m.value
        let r = try evaluate(e, [x, i], [values, NDArray([Int64(0), 1, 2, 3, 3])])
        XCTAssertEqual(r.shape, [2, 2, 5])
    }

    func testExtremeSliceBoundsAndSteps() throws {
        // NumPy: v[0::huge] == [0], v[huge:-huge:-huge] == [9], v[-huge:huge] == v.
        let v = Tensor.vector("v", .float64)
        let values = try FixtureInput.v.value
        let outputs = [try v[.slice(0, nil, Int.max)], try v[0...Int.max], try v[...Int.max], try v[.slice(Int.max, Int.min, Int.min)], try v[.slice(Int.min, Int.max)]]
        let r = try function([v], outputs)(values)
        assertValues(r[0], [0])
        assertValues(r[1], values.doubles)
        assertValues(r[2], values.doubles)
        assertValues(r[3], [9])
        assertValues(r[4], values.doubles)
        let s = Tensor.scalar("s", .int64)
        let symbolic = try v[.symbolicSlice(nil, nil, s)]
        assertValues(try evaluate(symbolic, [v, s], [values, NDArray(scalar: Int64.min)]), [9])
        try checkInferShape(symbolic, [v, s], [values, NDArray(scalar: Int64.max)])
    }
}
