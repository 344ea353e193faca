import TheanoArray
import TheanoGraph

// Activation functions, each an expression of elementwise ops: the optimiser fuses them with
// their neighbours into one generated loop, and their gradients come from the elementwise
// ops' own. Where a textbook formula overflows (`exp(x)` for large `x`) or loses its gradient
// (`0 * inf` through an unused `where` branch), the formula below is the stable equivalent.
// ``relu(_:)``, ``sigmoid(_:)`` and ``softplus(_:)`` live beside the other basics.
//
// Integer and bool inputs are converted to floating point first, like ``exp(_:)`` (int8,
// int16, uint8 and bool to float32; int32 and int64 to float64); floats keep their dtype.

/// `x` as the floating-point dtype an activation computes in.
private func floating(_ x: Tensor) throws -> Tensor {
    try convert(x, to: x.dtype.floatingPointResult)
}

/// A weakly typed scalar constant: it takes the other operand's dtype (`x * weak(0.2)` stays
/// float32 for a float32 `x`).
private func weak(_ value: Double) -> Tensor {
    Tensor(floatLiteral: value)
}

/// The leaky rectified linear unit: `x` where `x > 0`, else `alpha * x`.
///
/// The gradient is 1 where `x > 0` and `alpha` elsewhere (so `alpha` at 0, as in PyTorch).
/// `alpha` defaults to 0.01 (PyTorch's and Keras's `negative_slope`/`alpha` differ: 0.01 and
/// 0.3; Theano's `relu(x, alpha)` takes it explicitly).
public func leakyRelu(_ x: Tensor, alpha: Double = 0.01) throws -> Tensor {
    let x = try floating(x)
    return try `where`(x .> 0, x, x * weak(alpha))
}

/// The exponential linear unit: `x` where `x > 0`, else `alpha * (exp(x) - 1)`.
///
/// Computed with `expm1` (accurate near 0) of `min(x, 0)`, so the unused branch never
/// overflows: `elu(1000)` is 1000 with gradient 1, not NaN from `0 * exp(1000)`. The gradient
/// at 0 is `alpha` (the left derivative, as in PyTorch).
public func elu(_ x: Tensor, alpha: Double = 1) throws -> Tensor {
    let x = try floating(x)
    let positive = try x .> 0
    let negativePart = try `where`(positive, 0, x)
    return try `where`(positive, x, weak(alpha) * expm1(negativePart))
}

/// The scaled exponential linear unit of Klambauer et al. (2017):
/// `scale * elu(x, alpha)` with `alpha = 1.6732632423543772` and
/// `scale = 1.0507009873554805` (the constants of PyTorch and Keras).
public func selu(_ x: Tensor) throws -> Tensor {
    try weak(1.0507009873554804934193349852946) * elu(x, alpha: 1.6732632423543772848170429916717)
}

/// The Gaussian error linear unit of Hendrycks and Gimpel: `x * Φ(x)`, with `Φ` the standard
/// normal distribution function.
///
/// - `approximate: false` (the default, PyTorch's `approximate='none'`): exactly
///   `0.5 * x * erfc(-x / √2)`, which equals `0.5 * x * (1 + erf(x / √2))` but keeps its
///   relative accuracy for negative `x` (`gelu(-10)` is -7.6e-23, not 0).
/// - `approximate: true` (PyTorch's `approximate='tanh'`):
///   `0.5 * x * (1 + tanh(√(2/π) * (x + 0.044715 x³)))`, computed as the equal
///   `x * sigmoid(2√(2/π) * (x + 0.044715 x³))`, which does not cancel for negative `x`.
///
/// Both are finite, with finite gradients, for every finite `x` up to about 1e12 (where
/// `x³` overflows float32).
public func gelu(_ x: Tensor, approximate: Bool = false) throws -> Tensor {
    let x = try floating(x)
    if approximate {
        let inner = try weak(1.5957691216057307117597842397375) * (x + weak(0.044715) * x * square(x))
        return try x * sigmoid(inner)
    }
    return try weak(0.5) * x * erfc(x * weak(-0.70710678118654752440084436210485))
}

/// The sigmoid linear unit, `x * sigmoid(x)` (also called swish, with β = 1).
///
/// Its gradient `sigmoid(x) * (1 + x * (1 - sigmoid(x)))` is finite everywhere: at
/// `x = -100` the sigmoid underflows towards 0 and so does the gradient.
public func silu(_ x: Tensor) throws -> Tensor {
    let x = try floating(x)
    return try x * sigmoid(x)
}

/// The softsign function, `x / (1 + |x|)`: like `tanh` with polynomial tails, in (-1, 1).
/// Its gradient is `1 / (1 + |x|)²`.
public func softsign(_ x: Tensor) throws -> Tensor {
    let x = try floating(x)
    return try x / (weak(1) + abs(x))
}

/// The hard sigmoid as Theano defines it: `clip(0.2 * x + 0.5, 0, 1)` (Theano's
/// `hard_sigmoid`, Keras 2's `hard_sigmoid`).
///
/// PyTorch's `hardsigmoid` (and Keras 3's) has another slope: `clip(x / 6 + 0.5, 0, 1)`;
/// write that one as `clip(x / 6 + 0.5, 0, 1)` when porting such a model. The gradient is 0.2
/// inside (-2.5, 2.5) and 0 outside. Exactly at ±2.5 it is 0.2 or 0 depending on how
/// `0.2 * x + 0.5` rounds (the generated C may fuse the multiply-add), not a defined value.
public func hardSigmoid(_ x: Tensor) throws -> Tensor {
    let x = try floating(x)
    return try clip(x * weak(0.2) + weak(0.5), 0, 1)
}

/// The logarithm of the sigmoid, computed stably as `-softplus(-x)`: `logSigmoid(-1000)` is
/// -1000 (not `log(0) = -inf`) and `logSigmoid(1000)` is 0. Its gradient is
/// `sigmoid(-x)`, between 0 and 1.
public func logSigmoid(_ x: Tensor) throws -> Tensor {
    let x = try floating(x)
    return try -softplus(-x)
}

extension Tensor {
    /// The leaky rectified linear unit; see ``leakyRelu(_:alpha:)``.
    public func leakyRelu(alpha: Double = 0.01) throws -> Tensor { try TheanoTensor.leakyRelu(self, alpha: alpha) }

    /// The exponential linear unit; see ``elu(_:alpha:)``.
    public func elu(alpha: Double = 1) throws -> Tensor { try TheanoTensor.elu(self, alpha: alpha) }

    /// The scaled exponential linear unit; see ``selu(_:)``.
    public func selu() throws -> Tensor { try TheanoTensor.selu(self) }

    /// The Gaussian error linear unit; see ``gelu(_:approximate:)``.
    public func gelu(approximate: Bool = false) throws -> Tensor { try TheanoTensor.gelu(self, approximate: approximate) }

    /// The sigmoid linear unit (swish); see ``silu(_:)``.
    public func silu() throws -> Tensor { try TheanoTensor.silu(self) }

    /// The softsign function; see ``softsign(_:)``.
    public func softsign() throws -> Tensor { try TheanoTensor.softsign(self) }

    /// Theano's hard sigmoid; see ``hardSigmoid(_:)``.
    public func hardSigmoid() throws -> Tensor { try TheanoTensor.hardSigmoid(self) }

    /// The logarithm of the sigmoid; see ``logSigmoid(_:)``.
    public func logSigmoid() throws -> Tensor { try TheanoTensor.logSigmoid(self) }
}
