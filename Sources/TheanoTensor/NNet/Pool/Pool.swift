import TheanoArray
import TheanoGraph

/// Pooling over the last 1 to 3 axes of its input (any leading axes, e.g. batch and
/// channels, are kept): the op behind ``pool2d(_:window:stride:padding:mode:ignoreBorder:)``
/// and its 1-d and 3-d forms. Theano's semantics: windows of `window` elements every `stride`,
/// over the input with `padding` zeros on both sides (padding requires `ignoreBorder`); with
/// `ignoreBorder: false` a partial window at the end is kept. See ``PoolMode`` for what each
/// window computes.
public struct Pool: Op {
    public let parameters: PoolParameters

    public init(_ parameters: PoolParameters) { self.parameters = parameters }

    public var description: String { "Pool\(parameters.spatialRank)D{\(parameters)}" }

    public func makeNode(_ inputs: [Variable]) throws -> Apply {
        guard inputs.count == 1 else { throw TheanoError.invalidArgument("\(parameters.name): expected 1 input, got \(inputs.count)") }
        return Apply(op: self, inputs: inputs, outputTypes: [try parameters.outputType(inputs[0], op: parameters.name)])
    }

    public func perform(_ node: Apply, _ inputs: [NDArray]) throws -> [NDArray] {
        let g = try parameters.geometry(inputs[0].shape, op: parameters.name)
        let x = inputs[0].toArray(of: Double.self)
        var y = [Double](repeating: 0, count: g.batch * g.outputSpatial)
        for b in 0..<g.batch {
            let base = b * g.inputSpatial
            for o in 0..<g.outputSpatial {
                if parameters.mode == .max {
                    y[b * g.outputSpatial + o] = x[g.winner(x, base: base, output: o)]
                } else {
                    let total = g.cells[o].reduce(0.0) { $0 + x[base + $1] }
                    y[b * g.outputSpatial + o] = total / g.divisors[o]
                }
            }
        }
        return [try NDArray(y, shape: g.outputShape).astype(node.outputTypes[0].dtype)]
    }

    public func inferShape(_ node: Apply, _ inputShapes: [[Variable]]) throws -> [[Variable]] {
        [try poolOutputShape(parameters, inputShapes[0], node.outputTypes[0])]
    }
}

/// The gradient of max pooling: the inputs are the pooled input `x` and the output gradient
/// `gy`; each window's gradient goes to exactly one element of `x`, its winner: the first
/// maximum in row-major window order (as Theano). The result has `x`'s shape.
public struct MaxPoolGrad: Op {
    public let parameters: PoolParameters

    public init(_ parameters: PoolParameters) { self.parameters = parameters }

    public var description: String { "MaxPoolGrad\(parameters.spatialRank)D{\(parameters)}" }

    public func makeNode(_ inputs: [Variable]) throws -> Apply {
        try checkPoolGradInputs(inputs, parameters, op: parameters.name + "MaxGrad", second: "output gradient", secondPooled: true)
        return Apply(op: self, inputs: inputs, outputTypes: [inputs[0].type])
    }

    public func perform(_ node: Apply, _ inputs: [NDArray]) throws -> [NDArray] {
        let g = try poolGradGeometry(inputs, parameters, op: parameters.name + "MaxGrad", secondPooled: true)
        let x = inputs[0].toArray(of: Double.self), gy = inputs[1].toArray(of: Double.self)
        var gx = [Double](repeating: 0, count: x.count)
        for b in 0..<g.batch {
            for o in 0..<g.outputSpatial {
                gx[g.winner(x, base: b * g.inputSpatial, output: o)] += gy[b * g.outputSpatial + o]
            }
        }
        return [try NDArray(gx, shape: g.inputShape).astype(node.outputTypes[0].dtype)]
    }

    public func inferShape(_ node: Apply, _ inputShapes: [[Variable]]) throws -> [[Variable]] {
        [inputShapes[0]]
    }
}

/// The values of `g` (shaped like the pooled input `x`) at each max-pooling window's winner in
/// `x` (see ``MaxPoolGrad`` for the tie rule): the gradient of ``MaxPoolGrad`` with respect to
/// its output gradient. The result has the pooled shape.
public struct MaxPoolGather: Op {
    public let parameters: PoolParameters

    public init(_ parameters: PoolParameters) { self.parameters = parameters }

    public var description: String { "MaxPoolGather\(parameters.spatialRank)D{\(parameters)}" }

    public func makeNode(_ inputs: [Variable]) throws -> Apply {
        try checkPoolGradInputs(inputs, parameters, op: parameters.name + "MaxGather", second: "gathered values", secondPooled: false)
        return Apply(op: self, inputs: inputs, outputTypes: [try parameters.outputType(inputs[0], op: parameters.name + "MaxGather")])
    }

