import TheanoArray
import TheanoGraph

/// The matrix product with NumPy's `matmul` rules (the op behind ``matmul(_:_:)`` and, for
/// operands of rank <= 2, ``dot(_:_:)``).
///
/// - A 1-D input 0 is a row and a 1-D input 1 a column; the added axis is removed from the
///   output, so vector x vector is a scalar.
/// - Inputs of rank > 2 are stacks of matrices in their last two axes; the leading (batch) axes
///   broadcast. As everywhere in the graph, a batch axis broadcasts only when its static size is
///   1; unknown sizes must agree at run time.
/// - Both inputs have one dtype (the functions promote first); the output has it too.
///
/// `perform` is the plain triple loop (``NDArray/matmulReference(_:_:)``); the CPU backend
/// runs float32 and float64 products on OpenBLAS (``NDArray/matmul(_:_:)``).
public struct MatMul: Op {
    public init() {}

    public var description: String { "MatMul" }

    public func makeNode(_ inputs: [Variable]) throws -> Apply {
        guard inputs.count == 2 else {
            throw TheanoError.invalidArgument("matmul: expected 2 inputs, got \(inputs.count)")
        }
        let (a, b) = (inputs[0], inputs[1])
        guard a.type.dtype == b.type.dtype else {
            throw TheanoError.typeMismatch(
                "matmul: both inputs must have the same dtype (the functions matmul and dot promote them); input 0 is \(describeVariable(a)), input 1 is \(describeVariable(b))")
        }
        try MatMul.checkContraction(a, b, op: "matmul")
        let batch = try MatMul.staticBatchShape(a, b)
        var shape = batch
        if a.type.rank >= 2 { shape.append(a.type.shape[a.type.rank - 2]) }
        if b.type.rank >= 2 { shape.append(b.type.shape[b.type.rank - 1]) }
        return Apply(op: self, inputs: inputs, outputTypes: [TensorType(a.type.dtype, shape: shape)])
    }

    public func perform(_ node: Apply, _ inputs: [NDArray]) throws -> [NDArray] {
        try checkRuntimeShapes(node, inputs)
        return [try NDArray.matmulReference(inputs[0], inputs[1])]
    }

    /// Checks a call's input values: the contracted sizes agree and the batch axes broadcast
    /// as the static types declare. Backends' kernels and `perform` share it.
    public func checkRuntimeShapes(_ node: Apply, _ inputs: [NDArray]) throws {
        let (a, b) = (inputs[0], inputs[1])
        let (ka, kb) = MatMul.contractedAxes(a.rank, b.rank)
        guard a.shape[ka] == b.shape[kb] else {
            throw TheanoError.shapeMismatch(
                "matmul: at run time, input 0 \(expressionText(node.inputs[0])) has shape \(formatShape(a.shape)) and input 1 \(expressionText(node.inputs[1])) has shape \(formatShape(b.shape)); axis \(ka) of input 0 (size \(a.shape[ka])) must equal axis \(kb) of input 1 (size \(b.shape[kb]))")
        }
        try MatMul.checkRuntimeBatch(node, a, b)
    }

    public func inferShape(_ node: Apply, _ inputShapes: [[Variable]]) throws -> [[Variable]] {
        let (a, b) = (node.inputs[0].type, node.inputs[1].type)
        let out = node.outputTypes[0]
        let (batchA, batchB) = (Swift.max(a.rank - 2, 0), Swift.max(b.rank - 2, 0))
        let batchRank = Swift.max(batchA, batchB)
        var dims: [Variable] = []
        for axis in 0..<batchRank {
            if let size = out.shape[axis] {
                dims.append(shapeConstant(size))
                continue
            }
            // An unknown batch size comes from an input whose axis does not broadcast.
            let ia = axis - (batchRank - batchA), ib = axis - (batchRank - batchB)
            dims.append(ia >= 0 && a.shape[ia] != 1 ? inputShapes[0][ia] : inputShapes[1][ib])
        }
        if a.rank >= 2 { dims.append(inputShapes[0][a.rank - 2]) }
        if b.rank >= 2 { dims.append(inputShapes[1][b.rank - 1]) }
        return [dims]
    }

