import TheanoArray
import TheanoGraph

/// Specialisation of arithmetic: general operations with special arguments replaced by
/// cheaper dedicated ones (`x ** 2` -> `square(x)`, `x * -1` -> `-x`, the sum of a fill ->
/// a product).
public enum SpecializeArithmetic {
    /// `x ** 2` -> `square(x)`.
    public static let powToSquare = rule("pow_to_square", tracks: [Elemwise.self]) { _, node in
        guard let (x, e) = constantExponent(node), e == 2 else { return nil }
        return try fit(try applyScalar(.square, [x]), to: node.output, from: node)
    }

    /// `x ** 0.5` -> `sqrt(x)` (floats).
    ///
    /// A documented difference (as in Theano): `pow(-0.0, 0.5)` is 0 and `pow(-inf, 0.5)` is
    /// inf, while `sqrt` gives -0.0 and NaN.
    public static let powToSqrt = rule("pow_to_sqrt", tracks: [Elemwise.self]) { _, node in
        guard let (x, e) = constantExponent(node), e == 0.5, x.type.dtype.isFloatingPoint else { return nil }
        return try fit(try applyScalar(.sqrt, [x]), to: node.output, from: node)
    }

    /// `x ** -0.5` -> `reciprocal(sqrt(x))` (floats).
    ///
    /// A documented difference, as for `pow_to_sqrt`: `pow(-0.0, -0.5)` is inf and
    /// `pow(-inf, -0.5)` is 0, while the rewritten form gives -inf and NaN.
    public static let powToRsqrt = rule("pow_to_rsqrt", tracks: [Elemwise.self]) { _, node in
        guard let (x, e) = constantExponent(node), e == -0.5, x.type.dtype.isFloatingPoint else { return nil }
        return try fit(try applyScalar(.reciprocal, [try applyScalar(.sqrt, [x])]), to: node.output, from: node)
    }

    /// `x ** -1` -> `reciprocal(x)` (floats; integer `x ** -1` throws when it runs, and still
    /// does).
    public static let powToReciprocal = rule("pow_to_reciprocal", tracks: [Elemwise.self]) { _, node in
        guard let (x, e) = constantExponent(node), e == -1, x.type.dtype.isFloatingPoint else { return nil }
        return try fit(try applyScalar(.reciprocal, [x]), to: node.output, from: node)
    }

    /// `x ** n` for a small integer `n` (3...16, and -16...-2 for floats) -> repeated
    /// squaring and multiplication: `x ** 3` -> `square(x) * x`, `x ** 4` ->
    /// `square(square(x))`, `x ** -2` -> `reciprocal(square(x))`. Integers give exactly what
    /// `pow` gives (both wrap); floats may round differently.
    public static let powToMul = rule("pow_to_mul", tracks: [Elemwise.self]) { _, node in
        guard let (x, e) = constantExponent(node), e == e.rounded() else { return nil }
        let n = Int(e)
        let isFloat = x.type.dtype.isFloatingPoint
        guard (3...16).contains(n) || (isFloat && (-16...(-2)).contains(n)) else { return nil }
        var result = try repeatedProduct(x, Swift.abs(n))
        if n < 0 { result = try applyScalar(.reciprocal, [result]) }
        return try fit(result, to: node.output, from: node)
    }

    /// `x * x` -> `square(x)`.
    public static let mulSelfToSquare = rule("mul_self_to_square", tracks: [Elemwise.self]) { _, node in
        // `square` has no bool meaning (`b * b` is `b and b`).
        guard scalarOp(node) == .mul, node.inputs[0] === node.inputs[1], node.outputTypes[0].dtype != .bool else { return nil }
        return sameType(try applyScalar(.square, [node.inputs[0]]), as: node.output)
    }

    /// `x * -1` and `-1 * x` -> `-x`.
    public static let mulByNegOne = rule("mul_by_neg_one", tracks: [Elemwise.self]) { _, node in
        guard scalarOp(node) == .mul, node.outputTypes[0].dtype != .bool,
              let (x, _) = operandAndConstant(node, commutative: true, { $0 == -1 }) else { return nil }
        return try fit(try applyScalar(.neg, [x]), to: node.output, from: node)
    }

    /// `sum(alloc(v, sizes))` (or of `broadcastTo`) over axes where `v` broadcasts -> `v * n`
    /// (broadcast to the remaining sizes), `n` the number of elements summed:
    /// `sum(full([n, m], c))` -> `c * (n * m)`.
    ///
    /// A documented difference: over zero elements an infinite or NaN `v` gives NaN where
    /// the sum gives 0. Floating-point results may round differently.
    public static let sumOfAlloc = rule("sum_of_alloc", tracks: [Reduce.self]) { _, node in
        guard let op = node.op as? Reduce, op.kind == .sum, !op.axes.isEmpty,
              isFill(node.inputs[0]), let alloc = node.inputs[0].owner else { return nil }
        let out = node.outputTypes[0]
        let sizes = Array(alloc.inputs.dropFirst())
        let value = try padToRank(alloc.inputs[0], sizes.count)
        guard op.axes.allSatisfy({ value.type.shape[$0] == 1 }) else { return nil }
        let count = try ShapeMath.product(op.axes.map { sizes[$0] })
        var reduced = value
        if !op.keepdims {
            let kept = (0..<sizes.count).filter { !op.axes.contains($0) }
            reduced = try DimShuffle(inputRank: sizes.count, order: kept).makeNode([value]).output
        }
        if reduced.type.dtype != out.dtype { reduced = try applyScalar(.cast(out.dtype), [reduced]) }
        var factor = count
        if out.dtype != .int64 { factor = try applyScalar(.cast(out.dtype), [factor]) }
        let product = try applyScalar(.mul, [reduced, try padToRank(factor, out.rank)])
        if product.type.shape == out.shape { return product }
        let outSizes = op.keepdims
            ? sizes.enumerated().map { op.axes.contains($0.offset) ? shapeConstant(1) : $0.element }
            : sizes.enumerated().filter { !op.axes.contains($0.offset) }.map(\.element)
        guard let filled = try? Alloc().makeNode([product] + outSizes) else { return nil }
        return satisfying(filled.output, node.output)
    }

    /// The arithmetic specialisations, in the order they are tried on a node.
    public static let all: [Rewrite] = [powToSquare, powToSqrt, powToRsqrt, powToReciprocal, powToMul, mulSelfToSquare, mulByNegOne, sumOfAlloc]
}

/// For `x ** c` with `c` a small constant of equal elements and `x` not a constant: `x` and
/// `c`'s value.
private func constantExponent(_ node: Apply) -> (Variable, Double)? {
    guard scalarOp(node) == .pow, node.inputs[0].constantValue == nil,
          let e = uniformConstant(node.inputs[1]) else { return nil }
    return (node.inputs[0], e)
}

/// `x ** n` for `n >= 1` by repeated squaring: `square` nodes and one `mul` per set bit.
private func repeatedProduct(_ x: Variable, _ n: Int) throws -> Variable {
    if n == 1 { return x }
    let half = try applyScalar(.square, [try repeatedProduct(x, n / 2)])
    return n % 2 == 0 ? half : try applyScalar(.mul, [half, x])
}
