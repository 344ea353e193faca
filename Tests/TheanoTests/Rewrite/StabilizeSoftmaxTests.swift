import Theano
import XCTest

/// The softmax stabilisations: `log(softmax(x))` through indexing and dimshuffles,
/// `exp(logSoftmax(x))` and `x - logsumexp(x, keepdims)`; their graphs, values and gradients
/// where the softmax underflows (expected values from SciPy's `log_softmax`).
final class StabilizeSoftmaxTests: BackendTestCase {
    /// Rows whose softmax underflows to 0 in places (PyTensor's test_logsoftmax_subtensor_dimshuffle).
    let extreme = [-10.0, -10, 999, 999, 990, -10]
    let x = Tensor.matrix("x", .float64)
    var data = TestData(seed: 5)

    /// `f` of a 2x3 matrix of `dtype` at `extreme`: the value and the gradient of `sum(f)`,
    /// compared with the expected values (absolute tolerance for float32's rounding of
    /// `log(1 + tiny)`).
    func checkExtreme(_ name: String, _ f: (Tensor) throws -> Tensor, value: [Double], gradient: [Double],
                      file: StaticString = #filePath, line: UInt = #line) throws {
        for dtype in [DType.float32, .float64] {
            let m = Tensor.matrix("m", dtype)
            let out = try f(m)
            let fn = try function([m], [out, try grad(sum(out), wrt: m)])
            let r = try fn(try NDArray(extreme, shape: [2, 3]).astype(dtype))
            let atol = dtype == .float32 ? 2e-4 : 1e-9
            XCTAssertTrue(r[1].doubles.allSatisfy(\.isFinite), "\(name) \(dtype): gradient \(r[1].doubles)", file: file, line: line)
            assertClose(r[0], try NDArray(value, shape: r[0].shape).astype(dtype), rtol: 1e-6, atol: atol, "\(name) \(dtype) value", file: file, line: line)
            assertClose(r[1], try NDArray(gradient, shape: [2, 3]).astype(dtype), rtol: 1e-6, atol: atol, "\(name) \(dtype) gradient", file: file, line: line)
        }
    }

    func testLogOfIndexedSoftmax() throws {
        let rows = Tensor.constant(NDArray([0, 1, 1] as [Int64])), cols = Tensor.constant(NDArray([0, 2, 1] as [Int64]))
        try checkExtreme("log(softmax(x)[rows, cols])", { try log(softmax($0, axis: 1)[rows, cols]) },
                         value: [-1009.0, -1009.0001234021897, -9.000123402189724],
                         gradient: [1, 0, -1, -1.9997532108480274, 0.9997532108480276, 1])
        try checkExtreme("log(softmax(x)[1])", { try log(softmax($0, axis: 1)[1]) },
                         value: [-0.00012340218972333965, -9.000123402189724, -1009.0001234021897],
                         gradient: [0, 0, 0, -1.9996298162720412, 0.9996298162720413, 1])
        try checkExtreme("log(softmax(x).T)", { try log(softmax($0, axis: 1).transpose()) },
                         value: [-1009.0, -0.00012340218972333965, -1009.0, -9.000123402189724, 0, -1009.0001234021897],
                         gradient: [1, 1, -2, -1.9996298162720412, 0.9996298162720413, 1])
        // The forward graph keeps no Softmax.
        let out = try optimize([x], [try log(softmax(x, axis: 1)[1])])
        XCTAssertEqual(out.ops, ["LogSoftmax{axis=1}", "Subtensor{1}"])
        XCTAssertTrue(out.trace.appliedRewrites.contains("log_softmax"))
    }

