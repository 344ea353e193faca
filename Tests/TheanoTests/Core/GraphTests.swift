import Theano
import XCTest

final class GraphTests: BackendTestCase {
    func testToposortPutsInputsFirst() throws {
        let x = Tensor.vector("x", .float64)
        let a = try exp(x)
        let b = try a * x
        let c = try b + a
        let order = toposort(outputs: [c.variable])
        XCTAssertEqual(order.count, 3)
        XCTAssertTrue(order[0] === a.variable.owner)
        XCTAssertTrue(order[1] === b.variable.owner)
        XCTAssertTrue(order[2] === c.variable.owner)
    }

    func testDeepChainsNeedNoRecursion() throws {
        let x = Tensor.vector("x", .float64)
        var e = x
        for _ in 0..<10_000 { e = try e + 1 }
        XCTAssertEqual(toposort(outputs: [e.variable]).count, 10_000)
        let graph = try FunctionGraph(inputs: [x.variable], outputs: [e.variable])
        XCTAssertEqual(graph.nodes.count, 10_000)
        XCTAssertEqual(debugPrint([e.variable], depth: 3).split(separator: "\n").count, 9)
        let f = try function([x], [e])
        assertValues(try f(NDArray([0.0]))[0], [10_000])
    }

    func testFunctionGraphClonesAndTracksClients() throws {
        let x = Tensor.vector("x", .float64)
        let y = try exp(x) + x
        let graph = try FunctionGraph(inputs: [x.variable], outputs: [y.variable])
        XCTAssertFalse(graph.inputs[0] === x.variable, "the graph works on a clone")
        XCTAssertEqual(graph.nodes.count, 2)
        let input = graph.inputs[0]
        XCTAssertEqual(graph.clients(of: input).count, 2)
        XCTAssertEqual(graph.clients(of: graph.outputs[0]).map(\.index), [0])
        XCTAssertNil(graph.clients(of: graph.outputs[0])[0].node)
    }

    func testReplaceRewiresClientsAndPrunesDeadNodes() throws {
        let x = Tensor.vector("x", .float64)
        let y = try exp(x) * 2
        let graph = try FunctionGraph(inputs: [x.variable], outputs: [y.variable])
        let input = Tensor(graph.inputs[0])
        guard let mul = graph.outputs[0].owner else { return XCTFail("no owner") }
        let expNode = mul.inputs[0]
        let replacement = try sin(input)
        try graph.replace(expNode, with: replacement.variable, reason: "test")
        XCTAssertEqual(graph.nodes.count, 2)
        XCTAssertEqual(graph.toposort().map { "\($0.op)" }, ["sin", "mul"])
        XCTAssertFalse(graph.contains(expNode))
        // The caller's graph is untouched.
        XCTAssertEqual("\(y.variable.owner?.inputs[0].owner?.op as Any)".contains("exp"), true)
    }

    func testReplaceRefusesATypeChangeNamingTheRewrite() throws {
        let x = Tensor.vector("x", .float64, size: 3)
        let y = try exp(x)
        let graph = try FunctionGraph(inputs: [x.variable], outputs: [y.variable])
        let other = Tensor.vector("z", .float32, size: 3)
        assertThrows(.typeMismatch, containing: ["my-rule", "float64[3]", "float32[3]"]) {
            try graph.replace(graph.outputs[0], with: other.variable, reason: "my-rule")
        }
        let lessKnown = Tensor.vector("w", .float64)
        assertThrows(.typeMismatch, containing: ["my-rule", "float64[?]"]) {
            try graph.replace(graph.outputs[0], with: lessKnown.variable, reason: "my-rule")
        }
    }

    func testReplaceImportingAMissingInputThrows() throws {
        let x = Tensor.vector("x", .float64)
        let graph = try FunctionGraph(inputs: [x.variable], outputs: [try exp(x).variable])
        let stranger = Tensor.vector("stranger", .float64)
        assertThrows(.graph, containing: ["stranger"]) {
            try graph.replace(graph.outputs[0], with: stranger.variable, reason: "r")
        }
    }

    func testDebugPrintShowsSharedSubexpressionsOnce() throws {
        let x = Tensor.vector("x", .float32)
        let s = try x * 2
        let z = try (s + s).named("z")
        let text = debugPrint([z.variable])
        XCTAssertEqual(text, """
        add [id A] 'z'
         ├─ mul [id B]
         │   ├─ x [id C]
         │   └─ 2.0 [id D]
         └─ mul [id B] ···
        """)
        let typed = debugPrint([z.variable], types: true)
        XCTAssertTrue(typed.contains("add [id A] 'z' : float32[?]"), typed)
        XCTAssertTrue(typed.contains("x [id C] : float32[?]"), typed)
    }

    func testGraphsAreFreedWhenNoLongerHeld() throws {
        weak var node: Apply?
        do {
            let x = Tensor.vector("x", .float64)
            let y = try exp(x) + 1
            node = y.variable.owner
            XCTAssertNotNil(node)
        }
        XCTAssertNil(node, "an Apply and its outputs must not form a reference cycle")
    }

    func testVeryLongChainsAreFreedWithoutStackOverflow() throws {
        weak var first: Apply?
        do {
            let x = Tensor.vector("x", .float64)
            var e = try x + 1
            first = e.variable.owner
            for _ in 0..<100_000 { e = try e + 1 }
        }
        XCTAssertNil(first)
    }

    func testOutputsOfANodeKeepIdentity() throws {
        let x = Tensor.vector("x", .float64)
        let y = try exp(x)
        guard let node = y.variable.owner else { return XCTFail("no owner") }
        XCTAssertTrue(node.outputs[0] === y.variable)
        XCTAssertTrue(node.output === y.variable)
    }
}
