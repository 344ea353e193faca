import Theano
import XCTest

final class SpecifyShapeTests: BackendTestCase {
    func testRefinesTheStaticTypeAndChecksAtRunTime() throws {
        let x = Tensor.matrix("x", .float64)
        let y = try specifyShape(x, [nil, 3])
        XCTAssertEqual(y.type, TensorType(.float64, shape: [nil, 3]))
        XCTAssertEqual(try y.shape(1).constantValue?.item(Int.self), 3)
        XCTAssertEqual(try x.specifyShape([2, nil]).staticShape, [2, nil])
        let f = try function([x], [y * 2])
        assertValues(try f([[1, 2, 3], [4, 5, 6]])[0], [2, 4, 6, 8, 10, 12])
        assertThrows(.shapeMismatch, containing: ["specifyShape", "x (float64[?, ?])", "[2, 4]", "[nil, 3]", "axis 1 must have size 3"]) {
            try f([[1, 2, 3, 4], [5, 6, 7, 8]])
        }
        try checkInferShape(y, [x], [NDArray([[1.0, 2.0, 3.0]])])
    }

    func testBuildErrors() throws {
        let x = Tensor.matrix("x", .float64, shape: [nil, 4])
        assertThrows(.shapeMismatch, containing: ["3 entries", "rank 2"]) { try specifyShape(x, [nil, 4, 1]) }
        assertThrows(.shapeMismatch, containing: ["axis 1", "static size 4", "[nil, 3]"]) { try specifyShape(x, [nil, 3]) }
        assertThrows(.invalidArgument, containing: ["negative size at axis 0"]) { try specifyShape(x, [-1, nil]) }
    }

    func testStaticSizesReachLaterNodes() throws {
        let x = Tensor.vector("x", .float64)
        let y = Tensor.vector("y", .float64, size: 3)
        // x has unknown size: x + y needs equal sizes at run time; after specifyShape the
        // sum has a static size.
        let z = try specifyShape(x, [3]) + y
        XCTAssertEqual(z.staticShape, [3])
        let f = try function([x, y], [z, x.shape(0)])
        XCTAssertEqual(try f([1, 2, 3], [1, 1, 1])[1].item(Int.self), 3)
        assertThrows(.shapeMismatch, containing: ["specifyShape"]) { try f([1, 2], [1, 1, 1]) }
    }

    func testRedundantChecksAreRemoved() throws {
        let x = Tensor.matrix("x", .float64, shape: [2, 3])
        let f = try function([x], [try specifyShape(x, [2, nil]) * 2], mode: .fastRun)
        XCTAssertEqual(f.graph.count(SpecifyShape.self), 0, "\(f.graph)")
        let trace = RewriteTrace()
        _ = try function([x], [try specifyShape(x, [2, 3])], mode: .fastRun, trace: trace)
        XCTAssertTrue(trace.entries.contains { $0.rewrite == "useless_specify_shape" })
        // Two in a row become one, and an unknown size stays checked.
        let v = Tensor.matrix("v", .float64)
        let g = try function([v], [try specifyShape(specifyShape(v, [nil, 2]), [3, nil]) + 1], mode: .fastRun)
        XCTAssertEqual(g.graph.count(SpecifyShape.self), 1, "\(g.graph)")
        XCTAssertEqual(g.graph.nodes(of: SpecifyShape.self).first?.outputTypes, [TensorType(.float64, shape: [3, 2])])
        assertThrows(.shapeMismatch) { try g([[1, 2, 3]]) }
        let unopt = try function([v], [try specifyShape(v, [nil, 2])], mode: Mode.fastRun.excluding("useless_specify_shape"))
        XCTAssertEqual(unopt.graph.count("SpecifyShape"), 1)
    }

    func testGradientPassesThrough() throws {
        try verifyGrad({ try (specifyShape($0[0], [nil, 2]) * $0[0]).sum() }, at: [NDArray([[1.0, 2.0], [3.0, 4.0]])])
        let x = Tensor.matrix("x", .float64)
        let g = try grad(try specifyShape(x, [2, 2]).sum(), wrt: x)
        assertValues(try function([x], [g])([[1, 2], [3, 4]])[0], [1, 1, 1, 1])
    }
}
