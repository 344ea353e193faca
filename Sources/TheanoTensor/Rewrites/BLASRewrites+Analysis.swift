import TheanoArray
import TheanoGraph

// How the BLAS rewrites read an expression: a term is `scale * core`, where the scale is a
// constant times symbolic scalars gathered from `mul`, `neg` and division by a constant, and
// the core is a product (a matrix product, a matrix-vector product, an outer product) whose
// operands may themselves be transposed or scaled.

/// A scale factor: `constant` times the product of `symbols` (variables whose static shape is
/// all ones: rank-0 scalars or broadcastable `[1, 1]` ones).
struct BLASScale {
    var constant: Double = 1
    var symbols: [Variable] = []

    mutating func absorb(_ other: BLASScale) {
        constant *= other.constant
        symbols += other.symbols
    }

    /// Whether the factor is known to be exactly zero (the rewrites then leave the graph
    /// alone: BLAS would not read the operands, so NaNs in them would not propagate).
    var isZero: Bool { constant == 0 }

    /// The factor as one rank-0 variable of `dtype`: a constant when no symbols are involved
    /// (constant factors are folded at rewrite time), else `constant * s1 * s2 ...`.
    func variable(_ dtype: DType) throws -> Variable {
        let constantVariable = Variable(constant: NDArray(scalar: constant).astype(dtype))
        guard var result = try symbols.first.map({ try rank0($0) }) else { return constantVariable }
        for s in symbols.dropFirst() {
            result = try Elemwise(.mul).makeNode([result, try rank0(s)]).output
        }
        if constant == -1 { return try Elemwise(.neg).makeNode([result]).output }
        if constant != 1 { result = try Elemwise(.mul).makeNode([constantVariable, result]).output }
        return result
    }

    /// A broadcastable scalar as a rank-0 variable: the input of the `DimShuffle` that padded
    /// it, or a `DimShuffle` dropping its size-1 axes.
    private func rank0(_ v: Variable) throws -> Variable {
        if v.type.rank == 0 { return v }
        if let d = v.owner?.op as? DimShuffle, d.inputRank == 0, let input = v.owner?.inputs.first { return input }
        return try DimShuffle(inputRank: v.type.rank, order: []).makeNode([v]).output
    }
}

/// One operand of a product after peeling transposes and scale factors off it.
struct BLASOperand {
    var variable: Variable
    var transposed = false
    /// Whether anything was peeled (a rewrite of a bare product is only worth it then).
    var peeled = false
}

/// `scale * op(x) @ op(y)` (also `alpha * op(A) @ x` with `y` the vector, and outer products).
struct BLASProduct {
    var scale = BLASScale()
    var x: BLASOperand
    var y: BLASOperand
    var absorbed: Bool { x.peeled || y.peeled || !scale.symbols.isEmpty || scale.constant != 1 }
}

enum BLASAnalysis {
    /// The scalar op of the node computing `v`, if it is elementwise.
    static func scalarOp(_ v: Variable) -> ScalarOp? { (v.owner?.op as? Elemwise)?.scalar }

    /// Whether `v` is read exactly once, so folding the node that computes it into its reader
    /// removes it instead of computing it twice.
    static func hasSingleClient(_ v: Variable, _ graph: FunctionGraph) -> Bool { graph.clients(of: v).count == 1 }

    /// `v` as a scale factor when its static shape is all ones: a constant whose elements are
    /// equal, or a symbolic scalar.
    static func scalarFactor(_ v: Variable) -> BLASScale? {
        guard v.type.shape.allSatisfy({ $0 == 1 }) else { return nil }
        if let value = v.constantValue { return uniformValue(value).map { BLASScale(constant: $0) } }
        if let d = v.owner?.op as? DimShuffle, d.inputRank == 0, let value = v.owner?.inputs.first?.constantValue,
           let c = uniformValue(value) {
            return BLASScale(constant: c)
        }
        return BLASScale(symbols: [v])
    }

