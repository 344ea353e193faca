import TheanoArray
import TheanoGraph

/// Exponentiation, binding tighter than multiplication and to the right: `a * b ** c ** d` is
/// `a * (b ** (c ** d))`.
precedencegroup ExponentiationPrecedence {
    higherThan: MultiplicationPrecedence
    associativity: right
}

infix operator ** : ExponentiationPrecedence

// Arithmetic operators build elementwise nodes; they throw when the operands' shapes or dtypes
// cannot combine, so one `try` covers a whole expression: `let y = try x * 2 + b`.
//
// Each operator has exactly `Tensor op Tensor`: number literals become weakly typed tensor
// constants, and a Swift `Double` variable joins an expression as `Tensor(lr)`. Scalar
// overloads beside these make literals ambiguous or slow the type checker dramatically (see
// docs/ARCHITECTURE.md), so don't add any.
extension Tensor {
    public static func + (a: Tensor, b: Tensor) throws -> Tensor { try TheanoTensor.add(a, b) }
    public static func - (a: Tensor, b: Tensor) throws -> Tensor { try TheanoTensor.sub(a, b) }
    public static func * (a: Tensor, b: Tensor) throws -> Tensor { try TheanoTensor.mul(a, b) }
    public static func / (a: Tensor, b: Tensor) throws -> Tensor { try TheanoTensor.trueDivide(a, b) }
    public static func % (a: Tensor, b: Tensor) throws -> Tensor { try TheanoTensor.mod(a, b) }
    public static func ** (a: Tensor, b: Tensor) throws -> Tensor { try TheanoTensor.pow(a, b) }
    public static prefix func - (x: Tensor) throws -> Tensor { try TheanoTensor.neg(x) }


    /// Elementwise `==` (a bool tensor). `==` itself compares graph identity.
    public static func .== (a: Tensor, b: Tensor) throws -> Tensor { try TheanoTensor.eq(a, b) }
    /// Elementwise `!=` (a bool tensor).
    public static func .!= (a: Tensor, b: Tensor) throws -> Tensor { try TheanoTensor.neq(a, b) }
    /// Elementwise `<` (a bool tensor).
    public static func .< (a: Tensor, b: Tensor) throws -> Tensor { try TheanoTensor.lt(a, b) }
    /// Elementwise `<=` (a bool tensor).
    public static func .<= (a: Tensor, b: Tensor) throws -> Tensor { try TheanoTensor.le(a, b) }
    /// Elementwise `>` (a bool tensor).
    public static func .> (a: Tensor, b: Tensor) throws -> Tensor { try TheanoTensor.gt(a, b) }
    /// Elementwise `>=` (a bool tensor).
    public static func .>= (a: Tensor, b: Tensor) throws -> Tensor { try TheanoTensor.ge(a, b) }
    /// Elementwise logical and.
    public static func .& (a: Tensor, b: Tensor) throws -> Tensor { try TheanoTensor.logicalAnd(a, b) }
    /// Elementwise logical or.
    public static func .| (a: Tensor, b: Tensor) throws -> Tensor { try TheanoTensor.logicalOr(a, b) }
    /// Elementwise logical exclusive or.
    public static func .^ (a: Tensor, b: Tensor) throws -> Tensor { try TheanoTensor.logicalXor(a, b) }
    /// Elementwise logical not.
    public static prefix func .! (x: Tensor) throws -> Tensor { try TheanoTensor.logicalNot(x) }
}

extension Tensor {
    /// A weakly typed float constant holding `value`: like a literal, it takes the other
    /// operand's float dtype (`x * Tensor(learningRate)` keeps a float32 `x` float32).
    public convenience init(_ value: Double) {
        self.init(Variable(constant: NDArray(scalar: value), weak: true))
    }
}
