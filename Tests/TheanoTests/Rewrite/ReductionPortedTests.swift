import Theano
import XCTest

/// Reduction canonicalisations ported from PyTensor's `tests/tensor/rewriting/test_math.py`
/// (`TestLocalReduce`/`local_reduce_chain`, `TestReduceJoin`): exact node counts of the
/// optimised graph and the same values as the unoptimised graph.
final class ReductionPortedTests: BackendTestCase {
    var data = TestData(seed: 41)
    let a = Tensor.tensor3("a", .float64)
    var input: NDArray { (try? NDArray((0..<60).map(Double.init), shape: [3, 4, 5])) ?? NDArray([0.0]) }
    /// Values near 1, so products of 60 of them stay finite and exact enough.
    var nearOne: NDArray { (try? NDArray((0..<60).map { 1 + Double($0 % 7) / 64 }, shape: [3, 4, 5])) ?? NDArray([1.0]) }

    /// The optimised graph's nodes, and a check of its values against the unoptimised one.
    func nodes(_ output: Tensor, _ values: NDArray, _ inputs: [Tensor]? = nil, file: StaticString = #filePath, line: UInt = #line) throws -> [String] {
        let ins = inputs ?? [a]
        try assertSameValues(ins, [output], [values], rtol: 1e-9, atol: 1e-9, file: file, line: line)
        let o = try optimize(ins, [output])
        XCTAssertEqual(o.graph.outputs[0].type, output.type, file: file, line: line)
        return o.ops
    }

    /// An axis selection: one axis or several, as in the ported test's `dims`.
    func reduce(_ kind: String, _ x: Tensor, _ axes: [Int]?) throws -> Tensor {
        switch kind {
        case "sum": return try axes.map { try sum(x, axes: $0) } ?? sum(x)
        case "prod": return try axes.map { try prod(x, axes: $0) } ?? prod(x)
        case "max": return try axes.map { try max(x, axes: $0) } ?? max(x)
        default: return try axes.map { try min(x, axes: $0) } ?? min(x)
        }
    }

    /// test_local_sum_prod_all_to_none and the chain `a.sum(0).sum(0).sum(0)`: one node.
    func testSumOfSumsIsOneNode() throws {
        XCTAssertEqual(try nodes(try a.sum(axis: 0).sum(axis: 0).sum(axis: 0), input), ["sum{axes=[0, 1, 2]}"])
        XCTAssertEqual(try nodes(try a.sum(axes: [0, 1, 2]), input), ["sum{axes=[0, 1, 2]}"])
        XCTAssertEqual(try nodes(try a.prod(axes: [0, 1, 2]), nearOne), ["prod{axes=[0, 1, 2]}"])
    }

    /// test_local_sum_sum_prod_prod: every pair of axis selections, for sum, prod, max and min;
    /// a sum of a product (different kinds) stays two nodes.
    func testReduceChains() throws {
        let dims: [([Int], [Int])] = [([0], [0]), ([1], [0]), ([2], [0]), ([0], [1]), ([1], [1]), ([2], [1]),
                                      ([0, 1], [0]), ([1, 2], [0]), ([0], [0, 1]), ([1], [0, 1]), ([2], [0, 1])]
        for kind in ["sum", "prod", "max", "min"] {
            let values = kind == "prod" ? nearOne : input
            for (d, dd) in dims {
                let out = try reduce(kind, try reduce(kind, a, d), dd)
                XCTAssertEqual(try nodes(out, values).count, 1, "\(kind)(\(d)).\(kind)(\(dd))")
            }
            for (d, dd) in dims.prefix(6) {
                let out = try reduce(kind, try reduce(kind, try reduce(kind, a, d), dd), [0])
                XCTAssertEqual(try nodes(out, values).count, 1, "\(kind)(\(d)).\(kind)(\(dd)).\(kind)(0)")
            }
            for d in 0..<3 {
                XCTAssertEqual(try nodes(try reduce(kind, try reduce(kind, a, [d]), nil), values).count, 1, "\(kind)(\(d)).\(kind)()")
            }
            // A reduction of a scalar reduces nothing.
            XCTAssertEqual(try nodes(try reduce(kind, try reduce(kind, a, nil), nil), values).count, 1, "\(kind)().\(kind)()")
        }
        for (d, dd) in dims {
            let out = try prod(try sum(a, axes: d), axes: dd)
            XCTAssertEqual(try nodes(out, nearOne).count, 2, "sum(\(d)).prod(\(dd))")
        }
    }

