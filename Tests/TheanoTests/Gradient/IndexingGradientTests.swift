import Theano
import XCTest

/// Gradients of indexing: basic and advanced gathers, masks, take, and set/inc subtensor.
final class IndexingGradientTests: BackendTestCase {
    var data = TestData(seed: 11)

    func testForgettingSizesForgetsThem() throws {
        let x = Tensor.variable("x", .float64, shape: [2, 3])
        XCTAssertEqual(try forgettingSizes(x).staticShape, [nil, nil])
    }

    // MARK: gathers

    func testBasicIndexingGradient() throws {
        let indices: [[any TensorIndexConvertible]] = [
            [1], [-1], [1..<3], [.slice(nil, nil, -1)], [.all, 0], [.all, -2],
            [1..<3, TensorIndex.newAxis, TensorIndex.ellipsis], [.slice(nil, nil, 2), .slice(3, 0, -2)],
            [0, 1], [.slice(5, 1, 1)], [TensorIndex.ellipsis, TensorIndex.newAxis],
        ]
        for index in indices {
            for point in try contiguousAndStrided([4, 5], &data) {
                assertGradient({ try $0[0].indexed(index) }, at: [point], "x\(index)")
                assertGradient({ try forgettingSizes($0[0]).indexed(index) }, at: [point], "unknown x\(index)")
            }
        }
        // Size-1 axes and a 0-d result.
        assertGradient({ try $0[0][0, .all, 1] }, at: [data.array([1, 3, 2])])
        assertGradient({ try $0[0][0] }, at: [data.array([1])])
    }

    func testSymbolicBoundsGradient() throws {
        // Bounds computed at run time from another input's size (integers: no gradient).
        let f: ([Tensor]) throws -> Tensor = { xs in
            let n = try forgettingSizes(xs[1]).shape(0)
            return try xs[0][.symbolicSlice(n - 1, nil), .symbolicSlice(nil, nil, n - 2)]
        }
        assertGradient(f, at: [data.array([5, 6]), data.array([4])])
        assertGradient(f, at: [try data.nonContiguous([3, 4]), data.array([3])])
        let i: ([Tensor]) throws -> Tensor = { xs in try xs[0][.all, forgettingSizes(xs[1]).shape(0) - 3] }
        assertGradient(i, at: [data.array([2, 4]), data.array([4])])
    }

    func testBasicIndexingExactGradient() throws {
        let g = try gradients({ try sum($0[0][1..<3, .slice(nil, nil, -1)] * Tensor.constant(NDArray([1.0, 2, 3, 4], shape: [2, 2]))) },
                              at: [NDArray(zeros: [3, 2], dtype: .float64)])[0]
        assertValues(g, [0, 0, 2, 1, 4, 3], shape: [3, 2])
    }

    func testAdvancedIndexingGradient() throws {
        let column = try NDArray([Int64(0), 3], shape: [2, 1])
        let indices: [[any TensorIndexConvertible]] = [
            [[0, 2, 2]], [[Int64(-1), 0]], [.all, [1, 1, 0]], [[0, 2], [1, 0]], [column, [1, 4]],
            [1, [0, 4, 4]], [[2, 0], .all, TensorIndex.newAxis], [[0, 1], 1..<4],
            [[true, false, true, true]], [.all, [true, false, false, true, true]],
        ]
        for index in indices {
            for point in try contiguousAndStrided([4, 5], &data) {
                assertGradient({ try $0[0].indexed(index) }, at: [point], "x\(index)")
                assertGradient({ try forgettingSizes($0[0]).indexed(index) }, at: [point], "unknown x\(index)")
            }
        }
        // A 2-d mask, and arrays that are not adjacent (the block moves first).
        let mask = try NDArray([true, false, true, true, false, false], shape: [2, 3])
        assertGradient({ try $0[0][mask] }, at: [try data.nonContiguous([2, 3, 2])])
        assertGradient({ try $0[0][[0, 1], .all, [1, 0]] }, at: [data.array([2, 3, 2])])
        // An empty selection.
        assertGradient({ try $0[0][[false, false, false]] }, at: [data.array([3])])
    }

