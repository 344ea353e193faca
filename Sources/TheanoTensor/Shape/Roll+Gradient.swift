import TheanoArray
import TheanoGraph

extension Roll {
    /// The output gradient rolled back by `-shift` (as two rolls for `Int.min`, whose
    /// negation overflows).
    public func pullback(_ node: Apply, _ outputGradients: [Variable?]) throws -> [Variable?] {
        guard let g = outputGradients[0] else { return [nil] }
        if shift == Int.min {
            let once = try Roll(shift: Int.max, axis: axis).apply([Tensor(g)])
            return [try Roll(shift: 1, axis: axis).apply([once]).variable]
        }
        return [try Roll(shift: -shift, axis: axis).apply([Tensor(g)]).variable]
    }
}
