import Synchronization
import Theano
import XCTest

/// How many times ``CountingOp`` ran (tests of laziness).
let countingOpRuns = Mutex<[String: Int]>([:])

/// An identity op that counts its runs under its label: proves which branch of an `ifelse`
/// ran. It has no kernel on any backend, so its `perform` is what runs.
struct CountingOp: Op {
    let label: String
    var description: String { "Counting{\(label)}" }

    func makeNode(_ inputs: [Variable]) throws -> Apply {
        Apply(op: self, inputs: inputs, outputTypes: [inputs[0].type])
    }

    func perform(_ node: Apply, _ inputs: [NDArray]) throws -> [NDArray] {
        countingOpRuns.withLock { $0[label, default: 0] += 1 }
        return [inputs[0].copy()]
    }

    func inferShape(_ node: Apply, _ inputShapes: [[Variable]]) throws -> [[Variable]] { [inputShapes[0]] }

    static func runs(_ label: String) -> Int { countingOpRuns.withLock { $0[label, default: 0] } }
}

final class IfElseTests: BackendTestCase {
    func testChoosesBranchByCondition() throws {
        let x = Tensor.vector("x", .float64)
        let y = try ifelse(x.sum() .> 0, x * 2, x - 1)
        let f = try function([x], [y])
        assertValues(try f.call([NDArray([1.0, 2.0])])[0], [2, 4])
        assertValues(try f.call([NDArray([-1.0, -2.0])])[0], [-2, -3])
        if backendName == "cpu" {
            XCTAssertEqual(f.kernelReport.count("nested program"), 1, "\(f.kernelReport)")
        }
    }

    func testUntakenBranchIsNotEvaluated() throws {
        // The else branch raises at run time (an integer to a negative power; an index out of
        // range): the call succeeds as long as the condition picks the other branch.
        let c = Tensor.scalar("c", .int64), n = Tensor.scalar("n", .int64), e = Tensor.scalar("e", .int64)
        let y = try ifelse(c, n + 1, pow(n, e))
        let f = try function([c, n, e], [y])
        XCTAssertEqual(try f.call([NDArray(scalar: Int64(1)), NDArray(scalar: Int64(3)), NDArray(scalar: Int64(-1))])[0].item(Int64.self), 4)
        assertThrows(.invalidArgument, containing: ["negative"]) {
            try f.call([NDArray(scalar: Int64(0)), NDArray(scalar: Int64(3)), NDArray(scalar: Int64(-1))])
        }

        let v = Tensor.vector("v", .float64), i = Tensor.scalar("i", .int64)
        let z = try ifelse(i .< 3, v[i], v[0] - 1)
        let g = try function([v, i], [z])
        XCTAssertEqual(try g.call([NDArray([5.0, 6.0, 7.0]), NDArray(scalar: Int64(2))])[0].item(Double.self), 7)
        XCTAssertEqual(try g.call([NDArray([5.0, 6.0, 7.0]), NDArray(scalar: Int64(10))])[0].item(Double.self), 4)
        let eager = try function([v, i], [`switch`(i .< 3, v[i], v[0] - 1)])
        assertThrows { try eager.call([NDArray([5.0, 6.0, 7.0]), NDArray(scalar: Int64(10))]) }
    }

    func testCountsOnlyTheTakenBranch() throws {
        let tag = "\(backendName)-\(UUID().uuidString)"
        let x = Tensor.vector("x", .float64), c = Tensor.scalar("c", .bool)
        let a = try CountingOp(label: tag + "-then").apply([x * 2])
        let b = try CountingOp(label: tag + "-else").apply([x + 1])
        let f = try function([c, x], [ifelse(c, a, b)])
        assertValues(try f.call([NDArray(scalar: true), NDArray([1.0, 2.0])])[0], [2, 4])
        XCTAssertGreaterThan(CountingOp.runs(tag + "-then"), 0)
        XCTAssertEqual(CountingOp.runs(tag + "-else"), 0)
        let thenRuns = CountingOp.runs(tag + "-then")
        assertValues(try f.call([NDArray(scalar: false), NDArray([1.0, 2.0])])[0], [2, 3])
        XCTAssertEqual(CountingOp.runs(tag + "-then"), thenRuns)
        XCTAssertGreaterThan(CountingOp.runs(tag + "-else"), 0)
    }

    func testSeveralOutputs() throws {
        let a = Tensor.vector("a", .float32), b = Tensor.scalar("b", .float32), c = Tensor.scalar("c", .int32)
        let outs = try ifelse(c .> 0, [a * b, b + 1], [a - b, b * 2])
        XCTAssertEqual(outs.count, 2)
        let f = try function([c, a, b], outs)
        let r1 = try f.call([NDArray(scalar: Int32(1)), NDArray([Float(1), 2]), NDArray(scalar: Float(3))])
        assertValues(r1[0], [3, 6])
        assertValues(r1[1], [4])
        let r0 = try f.call([NDArray(scalar: Int32(0)), NDArray([Float(1), 2]), NDArray(scalar: Float(3))])
        assertValues(r0[0], [-2, -1])
        assertValues(r0[1], [6])
        XCTAssertEqual(r0[0].dtype, .float32)
    }

