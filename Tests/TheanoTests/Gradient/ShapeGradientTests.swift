import Theano
import XCTest

/// Gradients of the shape ops: reshape, alloc/broadcastTo, concatenate/split, tile, repeat,
/// flip, roll, and the integer-valued shape computations.
final class ShapeGradientTests: BackendTestCase {
    var data = TestData(seed: 7)

    // MARK: reshape

    func testReshapeGradient() throws {
        for (shape, target) in [([2, 3], [3, 2]), ([6], [2, -1]), ([1, 4], [4]), ([2, 1, 3], [-1]), ([], [1, 1]), ([4], [1, 4, 1])] {
            for point in try contiguousAndStrided(shape, &data) {
                assertGradient({ try reshape($0[0], target) }, at: [point], "\(shape) -> \(target)")
                assertGradient({ try reshape(forgettingSizes($0[0]), target) }, at: [point], "unknown \(shape) -> \(target)")
            }
        }
    }

    func testReshapeWithInferredSizeGivesTheWeightsBack() throws {
        let w = try NDArray([1.0, 2, 3, 4, 5, 6], shape: [3, 2])
        for staticShapes in [true, false] {
            let g = try gradients({ try sum(reshape($0[0], [-1, 2]) * Tensor.constant(w)) }, at: [NDArray(zeros: [2, 3], dtype: .float64)], staticShapes: staticShapes)[0]
            XCTAssertEqual(g.shape, [2, 3])
            assertValues(g, [1, 2, 3, 4, 5, 6])
        }
    }

    func testGradientThroughShapeDependentCode() throws {
        // reshape(x, [x.shape(0) * 2, -1]): the target is computed from x's shape, which has
        // no gradient; x's gradient comes back through the reshape.
        let f: ([Tensor]) throws -> Tensor = { xs in
            let x = xs[0]
            let y = try reshape(x, [x.shape(0) * 2, -1])
            return try y * cast(y.shape(1), .float64)
        }
        for shape in [[2, 4], [3, 6], [1, 2]] {
            assertGradient(f, at: [data.array(shape)])
            assertGradient({ try f([forgettingSizes($0[0])]) }, at: [try data.nonContiguous(shape)])
        }
        // One compiled gradient of unknown-shape inputs serves several shapes.
        let x = Tensor.matrix("x", .float64)
        let g = try grad(sum(f([x]) * f([x])), wrt: x)
        let run = try function([x], [g])
        for shape in [[2, 4], [5, 2]] {
            let v = data.array(shape)
            let cols = Double(shape[1] / 2)
            assertClose(try run(v)[0], v.map { 2 * $0 * cols * cols })
        }
        // flatten builds its target from x.shape too.
        assertGradient({ try flatten(forgettingSizes($0[0]), ndim: 2) }, at: [data.array([2, 3, 2])])
    }

    // MARK: alloc and broadcastTo

    func testBroadcastGradientSumsOverBroadcastAxes() throws {
        let cases: [([Int], [Int])] = [([3], [2, 3]), ([1, 3], [4, 3]), ([], [2, 2]), ([2, 1], [2, 5]), ([1, 1], [1, 1]), ([2, 3], [2, 3]), ([1], [3, 0])]
        for (value, target) in cases {
            for point in try contiguousAndStrided(value, &data) {
                assertGradient({ try broadcastTo($0[0], target) }, at: [point], "broadcastTo \(value) -> \(target)")
                assertGradient({ try alloc($0[0], shape: target) }, at: [point], "alloc \(value) -> \(target)")
            }
        }
    }

    func testBroadcastToSymbolicShape() throws {
        // The target sizes come from another input's (unknown) shape.
        let f: ([Tensor]) throws -> Tensor = { xs in
            let other = try forgettingSizes(xs[1])
            return try broadcastTo(xs[0], [other.shape(0), other.shape(1)]) * other
        }
        assertGradient(f, at: [data.array([1, 3]), data.array([4, 3])])
        assertGradient(f, at: [data.array([2, 1]), data.array([2, 5])])
        assertGradient(f, at: [data.array([]), data.array([2, 2])])
        let g: ([Tensor]) throws -> Tensor = { xs in
            let other = try forgettingSizes(xs[1])
            return try alloc(xs[0], shape: [2, other.shape(0), other.shape(1)]) * other
        }
        assertGradient(g, at: [data.array([1, 3]), data.array([4, 3])])
        assertGradient(g, at: [try data.nonContiguous([4, 1]), data.array([4, 3])])
    }

