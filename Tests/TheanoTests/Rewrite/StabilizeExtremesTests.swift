import Theano
import XCTest

/// The promise of the stabilize pass: the textbook formula, compiled with the default mode,
/// gives finite, accurate values and gradients at the extremes where the formula itself
/// overflows or underflows, in float32 and float64. Expected values are exact (mpmath, 50
/// digits); gradients are of `sum(f)`, so elementwise derivatives.
final class StabilizeExtremesTests: BackendTestCase {
    /// One expression at extreme points: its value and the derivative by each input.
    struct Case {
        let name: String
        let inputs: [[Double]]
        let value: [Double]
        let gradients: [[Double]]
        /// Absolute tolerances, where the stabilised gradient keeps only absolute accuracy.
        var atol32 = 0.0
        var atol64 = 0.0
        var dtypes: [DType] = [.float32, .float64]
        let build: ([Tensor]) throws -> Tensor
    }

    func check(_ c: Case, file: StaticString = #filePath, line: UInt = #line) throws {
        for dtype in c.dtypes {
            let inputs = c.inputs.indices.map { Tensor.vector("x\($0)", dtype) }
            let out = try c.build(inputs)
            let grads = try grad(sum(out), wrt: inputs)
            let f = try function(inputs, [out] + grads)
            let values = try c.inputs.map { try NDArray($0).astype(dtype) }
            let results = try f.call(values)
            let (rtol, atol) = dtype == .float32 ? (2e-5, c.atol32) : (1e-9, c.atol64)
            assertClose(results[0], try NDArray(c.value).astype(dtype), rtol: rtol, atol: atol,
                        "\(c.name) \(dtype) value", file: file, line: line)
            for (k, expected) in c.gradients.enumerated() {
                XCTAssertTrue(results[k + 1].doubles.allSatisfy(\.isFinite), "\(c.name) \(dtype) gradient \(k): \(results[k + 1].doubles)",
                              file: file, line: line)
                assertClose(results[k + 1], try NDArray(expected).astype(dtype), rtol: rtol, atol: atol,
                            "\(c.name) \(dtype) gradient \(k)", file: file, line: line)
            }
        }
    }

    // MARK: Sigmoid

    func testSigmoidWrittenOut() throws {
        let x: [Double] = [-1000, -50, 0, 50, 1000]
        let s = [0.0, 1.9287498479639178e-22, 0.5, 1.0, 1.0]
        let ds = [0.0, 1.9287498479639178e-22, 0.25, 1.9287498479639178e-22, 0.0]
        try check(Case(name: "1 / (1 + exp(-x))", inputs: [x], value: s, gradients: [ds]) { try 1 / (1 + exp(-$0[0])) })
        // The gradient of the quotient form subtracts sigmoid(x)^2 from sigmoid(x): absolute
        // accuracy only at 50.
        try check(Case(name: "exp(x) / (1 + exp(x))", inputs: [x], value: s, gradients: [ds], atol32: 1e-7, atol64: 1e-15) {
            try exp($0[0]) / (1 + exp($0[0]))
        })
    }

    func testOneMinusSigmoid() throws {
        // float32 at 40: sigmoid(-40) = 4.2e-18, where 1 - sigmoid(40) is 0.
        try check(Case(name: "1 - sigmoid(x)", inputs: [[40, -40, 0, 1000, -1000]],
                       value: [4.248354255291589e-18, 1.0, 0.5, 0.0, 1.0],
                       gradients: [[-4.248354255291589e-18, -4.248354255291589e-18, -0.25, 0, 0]]) { try 1 - sigmoid($0[0]) })
    }

    func testSigmoidTimesExp() throws {
        // At 800, exp(x) is inf and sigmoid(-x) is 0.
        try check(Case(name: "sigmoid(-x) * exp(x)", inputs: [[800, -800, 0, 30]],
                       value: [1.0, 0.0, 0.5, 0.9999999999999064],
                       gradients: [[0, 0, 0.25, 9.357622968838423e-14]], atol32: 1e-7, atol64: 1e-15) { try sigmoid(-$0[0]) * exp($0[0]) })
    }

    func testLogSigmoidAndItsComplement() throws {
        let x: [Double] = [-1000, 1000, 0, -50, 50]
        try check(Case(name: "log(sigmoid(x))", inputs: [x], value: [-1000, 0, -0.6931471805599453, -50, -1.9287498479639178e-22],
                       gradients: [[1, 0, 0.5, 1, 1.9287498479639178e-22]]) { try log(sigmoid($0[0])) })
        try check(Case(name: "log(1 - sigmoid(x))", inputs: [x], value: [0, -1000, -0.6931471805599453, -1.9287498479639178e-22, -50],
                       gradients: [[0, -1, -0.5, -1.9287498479639178e-22, -1]]) { try log(1 - sigmoid($0[0])) })
        try check(Case(name: "log(1 / (1 + exp(-x)))", inputs: [x], value: [-1000, 0, -0.6931471805599453, -50, -1.9287498479639178e-22],
                       gradients: [[1, 0, 0.5, 1, 1.9287498479639178e-22]]) { try log(1 / (1 + exp(-$0[0]))) })
        try check(Case(name: "log1p(-sigmoid(x))", inputs: [x], value: [0, -1000, -0.6931471805599453, -1.9287498479639178e-22, -50],
                       gradients: [[0, -1, -0.5, -1.9287498479639178e-22, -1]]) { try log1p(-sigmoid($0[0])) })
    }

    // MARK: Logarithms and exponentials

    func testSoftplusWrittenOut() throws {
        try check(Case(name: "log(1 + exp(x))", inputs: [[-1000, 1000, 0, -50, 50]],
                       value: [0, 1000, 0.6931471805599453, 1.9287498479639178e-22, 50],
                       gradients: [[0, 1, 0.5, 1.9287498479639178e-22, 1]]) { try log(1 + exp($0[0])) })
    }

