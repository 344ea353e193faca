import TheanoArray
import TheanoGraph

/// The gradient of a tensor contraction.
///
/// The output's axes are input 0's free axes then input 1's. The gradient of input 0 contracts
/// `g` with input 1 over input 1's free axes, which leaves input 0's free axes followed by the
/// partners of input 1's summed axes (in input 1's order); a transpose puts them back in input
/// 0's order. Input 1's gradient is the mirror image.
extension TensorDot {
    public func pullback(_ node: Apply, _ outputGradients: [Variable?]) throws -> [Variable?] {
        guard let gv = outputGradients[0] else { return [nil, nil] }
        let g = Tensor(gv)
        let a = Tensor(node.inputs[0]), b = Tensor(node.inputs[1])
        let freeA = freeAxesA(a.rank), freeB = freeAxesB(b.rank)
        let gFreeA = Array(0..<freeA.count), gFreeB = Array(freeA.count..<(freeA.count + freeB.count))

        // g · b over b's free axes: [freeA..., b's summed axes in b's order].
        let ga = try tensordot(g, b, axes: (gFreeB, freeB))
        let gaAxes = freeA + axesB.sorted().map { axesA[axesB.firstIndex(of: $0) ?? 0] }
        // a · g over a's free axes: [a's summed axes in a's order, freeB...].
        let gb = try tensordot(a, g, axes: (freeA, gFreeA))
        let gbAxes = axesA.sorted().map { axesB[axesA.firstIndex(of: $0) ?? 0] } + freeB
        return [try inverseTranspose(ga, gaAxes).variable, try inverseTranspose(gb, gbAxes).variable]
    }

    /// `t`, whose axis `i` is the operand's axis `axes[i]`, with its axes put in the operand's
    /// order.
    private func inverseTranspose(_ t: Tensor, _ axes: [Int]) throws -> Tensor {
        let order = axes.indices.map { axis in axes.firstIndex(of: axis) ?? axis }
        return try transpose(t, axes: order)
    }
}