    func testRepeatedAdvancedIndicesAccumulate() throws {
        for staticShapes in [true, false] {
            let g = try gradients({ try sum($0[0][[0, 0, 1]]) }, at: [NDArray([5.0, 6, 7])], staticShapes: staticShapes)[0]
            assertValues(g, [2, 1, 0])
            let h = try gradients({ try sum($0[0][[1, 1, 1], [0, 2, 0]] * Tensor.constant(NDArray([1.0, 10, 100]))) },
                                  at: [NDArray(zeros: [2, 3], dtype: .float64)], staticShapes: staticShapes)[0]
            assertValues(h, [0, 0, 0, 101, 0, 10], shape: [2, 3])
        }
        // Symbolic index arrays too (they get no gradient).
        let x = Tensor.vector("x", .float64)
        let idx = Tensor.vector("idx", .int32)
        let gs = try grad(sum(x[idx] * x[idx]), wrt: [x, idx])
        XCTAssertEqual(gs[1].dtype, .float64)
        let out = try function([x, idx], gs)(NDArray([1.0, 2, 3]), NDArray([2, 2, 0] as [Int32]))
        assertValues(out[0], [2, 0, 12])
        assertValues(out[1], [0, 0, 0])
    }

    func testSymbolicMaskGradient() throws {
        let x = Tensor.matrix("x", .float64)
        let cost = try sum(x[x .> 0] * 3)
        let g = try grad(cost, wrt: x)
        assertValues(try g.eval([x: NDArray([1.0, -2, 3, -4], shape: [2, 2])]), [3, 0, 3, 0])
        assertGradient({ xs in try xs[0][xs[0] .> 0.1] }, at: [data.array([3, 4])])
    }

    func testTakeGradient() throws {
        let flat = NDArray([Int64(5), 0, 5, -1])
        assertGradient({ try take($0[0], Tensor.constant(flat)) }, at: [try data.nonContiguous([2, 3])])
        assertGradient({ try take(forgettingSizes($0[0]), Tensor.constant(flat)) }, at: [data.array([3, 2])])
        let grid = try NDArray([Int64(1), 1, 0, 2], shape: [2, 2])
        assertGradient({ try take($0[0], Tensor.constant(grid), axis: -1) }, at: [data.array([2, 3])])
        assertGradient({ try take($0[0], Tensor.constant(grid)) }, at: [data.array([1, 3])])
        assertGradient({ try take($0[0], Tensor.constant(NDArray([Int64(0), 0]))) }, at: [data.array([])].compactMap { try? $0.reshaped([1]) })
        // Repeats accumulate, in x's shape.
        let g = try gradients({ try sum(take($0[0], Tensor.constant(flat))) }, at: [NDArray(zeros: [2, 3], dtype: .float64)])[0]
        assertValues(g, [1, 0, 0, 0, 0, 3], shape: [2, 3])
        // A 0-d x.
        let s = try gradients({ try sum(take($0[0], Tensor.constant(NDArray([Int64(0), 0, 0])))) }, at: [NDArray(scalar: 2.0)])[0]
        XCTAssertEqual(s.shape, [])
        assertValues(s, [3])
    }

    // MARK: set and increment

    func testSetAndIncrementGradients() throws {
        // (x shape, y shape, index)
        let cases: [([Int], [Int], [any TensorIndexConvertible])] = [
            ([4, 3], [2, 3], [1..<3]), ([4, 3], [1, 3], [1..<3]), ([4, 3], [], [.all, 1]), ([4, 3], [3], [2]),
            ([4, 3], [2, 1], [.slice(nil, nil, -2), 0..<1]), ([4, 3], [3, 3], [[0, 2, 3]]), ([4, 3], [3], [[3, 1, 0]]),
            ([4, 3], [2], [[1, 2], [0, 2]]), ([4, 3], [1], [.all, [true, false, true]]), ([4, 3], [4, 1], [.all, [2]]),
            ([1, 3], [1, 1], [0..<1, 2..<3]),
        ]
        for (xShape, yShape, index) in cases {
            let points = [try data.nonContiguous(xShape), data.array(yShape)]
            for mode in ["set", "inc"] {
                let f: ([Tensor]) throws -> Tensor = { xs in
                    mode == "set" ? try setSubtensor(xs[0].indexed(index), xs[1]) : try incSubtensor(xs[0].indexed(index), xs[1])
                }
                assertGradient(f, at: points, "\(mode) x\(xShape)\(index) y\(yShape)")
                assertGradient({ xs in try f([forgettingSizes(xs[0]), xs[1]]) }, at: points, "\(mode) unknown x\(xShape)\(index)")
                if !yShape.contains(1) {
                    assertGradient({ xs in try f([xs[0], forgettingSizes(xs[1])]) }, at: points, "\(mode) unknown y\(yShape)")
                }
            }
        }
    }