    func testLogSoftmaxGradientLosesItsDivision() throws {
        // log(softmax(x)) differentiates to g / softmax(x) * ...; the division cancels.
        let optimized = try optimize([x], [try grad(sum(log(softmax(x, axis: 1)[1])), wrt: x)])
        XCTAssertTrue(optimized.trace.appliedRewrites.contains("mul_into_inc_subtensor"), "\(optimized.trace.entries)")
        XCTAssertTrue(optimized.trace.appliedRewrites.contains("cancel_common_factors"), "\(optimized.trace.entries)")
        assertStabilizedGradient("log(softmax(x)[1])", { try log(softmax($0[0], axis: 1)[1]) }, at: [data.array([2, 3], low: -2, high: 2)])
        assertStabilizedGradient("log(softmax(x).T)", { try log(softmax($0[0], axis: 0).transpose()) }, at: [data.array([2, 3], low: -2, high: 2)])
        let rows = Tensor.constant(NDArray([0, 1, 1] as [Int64])), cols = Tensor.constant(NDArray([0, 2, 1] as [Int64]))
        assertStabilizedGradient("log(softmax(x)[rows, cols])", { try log(softmax($0[0], axis: 1)[rows, cols]) }, at: [data.array([2, 3], low: -2, high: 2)])
    }

    func testExpOfLogSoftmax() throws {
        try checkRule("exp_log_softmax", [x], try exp(logSoftmax(x, axis: 1)), expected: "Softmax{axis=1}(x)", values: [data.array([2, 3])])
        try checkRule("exp_log_softmax", [x], try exp(logSoftmax(x, axis: 0)), expected: "Softmax{axis=0}(x)", values: [data.array([2, 3])])
        // The log-softmax is computed for another output anyway: reuse it.
        let ls = try logSoftmax(x, axis: 1)
        let both = try optimize([x], [ls, try exp(ls)])
        XCTAssertFalse(both.trace.appliedRewrites.contains("exp_log_softmax"))
        try checkExtreme("exp(logSoftmax(x))", { try exp(logSoftmax($0, axis: 1)) },
                         value: [0, 0, 1, 0.9998766054240137, 0.00012339457598623172, 0], gradient: [0, 0, 0, 0, 0, 0])
        assertStabilizedGradient("exp(logSoftmax(x)) * x", { try exp(logSoftmax($0[0], axis: 1)) * $0[0] }, at: [data.array([2, 3], low: -2, high: 2)])
    }

    func testLogSoftmaxFromLogsumexp() throws {
        for axis in [0, 1] {
            try checkRule("log_softmax_from_logsumexp", [x], try x - logsumexp(x, axis: axis, keepdims: true),
                          expected: "LogSoftmax{axis=\(axis)}(x)", values: [try NDArray([1000.0, 1001, 1, 2], shape: [2, 2])])
        }
        // `log(sum(exp(x)))` becomes the logsumexp first.
        try checkRule("log_softmax_from_logsumexp", [x], try x - log(sum(exp(x), axis: 1, keepdims: true)),
                      expected: "LogSoftmax{axis=1}(x)", values: [data.array([2, 3])])
        // The logsumexp is an output too: reuse it; without keepdims the rule does not apply.
        let lse = try logsumexp(x, axis: 1, keepdims: true)
        let both = try optimize([x], [try x - lse, lse])
        XCTAssertFalse(both.trace.appliedRewrites.contains("log_softmax_from_logsumexp"))
        try checkRuleDeclines("log_softmax_from_logsumexp", [x], try x - logsumexp(x, axes: [0, 1], keepdims: true))
        let v = Tensor.vector("v", .float64)
        try checkRule("log_softmax_from_logsumexp", [v], try v - logsumexp(v, keepdims: true), expected: "LogSoftmax{axis=0}(v)",
                      values: [data.array([4])])
        // The gradients of both spellings are finite at the extremes.
        let ls = [-1009.0, -1009, 0, -0.00012340218972333965, -9.000123402189724, -1009.0001234021897]
        let squaredGradient = [-2018.0, -2018, 4036, 2035.7492621606877, -17.749015356308515, -2018.0002468043795]
        try checkExtreme("x - logsumexp(x)", { try square($0 - logsumexp($0, axis: 1, keepdims: true)) },
                         value: ls.map { $0 * $0 }, gradient: squaredGradient)
        try checkExtreme("x - log(sum(exp(x)))", { try square($0 - log(sum(exp($0), axis: 1, keepdims: true))) },
                         value: ls.map { $0 * $0 }, gradient: squaredGradient)
    }
}
