import Theano
import XCTest

/// Static result types (dtype and shape), op parameters and shape inference of the reductions.
final class ReduceTypeAndShapeTests: BackendTestCase {
    /// The result dtype of every reduction for every input dtype (NumPy's rules; uint8 sums are
    /// int64 here, NumPy gives uint64; logsumexp of integers is float64, as scipy's).
    func testResultDTypes() throws {
        for dtype in DType.allCases {
            let x = Tensor.vector("x", dtype)
            let float = dtype.isFloatingPoint ? dtype : .float64
            let accumulated = dtype.isFloatingPoint ? dtype : .int64
            XCTAssertEqual(try sum(x).dtype, accumulated, "sum \(dtype)")
            XCTAssertEqual(try prod(x).dtype, accumulated, "prod \(dtype)")
            XCTAssertEqual(try max(x).dtype, dtype, "max \(dtype)")
            XCTAssertEqual(try min(x).dtype, dtype, "min \(dtype)")
            XCTAssertEqual(try mean(x).dtype, float, "mean \(dtype)")
            XCTAssertEqual(try `var`(x).dtype, float, "var \(dtype)")
            XCTAssertEqual(try std(x, ddof: 1).dtype, float, "std \(dtype)")
            XCTAssertEqual(try logsumexp(x).dtype, float, "logsumexp \(dtype)")
            XCTAssertEqual(try all(x).dtype, .bool, "all \(dtype)")
            XCTAssertEqual(try any(x).dtype, .bool, "any \(dtype)")
            XCTAssertEqual(try argmax(x).dtype, .int64, "argmax \(dtype)")
            XCTAssertEqual(try argmin(x).dtype, .int64, "argmin \(dtype)")
        }
    }

    func testStaticShapes() throws {
        let x = Tensor.variable("x", .float32, shape: [2, nil, 4])
        XCTAssertEqual(try sum(x).staticShape, [])
        XCTAssertEqual(try sum(x, keepdims: true).staticShape, [1, 1, 1])
        XCTAssertEqual(try sum(x, axis: 0).staticShape, [nil, 4])
        XCTAssertEqual(try sum(x, axis: -1, keepdims: true).staticShape, [2, nil, 1])
        XCTAssertEqual(try x.max(axes: [2, 0]).staticShape, [nil])
        XCTAssertEqual(try x.max(axes: [-1, 0], keepdims: true).staticShape, [1, nil, 1])
        XCTAssertEqual(try x.sum(axes: []).staticShape, [2, nil, 4])
        XCTAssertEqual(try mean(x, axis: 1).staticShape, [2, 4])
        XCTAssertEqual(try `var`(x, axes: [0, 1], keepdims: true).staticShape, [1, 1, 4])
        XCTAssertEqual(try x.std(axis: 2).staticShape, [2, nil])
        XCTAssertEqual(try logsumexp(x, axis: 1).staticShape, [2, 4])
        XCTAssertEqual(try logsumexp(x, axes: [0, 2], keepdims: true).staticShape, [1, nil, 1])
        XCTAssertEqual(try argmax(x).staticShape, [])
        XCTAssertEqual(try argmax(x, keepdims: true).staticShape, [1, 1, 1])
        XCTAssertEqual(try x.argmin(axis: 1).staticShape, [2, 4])
        XCTAssertEqual(try x.argmin(axis: -3, keepdims: true).staticShape, [1, nil, 4])
    }

    func testOpParametersAreNormalised() throws {
        XCTAssertEqual(Reduce(.sum, axes: [2, 0]), Reduce(.sum, axes: [0, 2]))
        XCTAssertNotEqual(Reduce(.sum, axes: [0]), Reduce(.sum, axes: [0], keepdims: true))
        XCTAssertNotEqual(Reduce(.sum, axes: [0]), Reduce(.prod, axes: [0]))
        let x = Tensor.matrix("x")
        // Negative axes become positive before the op is built, so equal reductions merge.
        let a = try sum(x, axis: -1).variable.owner?.op as? Reduce
        let b = try sum(x, axes: [1]).variable.owner?.op as? Reduce
        XCTAssertEqual(a, b)
        XCTAssertEqual(a?.axes, [1])
        XCTAssertEqual(try (argmax(x, axis: -2).variable.owner?.op as? ArgReduce)?.axis, 0)
    }

    func testExpressionText() throws {
        let x = Tensor.matrix("x")
        XCTAssertEqual(try sum(x, axis: 1).description, "sum{axes=[1]}(x)")
        XCTAssertEqual(try max(x, keepdims: true).description, "max{axes=[0, 1], keepdims}(x)")
        XCTAssertEqual(try argmin(x).description, "argmin{axis=nil}(x)")
        XCTAssertEqual(try argmax(x, axis: 1, keepdims: true).description, "argmax{axis=1, keepdims}(x)")
    }

    /// inferShape agrees with the computed shape for every reduction node, over shapes with
    /// sizes 0 and 1, for every axis choice.
    func testInferShape() throws {
        var data = TestData(seed: 3)
        let shapes: [[Int]] = [[], [5], [1], [0], [2, 3], [3, 1], [0, 4], [2, 3, 4], [2, 1, 0]]
        for shape in shapes {
            let x = Tensor.variable("x", .float64, shape: shape.map { _ in nil })
            let value = data.array(shape)
            var axisChoices: [[Int]?] = [nil, []]
            axisChoices += (0..<shape.count).map { [$0] }
            if shape.count >= 2 { axisChoices += [[0, shape.count - 1], [-1, -2]] }
            for axes in axisChoices {
                for keepdims in [false, true] {
                    let nonEmpty = (axes ?? Array(0..<shape.count)).allSatisfy { shape[($0 + shape.count) % shape.count] > 0 }
                    let ax = axes ?? Array(0..<shape.count)
                    try checkInferShape(try sum(x, axes: ax, keepdims: keepdims), [x], [value])
                    try checkInferShape(try all(x, axes: ax, keepdims: keepdims), [x], [value])
                    try checkInferShape(try mean(x, axes: ax, keepdims: keepdims), [x], [value])
                    try checkInferShape(try `var`(x, axes: ax, keepdims: keepdims), [x], [value])
                    if nonEmpty {
                        try checkInferShape(try max(x, axes: ax, keepdims: keepdims), [x], [value])
                        try checkInferShape(try logsumexp(x, axes: ax, keepdims: keepdims), [x], [value])
                    }
                    if let axes, axes.count == 1, nonEmpty {
                        try checkInferShape(try argmax(x, axis: axes[0], keepdims: keepdims), [x], [value])
                    }
                    if axes == nil, value.count > 0 {
                        try checkInferShape(try argmin(x, keepdims: keepdims), [x], [value])
                    }
                }
            }
        }
    }
}
