import TheanoArray
import TheanoGraph

/// The BLAS matrix-matrix update `Z' = alpha * op(X) @ op(Y) + beta * Z`, where `op`
/// transposes when ``transposeX`` (``transposeY``) is set.
///
/// The BLAS rewrites (``blasPass``) build it from matrix products with scale factors, an
/// added term and transposed operands; users rarely build it directly (see
/// ``gemm(_:_:alpha:adding:beta:transposeX:transposeY:)``).
///
/// - Inputs: `[Z, alpha, X, Y, beta]`, or `[alpha, X, Y]` without `Z` (the result is then
///   `alpha * op(X) @ op(Y)`). `X`, `Y` and `Z` are matrices of one dtype, float32 or
///   float64; `alpha` and `beta` are **symbolic scalars** (rank 0) of that dtype: a constant
///   when the factor is known (the rewrites fold constant factors into one), any scalar
///   expression otherwise, so `W - lr * dot(X.T, G)` with a symbolic learning rate is still
///   one GEMM.
/// - `Z` may broadcast: an axis of static size 1 (a bias row `[1, n]`, a scalar `[1, 1]`)
///   is repeated to the product's size. The functional op copies the broadcast `Z` into its
///   new output, then runs one GEMM with `beta`, so `x @ W + b` is a single node.
/// - ``inPlace``: the op overwrites `Z` (``destroyMap`` `[0: [0]]`) instead of allocating;
///   `Z` must then have the product's shape (no broadcast axes). Only a destroy handler,
///   which guarantees nobody else reads `Z`, should build such nodes.
/// - `beta = 0` multiplies `Z` by zero (NaN stays NaN), as the elementwise expression would;
///   `alpha = 0` follows BLAS: `X` and `Y` are not read.
public struct Gemm: Op {
    public let transposeX: Bool
    public let transposeY: Bool
    public let inPlace: Bool

    public init(transposeX: Bool = false, transposeY: Bool = false, inPlace: Bool = false) {
        self.transposeX = transposeX
        self.transposeY = transposeY
        self.inPlace = inPlace
    }

    public var description: String {
        "Gemm{\(transposeX ? "T" : "N"),\(transposeY ? "T" : "N")\(inPlace ? ",inplace" : "")}"
    }

    public var destroyMap: [Int: [Int]] { inPlace ? [0: [0]] : [:] }

    /// The input positions of `Z`, `alpha`, `X`, `Y` and `beta` in a node with `count` inputs.
    package static func positions(_ count: Int) -> (z: Int?, alpha: Int, x: Int, y: Int, beta: Int?) {
        count == 5 ? (0, 1, 2, 3, 4) : (nil, 0, 1, 2, nil)
    }

    public func makeNode(_ inputs: [Variable]) throws -> Apply {
        let check = BLASNodeCheck(op: "\(self)", inputs: inputs)
        try check.count(in: inPlace ? [5] : [5, 3], usage: inPlace ? "Z, alpha, X, Y, beta (an in-place Gemm needs Z to write into)" : "Z, alpha, X, Y, beta or alpha, X, Y")
        let p = Gemm.positions(inputs.count)
        let dtype = try check.floatDType(p.x, "X")
        try check.operand(p.x, "X", rank: 2, dtype)
        try check.operand(p.y, "Y", rank: 2, dtype)
        try check.scalar(p.alpha, "alpha", dtype)
        if let beta = p.beta { try check.scalar(beta, "beta", dtype) }
        let (x, y) = (inputs[p.x].type.shape, inputs[p.y].type.shape)
        let (m, k) = transposeX ? (x[1], x[0]) : (x[0], x[1])
        let (ky, n) = transposeY ? (y[1], y[0]) : (y[0], y[1])
        if let k, let ky, k != ky {
            throw TheanoError.shapeMismatch(
                "\(self): op(X) and op(Y) are not aligned: X \(describeVariable(inputs[p.x])) gives \(k) columns\(transposeX ? " (transposed)" : ""), Y \(describeVariable(inputs[p.y])) gives \(ky) rows\(transposeY ? " (transposed)" : "")")
        }
        var shape: [Int?] = [m, n]
        if let z = p.z {
            try check.operand(z, "Z", rank: 2, dtype)
            shape = try check.accumulatorShape(z, "Z", product: shape, inPlace: inPlace)
        }
        return Apply(op: self, inputs: inputs, outputTypes: [TensorType(dtype, shape: shape)])
    }

    /// The operands of one call, checked: `op(X)` and `op(Y)` (transposed views), the scale
    /// factors, and `Z` when the node has one. Backends' kernels and `perform` share it.
    public struct Operands {
        public let x: NDArray
        public let y: NDArray
        public let alpha: Double
        public let z: NDArray?
        public let beta: Double
    }

    /// Reads and checks a call's input values (run-time sizes, accumulator shape).
    public func operands(_ node: Apply, _ inputs: [NDArray]) throws -> Operands {
        let p = Gemm.positions(inputs.count)
        let x = transposeX ? inputs[p.x].T : inputs[p.x]
        let y = transposeY ? inputs[p.y].T : inputs[p.y]
        guard x.shape[1] == y.shape[0] else {
            throw TheanoError.shapeMismatch(
                "\(self): at run time, op(X) \(expressionText(node.inputs[p.x])) has shape \(formatShape(x.shape)) and op(Y) \(expressionText(node.inputs[p.y])) has shape \(formatShape(y.shape)); the columns of op(X) must equal the rows of op(Y)")
        }
        let alpha = try inputs[p.alpha].item(Double.self)
        guard let zi = p.z, let bi = p.beta else { return Operands(x: x, y: y, alpha: alpha, z: nil, beta: 0) }
        let z = inputs[zi]
        try checkRuntimeAccumulator(node, z, zi, "Z", product: [x.shape[0], y.shape[1]], op: "\(self)")
        return Operands(x: x, y: y, alpha: alpha, z: z, beta: try inputs[bi].item(Double.self))
    }

