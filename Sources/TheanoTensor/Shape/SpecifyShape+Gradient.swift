import TheanoArray
import TheanoGraph

extension SpecifyShape {
    /// The output gradient passes through unchanged (the op is the identity on values).
    public func pullback(_ node: Apply, _ outputGradients: [Variable?]) throws -> [Variable?] {
        [outputGradients[0]]
    }
}
