import Theano
import XCTest

/// One differentiable elementwise function of the gradient tests, with the interval its random
/// points come from (away from poles, kinks and domain edges).
struct GradientCase: CustomStringConvertible, Sendable {
    let name: String
    let apply: @Sendable ([Tensor]) throws -> Tensor
    /// Per input: the interval of random values.
    let ranges: [ClosedRange<Double>]
    /// Whether a set of values (one per input, after broadcasting) is far enough from a kink,
    /// pole or discontinuity for central differences.
    let isSmooth: @Sendable ([Double]) -> Bool

    init(_ name: String, _ ranges: [ClosedRange<Double>], isSmooth: @escaping @Sendable ([Double]) -> Bool = { _ in true },
         _ apply: @escaping @Sendable ([Tensor]) throws -> Tensor) {
        self.name = name
        self.apply = apply
        self.ranges = ranges
        self.isSmooth = isSmooth
    }

    var description: String { name }

    /// Every differentiable scalar op of one argument, with its random interval.
    static let unary: [GradientCase] = [
        GradientCase("exp", [-2...2]) { try exp($0[0]) },
        GradientCase("exp2", [-2...2]) { try exp2($0[0]) },
        GradientCase("expm1", [-2...2]) { try expm1($0[0]) },
        GradientCase("log", [0.3...3]) { try log($0[0]) },
        GradientCase("log2", [0.3...3]) { try log2($0[0]) },
        GradientCase("log10", [0.3...3]) { try log10($0[0]) },
        GradientCase("log1p", [-0.7...2]) { try log1p($0[0]) },
        GradientCase("sqrt", [0.3...3]) { try sqrt($0[0]) },
        GradientCase("square", [-3...3]) { try square($0[0]) },
        GradientCase("reciprocal", [-3...3], isSmooth: { Swift.abs($0[0]) > 0.3 }) { try reciprocal($0[0]) },
        GradientCase("neg", [-3...3]) { try neg($0[0]) },
        GradientCase("abs", [-3...3], isSmooth: { Swift.abs($0[0]) > 0.05 }) { try abs($0[0]) },
        GradientCase("sin", [-3...3]) { try sin($0[0]) },
        GradientCase("cos", [-3...3]) { try cos($0[0]) },
        GradientCase("tan", [-1.2...1.2]) { try tan($0[0]) },
        GradientCase("arcsin", [-0.9...0.9]) { try arcsin($0[0]) },
        GradientCase("arccos", [-0.9...0.9]) { try arccos($0[0]) },
        GradientCase("arctan", [-3...3]) { try arctan($0[0]) },
        GradientCase("sinh", [-2...2]) { try sinh($0[0]) },
        GradientCase("cosh", [-2...2]) { try cosh($0[0]) },
        GradientCase("tanh", [-2...2]) { try tanh($0[0]) },
        GradientCase("arcsinh", [-3...3]) { try arcsinh($0[0]) },
        GradientCase("arccosh", [1.2...4]) { try arccosh($0[0]) },
        GradientCase("arctanh", [-0.9...0.9]) { try arctanh($0[0]) },
        GradientCase("erf", [-2...2]) { try erf($0[0]) },
        GradientCase("erfc", [-2...2]) { try erfc($0[0]) },
        GradientCase("gamma", [0.3...4]) { try gamma($0[0]) },
        GradientCase("gamma(negative)", [-1.8...(-1.2)]) { try gamma($0[0]) },
        GradientCase("lgamma", [0.3...4]) { try lgamma($0[0]) },
        GradientCase("lgamma(negative)", [-2.8...(-2.2)]) { try lgamma($0[0]) },
        GradientCase("sigmoid", [-5...5]) { try sigmoid($0[0]) },
        GradientCase("softplus", [-5...5]) { try softplus($0[0]) },
        GradientCase("log1mexp", [-5...(-0.05)]) { try log1mexp($0[0]) },
    ]

