import Theano
import XCTest

/// Numerical stabilisation: each rule's graph before and after, and values at the extreme
/// inputs where the unstabilised form fails.
final class StabilizeTests: BackendTestCase {
    var data = TestData(seed: 13)
    let x = Tensor.matrix("x", .float64)

    func testLog1pFromLog() throws {
        try checkRule("log1p_from_log", [x], try log(1 + x), expected: "log1p(x)", values: [data.array([2, 3], low: -0.5, high: 2)])
        try checkRule("log1p_from_log", [x], try log(x + 1), expected: "log1p(x)", values: [data.array([2, 3], low: -0.5, high: 2)])
    }

    func testLog1pIsAccurateForTinyArguments() throws {
        for dtype in [DType.float32, .float64] {
            let v = Tensor.vector("v", dtype)
            let tiny = try NDArray.full([1], 1e-10, dtype)
            let stable = try function([v], [log(1 + v)]).call([tiny])[0].doubles[0]
            XCTAssertEqual(stable, 1e-10, accuracy: 1e-16, "\(dtype)")
            if dtype == .float32 {
                // Without the rewrite 1 + 1e-10 rounds to 1 and the log to 0.
                XCTAssertEqual(try function([v], [log(1 + v)], mode: .unoptimized).call([tiny])[0].doubles[0], 0)
            }
        }
    }

    func testLog1pBroadcastsLikeTheSum() throws {
        let v = Tensor.vector("v", .float64, size: 3)
        let ones = Tensor.constant(try NDArray.full([2, 3], 1, .float64))
        let out = try checkRule("log1p_from_log", [v], try log(ones + v), expected: "Alloc(log1p(DimShuffle{x,0}(v)), 2, 3)",
                                values: [data.array([3], low: 0, high: 1)])
        XCTAssertEqual(out.graph.outputs[0].type.shape, [2, 3])
    }

    func testLog1pFromLogOfOneMinus() throws {
        try checkRule("log1p_from_log_one_minus", [x], try log(1 - x), expected: "log1p(neg(x))",
                      values: [data.array([2, 3], low: -2, high: 0.5)])
        let v = Tensor.vector("v", .float32)
        let r = try function([v], [log(1 - v)]).call([try NDArray.full([1], 1e-10, .float32)])[0].doubles[0]
        XCTAssertEqual(r, -1e-10, accuracy: 1e-16)
    }

    func testExpm1FromExp() throws {
        let xv = data.array([2, 3])
        try checkRule("expm1_from_exp", [x], try exp(x) - 1, expected: "expm1(x)", values: [xv])
        try checkRule("expm1_from_exp", [x], try exp(x) + -1, expected: "expm1(x)", values: [xv])
        try checkRule("expm1_from_exp", [x], try -1 + exp(x), expected: "expm1(x)", values: [xv])
        let v = Tensor.vector("v", .float32)
        let r = try function([v], [exp(v) - 1]).call([try NDArray.full([1], 1e-10, .float32)])[0].doubles[0]
        XCTAssertEqual(r, 1e-10, accuracy: 1e-16)
    }

    func testLogOfSoftmax() throws {
        try checkRule("log_softmax", [x], try log(softmax(x, axis: 1)), expected: "LogSoftmax{axis=1}(x)", values: [data.array([2, 3])])
        try checkRule("log_softmax", [x], try log(softmax(x, axis: 0)), expected: "LogSoftmax{axis=0}(x)", values: [data.array([2, 3])])
        // Finite where the softmax underflows.
        let f = try function([x], [log(softmax(x))])
        assertValues(try f(NDArray([1000.0, 0], shape: [1, 2]))[0], [0, -1000])
    }

    func testSoftmaxAndLogSoftmaxOfLargeInputsStayFinite() throws {
        let big = try NDArray([1000.0, 1000, 2000, -3000], shape: [2, 2])
        let f = try function([x], [softmax(x), logSoftmax(x)])
        let r = try f(big)
        assertValues(r[0], [0.5, 0.5, 1, 0])
        assertValues(r[1], [-M_LN2, -M_LN2, 0, -5000])
    }

    func testLogOfSigmoid() throws {
        try checkRule("log_sigmoid", [x], try log(sigmoid(x)), expected: "neg(softplus(neg(x)))", values: [data.array([2, 3])])
        let f = try function([x], [log(sigmoid(x))])
        assertValues(try f(NDArray([-1000.0, 0, 1000], shape: [1, 3]))[0], [-1000, -M_LN2, 0])
        // A negated argument needs no double negation.
        try checkRule("log_sigmoid", [x], try log(sigmoid(-x)), expected: "neg(softplus(x))", values: [data.array([2, 3])])
    }

    func testLogOfOneMinusSigmoid() throws {
        // `one_minus_sigmoid` sees `1 - sigmoid(x)` first; `log_sigmoid` finishes it.
        let viaComplement = try checkRule("log_sigmoid", [x], try log(1 - sigmoid(x)), expected: "neg(softplus(x))", values: [data.array([2, 3])])
        XCTAssertTrue(viaComplement.trace.appliedRewrites.contains("one_minus_sigmoid"))
        try checkRule("log1m_sigmoid", [x], try log1p(-sigmoid(x)), expected: "neg(softplus(x))", values: [data.array([2, 3])])
        let f = try function([x], [log(1 - sigmoid(x))])
        assertValues(try f(NDArray([1000.0, 0, -1000], shape: [1, 3]))[0], [-1000, -M_LN2, 0])
    }

    func testLogOfSumOfExp() throws {
        let out = try checkRule("log_sum_exp", [x], try log(sum(exp(x), axis: 1)), expected: expressionText(try logsumexp(x, axis: 1).variable, depth: 20, limit: 2000),
                                values: [data.array([2, 3])])
        XCTAssertTrue(out.ops.contains("max{axes=[1], keepdims}"), "\(out.ops)")
        let f = try function([x], [log(sum(exp(x), axis: 1)), log(sum(exp(x)))])
        let r = try f(try NDArray([1000.0, 1000, -1000, -1000], shape: [2, 2]))
        assertValues(r[0], [1000 + M_LN2, -1000 + M_LN2])
        assertValues(r[1], [1000 + M_LN2], shape: [])
        // keepdims keeps the reduced axis.
        try checkRule("log_sum_exp", [x], try log(sum(exp(x), axis: 0, keepdims: true)),
                      expected: expressionText(try logsumexp(x, axis: 0, keepdims: true).variable, depth: 20, limit: 2000), values: [data.array([2, 3])])
    }

    func testLogsumexpItselfIsLeftAlone() throws {
        try checkRuleDeclines("log_sum_exp", [x], try logsumexp(x, axis: 1), values: [data.array([2, 3])])
    }
}
