import Theano
import XCTest

/// Every indexing form against NumPy's results (IndexingFixtures.swift), on inputs of unknown
/// and of static shape and on non-contiguous inputs, with `checkInferShape`.
final class IndexingFixtureTests: BackendTestCase {
    func testBasicOnVector() throws {
        try expectFixture("v[3]", on: .v) { try $0[3] }
        try expectFixture("v[-1]", on: .v) { try $0[-1] }
        try expectFixture("v[2:5]", on: .v) { try $0[2..<5] }
        try expectFixture("v[2:5]", on: .v) { try $0[2...4] }
        try expectFixture("v[7:]", on: .v) { try $0[7...] }
        try expectFixture("v[:4]", on: .v) { try $0[..<4] }
        try expectFixture("v[:4]", on: .v) { try $0[...3] }
        try expectFixture("v[-3:]", on: .v) { try $0[(-3)...] }
        try expectFixture("v[-3:]", on: .v) { try $0[(-3)...(-1)] }
        try expectFixture("v[1:8:3]", on: .v) { try $0[.slice(1, 8, 3)] }
        try expectFixture("v[::-1]", on: .v) { try $0[.slice(nil, nil, -1)] }
        try expectFixture("v[8:2:-2]", on: .v) { try $0[.slice(8, 2, -2)] }
        try expectFixture("v[-2::-3]", on: .v) { try $0[.slice(-2, nil, -3)] }
        try expectFixture("v[:100]", on: .v) { try $0[..<100] }
        try expectFixture("v[-100:3]", on: .v) { try $0[(-100)..<3] }
        try expectFixture("v[5:2]", on: .v) { try $0[.slice(5, 2)] }
        try expectFixture("v[::-4]", on: .v) { try $0[.slice(nil, nil, -4)] }
        try expectFixture("v[None, 2:4]", on: .v) { try $0[.newAxis, 2..<4] }
        try expectFixture("v[...]", on: .v) { try $0[.ellipsis] }
        try expectFixture("v[...]", on: .v) { try $0[.all] }
        try expectFixture("v[9:-100:-1]", on: .v) { try $0[.slice(9, -100, -1)] }
        try expectFixture("v[100:0:-3]", on: .v) { try $0[.slice(100, 0, -3)] }
    }

    func testBasicOnMatrixAndTensor3() throws {
        try expectFixture("m[1]", on: .m) { try $0[1] }
        try expectFixture("m[-1]", on: .m) { try $0[-1] }
        try expectFixture("m[:, 0]", on: .m) { try $0[.all, 0] }
        try expectFixture("m[1:3, ::-2]", on: .m) { try $0[1..<3, .slice(nil, nil, -2)] }
        try expectFixture("m[None, 1, :, None]", on: .m) { try $0[.newAxis, 1, .all, .newAxis] }
        try expectFixture("m[..., 1]", on: .m) { try $0[.ellipsis, 1] }
        try expectFixture("m[2:, ...]", on: .m) { try $0[2..., .ellipsis] }
        try expectFixture("m[-3:-1]", on: .m) { try $0[(-3)..<(-1)] }
        try expectFixture("m[1:3, 1:4]", on: .m) { try $0[1..<3, 1...3] }
        try expectFixture("m[:, 3:0:-1]", on: .m) { try $0[.all, .slice(3, 0, -1)] }
        try expectFixture("x[1, ..., 2]", on: .x) { try $0[1, .ellipsis, 2] }
        try expectFixture("x[:, None, 1:3, ::2]", on: .x) { try $0[.all, .newAxis, 1..<3, .slice(nil, nil, 2)] }
        try expectFixture("x[-1, -1, -1]", on: .x) { try $0[-1, -1, -1] }
        try expectFixture("x[..., None]", on: .x) { try $0[.ellipsis, .newAxis] }
        try expectFixture("x[1, 1:, -2:]", on: .x) { try $0[1, 1..., (-2)...] }
    }

