import Theano
import XCTest

/// Fused graphs compute exactly what the unfused graphs compute: random inputs of many shapes
/// (size 0, size 1, broadcasting, non-contiguous views), NaN and infinities, integer and bool
/// dtypes, casts and three-input ops inside groups.
final class FusionValueTests: BackendTestCase {
    typealias F = FusionCheck

    func testRandomShapesWithBroadcastingAndViews() throws {
        let x = Tensor.matrix("x", .float64)
        let row = Tensor.matrix("row", .float64, shape: [1, nil])
        let col = Tensor.matrix("col", .float64, shape: [nil, 1])
        let out = try tanh(x * row + col) * 2 - exp(-x * x) / (row * row + 1)
        let g = try F.fused([x, row, col], [out])
        // `row * row + 1` has the static shape [1, ?]: its own group, read broadcast.
        XCTAssertEqual(F.opKinds(g), ["Composite", "Composite"])
        XCTAssertEqual(F.nodes(g, Composite.self).map(\.0.inputs.count), [1, 4])
        var data = TestData(seed: 20)
        for (m, n) in [(3, 4), (1, 1), (0, 3), (3, 0), (1, 5), (5, 1)] {
            let values = [data.array([m, n]), data.array([1, n]), data.array([m, 1])]
            try F.assertSameValues(g, [x, row, col], [out], values)
        }
        let views = [try data.nonContiguous([3, 4]), try data.nonContiguous([1, 4]), data.array([3, 1])]
        try F.assertSameValues(g, [x, row, col], [out], views)
        try F.assertFusedFunctionAgrees([x, row, col], [out], [views, [data.array([0, 2]), data.array([1, 2]), data.array([0, 1])]])
    }

    func testScalarsFuse() throws {
        let s = Tensor.scalar("s", .float64), t = Tensor.scalar("t", .float64)
        let out = try exp(s) * 2 + s / t
        let g = try F.fused([s, t], [out])
        XCTAssertEqual(F.opKinds(g), ["Composite"])
        try F.assertSameValues(g, [s, t], [out], [NDArray(scalar: 0.5), NDArray(scalar: -2.0)])
    }

    func testNaNAndInfinitiesPropagateAsUnfused() throws {
        let x = Tensor.vector("x", .float64), y = Tensor.vector("y", .float64)
        let out = try maximum(x, y) * minimum(log(abs(x)), sqrt(y)) + x / y
        let cleaned = try `where`(isnan(out), 0, clip(out, -10, 10))
        let special: [Double] = [.nan, .infinity, -.infinity, 0, -0.0, 1, -1, 2]
        let other: [Double] = [1, .nan, 2, 0, .infinity, -.infinity, 0, 4]
        let values = [NDArray(special), NDArray(other)]
        let g = try F.fused([x, y], [out, cleaned])
        XCTAssertEqual(F.opKinds(g), ["Composite"])
        try F.assertSameValues(g, [x, y], [out, cleaned], values)
        try F.assertFusedFunctionAgrees([x, y], [out, cleaned], [values])
        // NaN as a folded constant.
        let nanPlus = try (x + Tensor.constant(.nan, .float64)) * 2
        try F.assertFusedFunctionAgrees([x], [nanPlus], [[NDArray(special)]])
    }

    func testIntegerArithmeticWrapsAndDividesAsUnfused() throws {
        let a = Tensor.vector("a", .int32), b = Tensor.vector("b", .int32)
        let out = try floorDivide(a * 3 + b, b) % 5 - abs(a)
        let small = Tensor.vector("small", .int8)
        let wrapped = try small * small + 100
        let inputs = [a, b, small]
        let values = [NDArray([7, -8, 0, 2_147_483_647, -3] as [Int32]), NDArray([2, 0, -3, 2, 0] as [Int32]),
                      NDArray([100, -128, 3, 12, 0] as [Int8])]
        let g = try F.fused(inputs, [out, wrapped])
        XCTAssertEqual(F.opKinds(g).sorted(), ["Composite", "Composite"])
        try F.assertSameValues(g, inputs, [out, wrapped], values)
        try F.assertFusedFunctionAgrees(inputs, [out, wrapped], [values])
        // A large int64 constant is not exact as a Double: it stays an input.
        let big = Tensor.constant(NDArray([Int64(1) << 60 + 1]))
        let c = Tensor.vector("c", .int64)
        let shifted = try (c + big) * 2
        let g2 = try F.fused([c], [shifted])
        XCTAssertEqual(try XCTUnwrap(F.nodes(g2, Composite.self).first).0.inputs.count, 2)
        try F.assertSameValues(g2, [c], [shifted], [NDArray([1, -5] as [Int64])])
    }

    func testBoolLogicCastsAndThreeInputOps() throws {
        let x = Tensor.vector("x", .float32), y = Tensor.vector("y", .float32), k = Tensor.vector("k", .int32)
        let mask = try (x .> 0) .& .!(y .< 1) .| (x .== y)
        let mixed = try cast(k, .float32) * x + cast(mask, .float32)
        let chosen = try `where`(mask, x * 2, clip(y, -1, 1)) + mixed
        let doubled = try cast(chosen, .float64) * 0.5
        let inputs = [x, y, k]
        let g = try F.fused(inputs, [doubled, mask])
        XCTAssertEqual(F.opKinds(g), ["Composite"])
        XCTAssertEqual(g.outputs.map(\.type), [doubled, mask].map(\.variable.type))
        XCTAssertEqual(g.outputs.map(\.type.dtype), [.float64, .bool])
        var data = TestData(seed: 21)
        for n in [0, 1, 9] {
            let values = [data.array([n], .float32), data.array([n], .float32), data.array([n], .int32)]
            try F.assertSameValues(g, inputs, [doubled, mask], values)
        }
        let anyOf = try any(mask)
        let count = try sum(cast(mask, .int64))
        try F.assertFusedFunctionAgrees(inputs, [anyOf, count], [[data.array([6], .float32), data.array([6], .float32), data.array([6], .int32)]])
    }