    /// Checks, on static types, that neither input is a scalar and that the summed axes agree
    /// (the last axis of `a`, the second-to-last of `b`, or its only axis when 1-D). `op` names
    /// the function the user called.
    static func checkContraction(_ a: Variable, _ b: Variable, op: String) throws {
        for (i, v) in [a, b].enumerated() where v.type.rank == 0 {
            throw TheanoError.invalidArgument(
                "\(op): input \(i) \(describeVariable(v)) is a scalar; \(op) needs inputs of rank 1 or more (multiply with * to scale)")
        }
        let (ka, kb) = contractedAxes(a.type.rank, b.type.rank)
        if let sa = a.type.shape[ka], let sb = b.type.shape[kb], sa != sb {
            throw TheanoError.shapeMismatch(contractionMessage(op, a, ka, b, kb, sizes: (sa, sb)))
        }
    }

    /// The axis of each input that the product sums over.
    static func contractedAxes(_ rankA: Int, _ rankB: Int) -> (Int, Int) {
        (rankA - 1, rankB == 1 ? 0 : rankB - 2)
    }

    /// The static broadcast of the batch axes (all axes but the last two; none for 1-D).
    static func staticBatchShape(_ a: Variable, _ b: Variable) throws -> [Int?] {
        let ba = Array(a.type.shape.dropLast(2)), bb = Array(b.type.shape.dropLast(2))
        let rank = Swift.max(ba.count, bb.count)
        let pa = Array(repeating: 1, count: rank - ba.count) + ba
        let pb = Array(repeating: 1, count: rank - bb.count) + bb
        return try (0..<rank).map { axis -> Int? in
            switch (pa[axis], pb[axis]) {
            case (.some(1), let s), (let s, .some(1)): return s
            case let (x?, y?) where x != y:
                throw TheanoError.shapeMismatch(
                    "matmul: the batch axes of input 0 \(describeVariable(a)) and input 1 \(describeVariable(b)) cannot be broadcast together: batch axis \(axis) (counted from the left of the broadcast batch shape) has size \(x) vs \(y)")
            case let (x?, _): return x
            case let (_, y): return y
            }
        }
    }

    /// At run time, batch axes that are not statically broadcastable must have equal sizes.
    static func checkRuntimeBatch(_ node: Apply, _ a: NDArray, _ b: NDArray) throws {
        let ta = node.inputs[0].type, tb = node.inputs[1].type
        let ra = Swift.max(a.rank - 2, 0), rb = Swift.max(b.rank - 2, 0)
        let rank = Swift.max(ra, rb)
        for axis in 0..<rank {
            let ia = axis - (rank - ra), ib = axis - (rank - rb)
            guard ia >= 0, ib >= 0, ta.shape[ia] != 1, tb.shape[ib] != 1 else { continue }
            if a.shape[ia] != b.shape[ib] {
                throw TheanoError.shapeMismatch(
                    "matmul: at run time, input 0 \(expressionText(node.inputs[0])) has shape \(formatShape(a.shape)) and input 1 \(expressionText(node.inputs[1])) has shape \(formatShape(b.shape)); their batch axes \(ia) and \(ib) differ (\(a.shape[ia]) vs \(b.shape[ib])) and are not declared broadcastable (static size 1)")
            }
        }
    }
}

/// The message for two contracted axes of different static sizes.
func contractionMessage(_ op: String, _ a: Variable, _ axisA: Int, _ b: Variable, _ axisB: Int, sizes: (Int, Int)) -> String {
    "\(op): input 0 \(describeVariable(a)) and input 1 \(describeVariable(b)) are not aligned: axis \(axisA) of input 0 has size \(sizes.0) but axis \(axisB) of input 1 has size \(sizes.1)"
}
