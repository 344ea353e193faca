import TheanoArray
import TheanoGraph

/// Rewrites that take work out of ``Blockwise`` (PyTensor's `local_useless_blockwise` and
/// `local_blockwise_alloc`): a core op that already batches becomes one batched node instead
/// of a loop running the core op per block, and a batch input broadcast by `Alloc` or
/// `BroadcastTo` is passed unbroadcast, since `Blockwise` broadcasts batch axes itself.
public enum BlockwiseRewrites {
    /// A `Blockwise` of an elementwise op, `MatMul` on matrices or `Outer` on vectors -> the
    /// same op on the stacked inputs (elementwise and `matmul` broadcast batch axes exactly as
    /// `Blockwise` does; batched `outer` is an elementwise product of `x[..., :, None]` and
    /// `y[..., None, :]`).
    public static let nativeBatching = Rewrite("blockwise_native", tracks: [Blockwise.self]) { _, node in
        guard let blockwise = node.op as? Blockwise else { return nil }
        let inputs = node.inputs.map(Tensor.init)
        let batched: Tensor
        switch blockwise.core {
        case let op as Elemwise where blockwise.coreRanks.allSatisfy({ $0 == 0 }):
            let rank = inputs.map(\.rank).max() ?? 0
            let aligned = try inputs.map { try leadingAxes($0, to: rank) }
            batched = Tensor(try op.makeNode(aligned.map(\.variable)).outputs[0])
        case is MatMul where blockwise.coreRanks == [2, 2]:
            batched = Tensor(try MatMul().makeNode(node.inputs).outputs[0])
        case is Outer where blockwise.coreRanks == [1, 1]:
            let rank = Swift.max(inputs[0].rank, inputs[1].rank) + 1
            let column = try leadingAxes(try expandLast(inputs[0]), to: rank)
            let row = try leadingAxes(try dimshuffle(inputs[1], Array(0..<(inputs[1].rank - 1)) + [DimShuffle.newAxis, inputs[1].rank - 1]), to: rank)
            batched = Tensor(try Elemwise(.mul).makeNode([column.variable, row.variable]).outputs[0])
        default:
            return nil
        }
        guard node.outputs.count == 1, node.outputs[0].type.isSatisfied(by: batched.type) else { return nil }
        return [batched.variable]
    }

    /// A `Blockwise` input that is `Alloc` or `BroadcastTo` of a smaller value along batch
    /// axes -> that value (with size-1 axes where it had none), when every batch axis it
    /// broadcast has the same static size in another input: the broadcast copy is never made,
    /// and the output's shape is unchanged. Core axes are left as they are.
    public static let liftBroadcast = Rewrite("blockwise_alloc", tracks: [Blockwise.self]) { _, node in
        guard let blockwise = node.op as? Blockwise else { return nil }
        let batchRank = node.outputs[0].type.rank - (try blockwise.coreApply(node.inputs.map(\.type)).outputTypes[0].rank)
        for (i, input) in node.inputs.enumerated() {
            guard let alloc = input.owner, alloc.op is Alloc || alloc.op is BroadcastTo else { continue }
            let value = alloc.inputs[0], coreRank = blockwise.coreRanks[i]
            let target = input.type
            guard value.type.rank >= coreRank else { continue }
            // The core axes must not be broadcast.
            let valueCore = value.type.shape.suffix(coreRank), targetCore = target.shape.suffix(coreRank)
            guard zip(valueCore, targetCore).allSatisfy({ v, t in v != 1 || t == 1 }) else { continue }
            // The value's batch axes, right-aligned against the target's, with size 1 where it
            // has none.
            let unbroadcast = try leadingAxes(Tensor(value), to: target.rank)
            var supplied = true
            for axis in 0..<(target.rank - coreRank) where unbroadcast.staticShape[axis] == 1 && target.shape[axis] != 1 {
                // Another input must give this output batch axis the same static size.
                let outAxis = axis + (batchRank - (target.rank - coreRank))
                guard let size = target.shape[axis] ?? node.outputs[0].type.shape[outAxis] else { supplied = false; break }
                let others = node.inputs.enumerated().contains { j, other in
                    guard j != i else { return false }
                    let otherAxis = outAxis - (batchRank - (other.type.rank - blockwise.coreRanks[j]))
                    return otherAxis >= 0 && otherAxis < other.type.rank - blockwise.coreRanks[j] && other.type.shape[otherAxis] == size
                }
                if !others { supplied = false; break }
            }
            guard supplied else { continue }
            var inputs = node.inputs
            inputs[i] = unbroadcast.variable
            let replacement = try blockwise.makeNode(inputs)
            guard zip(node.outputs, replacement.outputs).allSatisfy({ $0.type.isSatisfied(by: $1.type) }) else { continue }
            return replacement.outputs
        }
        return nil
    }

    /// `t` with size-1 axes in front up to `rank` axes.
    private static func leadingAxes(_ t: Tensor, to rank: Int) throws -> Tensor {
        t.rank >= rank ? t : try dimshuffle(t, Array(repeating: DimShuffle.newAxis, count: rank - t.rank) + Array(0..<t.rank))
    }

    /// `t` with a size-1 axis after its last.
    private static func expandLast(_ t: Tensor) throws -> Tensor {
        try dimshuffle(t, Array(0..<t.rank) + [DimShuffle.newAxis])
    }

    /// The Blockwise rules.
    public static let all: [Rewrite] = [nativeBatching, liftBroadcast]
}
