import TheanoArray
import TheanoGraph

/// Rules for ``SpecifyShape``: it disappears where its input's type already knows every size
/// it asserts, and two in a row become one.
public enum SpecifyShapeRewrites {
    /// `specifyShape(x, s)` -> `x` when `x`'s type already has every size of `s`.
    public static let uselessSpecifyShape = rule("useless_specify_shape", tracks: [SpecifyShape.self]) { _, node in
        sameType(node.inputs[0], as: node.output)
    }

    /// `specifyShape(specifyShape(x, a), b)` -> `specifyShape(x, a ∪ b)`.
    public static let specifyShapeChain = rule("specify_shape_chain", tracks: [SpecifyShape.self]) { _, node in
        guard let outer = node.op as? SpecifyShape, let inner = node.inputs[0].owner,
              let first = inner.op as? SpecifyShape else { return nil }
        let merged = zip(first.shape, outer.shape).map { a, b in a ?? b }
        return sameType(try SpecifyShape(merged).makeNode([inner.inputs[0]]).output, as: node.output)
    }

    /// The rules, in the order they are tried on a node.
    public static let all: [Rewrite] = [uselessSpecifyShape, specifyShapeChain]
}
