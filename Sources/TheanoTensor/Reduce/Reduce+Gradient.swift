import TheanoArray
import TheanoGraph

/// Gradients of reductions.
///
/// - sum: the output gradient broadcast back over the reduced axes.
/// - prod: the product of the other elements, computed without dividing by zero (one zero in
///   a lane gets the product of the rest, every other element of that lane 0).
/// - max, min: the gradient goes to the elements equal to the result; ties share it equally.
/// - all, any: bool outputs, no gradient.
extension Reduce {
    public func pullback(_ node: Apply, _ outputGradients: [Variable?]) throws -> [Variable?] {
        guard let gv = outputGradients[0], node.inputs[0].type.dtype.isFloatingPoint else { return [nil] }
        let x = Tensor(node.inputs[0])
        let g = try expandReduced(Tensor(gv))
        let z = try expandReduced(Tensor(node.output))
        switch kind {
        case .sum:
            return [try broadcastTo(g, x.shapeList()).variable]
        case .prod:
            let isZero = try x .== 0
            let zeros = try sum(cast(isZero, x.dtype), axes: axes, keepdims: true)
            let productOfNonZero = try prod(`where`(isZero, 1, x), axes: axes, keepdims: true)
            let noZero = try `where`(isZero, 0, z / `where`(isZero, 1, x))
            let oneZero = try `where`(isZero, productOfNonZero, 0)
            let local = try `where`(zeros .== 0, noZero, `where`(zeros .== 1, oneZero, 0))
            return [try (g * local).variable]
        case .max, .min:
            let winners = try cast(x .== z, x.dtype)
            let count = try sum(winners, axes: axes, keepdims: true)
            return [try (g * winners / count).variable]
        case .all, .any:
            return [nil]
        }
    }

    /// `t` (shaped like the output) with the reduced axes put back as size-1 axes.
    private func expandReduced(_ t: Tensor) throws -> Tensor {
        if keepdims || axes.isEmpty { return t }
        let rank = t.rank + axes.count
        var order: [Int] = []
        var next = 0
        for axis in 0..<rank {
            if axes.contains(axis) { order.append(DimShuffle.newAxis) } else { order.append(next); next += 1 }
        }
        return try DimShuffle(inputRank: t.rank, order: order).apply([t])
    }
}
