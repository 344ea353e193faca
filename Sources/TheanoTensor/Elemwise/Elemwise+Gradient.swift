import TheanoArray
import TheanoGraph

/// Gradients of elementwise ops.
///
/// Each scalar op's derivative is written with the same elementwise functions, in terms of the
/// inputs `x`, the output `z` and the output gradient `g`; then the gradient of an input that
/// broadcast (static size 1 where the output is larger) is summed over those axes.
///
/// Subgradients at kinks: `abs` has gradient 0 at 0; `maximum`/`minimum` split the gradient
/// equally between two equal arguments; `clip` passes it to `x` where `low <= x <= high`, to
/// `low` where `x < low`, to `high` where `x > high` (and to `high` alone if `low > high`); rounding
/// functions and `sign` have gradient 0. Comparisons, logic and integer outputs are
/// disconnected.
extension Elemwise {
    public func pullback(_ node: Apply, _ outputGradients: [Variable?]) throws -> [Variable?] {
        guard let gv = outputGradients[0] else { return node.inputs.map { _ in nil } }
        let outType = node.outputTypes[0]
        guard outType.dtype.isFloatingPoint || scalar.kind == .special else {
            return node.inputs.map { _ in nil }
        }
        let g = Tensor(gv)
        let x = node.inputs.map(Tensor.init)
        let z = Tensor(node.output)
        let raw = try scalarGradients(x: x, z: z, g: g)
        return try zip(raw, node.inputs).map { grad, input in
            guard let grad, input.type.dtype.isFloatingPoint else { return nil }
            return try sumToBroadcastShape(grad, of: input, output: outType).variable
        }
    }

    /// The gradient of each input before broadcasting is undone.
    private func scalarGradients(x: [Tensor], z: Tensor, g: Tensor) throws -> [Tensor?] {
        switch scalar {
        case .add: return [g, g]
        case .sub: return [g, try -g]
        case .mul: return [try g * x[1], try g * x[0]]
        case .trueDiv:
            // d/db a/b = -(a/b)/b: no b*b to overflow or underflow.
            return [try g / x[1], try -g * z / x[1]]
        case .floorDiv: return [try zerosLike(g), try zerosLike(g)]
        case .mod: return [g, try -g * floorDivide(x[0], x[1])]
        case .pow:
            // d/da a^b = b a^(b-1) (0 where b == 0, so x^0 has gradient 0 everywhere);
            // d/db a^b = a^b log(a), taken as 0 where a == 0 (and NaN for a < 0, where a^b is
            // real only for integer b and the derivative in b does not exist).
            let (a, b) = (x[0], x[1])
            let ga = try g * `where`(b .== 0, 0, b * pow(a, b - 1))
            let gb = try g * `where`(a .== 0, 0, z * log(a))
            return [ga, gb]
        case .maximum, .minimum:
            let (a, b) = (x[0], x[1])
            let tie = try cast(a .== b, g.dtype)
            let aWins = try cast(scalar == .maximum ? a .> b : a .< b, g.dtype)
            let bWins = try cast(scalar == .maximum ? b .> a : b .< a, g.dtype)
            return [try g * (aWins + tie * 0.5), try g * (bWins + tie * 0.5)]
        case .logaddexp:
            // d/da log(e^a + e^b) = sigmoid(a - b): finite for all finite arguments, 1/2 each
            // when they are equal.
            let (a, b) = (x[0], x[1])
            return [try g * sigmoid(a - b), try g * sigmoid(b - a)]
        case .arctan2:
            let (a, b) = (x[0], x[1])
            let denominator = try a * a + b * b
            return [try g * b / denominator, try -g * a / denominator]
        case .neg: return [try -g]
        case .abs: return [try g * sign(x[0])]
        case .sign, .floor, .ceil, .round, .trunc: return [try zerosLike(g)]
        case .square: return [try g * 2 * x[0]]
        case .sqrt: return [try g / (2 * z)]
        case .reciprocal: return [try -g * z * z]
        case .exp: return [try g * z]
        case .exp2: return [try g * z * Tensor(0.6931471805599453)]
        case .expm1: return [try g * (z + 1)]
        case .log: return [try g / x[0]]
        case .log2: return [try g / (x[0] * Tensor(0.6931471805599453))]
        case .log10: return [try g / (x[0] * Tensor(2.302585092994046))]
        case .log1p: return [try g / (x[0] + 1)]
        case .sin: return [try g * cos(x[0])]
        case .cos: return [try -g * sin(x[0])]
        case .tan: return [try g * (1 + z * z)]
        case .arcsin: return [try g / sqrt(1 - x[0] * x[0])]
        case .arccos: return [try -g / sqrt(1 - x[0] * x[0])]
        case .arctan: return [try g / (1 + x[0] * x[0])]
        case .sinh: return [try g * cosh(x[0])]
        case .cosh: return [try g * sinh(x[0])]
        case .tanh: return [try g * (1 - z * z)]
        case .arcsinh: return [try g / sqrt(x[0] * x[0] + 1)]
        case .arccosh: return [try g / sqrt(x[0] * x[0] - 1)]
        case .arctanh: return [try g / (1 - x[0] * x[0])]
        case .erf: return [try g * Tensor(1.1283791670955126) * exp(-x[0] * x[0])]
        case .erfc: return [try -g * Tensor(1.1283791670955126) * exp(-x[0] * x[0])]
        case .sigmoid: return [try g * z * (1 - z)]
        case .softplus: return [try g * sigmoid(x[0])]
        case .log1mexp:
            // d/dx log(1 - e^x) = -1 / expm1(-x); the absolute value makes it -inf (not +inf)
            // at x = 0, where expm1(-0) is -0.
            return [try -g / abs(expm1(-x[0]))]
        case .gamma: return [try g * z * digamma(x[0])]
        case .lgamma: return [try g * digamma(x[0])]
        case .digamma:
            throw TheanoError.notDifferentiable("digamma has no gradient (the trigamma function is not implemented)")
        case .where: return [nil, try `where`(x[0], g, 0), try `where`(x[0], 0, g)]
        case .clip:
            // clip is minimum(maximum(v, low), high): the gradient goes to whichever value is
            // returned, v on ties; with low > high that is always high.
            let (v, low, high) = (x[0], x[1], x[2])
            let inside = try (v .>= low) .& (v .<= high)
            let toLow = try (v .< low) .& (low .<= high)
            let toHigh = try (v .> high) .| (low .> high)
            return [try `where`(inside, g, 0), try `where`(toLow, g, 0), try `where`(toHigh, g, 0)]
        case .cast:
            return [x[0].dtype.isFloatingPoint ? try cast(g, x[0].dtype) : nil]
        case .identity: return [g]
        case .eq, .neq, .lt, .le, .gt, .ge, .and, .or, .xor, .not, .isnan, .isinf:
            return x.map { _ in nil }
        }
    }
}

/// Sums `grad` over the axes where `input` broadcast (static size 1) but the output did not,
/// keeping those axes, so the gradient has the input's shape.
func sumToBroadcastShape(_ grad: Tensor, of input: Variable, output: TensorType) throws -> Tensor {
    let axes = input.type.shape.indices.filter { input.type.shape[$0] == 1 && grad.staticShape[$0] != 1 }
    guard !axes.isEmpty else { return grad }
    return try sum(grad, axes: axes, keepdims: true)
}
