import TheanoArray
import TheanoGraph

extension Flip {
    /// The output gradient flipped back along the same axes.
    public func pullback(_ node: Apply, _ outputGradients: [Variable?]) throws -> [Variable?] {
        guard let g = outputGradients[0] else { return [nil] }
        return [try apply([Tensor(g)]).variable]
    }
}
