import TheanoArray
import TheanoGraph

/// A convolution followed by its epilogue: a per-channel bias added, then (optionally) the
/// rectifier, as one op: `max(conv(x, w) + b, 0)`. The rewrite `conv_bias_relu` builds it
/// from a ``Conv`` whose output feeds nothing but the addition or the `maximum` (an inference
/// graph, or any graph where the pre-activation is not read again), so a backend with a fused
/// kernel (oneDNN's post-ops on the CPU) writes the activation once instead of three times.
///
/// Inputs: the input `[N, C, spatial...]`, the filters `[O, C / groups, kernel...]` and, when
/// ``hasBias``, the bias as the graph added it: an array of the output's rank with size 1 on
/// every axis but the channel axis (`[1, O, 1, 1]` or `[1, 1, 1, 1]`). The value equals the
/// unfused graph's: the convolution is rounded to the dtype, then the bias added, then the
/// rectifier applied (NaN stays NaN), each in the dtype.
public struct ConvBiasReLU: Op {
    public let parameters: ConvParameters
    /// Whether a bias (input 2) is added.
    public let hasBias: Bool
    /// Whether `max(_, 0)` is applied last.
    public let relu: Bool

    public init(_ parameters: ConvParameters, hasBias: Bool, relu: Bool) {
        self.parameters = parameters
        self.hasBias = hasBias
        self.relu = relu
    }

    public var description: String {
        "Conv\(parameters.spatialRank)D{\(parameters)}" + (hasBias ? "+bias" : "") + (relu ? "+relu" : "")
    }

    public func makeNode(_ inputs: [Variable]) throws -> Apply {
        let op = description
        guard inputs.count == (hasBias ? 3 : 2) else {
            throw TheanoError.invalidArgument("\(op): expected an input, filters\(hasBias ? " and a bias" : ""), got \(inputs.count) inputs")
        }
        let conv = try Conv(parameters).makeNode(Array(inputs.prefix(2)))
        let outType = conv.outputTypes[0]
        if hasBias {
            let b = inputs[2]
            let wrong = b.type.rank != outType.rank || b.type.dtype != outType.dtype
                || b.type.shape.enumerated().contains { axis, size in axis != 1 && size != 1 }
            guard !wrong else {
                throw TheanoError.typeMismatch("\(op): the bias must be a \(outType.dtype) array of rank \(outType.rank) with size 1 on every axis but the channel axis, got \(b.type)")
            }
        }
        return Apply(op: self, inputs: inputs, outputTypes: [outType])
    }

    public func perform(_ node: Apply, _ inputs: [NDArray]) throws -> [NDArray] {
        let conv = try Conv(parameters).makeNode(node.inputs.prefix(2).map { $0 })
        var y = try Conv(parameters).perform(conv, Array(inputs.prefix(2)))[0]
        if hasBias {
            guard inputs[2].rank == y.rank, inputs[2].shape.enumerated().allSatisfy({ $1 == 1 || ($0 == 1 && $1 == y.shape[1]) }) else {
                throw TheanoError.shapeMismatch("\(description): a bias of shape \(formatShape(inputs[2].shape)) for an output of shape \(formatShape(y.shape))")
            }
            let b = try inputs[2].broadcast(to: y.shape)
            switch y.dtype {
            case .float32: y = mapElements(y, b, Float.self, Float.self, Float.self) { $0 + $1 }
            default: y = mapElements(y.astype(.float64), b.astype(.float64), Double.self, Double.self, Double.self) { $0 + $1 }
            }
        }
        if relu {
            switch y.dtype {
            case .float32: y = mapElements(y, Float.self, Float.self) { $0 > 0 || $0.isNaN ? $0 : 0 }
            default: y = mapElements(y.astype(.float64), Double.self, Double.self) { $0 > 0 || $0.isNaN ? $0 : 0 }
            }
        }
        return [y.astype(node.outputTypes[0].dtype)]
    }

    public func inferShape(_ node: Apply, _ inputShapes: [[Variable]]) throws -> [[Variable]] {
        let conv = try Conv(parameters).makeNode(Array(node.inputs.prefix(2)))
        return try Conv(parameters).inferShape(conv, Array(inputShapes.prefix(2)))
    }

    /// The gradient of the unfused expression `max(conv(x, w) + b, 0)` (the rectifier's
    /// subgradient at 0 as ``maximum(_:_:)``'s).
    public func pullback(_ node: Apply, _ outputGradients: [Variable?]) throws -> [Variable?] {
        guard let gy = outputGradients[0] else { return node.inputs.map { _ in nil } }
        let operands = node.inputs.map { Tensor($0) }
        var z = Tensor(try Conv(parameters).makeNode([operands[0].variable, operands[1].variable]).outputs[0])
        if hasBias { z = try z + operands[2] }
        let y = relu ? try maximum(z, 0) : z
        return try grad(nil, wrt: operands, disconnected: .zero, knownGrads: [y: Tensor(gy)]).map { $0.variable }
    }
}