    func testBroadcastGradientExactValues() throws {
        let g = try gradients({ try sum(broadcastTo($0[0], [2, 4, 3])) }, at: [NDArray(zeros: [1, 3], dtype: .float64)])[0]
        XCTAssertEqual(g.shape, [1, 3])
        assertValues(g, [8, 8, 8])
        let s = try gradients({ try sum(alloc($0[0], shape: [2, 3]) * Tensor.constant(NDArray([1.0, 2, 3, 4, 5, 6], shape: [2, 3]))) }, at: [NDArray(scalar: 0.0)])[0]
        XCTAssertEqual(s.shape, [])
        assertValues(s, [21])
        // fullLike / zerosLike: the value is a constant; the tensor's shape only.
        let x = Tensor.vector("x", .float64)
        let cost = try sum(x * fullLike(x, 2))
        assertValues(try grad(cost, wrt: x).eval([x: NDArray([1.0, 5.0])]), [2, 2])
    }

    // MARK: concatenate and split

    func testConcatenateGradient() throws {
        let shapes: [([[Int]], Int)] = [
            ([[2, 3], [4, 3]], 0), ([[2, 3], [2, 1], [2, 2]], 1), ([[2, 3], [2, 2]], -1),
            ([[3], [0], [2]], 0), ([[1, 2, 2], [1, 2, 2]], -2), ([[3, 2]], 0),
        ]
        for (inputShapes, axis) in shapes {
            let points = try inputShapes.map { try data.nonContiguous($0) }
            assertGradient({ try concatenate($0, axis: axis) }, at: points, "static \(inputShapes) axis \(axis)")
            assertGradient({ try concatenate($0.map(forgettingSizes), axis: axis) }, at: points, "unknown \(inputShapes) axis \(axis)")
            // Mixed: the first input of unknown size, the rest static (symbolic slice bounds
            // after a static prefix and the reverse).
            assertGradient({ xs in
                try concatenate([forgettingSizes(xs[0])] + xs.dropFirst(), axis: axis)
            }, at: points, "mixed \(inputShapes) axis \(axis)")
            assertGradient({ xs in
                try concatenate(xs.dropLast() + [forgettingSizes(xs[xs.count - 1])], axis: axis)
            }, at: points, "mixed \(inputShapes) axis \(axis)")
        }
    }

    func testConcatenateGradientExactSlicesAndPromotion() throws {
        let w = try NDArray([1.0, 2, 3, 4, 5, 6, 7, 8, 9, 10], shape: [2, 5])
        for staticShapes in [true, false] {
            let gs = try gradients({ try sum(concatenate($0, axis: 1) * Tensor.constant(w)) },
                                   at: [NDArray(zeros: [2, 2], dtype: .float64), NDArray(zeros: [2, 3], dtype: .float64)],
                                   staticShapes: staticShapes)
            assertValues(gs[0], [1, 2, 6, 7], shape: [2, 2])
            assertValues(gs[1], [3, 4, 5, 8, 9, 10], shape: [2, 3])
        }
        // float32 and float64 joined: the cast is differentiated by the engine; each gradient
        // has its input's dtype.
        let a = Tensor.vector("a", .float32), b = Tensor.vector("b", .float64)
        let joined = try concatenate([a, b])
        XCTAssertEqual(joined.dtype, .float64)
        let gs = try grad(sum(joined * joined), wrt: [a, b])
        XCTAssertEqual(gs[0].dtype, .float32)
        XCTAssertEqual(gs[1].dtype, .float64)
        let out = try function([a, b], gs)(NDArray([Float(1), 2]), NDArray([3.0]))
        assertValues(out[0], [2, 4])
        assertValues(out[1], [6])
        // stack goes through expandDims and concatenate.
        assertGradient({ try stack($0, axis: -1) }, at: [data.array([2, 3]), data.array([2, 3])])
    }

