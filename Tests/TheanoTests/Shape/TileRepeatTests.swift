import Theano
import XCTest

/// tile, repeat, flip and roll.
final class TileRepeatTests: BackendTestCase {
    let a23 = NDArray((0..<6).map(Double.init)).reshapedOrSelf([2, 3])

    // MARK: tile

    func testTileValues() throws {
        let x = Tensor.matrix("x", .float64)
        let y = try tile(x, reps: [2, 2])
        XCTAssertEqual(y.staticShape, [nil, nil])
        // np.tile(np.arange(6).reshape(2, 3), (2, 2)).ravel()
        assertValues(try evaluate(y, [x], [a23]), [0, 1, 2, 0, 1, 2, 3, 4, 5, 3, 4, 5, 0, 1, 2, 0, 1, 2, 3, 4, 5, 3, 4, 5], shape: [4, 6])
        try checkInferShape(y, [x], [a23])
        // np.tile(a, 3): shorter reps are padded with leading 1s.
        assertValues(try evaluate(try x.tile(reps: [3]), [x], [a23]), [0, 1, 2, 0, 1, 2, 0, 1, 2, 3, 4, 5, 3, 4, 5, 3, 4, 5], shape: [2, 9])
        // np.tile(np.arange(3), (2, 1, 2)): a lower-rank input gains leading axes.
        let v = Tensor.vector("v", .float64, size: 3)
        let t = try tile(v, reps: [2, 1, 2])
        XCTAssertEqual(t.staticShape, [2, 1, 6])
        assertValues(try evaluate(t, [v], [NDArray([0.0, 1, 2])]), [0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2], shape: [2, 1, 6])
        try checkInferShape(t, [v], [NDArray([0.0, 1, 2])])
        XCTAssertTrue(try tile(x, reps: [1, 1]) == x)
        XCTAssertEqual(try tile(x, reps: [0, 2]).staticShape, [0, nil])
    }

    func testTileRandomShapesNonContiguous() throws {
        var data = TestData(seed: 31)
        let x = Tensor.matrix("x", .float64)
        for shape in [[0, 2], [1, 1], [2, 3]] {
            for reps in [[1, 3], [2, 0], [3, 1]] {
                let y = try tile(x, reps: reps)
                for a in try contiguousAndStrided(shape, &data) {
                    let out = [shape[0] * reps[0], shape[1] * reps[1]]
                    let r = try evaluate(y, [x], [a])
                    assertClose(r, try gather(a, shape: out) { [$0[0] % shape[0], $0[1] % shape[1]] })
                    try checkInferShape(y, [x], [a])
                }
            }
        }
    }

    func testTileErrors() {
        let x = Tensor.matrix("x")
        assertThrows(.invalidArgument, containing: ["tile", "-1", "x"]) { try tile(x, reps: [2, -1]) }
        assertThrows(.invalidArgument, containing: ["Tile", "expected 2 repetition counts"]) { try Tile(reps: [2]).apply([x]) }
    }

    // MARK: repeat

    func testRepeatValues() throws {
        let x = Tensor.matrix("x", .float64, shape: [2, 3])
        let y = try `repeat`(x, repeats: 2, axis: 1)
        XCTAssertEqual(y.staticShape, [2, 6])
        // np.repeat(np.arange(6).reshape(2, 3), 2, axis=1).ravel()
        assertValues(try evaluate(y, [x], [a23]), [0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5], shape: [2, 6])
        // np.repeat(a, 3): the flattened elements.
        let flat = try x.repeat(repeats: 3)
        XCTAssertEqual(flat.staticShape, [18])
        assertValues(try evaluate(flat, [x], [a23]), [0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4, 5, 5, 5], shape: [18])
        // np.repeat(a, 2, axis=-2).ravel()
        assertValues(try evaluate(try x.repeat(repeats: 2, axis: -2), [x], [a23]), [0, 1, 2, 0, 1, 2, 3, 4, 5, 3, 4, 5], shape: [4, 3])
        XCTAssertEqual(try `repeat`(x, repeats: 0, axis: 0).staticShape, [0, 3])
        XCTAssertEqual(try `repeat`(Tensor.matrix("m"), repeats: 0).staticShape, [0])
        let s = Tensor.scalar("s", .int32)
        let r = try evaluate(try s.repeat(repeats: 2), [s], [NDArray(scalar: Int32(4))])
        XCTAssertEqual(r.toArray(of: Int32.self), [4, 4])
        XCTAssertEqual(r.dtype, .int32)
    }

    func testRepeatRandomShapesNonContiguous() throws {
        var data = TestData(seed: 32)
        let x = Tensor.matrix("x", .float64)
        for shape in [[0, 2], [1, 1], [2, 3]] {
            for repeats in [0, 1, 3] {
                for a in try contiguousAndStrided(shape, &data) {
                    let byRow = try `repeat`(x, repeats: repeats, axis: 0)
                    let r = try evaluate(byRow, [x], [a])
                    assertClose(r, try gather(a, shape: [shape[0] * repeats, shape[1]]) { [$0[0] / repeats, $0[1]] })
                    try checkInferShape(byRow, [x], [a])
                    let flat = try `repeat`(x, repeats: repeats)
                    let rf = try evaluate(flat, [x], [a])
                    assertClose(rf, try gather(a, shape: [a.count * repeats]) { unravel($0[0] / repeats, shape) })
                    try checkInferShape(flat, [x], [a])
                }
            }
        }
    }

