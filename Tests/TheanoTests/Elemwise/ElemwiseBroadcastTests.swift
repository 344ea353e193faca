import Theano
import XCTest

/// Broadcasting and layouts: a seeded property test against a direct loop, rank-0 and size-0
/// inputs, non-contiguous views, and symbolic shape inference for every op.
final class ElemwiseBroadcastTests: BackendTestCase {
    /// One input of a broadcasting case: its static shape, and the run-time shape of its value.
    private struct Operand {
        var staticShape: [Int?]
        var shape: [Int]
    }

    /// The NumPy broadcast of run-time shapes (aligned at the last axis).
    private func broadcastShape(_ shapes: [[Int]]) -> [Int] {
        let rank = shapes.map(\.count).max() ?? 0
        return (0..<rank).map { axis in
            let sizes = shapes.compactMap { s in axis >= rank - s.count ? s[axis - (rank - s.count)] : nil }
            return sizes.first { $0 != 1 } ?? 1
        }
    }

    /// The value of `op` at one output index, computed directly from the inputs.
    private func direct(_ op: String, _ x: [Double]) -> Double {
        switch op {
        case "add": return x[0] + x[1]
        case "sub": return x[0] - x[1]
        case "mul": return x[0] * x[1]
        case "maximum": return Swift.max(x[0], x[1])
        case "where": return x[0] != 0 ? x[1] : x[2]
        default: return Swift.min(Swift.max(x[0], x[1]), x[2])  // clip
        }
    }

    func testBroadcastingPropertyAgainstADirectLoop() throws {
        var rng = ElemwiseRandom(seed: 2024)
        var data = TestData(seed: 2024)
        for case_ in 0..<300 {
            let rank = rng.next(below: 5)
            let full = (0..<rank).map { _ in rng.next(below: 4) }
            let op = ["add", "sub", "mul", "maximum", "where", "clip"][rng.next(below: 6)]
            let arity = op == "where" || op == "clip" ? 3 : 2
            let dtype: DType = rng.chance(0.5) ? .float64 : .int32
            // Each input drops some leading axes and makes random axes broadcast (static size 1);
            // the others have the full size, known statically or not.
            let operands: [Operand] = (0..<arity).map { _ in
                let r = rank - rng.next(below: rank + 1)
                var op = Operand(staticShape: [], shape: [])
                for axis in (rank - r)..<rank {
                    if rng.chance(0.3) {
                        op.staticShape.append(1)
                        op.shape.append(1)
                    } else {
                        op.staticShape.append(rng.chance(0.5) ? full[axis] : nil)
                        op.shape.append(full[axis])
                    }
                }
                return op
            }
            let inputs = operands.enumerated().map { i, o in
                Tensor.variable("x\(i)", op == "where" && i == 0 ? .bool : dtype, shape: o.staticShape)
            }
            let values = try zip(inputs, operands).map { x, o in
                rng.chance(0.3) ? try data.nonContiguous(o.shape, x.dtype) : data.array(o.shape, x.dtype)
            }
            let context = "case \(case_): \(op) of \(operands.map { formatShape($0.shape) })"
            let output = try ElemwiseFixture.apply(op, inputs)
            // The static shape: a known size wins, all-broadcast gives 1, otherwise unknown.
            let outRank = operands.map(\.shape.count).max() ?? 0
            let expectedStatic: [Int?] = (0..<outRank).map { axis in
                // The static sizes of the inputs that have this axis.
                let sizes: [Int?] = operands.filter { axis >= outRank - $0.shape.count }.map {
                    $0.staticShape[axis - (outRank - $0.shape.count)]
                }
                if let known = sizes.compactMap({ $0 }).first(where: { $0 != 1 }) { return known }
                return sizes.contains { $0 == nil } ? nil : 1
            }
            XCTAssertEqual(output.staticShape, expectedStatic, context)
            let result = try function(inputs, [output]).call(values)[0]
            let shape = broadcastShape(operands.map(\.shape))
            XCTAssertEqual(result.shape, shape, context)
            XCTAssertEqual(result.dtype, dtype, context)
            guard result.shape == shape else { continue }
            // A direct loop over output indices.
            var expected: [Double] = []
            var index = Array(repeating: 0, count: shape.count)
            for _ in 0..<shape.reduce(1, *) {
                let args = try values.map { v -> Double in
                    let lead = shape.count - v.rank
                    return try v.element((0..<v.rank).map { v.shape[$0] == 1 ? 0 : index[$0 + lead] }, as: Double.self)
                }
                expected.append(direct(op, args))
                for axis in stride(from: shape.count - 1, through: 0, by: -1) {
                    index[axis] += 1
                    if index[axis] < shape[axis] { break }
                    index[axis] = 0
                }
            }
            XCTAssertEqual(result.doubles, expected, context)
            if case_ % 10 == 0 { try checkInferShape(output, inputs, values) }
        }
    }

    func testRankZeroScalarsWithVectors() throws {
        let s = Tensor.scalar("s", .float32), v = Tensor.vector("v", .float32), c = Tensor.scalar("c", .bool)
        let sum = try s + v, choice = try `where`(c, v, s), both = try s * s
        XCTAssertEqual(sum.staticShape, [nil])
        XCTAssertEqual(choice.staticShape, [nil])
        XCTAssertEqual(both.staticShape, [])
        let f = try function([s, v, c], [sum, choice, both, `where`(c, s, 1)])
        let r = try f(NDArray(scalar: Float(2)), NDArray([1, -1, 3] as [Float]), NDArray(scalar: false))
        XCTAssertEqual(r[0], NDArray([3, 1, 5] as [Float]))
        XCTAssertEqual(r[1], NDArray([2, 2, 2] as [Float]))
        XCTAssertEqual(r[2], NDArray(scalar: Float(4)))
        XCTAssertEqual(r[3], NDArray(scalar: Float(1)))
        try checkInferShape(sum, [s, v], [NDArray(scalar: Float(2)), NDArray([1, -1, 3] as [Float])])
    }