    func testIntegerArrays() throws {
        try expectFixture("v[[0, 3, 3, 9]]", on: .v) { try $0[[0, 3, 3, 9]] }
        try expectFixture("v[[-1, -2]]", on: .v) { try $0[[-1, -2]] }
        try expectFixture("v[[[1, 2], [3, 4]]]", on: .v) { try $0[try indexArray([1, 2, 3, 4], shape: [2, 2])] }
        try expectFixture("m[[0, 2], [1, 4]]", on: .m) { try $0[[0, 2], [1, 4]] }
        try expectFixture("m[[[0], [2]], [1, 4, 0]]", on: .m) { try $0[try indexArray([0, 2], shape: [2, 1]), [1, 4, 0]] }
        try expectFixture("m[:, [4, 0]]", on: .m) { try $0[.all, [4, 0]] }
        try expectFixture("m[[3, 1], :]", on: .m) { try $0[[3, 1], .all] }
        try expectFixture("m[1:3, [0, 0, 2]]", on: .m) { try $0[1..<3, [0, 0, 2]] }
        try expectFixture("m[[2], [1, 3, 4]]", on: .m) { try $0[[2], [1, 3, 4]] }
        try expectFixture("m[[-1, 0], -1]", on: .m) { try $0[[-1, 0], -1] }
        try expectFixture("m[None, [1, 2]]", on: .m) { try $0[.newAxis, [1, 2]] }
    }

    func testIntegerArraysOnSeveralAxesAndPlacement() throws {
        try expectFixture("x[[0, 1], :, [0, 3]]", on: .x) { try $0[[0, 1], .all, [0, 3]] }
        try expectFixture("x[0, :, [1, 2, 3]]", on: .x) { try $0[0, .all, [1, 2, 3]] }
        try expectFixture("x[:, [0, 2], [1, 3]]", on: .x) { try $0[.all, [0, 2], [1, 3]] }
        try expectFixture("x[[1], [0, 2], 1:3]", on: .x) { try $0[[1], [0, 2], 1..<3] }
        try expectFixture("x[:, [2, 0], None, [1, 1]]", on: .x) { try $0[.all, [2, 0], .newAxis, [1, 1]] }
        try expectFixture("x[None, :, [0, 2]]", on: .x) { try $0[.newAxis, .all, [0, 2]] }
        try expectFixture("x[[1, 0], 2]", on: .x) { try $0[[1, 0], 2] }
        try expectFixture("x[1, [2, 0], ::-1]", on: .x) { try $0[1, [2, 0], .slice(nil, nil, -1)] }
        try expectFixture("x[[[0], [1]], :, [[1, 2]]]", on: .x) {
            try $0[try indexArray([0, 1], shape: [2, 1]), .all, try indexArray([1, 2], shape: [1, 2])]
        }
        try expectFixture("x[..., [3, 0]]", on: .x) { try $0[.ellipsis, [3, 0]] }
    }

    func testMasks() throws {
        let t = true, f = false
        try expectFixture("v[[T, F, F, T, F, F, T, F, F, T]]", on: .v) { try $0[[t, f, f, t, f, f, t, f, f, t]] }
        try expectFixture("v[[T, F, F, T, F, F, T, F, F, T]]", on: .v) { v in try v[try (v % 3) .== 0] }
        try expectFixture("m[m > 7]", on: .m) { m in try m[try m .> 7] }
        try expectFixture("m[[T, F, T, F]]", on: .m) { try $0[[t, f, t, f]] }
        try expectFixture("m[:, [F, T, F, T, T]]", on: .m) { try $0[.all, [f, t, f, t, t]] }
        let mask23 = try maskArray([t, f, t, f, t, t], shape: [2, 3])
        try expectFixture("x[[[T, F, T], [F, T, T]]]", on: .x) { try $0[mask23] }
        try expectFixture("x[[[T, F, T], [F, T, T]], 1]", on: .x) { try $0[mask23, 1] }
        let mask34 = try maskArray([t, f, f, t, f, f, f, f, t, t, f, f], shape: [3, 4])
        try expectFixture("x[0, [[T, F, F, T], [F, F, F, F], [T, T, F, F]]]", on: .x) { try $0[0, mask34] }
        try expectFixture("x[:, [F, T, T], [0, 3]]", on: .x) { try $0[.all, [f, t, t], [0, 3]] }
    }

