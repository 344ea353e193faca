import TheanoArray
import TheanoGraph

extension ARange {
    /// Integer ranges carry no gradient. For a floating-point range `start + i * step`, start
    /// gets the sum of the output gradient and step its sum weighted by `i`; stop only
    /// decides the length, so it is disconnected (Theano's rule).
    public func pullback(_ node: Apply, _ outputGradients: [Variable?]) throws -> [Variable?] {
        guard let gv = outputGradients[0], dtype.isFloatingPoint else { return [nil, nil, nil] }
        let g = Tensor(gv)
        let steps = try arange(g.shape(0), dtype: g.dtype)
        return [try sum(g).variable, nil, try sum(g * steps).variable]
    }
}
