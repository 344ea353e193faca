import Theano
import XCTest

/// Merge (common-subexpression elimination) on graphs where twins only appear once their
/// inputs have been merged.
final class MergeTests: BackendTestCase {
    func ops(_ g: FunctionGraph) -> [String] { g.toposort().map { "\($0.op)" } }

    func testDeepTwinChainsMergeCompletely() throws {
        let x = Tensor.vector("x", .float64), y = Tensor.vector("y", .float64)
        func chain() throws -> Tensor { try tanh(exp(-x) * y + 1) }
        let (a, b) = (try chain(), try chain())
        let g = try FunctionGraph(inputs: [x.variable, y.variable], outputs: [(try a * b).variable])
        XCTAssertEqual(g.nodes.count, 11)
        try mergePass.run(g, RewriteContext())
        XCTAssertEqual(ops(g), ["neg", "exp", "mul", "add", "tanh", "mul"])
        let product = g.outputs[0].owner
        XCTAssertTrue(product?.inputs[0] === product?.inputs[1])
    }

    func testTwinsWhoseFirstInputIsMergedLate() throws {
        // The twins read exp(x) first; each exp(x) has one reader until the exps merge.
        let x = Tensor.vector("x", .float64)
        let twins = [try exp(x) * x, try exp(x) * x]
        let g = try FunctionGraph(inputs: [x.variable], outputs: twins.map(\.variable))
        try mergePass.run(g, RewriteContext())
        XCTAssertEqual(ops(g), ["exp", "mul"])
        XCTAssertTrue(g.outputs[0] === g.outputs[1])
    }

    func testDifferentOpsOnTheSameInputsStayApart() throws {
        let x = Tensor.vector("x", .float64)
        let g = try FunctionGraph(inputs: [x.variable], outputs: [(try exp(x) + tanh(x) + exp(x)).variable])
        try mergePass.run(g, RewriteContext())
        XCTAssertEqual(ops(g).sorted(), ["add", "add", "exp", "tanh"])
    }

    func testZeroAndNegativeZeroAreDifferentConstants() throws {
        let b = Tensor.vector("b", .bool)
        let y = try switchWhere(b)
        let f = try function([b], [y])
        let out = try f(NDArray([true, false])).first!.doubles
        XCTAssertEqual(out[0].sign, .plus)
        XCTAssertEqual(out[1].sign, .minus, "-0.0 must not merge into 0.0")
    }

    /// `where(b, 0.0, -0.0)`, built from two constants that compare equal but differ in sign.
    private func switchWhere(_ b: Tensor) throws -> Tensor {
        try `where`(b, Tensor.constant(NDArray(scalar: 0.0)), Tensor.constant(NDArray(scalar: -0.0)))
    }
}
