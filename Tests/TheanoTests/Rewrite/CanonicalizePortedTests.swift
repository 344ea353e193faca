import Theano
import XCTest

/// Canonicalisation and specialisation cases ported from PyTensor's
/// `tests/tensor/rewriting/test_math.py` and `test_basic.py` (each test names the one it
/// ports): exact node counts of the optimised graph (fastRun without fusion, BLAS and in-place
/// variants, unless a test says otherwise), and the same values as the unoptimised graph.
final class CanonicalizePortedTests: BackendTestCase {
    var data = TestData(seed: 31)

    /// The elementwise ops of the optimised graph, by scalar op name.
    func elemwiseOps(_ o: OptimizedGraph) -> [String] {
        o.graph.toposort().compactMap { ($0.op as? Elemwise)?.scalar.name }
    }

    /// Optimises `output` and checks values against the unoptimised graph.
    func check(_ inputs: [Tensor], _ output: Tensor, _ values: [NDArray], rtol: Double = 1e-6,
               file: StaticString = #filePath, line: UInt = #line) throws -> OptimizedGraph {
        let o = try optimize(inputs, [output])
        XCTAssertEqual(o.graph.outputs[0].type, output.type, "the output type changed", file: file, line: line)
        try assertSameValues(inputs, [output], values, rtol: rtol, atol: 1e-9, file: file, line: line)
        return o
    }

    // MARK: TestAlgebraicCanonizer

    /// test_muldiv: `(-1 * x) / y / (-2 * z)` is `(0.5 * x) / (y * z)`.
    func testMulDiv() throws {
        let (x, y, z) = (Tensor.matrix("x", .float64), Tensor.matrix("y", .float64), Tensor.matrix("z", .float64))
        let values = [data.array([3, 3]), data.array([3, 3], low: 0.5, high: 2), data.array([3, 3], low: 0.5, high: 2)]
        let o = try check([x, y, z], try (-1 * x) / y / (-2 * z), values)
        XCTAssertEqual(o.text(), "true_div(mul(x, 0.5), mul(y, z))")
        XCTAssertEqual(elemwiseOps(o).sorted(), ["mul", "mul", "true_div"])
        XCTAssertTrue(o.trace.appliedRewrites.contains("mul_canonizer"))
    }

    /// test_mul_div_cases, for float32 and float64 matrices and rows (a vector with a
    /// broadcast axis added).
    func testMulDivCases() throws {
        for dtype in [DType.float32, .float64] {
            let (x, y, z, w) = (Tensor.matrix("x", dtype), Tensor.matrix("y", dtype), Tensor.matrix("z", dtype), Tensor.matrix("w", dtype))
            let r = Tensor.vector("r", dtype)
            let v = try r.expandDims(axis: 0)
            let m = { self.data.array([3, 3], dtype, low: 0.5, high: 2) }
            let rv = data.array([3], dtype, low: 0.5, high: 2)
            let rtol = dtype == .float32 ? 1e-5 : 1e-12

            // (x * y) / x -> y: no division left; (x * v) / x broadcasts v to x's shape.
            for (inputs, output, values) in [([x, y], try (x * y) / x, [m(), m()]), ([r, y], try (v * y) / v, [rv, m()])] {
                let o = try check(inputs, output, values, rtol: rtol)
                XCTAssertEqual(elemwiseOps(o), [], "\(dtype): \(o.text())")
            }
            let xv = try check([x, r], try (x * v) / x, [m(), rv], rtol: rtol)
            XCTAssertEqual(elemwiseOps(xv), [], xv.text())
            XCTAssertEqual(xv.ops.filter { $0 == "Alloc" }.count, 1, xv.text())

            // x / y / x -> 1 / y: one reciprocal.
            for (inputs, output, values) in [([x, y], try (x / y) / x, [m(), m()]), ([r, y], try (v / y) / v, [rv, m()]),
                                             ([x, r], try (x / v) / x, [m(), rv])] {
                let o = try check(inputs, output, values, rtol: rtol)
                XCTAssertEqual(elemwiseOps(o), ["reciprocal"], "\(dtype): \(o.text())")
            }

            // (a / b) * (b / c) * (c / d) -> a / d: one division.
            for (inputs, output, values) in [
                ([x, y, z, w], try (x / y) * (y / z) * (z / w), [m(), m(), m(), m()]),
                ([r, y, z, w], try (v / y) * (y / z) * (z / w), [rv, m(), m(), m()]),
                ([x, r, z, w], try (x / v) * (v / z) * (z / w), [m(), rv, m(), m()]),
                ([x, y, r, w], try (x / y) * (y / v) * (v / w), [m(), m(), rv, m()]),
                ([x, y, z, r], try (x / y) * (y / z) * (z / v), [m(), m(), m(), rv]),
            ] {
                let o = try check(inputs, output, values, rtol: rtol)
                XCTAssertEqual(elemwiseOps(o), ["true_div"], "\(dtype): \(o.text())")
            }

            // (2 * x) / (4 * y) -> (0.5 * x) / y: one product, one division.
            for (inputs, output, values) in [([x, y], try (2 * x) / (4 * y), [m(), m()]), ([r, y], try (2 * v) / (4 * y), [rv, m()]),
                                             ([x, r], try (2 * x) / (4 * v), [m(), rv])] {
                let o = try check(inputs, output, values, rtol: rtol)
                XCTAssertEqual(elemwiseOps(o), ["mul", "true_div"], "\(dtype): \(o.text())")
            }

            // 2 * x / 2 -> x.
            for (inputs, output, values) in [([x], try 2 * x / 2, [m()]), ([r], try 2 * v / 2, [rv])] {
                let o = try check(inputs, output, values, rtol: rtol)
                XCTAssertEqual(elemwiseOps(o), [], "\(dtype): \(o.text())")
            }
        }
    }