    func testUnsignedAndMixedFloatDtypes() throws {
        let u = Tensor.vector("u", .uint8), x = Tensor.vector("x", .float32), y = Tensor.vector("y", .float64)
        let out = try (u + u) * x + y
        let g = try F.fused([u, x, y], [out])
        XCTAssertEqual(F.opKinds(g), ["Composite"])
        XCTAssertEqual(g.outputs[0].type, out.variable.type)
        try F.assertSameValues(g, [u, x, y], [out], [NDArray([200, 3, 0] as [UInt8]), NDArray([1.5, -2, 0] as [Float]), NDArray([0.25, 1, -1])])
    }

    func testReductionsOverEmptyAndBroadcastInputs() throws {
        let x = Tensor.matrix("x", .float64), row = Tensor.matrix("row", .float64, shape: [1, nil])
        let total = try sum(x * row + 1, axis: 0)
        let largest = try max(x * row, axis: 1)
        var data = TestData(seed: 22)
        try F.assertFusedFunctionAgrees([x, row], [total], [[data.array([0, 3]), data.array([1, 3])], [data.array([4, 1]), data.array([1, 1])]])
        // max over an axis of size 0 fails, fused or not, naming the reduction.
        let fusedMax = try function([x, row], [largest], mode: F.fusionOnly)
        assertThrows(.invalidArgument, containing: ["max", "size 0"]) { try fusedMax(data.array([2, 0]), data.array([1, 0])) }
        // An outer product reduced without materialising it.
        let col = Tensor.matrix("col", .float64, shape: [nil, 1])
        let outer = try sum(col * row)
        let g = try F.fused([col, row], [outer])
        XCTAssertEqual(F.opKinds(g), ["CompositeReduce"])
        try F.assertSameValues(g, [col, row], [outer], [data.array([3, 1]), data.array([1, 4])])
    }

    func testRunTimeShapeMismatchStillThrows() throws {
        let x = Tensor.vector("x", .float64), y = Tensor.vector("y", .float64)
        let f = try function([x, y], [exp(x) * y + 1], mode: F.fusionOnly)
        assertThrows(.shapeMismatch, containing: ["Composite", "axis 0"]) { try f(NDArray([1.0, 2.0]), NDArray([1.0, 2.0, 3.0])) }
    }

    /// Random graphs mixing elementwise nodes with products, reductions and transposes (the
    /// outside nodes that could close a cycle): the fused graph stays acyclic, every node comes
    /// after its inputs' producers, and the values are unchanged.
    func testRandomGraphsStayAcyclicAndComputeTheSameValues() throws {
        var rng = RandomGenerator(seed: 99)
        var data = TestData(seed: 23)
        var fusedAway = 0
        for trial in 0..<40 {
            let x = Tensor.matrix("x", .float64), y = Tensor.matrix("y", .float64)
            let r = Tensor.matrix("r", .float64, shape: [1, nil])
            var square: [Tensor] = [x, y]
            var rows: [Tensor] = [r]
            func pick(_ list: [Tensor]) -> Tensor { list[Int.random(in: 0..<list.count, using: &rng)] }
            for _ in 0..<Int.random(in: 5..<50, using: &rng) {
                switch Int.random(in: 0..<12, using: &rng) {
                case 0, 1: square.append(try tanh(pick(square)))
                case 2: square.append(try exp(-pick(square) * pick(square)))
                case 3, 4: square.append(try pick(square) * pick(square) + 1)
                case 5: square.append(try pick(square) - pick(rows))
                case 6: square.append(try `where`(pick(square) .> 0, pick(square), pick(rows)))
                case 7: square.append(try tanh(matmul(pick(square), pick(square))))
                case 8: rows.append(try sum(pick(square), axis: 0, keepdims: true))
                case 9: rows.append(try sin(pick(rows)) * 0.5)
                case 10: square.append(try transpose(pick(square)) * 2)
                default: square.append(try pick(square) / (pick(square) * pick(square) + 1))
                }
            }
            let outputs = [square[square.count - 1], pick(square), pick(rows), try sum(pick(square) * pick(square))]
            let inputs = [x, y, r]
            let original = try FunctionGraph(inputs: inputs.map(\.variable), outputs: outputs.map(\.variable))
            let g = try F.fused(inputs, outputs)
            let order = g.toposort()
            XCTAssertEqual(order.count, g.nodes.count, "trial \(trial)")
            var seen = Set<ObjectIdentifier>()
            for node in order {
                for input in node.inputs {
                    if let owner = input.owner { XCTAssertTrue(seen.contains(ObjectIdentifier(owner)), "trial \(trial): \(node.op) before its input") }
                }
                seen.insert(ObjectIdentifier(node))
            }
            fusedAway += original.nodes.count - g.nodes.count
            try F.assertSameValues(g, inputs, outputs, [data.array([3, 3]), data.array([3, 3]), data.array([1, 3])])
        }
        XCTAssertGreaterThan(fusedAway, 200)
    }
}
