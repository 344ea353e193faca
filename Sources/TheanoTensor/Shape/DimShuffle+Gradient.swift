import TheanoArray
import TheanoGraph

extension DimShuffle {
    /// The output gradient moved back: axes return to their input positions, new axes are
    /// dropped and dropped (size-1) axes come back.
    public func pullback(_ node: Apply, _ outputGradients: [Variable?]) throws -> [Variable?] {
        guard let g = outputGradients[0] else { return [nil] }
        var order: [Int] = []
        for axis in 0..<inputRank {
            order.append(self.order.firstIndex(of: axis) ?? DimShuffle.newAxis)
        }
        // The gradient's new axes have static size 1 like the output's; say so if the gradient
        // lost that information.
        var grad = Tensor(g)
        let newAxes = self.order.indices.filter { self.order[$0] == DimShuffle.newAxis && grad.staticShape[$0] != 1 }
        if !newAxes.isEmpty { grad = try sum(grad, axes: newAxes, keepdims: true) }
        return [try DimShuffle(inputRank: self.order.count, order: order).apply([grad]).variable]
    }
}