    /// test_mul_div_cases, `x / x -> 1`: the canonical form cancels a factor against itself by
    /// default, as PyTensor does (a documented liberty: NaN at 0, inf and NaN under IEEE).
    func testSelfDivisionCancels() throws {
        let x = Tensor.matrix("x", .float32)
        let on = try optimize([x], [try x / x])
        XCTAssertEqual(on.ops, ["Shape[0]", "Shape[1]", "Alloc"])
        let r = Tensor.vector("r", .float32)
        let row = try optimize([r], [try r.expandDims(axis: 0) / r.expandDims(axis: 0)])
        XCTAssertEqual(row.ops, ["Shape[0]", "Alloc"])
    }

    /// Products and quotients that only a merged form improves; and ones that stay.
    func testOtherMultiplicativeForms() throws {
        let (x, y, z) = (Tensor.matrix("x", .float64), Tensor.matrix("y", .float64), Tensor.matrix("z", .float64))
        let values = [data.array([2, 3], low: 0.5, high: 2), data.array([2, 3], low: 0.5, high: 2), data.array([2, 3], low: 0.5, high: 2)]
        XCTAssertEqual(try check([x, y, z], try x / (y / z), values).text(), "true_div(mul(x, z), y)")
        XCTAssertEqual(try check([x, y, z], try x * (1 / y), values).text(), "true_div(x, y)")
        // Negations fold into the product.
        XCTAssertEqual(try check([x, y, z], try (-x) * (-y), values).text(), "mul(x, y)")
        XCTAssertEqual(try check([x, y, z], try -(x * 2), values).text(), "mul(x, -2.0)")
        XCTAssertEqual(try check([x, y, z], try (-x) / 3, values).text(), "true_div(x, -3.0)")
        // x / y / z stays: x / (y * z) would form a product that can overflow.
        XCTAssertEqual(try check([x, y, z], try x / y / z, values).text(), "true_div(true_div(x, y), z)")
        XCTAssertEqual(try check([x, y, z], try x / 3, values).text(), "true_div(x, 3.0)")
        // A quotient read elsewhere is not merged (it would be computed twice).
        let q = try x / y
        let shared = try check([x, y, z], try (q * z / x) + q, values)
        XCTAssertEqual(elemwiseOps(shared).filter { $0 == "true_div" }.count, 2, shared.text())
        // Integer products are left to the constant rules.
        let (i, j) = (Tensor.vector("i", .int32), Tensor.vector("j", .int32))
        XCTAssertEqual(elemwiseOps(try optimize([i, j], [try (-i) * (-j)])), ["neg", "neg", "mul"])
    }