    /// Peels scale factors off `v` (`s * t`, `t * s`, `-t`, `t / c` with a constant `c`),
    /// returning the factor and what is left. With `singleClients`, stops at a variable read
    /// elsewhere (peeling it would compute the rest twice); `v` itself is exempt when
    /// `checkFirst` is false (it is the node being replaced).
    static func peelScale(_ v: Variable, _ graph: FunctionGraph?, checkFirst: Bool = true) -> (BLASScale, Variable) {
        var scale = BLASScale()
        var current = v
        var first = true
        while let node = current.owner, let op = scalarOp(current) {
            if let graph, !first || checkFirst, !hasSingleClient(current, graph) { break }
            first = false
            let next: Variable
            switch op {
            case .neg:
                scale.constant = -scale.constant
                next = node.inputs[0]
            case .mul:
                guard let (factor, rest) = splitScalarFactor(node.inputs[0], node.inputs[1]) else { return (scale, current) }
                scale.absorb(factor)
                next = rest
            case .trueDiv:
                guard let s = scalarFactor(node.inputs[1]), s.symbols.isEmpty, s.constant != 0 else { return (scale, current) }
                scale.constant /= s.constant
                next = node.inputs[0]
            default:
                return (scale, current)
            }
            // Integer operands of a division are not a float product's operands.
            guard next.type.dtype == v.type.dtype else { return (scale, current) }
            current = next
        }
        return (scale, current)
    }

    /// The scale factor and the other operand of a product `a * b`, if one side is a scalar:
    /// an obvious scalar (a constant, a padded rank-0 variable) first, then any operand whose
    /// static shape is all ones.
    private static func splitScalarFactor(_ a: Variable, _ b: Variable) -> (BLASScale, Variable)? {
        func obvious(_ v: Variable) -> Bool {
            v.constantValue != nil || (v.owner?.op as? DimShuffle)?.inputRank == 0
        }
        for (factor, rest) in [(a, b), (b, a)] where obvious(factor) {
            if let s = scalarFactor(factor) { return (s, rest) }
        }
        for (factor, rest) in [(a, b), (b, a)] {
            if let s = scalarFactor(factor) { return (s, rest) }
        }
        return nil
    }

    /// Follows a chain of `DimShuffle`s down to the variable they start from; returns it with
    /// the composed order (entry `i`: the base axis that output axis `i` shows, or
    /// ``DimShuffle/newAxis``).
    static func composedDimShuffle(_ v: Variable) -> (base: Variable, order: [Int]) {
        var base = v
        var order = Array(0..<v.type.rank)
        while let node = base.owner, let d = node.op as? DimShuffle {
            order = order.map { $0 == DimShuffle.newAxis ? DimShuffle.newAxis : d.order[$0] }
            base = node.inputs[0]
        }
        return (base, order)
    }

    /// A matrix operand with transposes (`DimShuffle{1,0}`, in any chain) and scale factors
    /// peeled off; the factors go to `scale`.
    static func matrixOperand(_ v: Variable, _ scale: inout BLASScale) -> BLASOperand {
        var operand = BLASOperand(variable: v)
        while true {
            let (base, order) = composedDimShuffle(operand.variable)
            if base !== operand.variable, base.type.rank == 2, order == [1, 0] || order == [0, 1] {
                operand = BLASOperand(variable: base, transposed: operand.transposed != (order == [1, 0]), peeled: true)
                continue
            }
            let (s, rest) = peelScale(operand.variable, nil)
            guard rest !== operand.variable else { return operand }
            scale.absorb(s)
            operand.variable = rest
            operand.peeled = true
        }
    }

    /// A vector operand with scale factors peeled off.
    static func vectorOperand(_ v: Variable, _ scale: inout BLASScale) -> BLASOperand {
        let (s, rest) = peelScale(v, nil)
        scale.absorb(s)
        return BLASOperand(variable: rest, peeled: rest !== v)
    }

    /// Whether `v` is a float32 or float64 variable.
    static func isFloat(_ v: Variable) -> Bool { v.type.dtype == .float32 || v.type.dtype == .float64 }

    /// `v` as `scale * op(X) @ op(Y)` of matrices: a ``MatMul`` of two matrices or a
    /// functional ``Gemm`` without `Z` (whose alpha joins the scale).
    static func matrixProduct(_ v: Variable) -> BLASProduct? {
        guard let node = v.owner, isFloat(v) else { return nil }
        var product: BLASProduct
        if node.op is MatMul, node.inputs.allSatisfy({ $0.type.rank == 2 }) {
            product = BLASProduct(x: BLASOperand(variable: node.inputs[0]), y: BLASOperand(variable: node.inputs[1]))
        } else if let gemm = node.op as? Gemm, !gemm.inPlace, node.inputs.count == 3, let alpha = scalarFactor(node.inputs[0]) {
            product = BLASProduct(
                scale: alpha, x: BLASOperand(variable: node.inputs[1], transposed: gemm.transposeX),
                y: BLASOperand(variable: node.inputs[2], transposed: gemm.transposeY))
        } else {
            return nil
        }
        product.x = peelMatrix(product.x, &product.scale)
        product.y = peelMatrix(product.y, &product.scale)
        return product
    }

