import Theano
import XCTest

/// Bad indices: build-time errors from `makeNode` and run-time errors from `perform`, each a
/// thrown `TheanoError` naming the op, the index and the sizes involved.
final class IndexingErrorTests: BackendTestCase {
    let m = Tensor.matrix("m", .float64, shape: [4, 5])
    let u = Tensor.matrix("u", .float64)

    func testTooManyIndices() {
        assertThrows(.outOfRange, containing: ["Subtensor", "too many indices", "rank 2", "m (float64[4, 5])"]) { try self.m[0, 0, 0] }
        assertThrows(.outOfRange, containing: ["AdvancedSubtensor", "too many indices", "3 axes"]) { try self.u[.all, [0], 1] }
        let mask3 = Tensor.variable("b", .bool, shape: [nil, nil, nil])
        assertThrows(.outOfRange, containing: ["too many indices"]) { try self.u[mask3] }
        assertThrows(.invalidArgument, containing: ["one ellipsis", "got 2"]) { try self.u[.ellipsis, 0, .ellipsis] }
    }

    func testStaticIndexOutOfBounds() {
        assertThrows(.outOfRange, containing: ["Subtensor", "index 4", "axis 0", "size 4", "m (float64[4, 5])"]) { try self.m[4] }
        assertThrows(.outOfRange, containing: ["index -6", "axis 1", "size 5"]) { try self.m[0, -6] }
        assertThrows(.outOfRange, containing: ["AdvancedSubtensor", "index 9", "axis 0"]) { try self.m[9, [0]] }
    }

    func testNonIntegerIndices() {
        assertThrows(.typeMismatch, containing: ["AdvancedSubtensor", "integer dtype", "f (float32[?])", "float32"]) {
            try self.u[Tensor.vector("f", .float32)]
        }
        assertThrows(.typeMismatch, containing: ["Subtensor", "integer scalar", "s (float64[])"]) { try self.u[Tensor.scalar("s", .float64)] }
        assertThrows(.typeMismatch, containing: ["slice stop", "integer scalar"]) {
            try self.u[.symbolicSlice(nil, Tensor.vector("k", .int64))]
        }
        assertThrows(.typeMismatch, containing: ["take", "integer dtype"]) { try take(self.u, Tensor.vector("f", .float32)) }
        assertThrows(.typeMismatch, containing: ["take", "integer dtype"]) { try take(self.u, Tensor.vector("b", .bool), axis: 0) }
    }

    func testMaskShapeAndRank() {
        assertThrows(.shapeMismatch, containing: ["AdvancedSubtensor", "boolean mask", "axis 0", "mask size 2", "axis size 4"]) {
            try self.m[[true, false]]
        }
        assertThrows(.shapeMismatch, containing: ["axis 1", "mask size 3", "axis size 5"]) {
            try self.m[Tensor.matrix("b", .bool, shape: [4, 3])]
        }
        assertThrows(.invalidArgument, containing: ["mask", "rank 1 or more"]) {
            try AdvancedSubtensor([.mask(rank: 0)]).makeNode([self.u.variable, Tensor.scalar("b", .bool).variable])
        }
        assertThrows(.typeMismatch, containing: ["mask must have dtype bool"]) {
            try AdvancedSubtensor([.mask(rank: 1)]).makeNode([self.u.variable, Tensor.vector("i", .int64).variable])
        }
    }

    func testMaskShapeAtRunTime() throws {
        let b = Tensor.matrix("b", .bool)
        let f = try function([u, b], [try u[b]])
        let a = try FixtureInput.m.value
        assertThrows(.shapeMismatch, containing: ["AdvancedSubtensor", "boolean mask of shape [3, 5]", "sizes [4, 5]"]) {
            try f(a, try NDArray.zeros([3, 5], .bool))
        }
        assertThrows(.shapeMismatch, containing: ["SetSubtensor", "boolean mask"]) {
            try function([self.u, b], [try setSubtensor(try self.u[b], 0)])(a, try NDArray.zeros([4, 4], .bool))
        }
    }

    func testIndexOutOfBoundsAtRunTime() throws {
        let i = Tensor.vector("i", .int64)
        let a = try FixtureInput.m.value
        let gather = try function([u, i], [try u[.all, i]])
        assertThrows(.outOfRange, containing: ["AdvancedSubtensor", "index 5", "axis 1", "size 5"]) {
            try gather(a, NDArray([Int64(0), 5]))
        }
        assertThrows(.outOfRange, containing: ["index -6", "axis 1", "size 5"]) { try gather(a, NDArray([Int64(-6)])) }
        let inc = try function([u, i], [try incSubtensor(try u[i], 1)])
        assertThrows(.outOfRange, containing: ["IncSubtensor", "index 4", "axis 0", "size 4"]) { try inc(a, NDArray([Int64(4)])) }
        let flat = try function([u, i], [try take(u, i)])
        assertThrows(.outOfRange, containing: ["take", "index 20", "size 20"]) { try flat(a, NDArray([Int64(20)])) }
        let k = Tensor.scalar("k", .int64)
        let basic = try function([u, k], [try u[1, k]])
        assertThrows(.outOfRange, containing: ["Subtensor", "index 7", "axis 1", "size 5"]) { try basic(a, NDArray(scalar: Int64(7))) }
    }