    func testSetAndIncrementExactGradients() throws {
        let w = try NDArray([1.0, 2, 3, 4, 5, 6, 7, 8], shape: [4, 2])
        let points = [NDArray(zeros: [4, 2], dtype: .float64), NDArray([0.0, 0])]
        for staticShapes in [true, false] {
            // set: x's selected rows lose their gradient; y (broadcast over 2 rows) sums them.
            let set = try gradients({ xs in try sum(setSubtensor(xs[0][1..<3], xs[1]) * Tensor.constant(w)) }, at: points, staticShapes: staticShapes)
            assertValues(set[0], [1, 2, 0, 0, 0, 0, 7, 8], shape: [4, 2])
            assertValues(set[1], [3 + 5, 4 + 6])
            // increment: x keeps its whole gradient.
            let inc = try gradients({ xs in try sum(incSubtensor(xs[0][1..<3], xs[1]) * Tensor.constant(w)) }, at: points, staticShapes: staticShapes)
            assertValues(inc[0], [1, 2, 3, 4, 5, 6, 7, 8], shape: [4, 2])
            assertValues(inc[1], [8, 10])
            // The methods build the same nodes.
            let m = try gradients({ xs in try sum(xs[0].setting(.all, 1, to: xs[1][0]) * Tensor.constant(w)) }, at: points, staticShapes: staticShapes)
            assertValues(m[0], [1, 0, 3, 0, 5, 0, 7, 0], shape: [4, 2])
            assertValues(m[1], [20, 0])
        }
    }

    func testRepeatedIndicesWhenSettingAndIncrementing() throws {
        let w = NDArray([1.0, 10, 100])
        let points = [NDArray([0.0, 0, 0]), NDArray([0.0, 0, 0])]
        for staticShapes in [true, false] {
            // Setting x[[0, 0, 2]] = y: y[1] is written last to position 0, so y[0] gets nothing.
            let set = try gradients({ xs in try sum(setSubtensor(xs[0][[0, 0, 2]], xs[1]) * Tensor.constant(w)) }, at: points, staticShapes: staticShapes)
            assertValues(set[0], [0, 10, 0])
            assertValues(set[1], [0, 1, 100])
            // Incrementing adds every y: each gets its position's gradient.
            let inc = try gradients({ xs in try sum(incSubtensor(xs[0][[0, 0, 2]], xs[1]) * Tensor.constant(w)) }, at: points, staticShapes: staticShapes)
            assertValues(inc[0], [1, 10, 100])
            assertValues(inc[1], [1, 1, 100])
        }
        // A broadcast scalar written twice to one position counts once when setting, twice
        // when incrementing.
        let scalarPoints = [NDArray([0.0, 0, 0]), NDArray(scalar: 0.0)]
        let set = try gradients({ xs in try sum(setSubtensor(xs[0][[1, 1]], xs[1]) * Tensor.constant(w)) }, at: scalarPoints)
        assertValues(set[1], [10])
        let inc = try gradients({ xs in try sum(incSubtensor(xs[0][[1, 1]], xs[1]) * Tensor.constant(w)) }, at: scalarPoints)
        assertValues(inc[1], [20])
        // The same, checked against finite differences.
        for point in [[data.array([4, 2]), data.array([3, 2])], [data.array([4, 2]), data.array([2])]] {
            assertGradient({ xs in try setSubtensor(xs[0][[3, 1, 3]], xs[1]) }, at: point)
            assertGradient({ xs in try incSubtensor(xs[0][[3, 1, 3]], xs[1]) }, at: point)
            assertGradient({ xs in try setSubtensor(forgettingSizes(xs[0])[[3, 1, 3]], xs[1]) }, at: point)
        }
        assertGradient({ xs in try setSubtensor(xs[0][[0, 0], [1, 1]], xs[1]) }, at: [data.array([2, 2]), data.array([2])])
    }

    func testIndexInputsGetNoGradient() throws {
        let x = Tensor.matrix("x", .float64)
        let i = Tensor.scalar("i", .int64)
        let idx = Tensor.vector("idx", .int64)
        let y = try x[i][idx]
        let node = try XCTUnwrap(y.variable.owner)
        let g = try node.op.pullback(node, [try onesLike(y).variable])
        XCTAssertEqual(g.count, 2)
        XCTAssertNotNil(g[0])
        XCTAssertNil(g[1])
        let inc = try incSubtensor(x[.symbolicSlice(i, nil)], 1.0)
        let incNode = try XCTUnwrap(inc.variable.owner)
        let gi = try incNode.op.pullback(incNode, [x.variable])
        XCTAssertEqual(gi.count, 3)
        XCTAssertNil(gi[2])
        XCTAssertTrue(try incNode.op.pullback(incNode, [nil]).allSatisfy { $0 == nil })
    }
}
