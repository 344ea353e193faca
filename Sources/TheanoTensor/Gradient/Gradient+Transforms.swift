import TheanoArray
import TheanoGraph

/// The vector-Jacobian product (left operator): `sum_i v_i^T (d f_i / d wrt)` for each `wrt`.
///
/// `vectors[i]` has the shape of `outputs[i]`; the result has each `wrt`'s shape. This is one
/// backward pass started from `vectors` instead of from a scalar cost.
public func lop(_ outputs: [Tensor], wrt: [Tensor], vectors: [Tensor],
                disconnected: DisconnectedInputs = .raise) throws -> [Tensor] {
    guard outputs.count == vectors.count else {
        throw TheanoError.invalidArgument("lop: \(outputs.count) outputs but \(vectors.count) vectors; give one vector per output")
    }
    var known: [Tensor: Tensor] = [:]
    for (f, v) in zip(outputs, vectors) {
        guard TensorType(f.dtype, shape: f.staticShape).isCompatible(with: TensorType(f.dtype, shape: v.staticShape)) else {
            throw TheanoError.shapeMismatch("lop: the vector for \(describeVariable(f.variable)) has type \(v.type); it must have the output's shape")
        }
        known[f] = v
    }
    return try grad(nil, wrt: wrt, disconnected: disconnected, knownGrads: known)
}

/// The Jacobian-vector product (right operator): `sum_j (d f / d wrt_j) v_j` for each output.
///
/// `vectors[j]` has the shape of `wrt[j]`; the result has each output's shape. Computed with
/// the double-pullback trick: the vector-Jacobian product `lop(f, wrt, u)` is linear in `u`, and
/// its own vector-Jacobian product with respect to `u` is the Jacobian-vector product.
public func rop(_ outputs: [Tensor], wrt: [Tensor], vectors: [Tensor]) throws -> [Tensor] {
    guard wrt.count == vectors.count else {
        throw TheanoError.invalidArgument("rop: \(wrt.count) variables but \(vectors.count) vectors; give one vector per variable")
    }
    for (w, v) in zip(wrt, vectors) where !TensorType(w.dtype, shape: w.staticShape).isCompatible(with: TensorType(w.dtype, shape: v.staticShape)) {
        throw TheanoError.shapeMismatch("rop: the vector for \(describeVariable(w.variable)) has type \(v.type); it must have that variable's shape")
    }
    let dummies = outputs.map { Tensor.variable("u", $0.dtype, shape: $0.staticShape) }
    let vjp = try lop(outputs, wrt: wrt, vectors: dummies, disconnected: .zero)
    let jvp = try grad(nil, wrt: dummies, disconnected: .zero, knownGrads: Dictionary(uniqueKeysWithValues: zip(vjp, vectors)))
    // The result is linear in nothing but `vectors`; any leftover reference to a dummy is
    // multiplied by zero, so substitute zeros of the outputs' shapes.
    var replacements: [Variable: Variable] = [:]
    for (u, f) in zip(dummies, outputs) { replacements[u.variable] = try zerosLike(f).variable }
    let cloned = try cloneGraph(inputs: [], outputs: jvp.map(\.variable), replacements: replacements)
    return cloned.outputs.map(Tensor.init)
}

/// The Jacobian of `expression` with respect to `wrt`: shape `expression.shape + wrt.shape`,
/// entry `[i..., j...]` = d expression[i...] / d wrt[j...].
///
/// Any size works, including sizes known only at run time:
/// - an expression with a static size of at most 16 elements is differentiated row by row
///   into the graph (`grad` of each element, stacked), which the optimiser fuses with the
///   rest and which can be differentiated again;
/// - otherwise one ``JacobianOp`` node computes it at run time: an inner graph computes the
///   vector-Jacobian product `lop(expression, wrt, v)` for a cotangent `v`, and runs once
///   per element with `v` set to each basis vector (compiled once, on the CPU as a nested
///   program); the forward values it needs are computed once, outside. This is Theano's
///   `scan`-based Jacobian without `scan`. It cannot be differentiated again.
///
/// A rank-0 expression gives its gradient.
public func jacobian(_ expression: Tensor, wrt: Tensor, disconnected: DisconnectedInputs = .raise) throws -> Tensor {
    if expression.rank == 0 { return try grad(expression, wrt: wrt, disconnected: disconnected) }
    let context = "jacobian of \(describeVariable(expression.variable))"
    guard let shape = expression.type.staticShape, try checkedShapeSize(shape, context: context) <= jacobianUnrollLimit else {
        return try runtimeJacobian(expression, wrt: wrt, disconnected: disconnected)
    }
    let n = try checkedShapeSize(shape, context: context)
    let flat = try reshape(expression, [n])
    let rows = try (0..<n).map { i in try grad(flat[i], wrt: wrt, disconnected: disconnected) }
    if rows.isEmpty { return try zeros(shape.map { Tensor(shapeConstant($0)) } + wrt.shapeList(), wrt.dtype) }
    let stacked = try stack(rows, axis: 0)
    return try reshape(stacked, shape.map { Tensor(shapeConstant($0)) } + wrt.shapeList())
}

/// The Hessian of a scalar `cost` with respect to `wrt`: shape `wrt.shape + wrt.shape`. Any
/// size of `wrt` works (see ``jacobian(_:wrt:disconnected:)``).
public func hessian(_ cost: Tensor, wrt: Tensor) throws -> Tensor {
    try jacobian(grad(cost, wrt: wrt), wrt: wrt)
}