    /// Chains where one reduction keeps its axes: one reduction and a view.
    func testReduceChainsWithKeptAxes() throws {
        for (innerKeeps, outerKeeps) in [(true, false), (false, true), (true, true)] {
            let out = try sum(try sum(a, axis: 1, keepdims: innerKeeps), axis: 0, keepdims: outerKeeps)
            let ops = try nodes(out, input)
            XCTAssertEqual(ops.filter { $0.hasPrefix("sum") }.count, 1, "\(ops)")
            XCTAssertTrue(ops.count <= 2, "\(ops)")
        }
        // An inner reduction read elsewhere is not merged into the outer one.
        let inner = try a.sum(axis: 0)
        let o = try optimize([a], [try inner.sum(axis: 0) + inner.sum(axis: 1).sum()])
        XCTAssertEqual(o.ops.filter { $0.hasPrefix("sum") }.count, 3, o.text())
    }

    /// test_local_sum_sum_int8 and test_all: dtypes survive the merge.
    func testReduceChainsOfIntegersAndBools() throws {
        let x = Tensor.tensor3("x", .int8)
        let xv = data.array([3, 4, 5], .int8, low: -100, high: 100)
        let s = try x.sum(axis: 0).sum(axis: 1)
        XCTAssertEqual(s.dtype, .int64)
        XCTAssertEqual(try nodes(s, xv, [x]), ["sum{axes=[0, 2]}"])
        let b = Tensor.tensor3("b", .bool)
        let bv = try NDArray((0..<24).map { $0 % 5 != 0 }, shape: [2, 3, 4])
        XCTAssertEqual(try nodes(try b.all(axis: -1).all(axis: 0), bv, [b]), ["all{axes=[0, 2]}"])
        XCTAssertEqual(try nodes(try b.any(axis: 1).any(axis: 0), bv, [b]), ["any{axes=[0, 1]}"])
    }

    /// test_local_reduce_broadcast_all_0/_1/some_0/some_1: reductions over axes of size 1.
    func testReductionsOverSizeOneAxes() throws {
        let x = Tensor.variable("x", .int64, shape: [1, 1, 1])
        let xv = try NDArray([Int64(-3)], shape: [1, 1, 1])
        let kinds: [(String, (Tensor, [Int]?) throws -> Tensor)] = [
            ("sum", { x, axes in try axes.map { try sum(x, axes: $0) } ?? sum(x) }),
            ("all", { x, axes in try axes.map { try all(x, axes: $0) } ?? all(x) }),
            ("any", { x, axes in try axes.map { try any(x, axes: $0) } ?? any(x) }),
            ("prod", { x, axes in try axes.map { try prod(x, axes: $0) } ?? prod(x) }),
            ("max", { x, axes in try axes.map { try max(x, axes: $0) } ?? max(x) }),
            ("min", { x, axes in try axes.map { try min(x, axes: $0) } ?? min(x) }),
        ]
        for (name, f) in kinds {
            for axes in [nil, [0, 2]] as [[Int]?] {
                let ops = try nodes(try f(x, axes), xv, [x])
                XCTAssertFalse(ops.contains { $0.hasPrefix(name + "{") }, "\(name) \(String(describing: axes)): \(ops)")
            }
            // Some axes of size 1: only the others are reduced, after a view drops them.
            let y = Tensor.variable("y", .int64, shape: [1, nil, 1])
            let o = try optimize([y], [try f(y, [0, 1])])
            let reductions = o.graph.toposort().filter { $0.op is Reduce }
            XCTAssertEqual(reductions.count, 1, o.text())
            XCTAssertEqual(reductions.first?.inputs[0].type.rank, 2, o.text())
            XCTAssertEqual((reductions.first?.op as? Reduce)?.axes, [0], o.text())
            try assertSameValues([y], [try f(y, [0, 1])], [try NDArray([Int64(2), 0, -5], shape: [1, 3, 1])])
        }
    }