    func testBranchReturningAnInputAndLiteral() throws {
        let x = Tensor.vector("x", .float32), c = Tensor.scalar("c", .bool)
        let y = try ifelse(c, x, fullLike(x, 0.5))
        let f = try function([c, x], [y])
        let input = NDArray([Float(1), 2])
        let r = try f.call([NDArray(scalar: true), input])[0]
        assertValues(r, [1, 2])
        XCTAssertFalse(r.sharesStorage(with: input))
        assertValues(try f.call([NDArray(scalar: false), input])[0], [0.5, 0.5])
        // A Swift literal takes the other branch's dtype.
        let z = try ifelse(c, x.sum(), 0)
        XCTAssertEqual(z.dtype, .float32)
    }

    func testBuildTimeErrors() throws {
        let x = Tensor.vector("x", .float32), d = Tensor.vector("d", .float64), m = Tensor.matrix("m", .float32)
        let c = Tensor.scalar("c", .bool)
        assertThrows(.typeMismatch, containing: ["output 1", "float32[?]", "float64[?]", "then", "else"]) {
            try ifelse(c, [x, x], [x, d])
        }
        assertThrows(.typeMismatch, containing: ["output 0", "float32[?, ?]"]) { try ifelse(c, x, m) }
        assertThrows(.invalidArgument, containing: ["2 outputs", "1"]) { try ifelse(c, [x, x], [x]) }
        assertThrows(.invalidArgument, containing: ["condition", "scalar"]) { try ifelse(x, x, x) }
    }

    func testStaticShapesAndInferShape() throws {
        let x = Tensor.variable("x", .float64, shape: [3, nil]), c = Tensor.scalar("c", .bool)
        let same = try ifelse(c, x * 2, exp(x))
        XCTAssertEqual(same.staticShape, [3, nil])
        let values = [NDArray(scalar: false), try NDArray([1.0, 2, 3, 4, 5, 6], shape: [3, 2])]
        try checkInferShape(same, [c, x], values)
        // Both branches' sizes agree: the inferred size is the input's, not the output's.
        let node = try XCTUnwrap(same.variable.owner)
        let shapes = try node.op.inferShape(node, node.inputs.map { v in (0..<v.type.rank).map { try! ShapeIndex($0).makeNode([v]).output } })
        XCTAssertFalse(toposort(outputs: [shapes[0][1]]).contains { $0 === node })
        // Different sizes: the output's own size.
        let differ = try ifelse(c, x, x[.all, 1...])
        XCTAssertEqual(differ.staticShape, [3, nil])
        try checkInferShape(differ, [c, x], values)
        try checkInferShape(differ, [c, x], [NDArray(scalar: true), values[1]])
    }

    func testGradient() throws {
        // Each branch at a point well inside its region (finite differences do not cross).
        let f: ([Tensor]) throws -> Tensor = { v in
            try ifelse(v[0].sum() .> 0, v[0] * v[1] + exp(v[1]), sin(v[0]) * 3 - v[1] * v[1])
        }
        try verifyGrad(f, at: [NDArray([1.0, 2.0]), NDArray([0.5, -0.25])])
        try verifyGrad(f, at: [NDArray([-1.0, -2.0]), NDArray([0.5, -0.25])])
        // Compiled on this backend: the gradient of the chosen branch only.
        let x = Tensor.vector("x", .float64), y = Tensor.vector("y", .float64)
        let out = try ifelse(x.sum() .> 0, [x * y, y], [x * 2, x])
        let cost = try out[0].sum() + out[1].sum() * 3
        let g = try grad(cost, wrt: [x, y])
        let gf = try function([x, y], g)
        let pos = try gf.call([NDArray([1.0, 2.0]), NDArray([3.0, 4.0])])
        assertValues(pos[0], [3, 4])
        assertValues(pos[1], [4, 5])
        let neg = try gf.call([NDArray([-1.0, -2.0]), NDArray([3.0, 4.0])])
        assertValues(neg[0], [5, 5])
        assertValues(neg[1], [0, 0])
        // The condition gets no gradient; the gradient is itself lazy.
        let node = try XCTUnwrap(out[0].variable.owner)
        let pulled = try node.op.pullback(node, [Tensor.vector("g", .float64).variable, nil])
        XCTAssertNil(pulled[0])
        XCTAssertTrue(pulled.dropFirst().allSatisfy { $0?.owner?.op is IfElse })
    }