    func testStaticIndexArraysThatCannotBroadcast() {
        assertThrows(.shapeMismatch, containing: ["AdvancedSubtensor", "cannot be broadcast", "2 vs 3"]) { try self.m[[0, 1], [0, 1, 2]] }
    }

    func testZeroStep() {
        assertThrows(.invalidArgument, containing: ["Subtensor", "step cannot be zero", "axis 1"]) { try self.u[.all, .slice(nil, nil, 0)] }
    }

    func testSetAndIncrementNeedAnIndexingExpression() throws {
        let y = Tensor.vector("y", .float64)
        assertThrows(.invalidArgument, containing: ["setSubtensor", "indexing expression", "x[1..<3]"]) {
            try setSubtensor(try self.u * 2, y)
        }
        assertThrows(.invalidArgument, containing: ["incSubtensor", "u (float64[?, ?])"]) { try incSubtensor(self.u, y) }
        assertThrows(.invalidArgument, containing: ["incSubtensor", "TakeFlat"]) { try incSubtensor(try take(self.u, Tensor.vector("i", .int64)), y) }
    }

    func testValueThatDoesNotFitTheSelection() throws {
        assertThrows(.shapeMismatch, containing: ["SetSubtensor", "cannot be broadcast", "axis 0 has size 3, expected 5"]) {
            try setSubtensor(try self.m[1..<3], Tensor.vector("y", .float64, size: 3))
        }
        assertThrows(.shapeMismatch, containing: ["IncSubtensor", "more axes"]) {
            try incSubtensor(try self.m[0], Tensor.matrix("y", .float64))
        }
        // At run time, an axis of unknown size must match (it does not broadcast).
        let y = Tensor.vector("y", .float64)
        let f = try function([u, y], [try incSubtensor(try u[.all, 0], y)])
        let a = try FixtureInput.m.value
        assertThrows(.shapeMismatch, containing: ["IncSubtensor", "shape [3]", "selection of shape [4]"]) { try f(a, NDArray([1.0, 2, 3])) }
        assertThrows(.shapeMismatch, containing: ["IncSubtensor", "shape [1]", "static size 1"]) { try f(a, NDArray([1.0])) }
    }

    func testOpsCheckTheirEntries() {
        let x = u.variable
        assertThrows(.invalidArgument, containing: ["Subtensor", "AdvancedSubtensor"]) {
            try Subtensor([.array]).makeNode([x, Tensor.vector("i", .int64).variable])
        }
        assertThrows(.invalidArgument, containing: ["AdvancedSubtensor", "at least one index array"]) {
            try AdvancedSubtensor([.scalar(.constant(0))]).makeNode([x])
        }
        assertThrows(.invalidArgument, containing: ["reads 1 index inputs, got 0"]) { try Subtensor([.scalar(.symbolic)]).makeNode([x]) }
        assertThrows(.typeMismatch, containing: ["SetSubtensor", "dtype"]) {
            try IncSubtensor([.scalar(.constant(0))], mode: .set).makeNode([x, Tensor.scalar("y", .int64).variable])
        }
        assertThrows(.invalidArgument, containing: ["SliceLength"]) { try SliceLength(start: .symbolic, stop: nil, step: nil).makeNode([shapeConstant(3)]) }
        assertThrows(.typeMismatch, containing: ["MaskCount", "bool"]) { try MaskCount().makeNode([x]) }
    }

    func testNDArrayLevelErrors() throws {
        let a = try FixtureInput.m.value
        assertThrows(.outOfRange, containing: ["index", "too many indices", "[4, 5]"]) {
            try a.indexed([.basic(.index(0)), .basic(.index(0)), .basic(.index(0))])
        }
        assertThrows(.typeMismatch, containing: ["gather", "integer dtype"]) { try a.indexed([.integers(NDArray([1.0]))], context: "gather") }
        assertThrows(.shapeMismatch, containing: ["cannot be broadcast to the indexed shape [2, 5]"]) {
            try a.scattering([.basic(.slice(start: 0, stop: 2, step: nil))], values: NDArray([1.0, 2]), accumulate: false)
        }
        assertThrows(.outOfRange, containing: ["take", "axis 2"]) { try a.take(NDArray([Int64(0)]), axis: 2) }
        var shared = a
        let selection = try IndexSelection(shape: a.shape, strides: a.strides, offset: a.offset, indices: [.basic(.index(0))], context: "scatter")
        assertThrows(.invalidArgument, containing: ["owns its storage"]) {
            try shared.scatter(selection, values: NDArray(scalar: 1.0), accumulate: false)
        }
    }
}