    func testLogAddExp() throws {
        try check(Case(name: "log(exp(x) + exp(y))", inputs: [[10000, -10000, 0, 1000, -3], [10000, 10000, 0, -1000, 2]],
                       value: [10000.69314718056, 10000, 0.6931471805599453, 1000, 2.0067153484891183],
                       gradients: [[0.5, 0, 0.5, 1, 0.0066928509242848554], [0.5, 1, 0.5, 0, 0.9933071490757152]]) {
            try log(exp($0[0]) + exp($0[1]))
        })
        // More than two terms (PyTensor's test_local_log_add_exp).
        try check(Case(name: "log(exp(x) + exp(y) + exp(x - y) + exp(x + y))", inputs: [[10000, 1, -5], [10000, 2, 3]],
                       value: [20000, 3.4197166463153397, 3.007065094666133],
                       gradients: [[1, 0.7582174828411992, 0.007040195557506176], [1, 0.8869778972787168, 0.999633730859499]]) {
            let (x, y) = ($0[0], $0[1])
            return try log(exp(x) + exp(y) + exp(x - y) + exp(x + y))
        })
    }

    func testLogDiffExp() throws {
        try check(Case(name: "log(exp(x) - exp(y))", inputs: [[1000, 1, 0.5, -3], [999, -2, 0.25, -800]],
                       value: [999.5413248546129, 0.9489308190572984, -1.0086915494460322, -3],
                       gradients: [[1.5819767068693265, 1.052395696491256, 4.520811664187798, 1],
                                   [-0.5819767068693265, -0.05239569649125595, -3.5208116641877987, 0]]) {
            try log(exp($0[0]) - exp($0[1]))
        })
    }

    func testLog1mexpSpellings() throws {
        // x = -2^-55: 1 - exp(x) rounds to 0 in both float types.
        let x: [Double] = [-0x1p-55, -1000, -0.5, -1e-10, -40]
        let value = [-38.123094930796995, 0, -0.9327521295671886, -23.025850929990458, -4.248354255291589e-18]
        let gradient = [-3.602879701896397e+16, 0, -1.5414940825367982, -9999999999.5, -4.248354255291589e-18]
        let spellings: [(String, (Tensor) throws -> Tensor)] = [
            ("log(1 - exp(x))", { try log(1 - exp($0)) }),
            ("log1p(-exp(x))", { try log1p(-exp($0)) }),
            ("log(-expm1(x))", { try log(-expm1($0)) }),
            ("log(-(exp(x) - 1))", { try log(-(exp($0) - 1)) }),
            ("log1mexp(x)", { try log1mexp($0) }),
        ]
        for (name, f) in spellings {
            try check(Case(name: name, inputs: [x], value: value, gradients: [gradient]) { try f($0[0]) })
        }
    }

    func testInversePairs() throws {
        // float32 at 94: expm1 overflows.
        try check(Case(name: "log1p(expm1(x))", inputs: [[94, 1, 0, -3, -100]], value: [94, 1, 0, -3, -100],
                       gradients: [[1, 1, 1, 1, 1]]) { try log1p(expm1($0[0])) })
        try check(Case(name: "log(exp(x))", inputs: [[1000, -1000, 0, 3]], value: [1000, -1000, 0, 3],
                       gradients: [[1, 1, 1, 1]]) { try log(exp($0[0])) })
        // x * x overflows (1e30 in float32, 1e200 in float64); the gradient is sign(x).
        for (big, dtype) in [(1e30, DType.float32), (1e200, .float64)] {
            try check(Case(name: "sqrt(square(x))", inputs: [[big, -3, 2, -big]], value: [big, 3, 2, big],
                           gradients: [[1, -1, 1, -1]], dtypes: [dtype]) { try sqrt(square($0[0])) })
            try check(Case(name: "sqrt(x * x)", inputs: [[big, -3]], value: [big, 3], gradients: [[1, -1]], dtypes: [dtype]) {
                try sqrt($0[0] * $0[0])
            })
            try check(Case(name: "sqrt(x ** 2)", inputs: [[big, -3]], value: [big, 3], gradients: [[1, -1]], dtypes: [dtype]) {
                try sqrt($0[0] ** 2)
            })
        }
    }
}

/// Checks the gradient of `f` at `points` as the optimiser compiles it: `verifyGrad` checks
/// the symbolic gradient of the graph as written (it evaluates graphs without rewriting), and
/// the gradient compiled with the default mode (stabilised) must equal the one compiled
/// `.unoptimized` there.
func assertStabilizedGradient(_ name: String, _ f: ([Tensor]) throws -> Tensor, at points: [NDArray],
                              file: StaticString = #filePath, line: UInt = #line) {
    do {
        try verifyGrad(f, at: points)
        let inputs = points.enumerated().map { Tensor.variable("x\($0.offset)", .float64, shape: $0.element.shape.map { $0 }) }
        let out = try f(inputs)
        let weights = Tensor.constant(try NDArray.randomUniform(try unoptimizedValue(out, inputs, points).shape, low: 0.5, high: 1.5, seed: 11, .float64))
        let grads = try grad(sum(out * weights), wrt: inputs, disconnected: .zero)
        try assertSameValues(inputs, grads, points, rtol: 1e-7, atol: 1e-10, file: file, line: line)
    } catch {
        XCTFail("\(name): \(error)", file: file, line: line)
    }
}

/// The value of `out` at `points`, unoptimised.
private func unoptimizedValue(_ out: Tensor, _ inputs: [Tensor], _ points: [NDArray]) throws -> NDArray {
    try function(inputs, [out], mode: .unoptimized).call(points)[0]
}