    func testSplitGradient() throws {
        let x = try data.nonContiguous([5, 4])
        // Every piece used, in another order.
        assertGradient({ try concatenate(split($0[0], sizes: [2, 0, 3], axis: 0).reversed(), axis: 0) }, at: [x])
        assertGradient({ try concatenate(split(forgettingSizes($0[0]), sizes: [1, 3], axis: -1).reversed(), axis: -1) }, at: [x])
        assertGradient({ try concatenate(split(forgettingSizes($0[0]), parts: 2, axis: 1).reversed(), axis: 1) }, at: [x])
        // Only some pieces used: the others get zero gradients.
        assertGradient({ try split($0[0], sizes: [2, 3], axis: 0)[1] }, at: [x])
        assertGradient({ try split(forgettingSizes($0[0]), parts: 4, axis: 1)[2] }, at: [x])
        let g = try gradients({ try sum(split($0[0], sizes: [1, 2], axis: 0)[1] * 3) }, at: [NDArray([1.0, 2, 3])])[0]
        assertValues(g, [0, 3, 3])
        let h = try gradients({ try sum(split($0[0], parts: 3)[0] * 2) }, at: [NDArray([1.0, 2, 3])], staticShapes: false)[0]
        assertValues(h, [2, 0, 0])
    }

    func testConcatenateAndSplitRoundTrip() throws {
        // split(concatenate([a, b])) gives a and b back, and so do their gradients.
        let f: ([Tensor]) throws -> Tensor = { xs in
            let pieces = try split(concatenate(xs, axis: 1), sizes: [2, 3], axis: 1)
            return try sum(pieces[0] * 2) + sum(pieces[1] * 5)
        }
        let gs = try gradients(f, at: [data.array([3, 2]), data.array([3, 3])])
        assertClose(gs[0], try NDArray.full([3, 2], 2, .float64))
        assertClose(gs[1], try NDArray.full([3, 3], 5, .float64))
        assertGradient({ try split(concatenate($0, axis: 0), sizes: [1, 3], axis: 0)[1] }, at: [data.array([2, 2]), data.array([2, 2])])
    }

    // MARK: tile, repeat, flip, roll

    func testTileGradient() throws {
        let cases: [([Int], [Int])] = [([2, 1], [2, 3]), ([2, 3], [3]), ([2], [2, 1, 2]), ([3], [0]), ([1, 2], [1, 1]), ([], [3]), ([2, 2], [2, 2])]
        for (shape, reps) in cases {
            for point in try contiguousAndStrided(shape, &data) {
                assertGradient({ try tile($0[0], reps: reps) }, at: [point], "tile \(shape) by \(reps)")
                assertGradient({ try tile(forgettingSizes($0[0]), reps: reps) }, at: [point], "tile unknown \(shape) by \(reps)")
            }
        }
        let g = try gradients({ try sum(tile($0[0], reps: [2, 3])) }, at: [NDArray([1.0, 2])])[0]
        assertValues(g, [6, 6])
    }

    func testRepeatGradient() throws {
        let cases: [([Int], Int, Int?)] = [([2, 3], 2, 0), ([2, 3], 3, -1), ([2, 3], 2, nil), ([3], 0, 0), ([1, 2], 1, 1), ([], 3, nil), ([2, 1, 2], 2, 1)]
        for (shape, repeats, axis) in cases {
            for point in try contiguousAndStrided(shape, &data) {
                assertGradient({ try `repeat`($0[0], repeats: repeats, axis: axis) }, at: [point], "repeat \(shape) \(repeats) axis \(String(describing: axis))")
                assertGradient({ try forgettingSizes($0[0]).repeat(repeats: repeats, axis: axis) }, at: [point], "repeat unknown \(shape)")
            }
        }
        let g = try gradients({ try sum(`repeat`($0[0], repeats: 3) * Tensor.constant(NDArray([1.0, 1, 1, 2, 2, 2]))) }, at: [NDArray([5.0, 6])])[0]
        assertValues(g, [3, 6])
    }

