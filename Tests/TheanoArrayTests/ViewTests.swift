import TheanoArray
import XCTest

final class ViewTests: XCTestCase {
    /// np.arange(12).reshape(3, 4)
    private func grid() throws -> NDArray { try NDArray.arange(12).reshaped([3, 4]) }

    func testTransposeIsAViewWithPermutedStrides() throws {
        let a = try grid()
        let t = try a.transposed()
        XCTAssertTrue(t.sharesStorage(with: a))
        XCTAssertEqual(t.shape, [4, 3])
        XCTAssertEqual(t.strides, [1, 4])
        XCTAssertFalse(t.isContiguous)
        XCTAssertTrue(t.isFortranContiguous)
        XCTAssertEqual(t.toArray(of: Int.self), [0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11])
        XCTAssertEqual(a.T, t)
        let cube = try NDArray.arange(24).reshaped([2, 3, 4])
        let p = try cube.transposed([1, -1, 0])
        XCTAssertEqual(p.shape, [3, 4, 2])
        XCTAssertEqual(try p.element([2, 1, 1], as: Int.self), 21)
        assertThrows(.invalidArgument, containing: ["transpose", "[0, 0]"]) { try a.transposed([0, 0]) }
        assertThrows(.invalidArgument, containing: ["transpose"]) { try a.transposed([0]) }
    }

    func testSlicesWithStepsAreViews() throws {
        let a = try grid()
        // a[::-2, 1::2] == [[9, 11], [1, 3]]
        let s = try a.slice([.slice(start: nil, stop: nil, step: -2), .slice(start: 1, stop: nil, step: 2)])
        XCTAssertTrue(s.sharesStorage(with: a))
        XCTAssertEqual(s.shape, [2, 2])
        XCTAssertEqual(s.strides, [-8, 2])
        XCTAssertEqual(s.toArray(of: Int.self), [9, 11, 1, 3])
        // a[:, ::-1][1] == [7, 6, 5, 4]
        let flipped = try a.flipped(axis: 1)
        XCTAssertTrue(flipped.sharesStorage(with: a))
        XCTAssertEqual(try flipped.slice([.index(1)]).toArray(of: Int.self), [7, 6, 5, 4])
        // a[-1, ...] and a[None, 1:3, 2]
        XCTAssertEqual(try a.slice([.index(-1), .ellipsis]).toArray(of: Int.self), [8, 9, 10, 11])
        let n = try a.slice([.newAxis, .slice(start: 1, stop: 3, step: nil), .index(2)])
        XCTAssertEqual(n.shape, [1, 2])
        XCTAssertEqual(n.toArray(of: Int.self), [6, 10])
        // Out-of-range slice bounds clamp; an empty slice has size 0.
        XCTAssertEqual(try a.slice([.slice(start: 5, stop: 9, step: nil)]).shape, [0, 4])
        XCTAssertEqual(try a.slice([.slice(start: -100, stop: 100, step: nil)]).shape, [3, 4])
    }

    func testSliceErrors() throws {
        let a = try grid()
        assertThrows(.outOfRange, containing: ["index 3", "axis 0", "size 3"]) { try a.slice([.index(3)]) }
        assertThrows(.outOfRange, containing: ["index -5", "axis 1"]) { try a.slice([.all, .index(-5)]) }
        assertThrows(.outOfRange, containing: ["too many indices", "[3, 4]"]) { try a.slice([.index(0), .index(0), .index(0)]) }
        assertThrows(.invalidArgument, containing: ["ellipsis"]) { try a.slice([.ellipsis, .ellipsis]) }
        assertThrows(.invalidArgument, containing: ["step", "zero"]) { try a.slice([.slice(start: nil, stop: nil, step: 0)]) }
    }

    func testBroadcastViewsShareStorageWithZeroStrides() throws {
        let row = NDArray([1, 2, 3] as [Float])
        let b = try row.broadcast(to: [4, 3])
        XCTAssertTrue(b.sharesStorage(with: row))
        XCTAssertEqual(b.strides, [0, 1])
        XCTAssertEqual(b.doubles, [1, 2, 3, 1, 2, 3, 1, 2, 3, 1, 2, 3])
        let column = try NDArray([5, 6] as [Int32], shape: [2, 1])
        let c = try column.broadcast(to: [3, 2, 4])
        XCTAssertTrue(c.sharesStorage(with: column))
        XCTAssertEqual(c.strides, [0, 1, 0])
        XCTAssertEqual(try c.element([2, 1, 3], as: Int.self), 6)
        assertThrows(.shapeMismatch, containing: ["[2, 1]", "[3, 3]"]) { try column.broadcast(to: [3, 3]) }
        assertThrows(.shapeMismatch, containing: ["lower-rank"]) { try column.broadcast(to: [2]) }
    }