    /// The plain loops of ``NDArray/gemmReference(alpha:_:_:beta:adding:)``; the in-place
    /// variant returns a new array too (the OpenBLAS kernel is what writes in place).
    public func perform(_ node: Apply, _ inputs: [NDArray]) throws -> [NDArray] {
        let o = try operands(node, inputs)
        return [try NDArray.gemmReference(alpha: o.alpha, o.x, o.y, beta: o.beta, adding: o.z)]
    }

    public func inferShape(_ node: Apply, _ inputShapes: [[Variable]]) throws -> [[Variable]] {
        let p = Gemm.positions(node.inputs.count)
        let (xs, ys) = (inputShapes[p.x], inputShapes[p.y])
        let product = [transposeX ? xs[1] : xs[0], transposeY ? ys[0] : ys[1]]
        return [staticOrSymbolic(node.outputTypes[0], product)]
    }
}

// MARK: - Checks shared by Gemm, Gemv and Ger

/// Graph-construction checks of a BLAS node's inputs, with messages naming the op, the input's
/// role (`X`, `alpha`, ...) and its expression and type.
struct BLASNodeCheck {
    let op: String
    let inputs: [Variable]

    func count(in allowed: [Int], usage: String) throws {
        guard allowed.contains(inputs.count) else {
            throw TheanoError.invalidArgument("\(op): expected inputs \(usage); got \(inputs.count) inputs")
        }
    }

    /// The dtype of input `i`, which must be float32 or float64.
    func floatDType(_ i: Int, _ role: String) throws -> DType {
        let dtype = inputs[i].type.dtype
        guard dtype == .float32 || dtype == .float64 else {
            throw TheanoError.typeMismatch("\(op): \(role) (input \(i)) must be float32 or float64 for BLAS, got \(describeVariable(inputs[i]))")
        }
        return dtype
    }

    /// Input `i` has the given rank and dtype.
    func operand(_ i: Int, _ role: String, rank: Int, _ dtype: DType) throws {
        let v = inputs[i]
        guard v.type.dtype == dtype else {
            throw TheanoError.typeMismatch("\(op): \(role) (input \(i)) must have dtype \(dtype) like the other operands, got \(describeVariable(v))")
        }
        guard v.type.rank == rank else {
            let kind = rank == 1 ? "a vector (rank 1)" : "a matrix (rank 2)"
            throw TheanoError.shapeMismatch("\(op): \(role) (input \(i)) must be \(kind), got \(describeVariable(v))")
        }
    }

    /// Input `i` is a scalar (rank 0) of `dtype`.
    func scalar(_ i: Int, _ role: String, _ dtype: DType) throws {
        let v = inputs[i]
        guard v.type.rank == 0 else {
            throw TheanoError.shapeMismatch("\(op): \(role) (input \(i)) must be a scalar (rank 0), got \(describeVariable(v))")
        }
        guard v.type.dtype == dtype else {
            throw TheanoError.typeMismatch("\(op): \(role) (input \(i)) must have dtype \(dtype) like the operands, got \(describeVariable(v))")
        }
    }

    /// The output's static shape given the product's and the accumulator's (input `i`):
    /// accumulator axes of static size 1 broadcast (not allowed in place), known sizes must
    /// agree, and the product's size wins otherwise.
    func accumulatorShape(_ i: Int, _ role: String, product: [Int?], inPlace: Bool) throws -> [Int?] {
        let acc = inputs[i].type.shape
        return try product.indices.map { axis -> Int? in
            switch (product[axis], acc[axis]) {
            case let (p, .some(1)) where p != 1:
                if inPlace {
                    throw TheanoError.shapeMismatch(
                        "\(op): an in-place op writes into \(role), so \(role) (input \(i)) must have the result's shape \(formatStaticShape(product)), but \(describeVariable(inputs[i])) broadcasts along axis \(axis) (static size 1)")
                }
                return p
            case let (p?, a?) where p != a:
                throw TheanoError.shapeMismatch(
                    "\(op): \(role) (input \(i)) \(describeVariable(inputs[i])) does not fit the product's shape \(formatStaticShape(product)): axis \(axis) has size \(a), expected \(p) (or 1 to broadcast)")
            case let (p, a):
                return p ?? a
            }
        }
    }
}

/// At run time, every axis of the accumulator (input `i`) that does not broadcast statically
/// must have the product's size.
func checkRuntimeAccumulator(_ node: Apply, _ value: NDArray, _ i: Int, _ role: String, product: [Int], op: String) throws {
    let type = node.inputs[i].type
    for axis in product.indices where type.shape[axis] != 1 && value.shape[axis] != product[axis] {
        throw TheanoError.shapeMismatch(
            "\(op): at run time, \(role) \(expressionText(node.inputs[i])) has shape \(formatShape(value.shape)) but the product has shape \(formatShape(product)); axis \(axis) differs and is not declared broadcastable (static size 1)")
    }
}

/// The output shape: static sizes as constants, else the product's symbolic sizes.
func staticOrSymbolic(_ type: TensorType, _ product: [Variable]) -> [Variable] {
    product.indices.map { axis in type.shape[axis].map(shapeConstant) ?? product[axis] }
}