    /// Every differentiable scalar op of two arguments.
    static let binary: [GradientCase] = [
        GradientCase("add", [-3...3, -3...3]) { try $0[0] + $0[1] },
        GradientCase("sub", [-3...3, -3...3]) { try $0[0] - $0[1] },
        GradientCase("mul", [-3...3, -3...3]) { try $0[0] * $0[1] },
        GradientCase("trueDivide", [-3...3, -3...3], isSmooth: { Swift.abs($0[1]) > 0.3 }) { try $0[0] / $0[1] },
        GradientCase("mod", [-3...3, -2...2], isSmooth: { v in
            guard Swift.abs(v[1]) > 0.3 else { return false }
            let q = v[0] / v[1], frac = q - q.rounded(.down)
            return frac > 0.05 && frac < 0.95
        }) { try $0[0] % $0[1] },
        GradientCase("pow", [0.3...2.5, -2...2]) { try $0[0] ** $0[1] },
        GradientCase("maximum", [-3...3, -3...3], isSmooth: { Swift.abs($0[0] - $0[1]) > 0.05 }) { try maximum($0[0], $0[1]) },
        GradientCase("minimum", [-3...3, -3...3], isSmooth: { Swift.abs($0[0] - $0[1]) > 0.05 }) { try minimum($0[0], $0[1]) },
        GradientCase("arctan2", [-3...3, -3...3], isSmooth: { $0[0] * $0[0] + $0[1] * $0[1] > 0.1 && ($0[1] > 0.05 || Swift.abs($0[0]) > 0.05) }) {
            try arctan2($0[0], $0[1])
        },
        GradientCase("logaddexp", [-3...3, -3...3]) { try logaddexp($0[0], $0[1]) },
    ]

    /// `clip(x, low, high)` with the three regions all likely.
    static let clipCase = GradientCase(
        "clip", [-3...3, -1.5...(-0.3), 0.3...1.5],
        isSmooth: { Swift.abs($0[0] - $0[1]) > 0.05 && Swift.abs($0[0] - $0[2]) > 0.05 }
    ) { try clip($0[0], $0[1], $0[2]) }
}

/// Random float64 points of `shapes` from `ranges` whose broadcast combinations all satisfy
/// `isSmooth` (redrawn with the next seed until they do).
func smoothPoints(_ c: GradientCase, shapes: [[Int]], seed: UInt64 = 7) throws -> [NDArray] {
    let out = try broadcastShapes(shapes)
    for attempt in 0..<200 {
        var rng = RandomGenerator(seed: seed &+ UInt64(attempt))
        let points = try zip(shapes, c.ranges).map { shape, range in
            try NDArray.randomUniform(shape, low: range.lowerBound, high: range.upperBound, using: &rng, .float64)
        }
        let columns = try points.map { try $0.broadcast(to: out).doubles }
        let count = out.reduce(1, *)
        if (0..<count).allSatisfy({ k in c.isSmooth(columns.map { $0[k] }) }) { return points }
    }
    throw TheanoError.invalidArgument("test support: no smooth points for \(c.name) at \(shapes)")
}

/// `verifyGrad` of `c` at smooth random points of `shapes`, failing with the case and shapes.
func checkGradient(
    _ c: GradientCase, shapes: [[Int]], seed: UInt64 = 7,
    file: StaticString = #filePath, line: UInt = #line
) {
    do {
        let points = try smoothPoints(c, shapes: shapes, seed: seed)
        try verifyGrad(c.apply, at: points)
    } catch {
        XCTFail("\(c.name) at shapes \(shapes): \(error)", file: file, line: line)
    }
}

/// The gradient of `sum(output)` with respect to each of `wrt`, evaluated.
func gradients(_ output: Tensor, wrt: [Tensor], _ values: [Tensor: NDArray]) throws -> [NDArray] {
    let cost = try sum(output)
    let gs = try grad(cost, wrt: wrt)
    let pairs = Array(values)
    return try function(pairs.map(\.key), gs).call(pairs.map(\.value))
}

/// Every node's output dtypes in the graph of `outputs`.
func graphDTypes(_ outputs: [Tensor]) -> Set<DType> {
    var result = Set(outputs.map(\.dtype))
    for node in toposort(outputs: outputs.map(\.variable)) {
        for out in node.outputs { result.insert(out.type.dtype) }
        for input in node.inputs { result.insert(input.type.dtype) }
    }
    return result
}