    func testExpandAndSqueezeAreViews() throws {
        let a = NDArray([1, 2, 3] as [Double])
        let e = try a.expandingDims(-1)
        XCTAssertEqual(e.shape, [3, 1])
        XCTAssertTrue(e.sharesStorage(with: a))
        XCTAssertEqual(try e.squeezed().shape, [3])
        XCTAssertEqual(try e.expandingDims(0).squeezed([0]).shape, [3, 1])
        assertThrows(.shapeMismatch, containing: ["squeeze", "size 3"]) { try e.squeezed([0]) }
        assertThrows(.outOfRange, containing: ["expandDims", "axis 3"]) { try a.expandingDims(3) }
    }

    func testReshapeInfersMinusOneAndThrowsOnMismatch() throws {
        let a = try grid()
        let flat = try a.reshaped([-1])
        XCTAssertEqual(flat.shape, [12])
        XCTAssertTrue(flat.sharesStorage(with: a), "reshaping a contiguous array is a view")
        XCTAssertEqual(try a.reshaped([2, -1, 3]).shape, [2, 2, 3])
        XCTAssertEqual(try a.reshaped([12, 1]).shape, [12, 1])
        XCTAssertEqual(try NDArray(scalar: 4.0).reshaped([1, 1]).shape, [1, 1])
        XCTAssertEqual(try NDArray.zeros([0, 3]).reshaped([3, -1]).shape, [3, 0])
        // A non-contiguous source is copied, in C order of its values.
        let t = try a.transposed()
        let r = try t.reshaped([-1])
        XCTAssertFalse(r.sharesStorage(with: a))
        XCTAssertEqual(r.toArray(of: Int.self), [0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11])

        assertThrows(.invalidArgument, containing: ["at most one", "-1"]) { try a.reshaped([-1, -1]) }
        assertThrows(.invalidArgument, containing: ["invalid size -2"]) { try a.reshaped([-2, 6]) }
        assertThrows(.shapeMismatch, containing: ["[3, 4]", "12 elements", "[5, -1]"]) { try a.reshaped([5, -1]) }
        assertThrows(.shapeMismatch, containing: ["[3, 4]", "[5, 2]"]) { try a.reshaped([5, 2]) }
        assertThrows(.shapeMismatch, containing: ["[0, -1]"]) { try NDArray.zeros([0, 3]).reshaped([0, -1]) }
    }

    func testCopyOnWriteNeverChangesTheOriginal() throws {
        let a = NDArray([1, 2, 3, 4] as [Float])
        var b = a
        try b.withUnsafeMutableBufferPointer(of: Float.self) { $0[0] = 99 }
        XCTAssertEqual(a.doubles, [1, 2, 3, 4])
        XCTAssertEqual(b.doubles, [99, 2, 3, 4])
        XCTAssertFalse(a.sharesStorage(with: b))

        // Writing through a view copies; the base and other views keep their values.
        let base = try grid()
        var view = try base.slice([.index(1)])
        let other = try base.transposed()
        try view.withUnsafeMutableBufferPointer(of: Int64.self) { $0[0] = -1 }
        XCTAssertEqual(view.toArray(of: Int.self), [-1, 5, 6, 7])
        XCTAssertEqual(try base.element([1, 0], as: Int.self), 4)
        XCTAssertEqual(try other.element([0, 1], as: Int.self), 4)

        // Writing the base after taking a view leaves the view alone.
        var base2 = try grid()
        let view2 = try base2.slice([.all, .index(0)])
        try base2.withUnsafeMutableBufferPointer(of: Int64.self) { $0[4] = 100 }
        XCTAssertEqual(view2.toArray(of: Int.self), [0, 4, 8])
        XCTAssertEqual(try base2.element([1, 0], as: Int.self), 100)

        // A non-contiguous view is made contiguous before writing.
        var strided = try base.slice([.all, .slice(start: nil, stop: nil, step: 2)])
        try strided.withUnsafeMutableBufferPointer(of: Int64.self) { XCTAssertEqual(Array($0), [0, 2, 4, 6, 8, 10]) }
        XCTAssertTrue(strided.isContiguous)
    }

