import TheanoArray
import TheanoGraph

/// Canonicalisation of selections (`where`, Theano's `switch`) whose outcome is known when the
/// graph is compiled.
public enum CanonicalizeSwitch {
    /// `where(c, a, b)` -> `a` when `c` is a constant whose elements are all true (non-zero),
    /// `b` when they are all false, and `a` when both branches are the same variable or
    /// constants of one value; broadcast to the selection's shape and cast to its dtype.
    /// Exact: `where` never reads the branch it does not select.
    ///
    /// With the rest of canonicalisation, `grad(x ** 2, wrt: x)` becomes `2 * x` (the
    /// gradient of `pow` guards the exponent 0 with a `where` on a constant).
    public static let uselessSwitch = rule("useless_switch", tracks: [Elemwise.self]) { _, node in
        guard scalarOp(node) == .where else { return nil }
        let (condition, a, b) = (node.inputs[0], node.inputs[1], node.inputs[2])
        let chosen: Variable
        if a === b {
            chosen = a
        } else if let va = uniformConstant(a), let vb = uniformConstant(b), va == vb, va.sign == vb.sign {
            chosen = a
        } else if let c = uniformConstant(condition) {
            chosen = c != 0 ? a : b
        } else {
            return nil
        }
        return try fit(chosen, to: node.output, from: node)
    }

    /// The selection rules.
    public static let all: [Rewrite] = [uselessSwitch]
}
