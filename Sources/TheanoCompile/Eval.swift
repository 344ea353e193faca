import TheanoArray
import TheanoGraph
import TheanoTensor

extension Tensor {
    /// Compiles and runs this expression once, for quick checks: `try (x * 2).eval([x: a])`.
    ///
    /// Every input the expression needs must have a value in `values`. Shared variables are
    /// read, never updated.
    public func eval(_ values: [Tensor: NDArray] = [:]) throws -> NDArray {
        let pairs = Array(values)
        let f = try function(pairs.map(\.key), [self], noDefaultUpdates: true)
        return try f.call(pairs.map(\.value))[0]
    }
}