    /// A deep product: the canonizer looks at a bounded part of it (the top 256 nodes), and
    /// still cancels what it sees.
    func testDeepProductTree() throws {
        let (x, y) = (Tensor.vector("x", .float64), Tensor.vector("y", .float64))
        var e = x
        for _ in 0..<600 { e = try e * y }
        let output = try e / y
        let o = try check([x, y], output, [data.array([3], low: 0.5, high: 2), NDArray([1.0, 1.001, 0.999])], rtol: 1e-9)
        XCTAssertEqual(elemwiseOps(o).filter { $0 == "true_div" }.count, 0)
        XCTAssertEqual(elemwiseOps(o).count, 599)
    }

    /// test_elemwise_multiple_inputs_rewrites: chains of products and sums with constants
    /// become one fused node.
    func testMultipleInputsFuseToOneNode() throws {
        let (x, y, z) = (Tensor.matrix("x", .float32), Tensor.matrix("y", .float32), Tensor.matrix("z", .float32))
        let values = [data.array([5, 5], .float32), data.array([5, 5], .float32), data.array([5, 5], .float32)]
        let cases: [(Tensor, Int)] = [
            (try x + y, 1), (try x * y, 1), (try x + y + z, 1), (try x * y * z, 1),
            (try x + y + z + 2, 1), (try x * y * z * 2, 1), (try 2 + x + y + z + 2, 1), (try 2 * x * y * z * 2, 1),
            (try x * y * 2 * (x + y + z + 2), 1),
        ]
        for (output, count) in cases {
            let f = try function([x, y, z], [output])
            XCTAssertEqual(f.compileStatistics.nodeCount, count, f.debugDescription())
            XCTAssertEqual(try f.call(values)[0].dtype, .float32)
            try assertSameValues([x, y, z], [output], values, rtol: 1e-5, atol: 1e-5)
        }
        // Without fusion the constants are collected into one.
        let o = try optimize([x, y, z], [try 2 * x * y * z * 2])
        XCTAssertEqual(elemwiseOps(o), ["mul", "mul", "mul"], o.text())
    }

    // MARK: Powers

    /// test_local_pow_specialize.
    func testPowSpecialize() throws {
        let v = Tensor.vector("v", .float64)
        let values = [data.array([10], low: 0.5, high: 3)]
        let cases: [(Double, [String])] = [
            (0, ["Shape[0]", "Alloc"]), (1, []), (-1, ["reciprocal"]), (2, ["square"]), (-2, ["square", "reciprocal"]),
            (0.5, ["sqrt"]), (-0.5, ["sqrt", "reciprocal"]),
        ]
        for (exponent, ops) in cases {
            let o = try check([v], try v ** Tensor(exponent), values)
            XCTAssertEqual(o.ops, ops, "v ** \(exponent): \(o.text())")
        }
        let f = try function([v], [v ** -0.5])
        assertClose(try f(NDArray([4.0, 0.25]))[0], NDArray([0.5, 2.0]))
    }

    /// test_local_pow_specialize_device_more_aggressive_on_cpu: integer powers by nested
    /// squaring (6 operations for 15, 4 for 16, plus a reciprocal for negative ones), fused
    /// into one node.
    func testPowToNestedSquaring() throws {
        let v = Tensor.vector("v", .float64)
        let values = [data.array([10], low: 0.5, high: 1.5)]
        for (exponent, count) in [(15.0, 6), (-15, 7), (16, 4), (-16, 5)] {
            let o = try check([v], try v ** Tensor(exponent), values, rtol: 1e-12)
            XCTAssertEqual(o.ops.count, count, "v ** \(exponent): \(o.text())")
            XCTAssertEqual(o.ops.last, exponent < 0 ? "reciprocal" : (exponent == 16 ? "square" : "mul"))
            let f = try function([v], [v ** Tensor(exponent)])
            XCTAssertEqual(f.compileStatistics.nodeCount, 1, f.debugDescription())
        }
    }

    // MARK: Other arithmetic

