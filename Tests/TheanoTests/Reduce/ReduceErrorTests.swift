import Theano
import XCTest

/// Bad axes throw when the graph is built; empty reductions without an identity throw when the
/// function runs. Messages name the op, the input, the axis and the rank or shape.
final class ReduceErrorTests: BackendTestCase {
    let x = Tensor.matrix("x", .float32)

    /// Every reduction, by name, as a function of (tensor, axes).
    var reductions: [(String, (Tensor, [Int]) throws -> Tensor)] {
        [
            ("sum", { try sum($0, axes: $1) }), ("prod", { try prod($0, axes: $1) }),
            ("max", { try max($0, axes: $1) }), ("min", { try min($0, axes: $1) }),
            ("mean", { try mean($0, axes: $1) }), ("var", { try `var`($0, axes: $1) }),
            ("std", { try std($0, axes: $1) }), ("all", { try all($0, axes: $1) }),
            ("any", { try any($0, axes: $1) }), ("logsumexp", { try logsumexp($0, axes: $1) }),
        ]
    }

    func testAxisOutOfRange() {
        for (name, reduce) in reductions {
            assertThrows(.outOfRange, containing: [name, "axis 2", "x (float32[?, ?])", "rank 2", "-2...1"]) { try reduce(x, [2]) }
            assertThrows(.outOfRange, containing: [name, "axis -3", "rank 2"]) { try reduce(x, [0, -3]) }
        }
        assertThrows(.outOfRange, containing: ["sum", "axis 2", "rank 2"]) { try sum(x, axis: 2) }
        assertThrows(.outOfRange, containing: ["mean", "axis -3"]) { try x.mean(axis: -3) }
        assertThrows(.outOfRange, containing: ["var", "axis 5"]) { try x.var(axis: 5, ddof: 1) }
        assertThrows(.outOfRange, containing: ["argmax", "axis 2", "x (float32[?, ?])", "rank 2"]) { try argmax(x, axis: 2) }
        assertThrows(.outOfRange, containing: ["argmin", "axis -3", "rank 2"]) { try x.argmin(axis: -3) }
        let s = Tensor.scalar("s")
        assertThrows(.outOfRange, containing: ["sum", "axis 0", "rank 0", "axis nil"]) { try sum(s, axis: 0) }
        assertThrows(.outOfRange, containing: ["argmax", "axis 0", "rank 0"]) { try argmax(s, axis: 0) }
    }

    func testDuplicateAxes() {
        for (name, reduce) in reductions {
            assertThrows(.invalidArgument, containing: [name, "[1, -1]", "axis 1", "x (float32[?, ?])", "twice"]) { try reduce(x, [1, -1]) }
            assertThrows(.invalidArgument, containing: [name, "[0, 0]", "twice"]) { try reduce(x, [0, 0]) }
        }
    }

    /// The ops themselves take normalised, distinct axes and exactly one input.
    func testOpLevelChecks() {
        let v = x.variable
        assertThrows(.outOfRange, containing: ["sum{axes=[-1]}", "axis -1", "x (float32[?, ?])", "rank 2"]) { try Reduce(.sum, axes: [-1]).makeNode([v]) }
        assertThrows(.outOfRange, containing: ["max", "axis 2"]) { try Reduce(.max, axes: [2]).makeNode([v]) }
        assertThrows(.invalidArgument, containing: ["sum", "more than once"]) { try Reduce(.sum, axes: [1, 1]).makeNode([v]) }
        assertThrows(.invalidArgument, containing: ["expected 1 input, got 2"]) { try Reduce(.sum, axes: [0]).makeNode([v, v]) }
        assertThrows(.outOfRange, containing: ["argmax{axis=2}", "axis 2", "rank 2"]) { try ArgReduce(.argmax, axis: 2).makeNode([v]) }
        assertThrows(.invalidArgument, containing: ["expected 1 input, got 0"]) { try ArgReduce(.argmin, axis: nil).makeNode([]) }
    }

    /// max, min, argmax, argmin (and logsumexp, built on max) of an empty axis throw at run
    /// time, naming the op, the input and the value's shape; other reductions have a value.
    func testEmptyReductionsThrowAtRunTime() throws {
        let empty = try NDArray.zeros([0, 3], .float32)
        let cases: [(String, Tensor)] = [
            ("max", try max(x, axis: 0)), ("min", try x.min()), ("argmax", try argmax(x, axis: 0)),
            ("argmin", try x.argmin()), ("max", try logsumexp(x, axis: 0)),
        ]
        for (name, y) in cases {
            let f = try function([x], [y])
            assertThrows(.invalidArgument, containing: [name, "axis 0", "x (float32[?, ?])", "size 0", "[0, 3]"]) { try f(empty) }
        }
        // Reducing the non-empty axis of an empty array is fine: the result is empty.
        XCTAssertEqual(try max(x, axis: 1).eval([x: empty]).shape, [0])
        XCTAssertEqual(try argmax(x, axis: 1).eval([x: empty]).shape, [0])
        assertValues(try sum(x, axis: 0).eval([x: empty]), [0, 0, 0])
        assertValues(try prod(x, axis: 0).eval([x: empty]), [1, 1, 1])
        assertValues(try all(x, axis: 0).eval([x: empty]), [1, 1, 1])
        assertValues(try any(x, axis: 0).eval([x: empty]), [0, 0, 0])
        assertValues(try mean(x, axis: 0).eval([x: empty]), [.nan, .nan, .nan])
    }

    /// The NDArray kernels check too, naming the operation and the array's shape.
    func testKernelChecks() throws {
        let a = try NDArray.zeros([2, 0])
        assertThrows(.outOfRange, containing: ["sum", "axis 2", "an array of shape [2, 0]", "rank 2"]) { try a.reduce(.sum, axes: [2]) }
        assertThrows(.invalidArgument, containing: ["prod", "twice"]) { try a.reduce(.prod, axes: [0, -2]) }
        assertThrows(.invalidArgument, containing: ["max", "axis 1", "size 0", "[2, 0]"]) { try a.reduce(.max, axes: [1]) }
        assertThrows(.invalidArgument, containing: ["min", "size 0"]) { try a.reduce(.min) }
        assertThrows(.invalidArgument, containing: ["argmax", "axis 1", "size 0"]) { try a.argReduce(.argmax, axis: 1) }
        assertThrows(.invalidArgument, containing: ["argmin", "empty", "[2, 0]"]) { try a.argReduce(.argmin) }
        assertThrows(.outOfRange, containing: ["argmin", "axis -3"]) { try a.argReduce(.argmin, axis: -3) }
        XCTAssertEqual(try a.reduce(.max, axes: [0]).shape, [0])
    }
}