    public func perform(_ node: Apply, _ inputs: [NDArray]) throws -> [NDArray] {
        let g = try poolGradGeometry(inputs, parameters, op: parameters.name + "MaxGather", secondPooled: false)
        let x = inputs[0].toArray(of: Double.self), v = inputs[1].toArray(of: Double.self)
        var y = [Double](repeating: 0, count: g.batch * g.outputSpatial)
        for b in 0..<g.batch {
            for o in 0..<g.outputSpatial {
                y[b * g.outputSpatial + o] = v[g.winner(x, base: b * g.inputSpatial, output: o)]
            }
        }
        return [try NDArray(y, shape: g.outputShape).astype(node.outputTypes[0].dtype)]
    }

    public func inferShape(_ node: Apply, _ inputShapes: [[Variable]]) throws -> [[Variable]] {
        [try poolOutputShape(parameters, inputShapes[0], node.outputTypes[0])]
    }
}

/// The gradient of average and sum pooling: the inputs are the pooled input `x` (for its
/// shape) and the output gradient `gy`; each window's gradient divided by its divisor goes to
/// every input element the window covers. The result has `x`'s shape.
public struct AveragePoolGrad: Op {
    public let parameters: PoolParameters

    public init(_ parameters: PoolParameters) { self.parameters = parameters }

    public var description: String { "AveragePoolGrad\(parameters.spatialRank)D{\(parameters)}" }

    public func makeNode(_ inputs: [Variable]) throws -> Apply {
        try checkPoolGradInputs(inputs, parameters, op: parameters.name + "AverageGrad", second: "output gradient", secondPooled: true)
        return Apply(op: self, inputs: inputs, outputTypes: [inputs[0].type])
    }

    public func perform(_ node: Apply, _ inputs: [NDArray]) throws -> [NDArray] {
        let g = try poolGradGeometry(inputs, parameters, op: parameters.name + "AverageGrad", secondPooled: true)
        let gy = inputs[1].toArray(of: Double.self)
        var gx = [Double](repeating: 0, count: g.batch * g.inputSpatial)
        for b in 0..<g.batch {
            for o in 0..<g.outputSpatial {
                let share = gy[b * g.outputSpatial + o] / g.divisors[o]
                for c in g.cells[o] { gx[b * g.inputSpatial + c] += share }
            }
        }
        return [try NDArray(gx, shape: g.inputShape).astype(node.outputTypes[0].dtype)]
    }

    public func inferShape(_ node: Apply, _ inputShapes: [[Variable]]) throws -> [[Variable]] {
        [inputShapes[0]]
    }
}

// MARK: - Shared checks

/// The pooled shape from symbolic input sizes, constants where static.
private func poolOutputShape(_ p: PoolParameters, _ x: [Variable], _ type: TensorType) throws -> [Variable] {
    let lead = x.count - p.spatialRank
    let pooled = try (0..<p.spatialRank).map { try p.outputSize(x[lead + $0], axis: $0) }
    return withStaticSizes(Array(x[..<lead]) + pooled, of: type)
}

/// Two inputs of one float dtype: `x`, and a second one shaped like the pooled `x`
/// (`secondPooled`) or like `x` itself.
private func checkPoolGradInputs(_ inputs: [Variable], _ p: PoolParameters, op: String, second: String, secondPooled: Bool) throws {
    guard inputs.count == 2 else { throw TheanoError.invalidArgument("\(op): expected the input and the \(second), got \(inputs.count) inputs") }
    let (x, v) = (inputs[0], inputs[1])
    let pooled = try p.outputType(x, op: op)
    let expected = secondPooled ? pooled : x.type
    guard v.type.dtype == x.type.dtype, v.type.rank == expected.rank else {
        throw TheanoError.typeMismatch("\(op): the \(second) must be like \(expected), got \(describeVariable(v)) (input \(describeVariable(x)))")
    }
    for (a, (e, s)) in zip(expected.shape, v.type.shape).enumerated() {
        if let e, let s, e != s {
            throw TheanoError.shapeMismatch("\(op): the \(second) \(describeVariable(v)) has size \(s) at axis \(a), expected \(e) (input \(describeVariable(x)))")
        }
    }
}

/// The geometry of `inputs[0]`, checking the second input's run-time shape.
private func poolGradGeometry(_ inputs: [NDArray], _ p: PoolParameters, op: String, secondPooled: Bool) throws -> PoolGeometry {
    let g = try p.geometry(inputs[0].shape, op: op)
    let expected = secondPooled ? g.outputShape : g.inputShape
    guard inputs[1].shape == expected else {
        throw TheanoError.shapeMismatch("\(op): expected a second operand of shape \(formatShape(expected)) for an input of shape \(formatShape(inputs[0].shape)), got \(formatShape(inputs[1].shape))")
    }
    return g
}
