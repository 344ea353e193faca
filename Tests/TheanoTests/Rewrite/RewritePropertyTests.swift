import Theano
import XCTest

/// Seeded random expression graphs compiled with `.unoptimized` and `.fastRun` must compile
/// and agree: every rule keeps values (up to rounding) and types on graphs nobody wrote by
/// hand.
final class RewritePropertyTests: BackendTestCase {
    /// Builds random expressions over a fixed set of inputs whose values broadcast to [4, 3].
    struct ExpressionGenerator {
        var rng: RandomGenerator
        let leaves: [Tensor]

        init(seed: UInt64, leaves: [Tensor]) {
            rng = RandomGenerator(seed: seed)
            self.leaves = leaves
        }

        mutating func pick(_ n: Int) -> Int { Int.random(in: 0..<n, using: &rng) }

        mutating func leaf() -> Tensor {
            switch pick(9) {
            case 0: return 0
            case 1: return 1
            case 2: return -1
            case 3: return 2
            case 4: return 0.5
            case 5: return Tensor.constant(NDArray([0.5, -1.0, 2.0]))
            default: return leaves[pick(leaves.count)]
            }
        }

        /// A random expression of at most `depth` levels; a construction that does not type
        /// check (a shape that cannot broadcast) falls back to a leaf.
        mutating func expression(_ depth: Int) -> Tensor {
            if depth == 0 || pick(5) == 0 { return leaf() }
            let a = expression(depth - 1)
            let choice = pick(28)
            let b = expression(depth - 1)
            let built: Tensor? = try? {
                switch choice {
                case 0, 1: return try a + b
                case 2, 3: return try a - b
                case 4, 5: return try a * b
                case 6: return try a / (square(b) + 1)
                case 7: return try a * exp(tanh(b)) / exp(tanh(b))
                case 8: return try a - a
                case 9: return try exp(tanh(a))
                case 10: return try tanh(a)
                case 11: return try log(square(a) + 1)
                case 12: return try log(1 + exp(tanh(a)))
                case 13: return try -(-a)
                case 14: return try a ** 2 + a ** 3 - a ** 0
                case 15: return a.rank == 2 ? try sum(a, axis: 0, keepdims: true) : try sum(a)
                case 16: return a.rank == 2 ? try transpose(exp(transpose(tanh(a)))) : try a * 1
                case 17: return a.rank == 2 ? try reshape(reshape(a, [-1]), a.shapeList()) : try a + 0
                case 18: return try zerosLike(a) + b
                case 19: return try onesLike(b) * a
                case 20: return try cast(cast(a, .float32), .float64)
                case 21: return a.rank == 2 ? try a[0] : try a / 1
                case 22: return try stopGradient(a) * 2 * b
                case 23: return a.rank >= 1 ? try log(softmax(a)) : try log(sigmoid(a))
                case 24: return a.rank == 2 ? try log(sum(exp(tanh(a)), axis: 1, keepdims: true)) : try log(1 - sigmoid(a))
                case 25: return try exp(tanh(a)) - 1
                case 26: return a.rank == 2 ? try matmul(a, Tensor.constant(try NDArray.full([3, 3], 0.25, .float64)))[0] : try a * -1
                default: return try (square(a) + 1) ** 0.5
                }
            }()
            return built ?? a
        }
    }

    func testRandomGraphsGiveTheSameValuesOptimisedAndNot() throws {
        let x = Tensor.matrix("x", .float64, shape: [nil, 3])
        let z = Tensor.matrix("z", .float64)
        let y = Tensor.vector("y", .float64)
        let s = Tensor.scalar("s", .float64)
        let c = Tensor.matrix("c", .float64, shape: [nil, 1])
        var data = TestData(seed: 99)
        let values = [data.array([4, 3], low: -2, high: 2), data.array([4, 3], low: -2, high: 2), data.array([3], low: -2, high: 2),
                      data.array([], low: -2, high: 2), data.array([4, 1], low: -2, high: 2)]
        let applied = try compareRandomGraphs([x, z, y, s, c], values, seed: 2024, count: 300, rtol: 1e-6)
        // The generator reaches most rules.
        for rule in ["mul_by_one", "add_zero", "mul_canonizer", "double_neg", "add_constants", "mul_constants", "cancel_factors",
                     "lift_dimshuffle", "dimshuffle_chain", "reshape_chain", "fill_sink", "elemwise_alloc", "log1p_from_log",
                     "log_softmax", "log_sum_exp", "expm1_from_exp", "pow_to_square", "pow_to_mul", "pow_to_sqrt",
                     "subtensor_of_elemwise", "remove_stop_gradient"] {
            XCTAssertTrue(applied.contains(rule), "\(rule) never applied; applied: \(applied.sorted())")
        }
    }

    func testRandomGraphsOfMixedDTypes() throws {
        // float32 and int32 operands: promotion inserts casts that the rules must see through.
        let x = Tensor.matrix("x", .float32, shape: [nil, 3])
        let y = Tensor.vector("y", .float32)
        let i = Tensor.matrix("i", .int32)
        let b = Tensor.vector("b", .int8, size: 3)
        var data = TestData(seed: 5)
        let values = [data.array([4, 3], .float32, low: -2, high: 2), data.array([3], .float32, low: -2, high: 2),
                      data.array([4, 3], .int32, low: -3, high: 3), data.array([3], .int8, low: -3, high: 3)]
        _ = try compareRandomGraphs([x, y, i, b], values, seed: 77, count: 200, rtol: 1e-4)
    }

    /// Compiles `count` random graphs over `inputs` both ways and compares them on `values`;
    /// returns the names of the rules applied.
    func compareRandomGraphs(_ inputs: [Tensor], _ values: [NDArray], seed: UInt64, count: Int, rtol: Double,
                             file: StaticString = #filePath, line: UInt = #line) throws -> Set<String> {
        var generator = ExpressionGenerator(seed: seed, leaves: inputs)
        var rewritten = 0
        var applied: Set<String> = []
        for index in 0..<count {
            let output = generator.expression(4)
            let plain = try function(inputs, [output], mode: .unoptimized)
            let expected: NDArray
            do {
                expected = try plain.call(values)[0]
            } catch {
                continue  // a run-time error in the unoptimised graph (none expected): skip
            }
            let trace = RewriteTrace()
            let fast: Function
            do {
                fast = try function(inputs, [output], trace: trace)
            } catch {
                XCTFail("graph \(index): fastRun compilation threw \(error) for \(output)", file: file, line: line)
                continue
            }
            if !trace.entries.isEmpty { rewritten += 1 }
            applied.formUnion(trace.appliedRewrites)
            let actual = try fast.call(values)[0]
            assertClose(actual, expected, rtol: rtol, atol: rtol, "graph \(index): \(expressionText(output.variable, depth: 8, limit: 400)); rules \(trace.appliedRewrites)",
                        file: file, line: line)
        }
        XCTAssertGreaterThan(rewritten, count * 2 / 3, "most random graphs should be rewritten", file: file, line: line)
        return applied
    }
}