    func testRewrites() throws {
        let x = Tensor.vector("x", .float64), c = Tensor.scalar("c", .bool)
        // Constant condition: the chosen branch, no IfElse left.
        let constant = try function([x], [ifelse(Tensor.constant(NDArray(scalar: true)), exp(x), log(x))])
        XCTAssertEqual(constant.graph.count(IfElse.self), 0, "\(constant.graph)")
        assertValues(try constant.call([NDArray([0.0, 1.0])])[0], [1, M_E])
        // Identical branches: computed unconditionally.
        let same = try function([c, x], [ifelse(c, x * 2 + 1, x * 2 + 1)])
        XCTAssertEqual(same.graph.count(IfElse.self), 0, "\(same.graph)")
        assertValues(try same.call([NDArray(scalar: false), NDArray([1.0, 2.0])])[0], [3, 5])
        // One output of two identical: the node stays for the other.
        let outs = try ifelse(c, [x * 2, exp(x)], [x * 2, log(x)])
        let partly = try function([c, x], outs)
        XCTAssertEqual(partly.graph.count(IfElse.self), 1, "\(partly.graph)")
        let r = try partly.call([NDArray(scalar: false), NDArray([1.0, 2.0])])
        assertValues(r[0], [2, 4])
        assertValues(r[1], [0, Foundation.log(2.0)])
        // Different branches stay.
        let differ = try function([c, x], [ifelse(c, exp(x), log(x))])
        XCTAssertEqual(differ.graph.count(IfElse.self), 1)
    }

    func testCommonWorkIsLiftedOutOfTheBranches() throws {
        let x = Tensor.vector("x", .float64), c = Tensor.scalar("c", .bool)
        let y = try ifelse(c, exp(x) * 2, exp(x) + 1)
        let f = try function([c, x], [y])
        let op = try XCTUnwrap(f.graph.nodes(of: IfElse.self).first?.op as? IfElse, "\(f.graph)")
        for inner in op.innerGraphs {
            let nodes = toposort(outputs: inner.outputs, stoppingAt: Set(inner.inputs))
            XCTAssertFalse(nodes.contains { "\($0.op)".contains("exp") }, debugPrint(inner.outputs))
        }
        assertValues(try f.call([NDArray(scalar: true), NDArray([0.0, 1.0])])[0], [2, 2 * M_E])
        assertValues(try f.call([NDArray(scalar: false), NDArray([0.0, 1.0])])[0], [2, M_E + 1])
        // Work only one branch does stays inside it.
        let z = try function([c, x], [ifelse(c, exp(x) * 2, log(x) + 1)])
        let kept = try XCTUnwrap(z.graph.nodes(of: IfElse.self).first?.op as? IfElse)
        let thenNodes = toposort(outputs: kept.innerGraphs[0].outputs, stoppingAt: Set(kept.innerGraphs[0].inputs))
        XCTAssertTrue(thenNodes.contains { "\($0.op)".contains("exp") }, debugPrint(kept.innerGraphs[0].outputs))
    }

    func testWorkDoneOutsideIsNotRepeatedInABranch() throws {
        let x = Tensor.vector("x", .float64), c = Tensor.scalar("c", .bool)
        let h = try exp(x) * 3
        let y = try ifelse(c, h + 1, log(x))
        let f = try function([c, x], [y, h])
        let op = try XCTUnwrap(f.graph.nodes(of: IfElse.self).first?.op as? IfElse, "\(f.graph)")
        let thenGraph = op.innerGraphs[0]
        let nodes = toposort(outputs: thenGraph.outputs, stoppingAt: Set(thenGraph.inputs))
        XCTAssertFalse(nodes.contains { "\($0.op)".contains("exp") }, debugPrint(thenGraph.outputs))
        let r = try f.call([NDArray(scalar: true), NDArray([0.0, 1.0])])
        assertValues(r[0], [4, 3 * M_E + 1])
        assertValues(r[1], [3, 3 * M_E])
        assertValues(try f.call([NDArray(scalar: false), NDArray([1.0, 2.0])])[0], [0, Foundation.log(2.0)])
        // Alone, the branch keeps its work.
        let alone = try function([c, x], [ifelse(c, exp(x) * 3 + 1, log(x))])
        let kept = try XCTUnwrap(alone.graph.nodes(of: IfElse.self).first?.op as? IfElse)
        let keptNodes = toposort(outputs: kept.innerGraphs[0].outputs, stoppingAt: Set(kept.innerGraphs[0].inputs))
        XCTAssertTrue(keptNodes.contains { "\($0.op)".contains("exp") })
    }

    func testConditionWorkIsSharedAndSharedVariablesAreCaptured() throws {
        let w = shared(NDArray([2.0, 3.0]), name: "w")
        let x = Tensor.vector("x", .float64)
        let s = try x.sum()
        let y = try ifelse(s .> 0, w * s, w - s)
        let node = try XCTUnwrap(y.variable.owner)
        // The condition's `s` is an input of the node (computed once, outside), as is `w`.
        XCTAssertTrue(node.inputs.contains(s.variable))
        XCTAssertTrue(node.inputs.contains(w.variable))
        let f = try function([x], [y])
        assertValues(try f.call([NDArray([1.0, 1.0])])[0], [4, 6])
        try w.setValue(NDArray([1.0, 1.0]))
        assertValues(try f.call([NDArray([-1.0, -1.0])])[0], [3, 3])
        let gw = try grad(y.sum(), wrt: w)
        assertValues(try function([x], [gw]).call([NDArray([1.0, 1.0])])[0], [2, 2])
    }
}
