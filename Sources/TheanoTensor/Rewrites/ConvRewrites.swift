import TheanoArray
import TheanoGraph

/// Convolution rewrites, in the specialisation set: a convolution's epilogue (a per-channel
/// bias, then the rectifier) joins the convolution as one ``ConvBiasReLU`` node when nothing
/// else reads the intermediate results. In a training graph the rectifier's gradient reads the
/// pre-activation, so the epilogue stays separate there; inference graphs (a classifier's
/// prediction function) get the fused node.
public enum ConvRewrites {
    /// `conv(x, w) + b` (b of size 1 on every axis but the channels) -> `ConvBiasReLU(bias)`,
    /// and `max(conv(x, w) [+ b], 0)` -> `ConvBiasReLU(relu)`.
    public static let fuseEpilogue = Rewrite("conv_bias_relu", tracks: [Elemwise.self]) { graph, node in
        switch scalarOp(node) {
        case .add:
            guard node.inputs.count == 2 else { return nil }
            for (i, convolved) in node.inputs.enumerated() {
                guard let producer = soleProducer(convolved, graph), let conv = producer.op as? Conv else { continue }
                let bias = node.inputs[1 - i]
                let type = convolved.type
                guard bias.type.dtype == type.dtype, bias.type.rank == type.rank,
                      bias.type.shape.enumerated().allSatisfy({ axis, size in axis == 1 || size == 1 }),
                      bias.type.shape[1] == 1 || bias.type.shape[1] == type.shape[1] || bias.type.shape[1] == nil
                else { continue }
                let fused = try ConvBiasReLU(conv.parameters, hasBias: true, relu: false)
                    .makeNode(producer.inputs + [bias]).outputs[0]
                if node.outputs[0].type.isSatisfied(by: fused.type) { return [fused] }
            }
            return nil
        case .maximum:
            guard let (operand, _) = operandAndConstant(node, commutative: true, { $0 == 0 }),
                  let producer = soleProducer(operand, graph) else { return nil }
            let fused: Variable
            if let conv = producer.op as? Conv {
                fused = try ConvBiasReLU(conv.parameters, hasBias: false, relu: true).makeNode(producer.inputs).outputs[0]
            } else if let epilogue = producer.op as? ConvBiasReLU, !epilogue.relu {
                fused = try ConvBiasReLU(epilogue.parameters, hasBias: epilogue.hasBias, relu: true).makeNode(producer.inputs).outputs[0]
            } else {
                return nil
            }
            return node.outputs[0].type.isSatisfied(by: fused.type) && fused.type.dtype == node.outputs[0].type.dtype ? [fused] : nil
        default:
            return nil
        }
    }

    /// The node computing `v` when `v` is read by exactly one node and is not a graph output.
    private static func soleProducer(_ v: Variable, _ graph: FunctionGraph) -> Apply? {
        let clients = graph.clients(of: v)
        guard clients.count == 1, clients[0].node != nil, let producer = v.owner else { return nil }
        return producer
    }

    public static let all: [Rewrite] = [fuseEpilogue]
}
