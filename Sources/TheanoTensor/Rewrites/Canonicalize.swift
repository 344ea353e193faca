import TheanoArray
import TheanoGraph

/// The canonicalisation rule set: puts graphs in a simpler normal form so that later passes
/// (stabilisation, specialisation, merge) see fewer shapes of the same computation.
///
/// Arithmetic (`CanonicalizeArithmetic`), casts (`CanonicalizeCasts`), layout
/// (`CanonicalizeLayout`), fills (`CanonicalizeFill`) and asserted shapes
/// (`SpecifyShapeRewrites`); the shape rules
/// (`shape_index_from_inference`, ...) run beside them in the same pass.
public enum Canonicalize {
    /// Every canonicalisation rule.
    public static let rules: [Rewrite] =
        CanonicalizeArithmetic.all + CanonicalizeCasts.all + CanonicalizeLayout.all + CanonicalizeFill.all
        + SpecifyShapeRewrites.all

    /// The rules as a set, indexed by op type.
    public static let all = RewriteSet(rules)
}

/// The specialisation rule set: general operations replaced by cheaper special cases
/// (`SpecializeArithmetic`, `SpecializeIndexing`), with the dimshuffle clean-ups
/// (`useless_dimshuffle`, `dimshuffle_chain`) for the axes those rules drop and add.
public enum Specialize {
    /// Every specialisation rule.
    public static let rules: [Rewrite] = SpecializeArithmetic.all + SpecializeIndexing.all
        + [CanonicalizeLayout.uselessDimShuffle, CanonicalizeLayout.dimShuffleChain]

    /// The rules as a set, indexed by op type.
    public static let all = RewriteSet(rules)
}
