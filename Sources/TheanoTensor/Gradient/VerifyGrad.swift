import TheanoArray
import TheanoGraph

/// A symbolic gradient that disagrees with finite differences: where, and by how much.
public struct GradientMismatch: Error, CustomStringConvertible, Sendable {
    /// Which argument of the checked function.
    public let input: Int
    /// The element's index within that argument (C order).
    public let index: [Int]
    public let symbolic: Double
    public let numeric: Double
    public let absoluteError: Double
    public let relativeError: Double

    public var description: String {
        "verifyGrad: the gradient with respect to input \(input) at index \(index) is \(symbolic) symbolically but \(numeric) by finite differences (absolute error \(absoluteError), relative error \(relativeError))"
    }
}

/// Checks the symbolic gradient of `f` against central finite differences in float64.
///
/// `f` receives one float64 symbolic input per point (with the point's exact shape, so size-1
/// axes broadcast) and returns any tensor. Its output is reduced to a scalar with a random
/// projection, whose gradient is then compared, element by element, with
/// `(cost(x + eps) - cost(x - eps)) / (2 eps)`. An element fails when both its absolute and its
/// relative error exceed the tolerances.
///
/// - Throws: ``GradientMismatch`` describing the worst element when the check fails; any error
///   from building or running the graph.
public func verifyGrad(
    _ f: ([Tensor]) throws -> Tensor, at points: [NDArray],
    eps: Double = 1e-6, absoluteTolerance: Double = 1e-4, relativeTolerance: Double = 1e-4,
    seed: UInt64 = 0
) throws {
    if let worst = try gradientCheck(f, at: points, eps: eps, seed: seed)
        .filter({ $0.absoluteError > absoluteTolerance && $0.relativeError > relativeTolerance })
        .max(by: { $0.relativeError < $1.relativeError }) {
        throw worst
    }
}

/// Compares symbolic and numeric gradients of `f` at `points` and returns every element's
/// result (see ``verifyGrad(_:at:eps:absoluteTolerance:relativeTolerance:seed:)``).
public func gradientCheck(_ f: ([Tensor]) throws -> Tensor, at points: [NDArray], eps: Double = 1e-6, seed: UInt64 = 0) throws -> [GradientMismatch] {
    let values = points.map { $0.astype(.float64).copy() }
    let inputs = values.enumerated().map { i, v in
        Tensor(Variable(type: TensorType(.float64, exactShape: v.shape), name: "x\(i)"))
    }
    let output = try f(inputs)
    guard output.dtype.isFloatingPoint else {
        throw TheanoError.typeMismatch("verifyGrad: the function's output must be floating point, got \(describeVariable(output.variable))")
    }
    let outValue = try evaluateGraph(inputs: inputs.map(\.variable), outputs: [output.variable], values: values)[0]
    var rng = RandomGenerator(seed: seed)
    let projection = Tensor.constant(try NDArray.randomUniform(outValue.shape, low: 0.5, high: 1.5, using: &rng, .float64))
    let cost = try sum(cast(output, .float64) * projection)
    let grads = try grad(cost, wrt: inputs, disconnected: .zero)

    let symbolic = try evaluateGraph(inputs: inputs.map(\.variable), outputs: grads.map(\.variable), values: values)
    func costAt(_ vs: [NDArray]) throws -> Double {
        try evaluateGraph(inputs: inputs.map(\.variable), outputs: [cost.variable], values: vs)[0].item(Double.self)
    }
    var results: [GradientMismatch] = []
    for (i, value) in values.enumerated() {
        let analytic = symbolic[i].doubles
        var flat = value.doubles
        for k in flat.indices {
            let original = flat[k]
            var probe = values
            flat[k] = original + eps
            probe[i] = try NDArray(flat, shape: value.shape)
            let plus = try costAt(probe)
            flat[k] = original - eps
            probe[i] = try NDArray(flat, shape: value.shape)
            let minus = try costAt(probe)
            flat[k] = original
            let numeric = (plus - minus) / (2 * eps)
            let a = analytic[k]
            let absError = Swift.abs(a - numeric)
            let relError = absError / Swift.max(Swift.abs(a) + Swift.abs(numeric), 1e-300)
            results.append(GradientMismatch(
                input: i, index: unravel(k, value.shape), symbolic: a, numeric: numeric,
                absoluteError: absError.isNaN ? .infinity : absError, relativeError: relError.isNaN ? .infinity : relError))
        }
    }
    return results
}

private func unravel(_ flat: Int, _ shape: [Int]) -> [Int] {
    var index = Array(repeating: 0, count: shape.count)
    var rest = flat
    for axis in stride(from: shape.count - 1, through: 0, by: -1) where shape[axis] > 0 {
        index[axis] = rest % shape[axis]
        rest /= shape[axis]
    }
    return index
}