    func testTake() throws {
        try expectFixture("np.take(m, [5, 0, 19])", on: .m) { try take($0, try indexArray([5, 0, 19])) }
        try expectFixture("np.take(m, [[1, -1]], axis=1)", on: .m) { try $0.take(try indexArray([1, -1], shape: [1, 2]), axis: 1) }
        try expectFixture("np.take(x, [2, 0], axis=-1)", on: .x) { try take($0, try indexArray([2, 0]), axis: -1) }
        try expectFixture("np.take(m, 2, axis=0)", on: .m) { try take($0, Tensor.constant(NDArray(scalar: Int64(2))), axis: 0) }
        try expectFixture("np.take(v, [[9, 0], [-1, 4]])", on: .v) { try take($0, try indexArray([9, 0, -1, 4], shape: [2, 2])) }
        try expectFixture("np.take(x, [[0, 23], [-24, 5]])", on: .x) { try take($0, try indexArray([0, 23, -24, 5], shape: [2, 2])) }
    }

    func testSetAndIncrementBasic() throws {
        try expectFixture("setitem(m, (slice(1, 3),), 100)", on: .m) { try setSubtensor(try $0[1..<3], 100) }
        try expectFixture("setitem(m, (slice(None), slice(None, None, 2)), np.array([1, 2, 3]))", on: .m) {
            try setSubtensor(try $0[.all, .slice(nil, nil, 2)], try indexArray([1, 2, 3]))
        }
        try expectFixture("setitem(m, (slice(None, None, -1), 1), np.array([1, 2, 3, 4]))", on: .m) {
            try $0.setting(.slice(nil, nil, -1), 1, to: try floatArray([1, 2, 3, 4]))
        }
        try expectFixture("addat(m, (-1,), np.array([1, 2, 3, 4, 5]))", on: .m) { try incSubtensor(try $0[-1], try floatArray([1, 2, 3, 4, 5])) }
        try expectFixture("setitem(x, (Ellipsis, 0), -1)", on: .x) { try setSubtensor(try $0[.ellipsis, 0], -1) }
    }

    func testSetAndIncrementAdvanced() throws {
        let values = try floatArray([10, 20, 30])
        try expectFixture("setitem(v, ([1, 1, 3],), np.array([10, 20, 30]))", on: .v) { try setSubtensor(try $0[[1, 1, 3]], values) }
        try expectFixture("addat(v, ([1, 1, 3],), np.array([10, 20, 30]))", on: .v) { try incSubtensor(try $0[[1, 1, 3]], values) }
        try expectFixture("addat(v, ([-1, 9, -1],), 1)", on: .v) { try $0.incrementing([-1, 9, -1], by: 1) }
        try expectFixture("setitem(m, m > 10, 0)", on: .m) { m in try setSubtensor(try m[try m .> 10], 0) }
        try expectFixture("addat(m, m > 10, 1)", on: .m) { m in try incSubtensor(try m[try m .> 10], 1) }
        try expectFixture("addat(m, ([0, 0, 2], [1, 1, 3]), 5)", on: .m) { try $0.incrementing([0, 0, 2], [1, 1, 3], by: 5) }
        try expectFixture("setitem(x, ([0, 1], slice(None), [0, 3]), np.array([[1, 2, 3], [4, 5, 6]]))", on: .x) {
            try $0.setting([0, 1], .all, [0, 3], to: try floatArray([1, 2, 3, 4, 5, 6], shape: [2, 3]))
        }
        try expectFixture("addat(x, (0, slice(None), [1, 1]), np.array([[10, 20, 30], [1, 2, 3]]))", on: .x) {
            try incSubtensor(try $0[0, .all, [1, 1]], try floatArray([10, 20, 30, 1, 2, 3], shape: [2, 3]))
        }
        try expectFixture("addat(m, (slice(None), [0, 4, 0]), np.array([1, 2, 3]))", on: .m) {
            try incSubtensor(try $0[.all, [0, 4, 0]], try floatArray([1, 2, 3]))
        }
    }

    func testEveryFixtureIsUsed() {
        // Keeps the generator and the tests in step: 82 expressions, all exercised above.
        XCTAssertEqual(IndexingFixtures.cases.count, 82)
    }
}