    func testRepeatErrors() {
        let x = Tensor.matrix("x")
        assertThrows(.invalidArgument, containing: ["Repeat", "non-negative", "-2", "x"]) { try `repeat`(x, repeats: -2, axis: 0) }
        assertThrows(.outOfRange, containing: ["repeat", "axis 2", "rank 2"]) { try x.repeat(repeats: 2, axis: 2) }
    }

    // MARK: flip

    func testFlip() throws {
        let x = Tensor.matrix("x", .float64, shape: [2, nil])
        let c = try NDArray((0..<10).map(Double.init), shape: [2, 5])
        let y = try flip(x, axis: 1)
        XCTAssertEqual(y.staticShape, [2, nil])
        // np.flip(np.arange(10).reshape(2, 5), 1).ravel() and np.flip(...).ravel()
        assertValues(try evaluate(y, [x], [c]), [4, 3, 2, 1, 0, 9, 8, 7, 6, 5], shape: [2, 5])
        assertValues(try evaluate(try x.flip(), [x], [c]), [9, 8, 7, 6, 5, 4, 3, 2, 1, 0], shape: [2, 5])
        assertValues(try evaluate(try x.flip(axes: [-2]), [x], [c]), [5, 6, 7, 8, 9, 0, 1, 2, 3, 4], shape: [2, 5])
        try checkInferShape(y, [x], [c])
        XCTAssertEqual(Flip(axes: [0]).viewMap, [0: [0]])
        let r = try function([x], [y])(c)[0]
        XCTAssertTrue(r.sharesStorage(with: c))
        let s = Tensor.scalar("s")
        XCTAssertTrue(try flip(s) == s)
    }

    func testFlipRandomShapesNonContiguous() throws {
        var data = TestData(seed: 33)
        let x = Tensor.matrix("x", .float64)
        for shape in [[0, 2], [1, 1], [3, 4]] {
            for a in try contiguousAndStrided(shape, &data) {
                let y = try flip(x, axes: [0, 1])
                let r = try evaluate(y, [x], [a])
                assertClose(r, try gather(a, shape: shape) { [shape[0] - 1 - $0[0], shape[1] - 1 - $0[1]] })
                try checkInferShape(y, [x], [a])
            }
        }
    }

    func testFlipErrors() {
        let x = Tensor.matrix("x")
        assertThrows(.outOfRange, containing: ["flip", "axis 2", "rank 2", "x"]) { try flip(x, axis: 2) }
        assertThrows(.invalidArgument, containing: ["flip", "repeat"]) { try flip(x, axes: [1, -1]) }
    }

    // MARK: roll

    func testRoll() throws {
        let x = Tensor.matrix("x", .float64)
        let c = try NDArray((0..<10).map(Double.init), shape: [2, 5])
        // np.roll(c, 2, axis=1), np.roll(c, -1, axis=1), np.roll(c, 3), np.roll(c, 7, axis=0)
        assertValues(try evaluate(try roll(x, shift: 2, axis: 1), [x], [c]), [3, 4, 0, 1, 2, 8, 9, 5, 6, 7], shape: [2, 5])
        assertValues(try evaluate(try x.roll(shift: -1, axis: -1), [x], [c]), [1, 2, 3, 4, 0, 6, 7, 8, 9, 5], shape: [2, 5])
        assertValues(try evaluate(try roll(x, shift: 3), [x], [c]), [7, 8, 9, 0, 1, 2, 3, 4, 5, 6], shape: [2, 5])
        assertValues(try evaluate(try roll(x, shift: 7, axis: 0), [x], [c]), [5, 6, 7, 8, 9, 0, 1, 2, 3, 4], shape: [2, 5])
        let y = try roll(x, shift: 1, axis: 0)
        XCTAssertEqual(y.staticShape, [nil, nil])
        try checkInferShape(y, [x], [c])
    }

    func testRollRandomShapesNonContiguous() throws {
        var data = TestData(seed: 34)
        let x = Tensor.matrix("x", .float64)
        for shape in [[0, 2], [1, 1], [3, 4]] {
            for shift in [-5, 0, 2] {
                for a in try contiguousAndStrided(shape, &data) {
                    let y = try roll(x, shift: shift, axis: 1)
                    let r = try evaluate(y, [x], [a])
                    let n = shape[1]
                    assertClose(r, try gather(a, shape: shape) { [$0[0], (($0[1] - shift) % n + n) % n] })
                    try checkInferShape(y, [x], [a])
                    let flat = try evaluate(try roll(x, shift: shift), [x], [a])
                    let total = a.count
                    assertClose(flat, try gather(a, shape: shape) { unravel(((ravel($0, shape) - shift) % total + total) % total, shape) })
                }
            }
        }
    }

    func testRollErrors() {
        let x = Tensor.matrix("x")
        assertThrows(.outOfRange, containing: ["roll", "axis -3", "rank 2", "x"]) { try roll(x, shift: 1, axis: -3) }
    }
}

extension NDArray {
    /// `reshaped` for test constants whose shape is known to fit.
    func reshapedOrSelf(_ shape: [Int]) -> NDArray { (try? reshaped(shape)) ?? self }
}