    func testSizeZeroInputs() throws {
        let v = Tensor.vector("v"), m = Tensor.matrix("m"), row = Tensor.matrix("row", shape: [1, nil]), col = Tensor.matrix("col", shape: [nil, 1])
        let f = try function([v, m, row, col], [v * 2, exp(v), m + row, m - col, `where`(m .> 0, m, col)])
        let r = try f(NDArray(zeros: [0], dtype: .float32), NDArray(zeros: [0, 3], dtype: .float32),
                      NDArray(zeros: [1, 3], dtype: .float32), NDArray(zeros: [0, 1], dtype: .float32))
        XCTAssertEqual(r.map(\.shape), [[0], [0], [0, 3], [0, 3], [0, 3]])
        let g = try function([m, col], [m * col, m .< col])
        let s = try g(NDArray(zeros: [2, 0], dtype: .float32), NDArray(zeros: [2, 1], dtype: .float32))
        XCTAssertEqual(s.map(\.shape), [[2, 0], [2, 0]])
        XCTAssertEqual(s[1].dtype, .bool)
        try checkInferShape(m + row, [m, row], [NDArray(zeros: [0, 3], dtype: .float32), NDArray(zeros: [1, 3], dtype: .float32)])
    }

    func testSizeOneInputsBroadcastBothWays() throws {
        let col = Tensor.matrix("col", .float64, shape: [nil, 1]), row = Tensor.matrix("row", .float64, shape: [1, nil])
        let y = try col * 10 + row
        XCTAssertEqual(y.staticShape, [nil, nil])
        let r = try function([col, row], [y])(try NDArray([[1.0], [2.0]]), try NDArray([[0.5, 0.25, 0]]))
        XCTAssertEqual(r[0], try NDArray([[10.5, 10.25, 10], [20.5, 20.25, 20]]))
        let one = Tensor.matrix("one", .float64, shape: [1, 1])
        let z = try one + col
        XCTAssertEqual(z.staticShape, [nil, 1])
        XCTAssertEqual(try function([one, col], [z])(try NDArray([[1.0]]), try NDArray([[1.0], [2.0]]))[0], try NDArray([[2.0], [3.0]]))
    }

    func testNonContiguousInputsGiveTheSameValuesForEveryOp() throws {
        var data = TestData(seed: 5)
        /// A C-contiguous copy of `x` with the same dtype.
        func contiguous(_ x: NDArray) throws -> NDArray { try NDArray(x.doubles, shape: x.shape).astype(x.dtype) }
        let ops = ElemwiseFixture.unaryOps + ElemwiseFixture.binaryOps + ElemwiseFixture.ternaryOps
        for op in ops {
            let arity = ElemwiseFixture.unaryOps.contains(op) ? 1 : ElemwiseFixture.binaryOps.contains(op) ? 2 : 3
            let dtypes: [DType] = op == "where" ? [.bool, .float64, .float64] : Array(repeating: .float64, count: arity)
            let inputs = dtypes.enumerated().map { Tensor.matrix("x\($0.offset)", $0.element) }
            let output = try ElemwiseFixture.apply(op, inputs, castTo: .int16)
            // A strided slice, and a transposed copy transposed back.
            let strided = try dtypes.map { try data.nonContiguous([3, 4], $0, low: -2, high: 4) }
            let transposed = try dtypes.map { try data.array([4, 3], $0, low: -2, high: 4).transposed() }
            XCTAssertFalse(strided[0].isContiguous || transposed[0].isContiguous)
            let f = try function(inputs, [output])
            for values in [strided, transposed] {
                let expected = try f.call(values.map(contiguous))[0]
                // Contiguous inputs run vectorised math (libmvec), strided ones scalar libm: a few ulps apart.
                assertClose(try f.call(values)[0], expected, rtol: 1e-14, atol: 1e-14, "\(op)")
            }
        }
    }

    func testInferShapeForEveryOp() throws {
        var data = TestData(seed: 9)
        for op in ElemwiseFixture.unaryOps {
            let x = Tensor.matrix("x", .float64, shape: [nil, 3])
            try checkInferShape(ElemwiseFixture.apply(op, [x], castTo: .int8), [x], [data.array([2, 3])])
        }
        for op in ElemwiseFixture.binaryOps {
            let a = Tensor.matrix("a", .float64, shape: [nil, 1]), b = Tensor.matrix("b", .float64, shape: [1, nil])
            try checkInferShape(ElemwiseFixture.apply(op, [a, b]), [a, b], [data.array([2, 1]), data.array([1, 4])])
            let v = Tensor.vector("v", .float64), s = Tensor.scalar("s", .float64)
            try checkInferShape(ElemwiseFixture.apply(op, [s, v]), [s, v], [data.array([]), data.array([0])])
        }
        for op in ElemwiseFixture.ternaryOps {
            let c = Tensor.matrix("c", op == "where" ? .bool : .float64, shape: [nil, 1])
            let a = Tensor.vector("a", .float64), b = Tensor.scalar("b", .float64)
            try checkInferShape(ElemwiseFixture.apply(op, [c, a, b]), [c, a, b],
                                [data.array([3, 1], c.dtype), data.array([2]), data.array([])])
        }
    }
}