    /// `v` as `scale * op(A) @ x`: a ``MatMul`` of a matrix and a vector (either order:
    /// `x @ A` is `A^T x`) or a functional ``Gemv`` without `y`. `x` holds `A`, `y` holds the
    /// vector.
    static func matrixVectorProduct(_ v: Variable) -> BLASProduct? {
        guard let node = v.owner, isFloat(v) else { return nil }
        var product: BLASProduct
        if node.op is MatMul {
            let (a, b) = (node.inputs[0], node.inputs[1])
            switch (a.type.rank, b.type.rank) {
            case (2, 1): product = BLASProduct(x: BLASOperand(variable: a), y: BLASOperand(variable: b))
            case (1, 2): product = BLASProduct(x: BLASOperand(variable: b, transposed: true), y: BLASOperand(variable: a))
            default: return nil
            }
        } else if let gemv = node.op as? Gemv, !gemv.inPlace, node.inputs.count == 3, let alpha = scalarFactor(node.inputs[0]) {
            product = BLASProduct(
                scale: alpha, x: BLASOperand(variable: node.inputs[1], transposed: gemv.transposeA),
                y: BLASOperand(variable: node.inputs[2]))
        } else {
            return nil
        }
        product.x = peelMatrix(product.x, &product.scale)
        let vector = vectorOperand(product.y.variable, &product.scale)
        product.y = vector
        return product
    }

    /// `v` as `scale * outer(x, y)` of two vectors: ``Outer`` of vectors, a ``MatMul`` of a
    /// column and a row, or an elementwise product of a column and a row (columns and rows
    /// made from vectors by `DimShuffle`).
    static func outerProduct(_ v: Variable) -> BLASProduct? {
        guard let node = v.owner, isFloat(v), v.type.rank == 2 else { return nil }
        var pair: (Variable, Variable)?
        if node.op is Outer, node.inputs.allSatisfy({ $0.type.rank == 1 }) {
            pair = (node.inputs[0], node.inputs[1])
        } else if node.op is MatMul || scalarOp(v) == .mul {
            let (a, b) = (vectorView(node.inputs[0]), vectorView(node.inputs[1]))
            if let (ca, column) = a, let (rb, row) = b, column && !row { pair = (ca, rb) }
            // Elementwise products commute: a row times a column is the same outer product.
            else if scalarOp(v) == .mul, let (ra, row) = a, let (cb, column) = b, column && !row { pair = (cb, ra) }
        }
        guard let (x, y) = pair else { return nil }
        var product = BLASProduct(x: BLASOperand(variable: x), y: BLASOperand(variable: y))
        product.x = vectorOperand(x, &product.scale)
        product.y = vectorOperand(y, &product.scale)
        return product
    }

    /// A column `[n, 1]` (true) or row `[1, n]` (false) made from a vector by `DimShuffle`s,
    /// with that vector.
    private static func vectorView(_ v: Variable) -> (Variable, Bool)? {
        let (base, order) = composedDimShuffle(v)
        guard base !== v, base.type.rank == 1 else { return nil }
        if order == [0, DimShuffle.newAxis] { return (base, true) }
        if order == [DimShuffle.newAxis, 0] { return (base, false) }
        return nil
    }

    private static func peelMatrix(_ operand: BLASOperand, _ scale: inout BLASScale) -> BLASOperand {
        var peeled = matrixOperand(operand.variable, &scale)
        peeled.transposed = peeled.transposed != operand.transposed
        return peeled
    }

    /// Whether a product of static shape `product` fills `output` without broadcasting: an
    /// axis where the product has static size 1 must have size 1 in the output too.
    static func fills(_ product: [Int?], _ output: [Int?]) -> Bool {
        zip(product, output).allSatisfy { $0 != 1 || $1 == 1 }
    }
}