    func testUniquelyOwnedContiguousArraysAreWrittenInPlace() throws {
        var a = try NDArray.zeros([8], .float64)
        let before = ObjectIdentifier(a.storage)
        try a.withUnsafeMutableBufferPointer(of: Double.self) { $0[3] = 1 }
        XCTAssertEqual(ObjectIdentifier(a.storage), before)
        XCTAssertTrue(a.isUniquelyReferenced())
        XCTAssertEqual(a.doubles, [0, 0, 0, 1, 0, 0, 0, 0])
        assertThrows(.typeMismatch, containing: ["float64", "Float"]) {
            try a.withUnsafeMutableBufferPointer(of: Float.self) { _ in () }
        }
    }

    func testStorageIs64ByteAligned() throws {
        let arrays: [NDArray] = [
            try NDArray.zeros([0]), try NDArray.zeros([1], .uint8), try NDArray.zeros([3, 5], .int16),
            try NDArray.ones([1000], .float64), try grid().transposed().copy(), NDArray([true, false]),
            try NDArray(npyData: try NDArray.arange(7).npyData()),
        ]
        for a in arrays {
            XCTAssertEqual(Int(bitPattern: a.storage.baseAddress) % 64, 0, "\(a.shape) \(a.dtype)")
        }
        XCTAssertEqual(ArrayStorage.alignment, 64)
    }

    func testBroadcastShapes() throws {
        XCTAssertEqual(try broadcastShapes([[2, 1, 3], [4, 1], [3]]), [2, 4, 3])
        XCTAssertEqual(try broadcastShapes([[], [0, 2]]), [0, 2])
        assertThrows(.shapeMismatch, containing: ["[2, 3]", "[4, 3]", "axis 0"]) { try broadcastShapes([[2, 3], [4, 3]]) }
    }

    /// Tensordot over axes whose strides do not merge (a time-reversed `[T, B, H]`, a
    /// transposed operand, a broadcast one) equals the same contraction of contiguous copies.
    func testTensordotOfViewsWhoseAxesDoNotMerge() throws {
        let values: [Double] = (0..<60).map { i in Double((i * 7) % 11) - 5 }
        let a = try NDArray(values, shape: [5, 3, 4])
        let b = try NDArray(Array(values.reversed()), shape: [5, 3, 4])
        let reversed = try a.flipped(axis: 0)
        let transposed = try b.transposed([1, 0, 2])
        let broadcast = try NDArray([1.0, -2, 3, 0.5], shape: [1, 1, 4]).broadcast(to: [5, 3, 4])
        for (x, y) in [(reversed, b), (b, reversed), (reversed, reversed), (broadcast, reversed)] {
            let want = try NDArray.tensordotReference(x.contiguous(), y.contiguous(), axes: ([0, 1], [0, 1]))
            let got = try NDArray.tensordot(x, y, axes: ([0, 1], [0, 1]))
            XCTAssertEqual(got.shape, [4, 4])
            XCTAssertEqual(got.toArray(of: Double.self), want.toArray(of: Double.self))
        }
        let want = try NDArray.tensordotReference(transposed.contiguous(), reversed.contiguous(), axes: ([1], [0]))
        XCTAssertEqual(try NDArray.tensordot(transposed, reversed, axes: ([1], [0])).toArray(of: Double.self), want.toArray(of: Double.self))
    }

    /// A value broadcast along the rows is copied as a fill (the `Alloc` path).
    func testAssignFromABroadcastValueFills() throws {
        let target = NDArray(zeros: [3, 1000], dtype: .float32)
        try NDArray.assign(try NDArray([Float(2.5)], shape: [1, 1]).broadcast(to: [3, 1000]), into: target)
        XCTAssertTrue(target.toArray(of: Float.self).allSatisfy { $0 == 2.5 })
        let row = try NDArray([Float(1), 2, 3], shape: [3, 1]).broadcast(to: [3, 1000])
        let other = NDArray(zeros: [3, 1000], dtype: .float32)
        try NDArray.assign(row, into: other)
        let expected: [Float] = (0..<3000).map { i in Float(i / 1000 + 1) }
        XCTAssertEqual(other.toArray(of: Float.self), expected)
    }
}
