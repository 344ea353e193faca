import TheanoArray
import TheanoGraph

extension Eye {
    /// The inputs are sizes and a diagonal offset: no gradient.
    public func pullback(_ node: Apply, _ outputGradients: [Variable?]) throws -> [Variable?] { [nil, nil, nil] }
}