    /// test_log1p: `log(1 + x)` forms become `log1p`, also through a fill and a cast.
    func testLog1p() throws {
        let x = Tensor.vector("x", .float64)
        let xv = [NDArray([1e-7, 10])]
        XCTAssertEqual(elemwiseOps(try check([x], try log(1 + x), xv)), ["log1p"])
        XCTAssertEqual(elemwiseOps(try check([x], try log(1 + (-x)), [NDArray([1e-7, 0.5])])), ["neg", "log1p"])
        XCTAssertEqual(elemwiseOps(try check([x], try -log(1 + (-x)), [NDArray([1e-7, 0.5])])), ["neg", "log1p", "neg"])
        // With a fill of ones (the result keeps the fill's shape).
        let y = Tensor.matrix("y", .float32)
        let filled = try check([x, y], try log(onesLike(y) + x), [NDArray([1e-7, 10]), data.array([2, 2], .float32)])
        XCTAssertEqual(filled.graph.outputs[0].owner.map { "\($0.op)" }, "Alloc", filled.text())
        XCTAssertTrue(elemwiseOps(filled).contains("log1p"), filled.text())
        // For integers, through the cast to float.
        let z = Tensor.matrix("z", .int32)
        let cast = try check([z], try log(1 + cast(z, .float64)), [data.array([2, 2], .int32, low: 0, high: 5)])
        XCTAssertEqual(elemwiseOps(cast), ["cast", "log1p"], cast.text())
    }

    /// test_local_zero_div (the integer case, exact and so on by default) and `x // 1`.
    func testIntegerDivisionOfZeroAndByOne() throws {
        let i = Tensor.vector("i", .int32)
        let values = [NDArray([3, 0, -7] as [Int32])]
        let zero = try check([i], try floorDivide(Tensor.constant(0, .int32), i), values)
        XCTAssertEqual(zero.ops, ["Shape[0]", "Alloc"], zero.text())
        XCTAssertEqual(zero.trace.appliedRewrites, ["zero_int_div"])
        let one = try check([i], try floorDivide(i, 1), values)
        XCTAssertEqual(one.ops, [], one.text())
        XCTAssertEqual(one.trace.appliedRewrites, ["int_div_by_one"])
        // Floats: x // 1 is floor(x), and 0 // x is NaN at 0; both stay.
        let x = Tensor.vector("x", .float64)
        XCTAssertEqual(elemwiseOps(try check([x], try floorDivide(x, 1), [NDArray([1.5, -0.5])])), ["floor_div"])
        XCTAssertEqual(elemwiseOps(try check([x], try floorDivide(0, x), [NDArray([1.5, -0.5])])), ["floor_div"])
    }

    /// test_local_useless_fill: `fill(x, x) * 2` is `x * 2`.
    func testUselessFill() throws {
        let x = Tensor.vector("x", .float64)
        let o = try check([x], try fullLike(x, x) * 2, [data.array([5])])
        XCTAssertEqual(o.ops, ["mul"], o.text())
    }

    /// The gradient of `x ** 2` is `2 * x`: the `where` guarding the exponent 0 goes
    /// (useless_switch), then `pow(x, 1)` (pow_one).
    func testGradientOfSquareIsTwoX() throws {
        let s = Tensor.scalar("s", .float64)
        let v = Tensor.vector("v", .float64)
        for (input, cost) in [(s, try s ** 2), (v, try sum(v ** 2))] {
            let g = try grad(cost, wrt: input)
            let o = try optimize([input], [g])
            XCTAssertEqual(o.ops, ["mul"], o.text())
            XCTAssertTrue(["mul(2.0, \(input.name!))", "mul(\(input.name!), 2.0)"].contains(o.text()), o.text())
            let unfused = try function([input], [g], mode: .fastRun.excluding("fusion"))
            XCTAssertEqual(unfused.compileStatistics.nodeCount, 1, unfused.debugDescription())
            XCTAssertTrue(unfused.debugDescription().hasPrefix("mul"), unfused.debugDescription())
            let fused = try function([input], [g])
            XCTAssertEqual(fused.compileStatistics.nodeCount, 1, fused.debugDescription())
            assertValues(try fused(input.rank == 0 ? NDArray(scalar: 3.0) : NDArray([3.0, -1]))[0], input.rank == 0 ? [6] : [6, -2])
        }
    }

    // MARK: TestLocalUselessSwitch (tests/tensor/rewriting/test_basic.py)