    func testFlipAndRollGradients() throws {
        for point in try contiguousAndStrided([3, 4], &data) {
            assertGradient({ try flip($0[0]) }, at: [point])
            assertGradient({ try flip($0[0], axis: -1) }, at: [point])
            assertGradient({ try flip(forgettingSizes($0[0]), axes: [0]) }, at: [point])
            for (shift, axis) in [(1, 0), (-2, -1), (3, nil), (7, 1), (Int.min, 0), (Int.min, nil), (Int.max, 1)] as [(Int, Int?)] {
                assertGradient({ try roll($0[0], shift: shift, axis: axis) }, at: [point], "roll \(shift) \(String(describing: axis))")
                assertGradient({ try roll(forgettingSizes($0[0]), shift: shift, axis: axis) }, at: [point], "roll unknown \(shift)")
            }
        }
        let g = try gradients({ try sum(roll($0[0], shift: 1) * Tensor.constant(NDArray([1.0, 2, 3]))) }, at: [NDArray([0.0, 0, 0])])[0]
        // y = [x2, x0, x1]: dx0 = 2, dx1 = 3, dx2 = 1.
        assertValues(g, [2, 3, 1])
    }

    // MARK: integer-valued shape computations

    func testShapeComputationsCarryNoGradientAndNeverThrow() throws {
        let x = Tensor.matrix("x", .float64)
        let n = try x.shape(0)
        let nodes: [Apply] = [
            try Shape().makeNode([x.variable]),
            try ShapeIndex(1).makeNode([x.variable]),
            try MakeVector(.int64).makeNode([n.variable, n.variable]),
            try ShapeEntry(0).makeNode([x.shape.variable]),
            try ARange(.int64).makeNode([n.variable, n.variable, Tensor(1).variable]),
            try Eye(.float64).makeNode([n.variable, n.variable, Tensor.constant(NDArray(scalar: Int64(0))).variable]),
            try SliceLength(start: .symbolic, stop: nil, step: nil).makeNode([n.variable, n.variable]),
            try MaskCount().makeNode([try (x .> 0).variable]),
        ]
        for node in nodes {
            let g = try zerosLike(Tensor(node.output), .float64).variable
            let result = try node.op.pullback(node, [g])
            XCTAssertEqual(result.count, node.inputs.count, "\(node.op)")
            XCTAssertTrue(result.allSatisfy { $0 == nil }, "\(node.op)")
            XCTAssertTrue(try node.op.pullback(node, [nil]).allSatisfy { $0 == nil }, "\(node.op)")
        }
        // Through a graph: costs that use sizes, ranges and eye only as constants of x.
        let cost = try sum(x * cast(x.shape(0), .float64) + eye(x.shape(0), x.shape(1), dtype: .float64) * x)
            + sum(cast(arange(x.shape(1)), .float64))
        let g = try grad(cost, wrt: x)
        assertValues(try g.eval([x: NDArray([1.0, 2, 3, 4, 5, 6], shape: [2, 3])]), [3, 2, 2, 2, 3, 2])
    }

    func testFloatMakeVectorAndARangeGradients() throws {
        // MakeVector of float scalars: entry i's gradient goes to input i.
        assertGradient({ xs in
            try MakeVector(.float64).apply([xs[0][0], xs[0][2], xs[0][0] * xs[0][1]])
        }, at: [NDArray([0.5, -1.5, 2.0])])
        // A float range start + i * step (7 values for start 0.3, step 0.7, stop 5).
        assertGradient({ xs in try arange(xs[0][0], 5.0, xs[0][1], dtype: .float64) }, at: [NDArray([0.3, 0.7])])
        let gs = try gradients({ xs in try sum(arange(xs[0], 3.0, xs[1], dtype: .float64)) }, at: [NDArray(scalar: 0.5), NDArray(scalar: 1.0)])
        // Values 0.5, 1.5, 2.5: d/dstart = 3, d/dstep = 0 + 1 + 2.
        assertValues(gs[0], [3])
        assertValues(gs[1], [3])
    }
}