    /// TestReduceJoin.test_local_reduce_join: a reduction across stacked matrices is the
    /// elementwise op between them (sum and prod of three, max and min of two).
    func testReduceAcrossAStack() throws {
        let (x, y, z) = (Tensor.matrix("x", .float64), Tensor.matrix("y", .float64), Tensor.matrix("z", .float64))
        let values = [try NDArray([1.0, 0, 3, 4], shape: [2, 2]), try NDArray([4.0, 0, 2, 1], shape: [2, 2]), try NDArray([5.0, 0, 1, 2], shape: [2, 2])]
        for (kind, n, scalar) in [("sum", 3, "add"), ("max", 2, "maximum"), ("min", 2, "minimum"), ("prod", 3, "mul")] {
            let inputs = Array([x, y, z].prefix(n))
            let out = try reduce(kind, try stack(inputs), [0])
            try assertSameValues(inputs, [out], Array(values.prefix(n)))
            let o = try optimize(inputs, [out])
            XCTAssertEqual(o.ops, Array(repeating: scalar, count: n - 1), "\(kind): \(o.text())")
        }
    }

    /// TestReduceJoin.test_type: integer stacks; reductions along another axis stay.
    func testReduceAcrossAStackOfIntegers() throws {
        let s = Shared(NDArray([1, 2, 3, 4, 5] as [Int64]), name: "A")
        let along = try function([], [try sum(stack([s, s]), axis: 0)])
        XCTAssertEqual(try along()[0], NDArray([2, 4, 6, 8, 10] as [Int64]))
        XCTAssertTrue(along.debugDescription().contains("add"), along.debugDescription())
        let across = try function([], [try sum(stack([s, s]), axis: 1)])
        XCTAssertEqual(try across()[0], NDArray([15, 15] as [Int64]))
        XCTAssertTrue(across.debugDescription().hasPrefix("sum"), across.debugDescription())
        // int32 parts are summed in int64, as the reduction does.
        let i = Tensor.vector("i", .int32)
        let big = NDArray([Int32.max, 1] as [Int32])
        let wide = try function([i], [try sum(stack([i, i]), axis: 0)])
        XCTAssertEqual(try wide(big)[0], NDArray([Int64(Int32.max) * 2, 2] as [Int64]))
        // Columns joined along axis 1 (not stacked) stay a join.
        let c = Shared(try NDArray([1, 2, 3, 4, 5] as [Int64]).reshaped([5, 1]), name: "C")
        let joined = try function([], [try sum(concatenate([c, c], axis: 1), axis: 1)])
        XCTAssertEqual(try joined()[0], NDArray([2, 4, 6, 8, 10] as [Int64]))
    }

    /// test_not_supported_axis_none and test_not_supported_unequal_shapes: left alone, right
    /// values.
    func testReduceJoinDeclines() throws {
        let (x, y, z) = (Tensor.matrix("x", .float64), Tensor.matrix("y", .float64), Tensor.matrix("z", .float64))
        let m = { self.data.array([2, 2]) }
        try assertSameValues([x, y, z], [try sum(stack([x, y, z]))], [m(), m(), m()])
        let (p, q) = (Tensor.matrix("p", .float64, shape: [1, 3]), Tensor.matrix("q", .float64, shape: [2, 3]))
        let out = try sum(concatenate([p, q], axis: 0), axis: 0)
        try assertSameValues([p, q], [out], [data.array([1, 3]), data.array([2, 3])])
        XCTAssertTrue(try optimize([p, q], [out]).ops.contains("Join{axis=0}"))
    }

    /// test_non_ds_inputs: the stacked parts need not be plain expanded dims.
    func testReduceJoinOfComputedParts() throws {
        let x = Tensor.vector("x", .float64)
        let out = try sum(concatenate([try exp(x.expandDims(axis: 0)), try log(x.expandDims(axis: 0))], axis: 0), axis: 0)
        try assertSameValues([x], [out], [data.array([4], low: 0.5, high: 2)])
        let o = try optimize([x], [out])
        XCTAssertEqual(o.text(), "add(exp(x), log(x))")
    }
}