    /// test_const: a constant condition selects a branch.
    func testSwitchWithConstantCondition() throws {
        for (d1, d2) in [(DType.int32, DType.int32), (.int32, .int64), (.int64, .int32), (.int64, .int64)] {
            let x = Tensor.matrix("x", d1), y = Tensor.matrix("y", d2)
            let vx = try NDArray([1, 2, 3, 4, 5, 6] as [Int32], shape: [2, 3]).astype(d1)
            let vy = try NDArray([7, 8, 9, 10, 11, 12] as [Int32], shape: [2, 3]).astype(d2)
            for condition in [Tensor.constant(0, .int8), Tensor.constant(1, .int8), Tensor.constant(NDArray([true]))] {
                let output = try `where`(condition, x, y)
                let o = try check([x, y], output, [vx, vy])
                XCTAssertFalse(elemwiseOps(o).contains("where"), o.text())
                XCTAssertTrue(o.trace.appliedRewrites.contains("useless_switch"))
            }
        }
    }

    /// test_left_is_right and test_left_is_right_constant: equal branches need no selection.
    func testSwitchWithEqualBranches() throws {
        let x = Tensor.matrix("x", .int32), c = Tensor.matrix("c", .int32)
        let vx = data.array([2, 3], .int32)
        for condition in [Tensor.constant(1, .int8), Tensor.constant(0, .int8)] {
            XCTAssertEqual(try check([x], try `where`(condition, x, x), [vx]).ops, [])
        }
        XCTAssertEqual(try check([x, c], try `where`(cast(c, .bool), x, x), [vx, data.array([2, 3], .int32)]).ops, [])
        // Constants of one value (different dtypes: the result is the selection's dtype).
        let b = Tensor.scalar("b", .bool)
        let zeros = try optimize([b], [try `where`(b, Tensor.constant(0, .int8), Tensor.constant(0, .int64))])
        XCTAssertEqual(zeros.graph.outputs[0].constantValue, NDArray(scalar: Int64(0)))
        let different = try optimize([b], [try `where`(b, Tensor.constant(1, .int8), Tensor.constant(0, .int8))])
        XCTAssertEqual(elemwiseOps(different), ["where"])
        // 0.0 and -0.0 are different values (merge is off: it takes them for one constant).
        let signed = try optimize([b], [try `where`(b, Tensor.constant(0, .float64), Tensor.constant(-0.0, .float64))],
                                  excluding: ["merge"])
        XCTAssertEqual(elemwiseOps(signed), ["where"])
    }

    /// test_broadcasting_1 and _2: the selected branch is broadcast (and cast) to the
    /// selection's shape and dtype.
    func testSwitchBroadcastsTheSelectedBranch() throws {
        let x = Tensor.matrix("x", .int32), y = Tensor.vector("y", .int64)
        let vx = try NDArray([1, 2, 3, 4, 5, 6] as [Int32], shape: [2, 3]), vy = NDArray([10, 11, 12] as [Int64])
        let one = try check([x, y], try `where`(Tensor.constant(1, .int8), x, y), [vx, vy])
        XCTAssertEqual(one.text(), "cast{int64}(x)")
        let zero = try check([x, y], try `where`(Tensor.constant(0, .int8), x, y), [vx, vy])
        XCTAssertEqual(zero.graph.outputs[0].owner.map { "\($0.op)" }, "Alloc", zero.text())
        XCTAssertTrue(zero.graph.outputs[0].owner?.inputs[0] === zero.graph.inputs[1] || zero.text().contains("(y)"), zero.text())
        let v = Tensor.vector("v", .int32), m = Tensor.matrix("m", .int64)
        let vv = NDArray([4, 5, 6] as [Int32]), mv = try NDArray([7, 8, 9, 10, 11, 12] as [Int64], shape: [2, 3])
        let a = try check([v, m], try `where`(Tensor.constant(1, .int8), v, m), [vv, mv])
        XCTAssertEqual(a.graph.outputs[0].owner.map { "\($0.op)" }, "Alloc", a.text())
        let b = try check([v, m], try `where`(Tensor.constant(0, .int8), v, m), [vv, mv])
        XCTAssertEqual(b.text(), "m")
    }
}
