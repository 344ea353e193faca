import TheanoArray
import TheanoGraph

/// The canonicalisation rule set: puts graphs in a simpler normal form so that later passes
/// (stabilisation, specialisation, merge) see fewer shapes of the same computation.
///
/// Arithmetic (`CanonicalizeArithmetic`), the multiplicative canonical form
/// (`CanonicalizeMultiplicative`), selections (`CanonicalizeSwitch`), reductions
/// (`CanonicalizeReductions`), casts (`CanonicalizeCasts`), layout (`CanonicalizeLayout`) and
/// fills (`CanonicalizeFill`) and asserted shapes
/// (`SpecifyShapeRewrites`); the shape rules (`shape_index_from_inference`, ...) run beside
/// them in the same pass. The rules that are right for finite inputs only
/// (`CanonicalizeFiniteOnly`: `x - x` -> 0, ...) are in the set but opt-in.
public enum Canonicalize {
    /// Every canonicalisation rule (the opt-in ones included, off until enabled).
    public static let rules: [Rewrite] =
        CanonicalizeArithmetic.all + CanonicalizeMultiplicative.all + CanonicalizeSwitch.all + CanonicalizeReductions.all
        + CanonicalizeCasts.all + CanonicalizeLayout.all + CanonicalizeFill.all + CanonicalizeFiniteOnly.all
        + SpecifyShapeRewrites.all + IfElseRewrites.all

    /// The rules as a set, indexed by op type.
    public static let all = RewriteSet(rules)
}

/// The specialisation rule set: general operations replaced by cheaper special cases
/// (`SpecializeArithmetic`, `SpecializeIndexing`, `LinalgRewrites`, `BlockwiseRewrites`), with the dimshuffle clean-ups
/// (`useless_dimshuffle`, `dimshuffle_chain`) for the axes those rules drop and add.
public enum Specialize {
    /// Every specialisation rule.
    public static let rules: [Rewrite] = SpecializeArithmetic.all + SpecializeIndexing.all
        + [CanonicalizeLayout.uselessDimShuffle, CanonicalizeLayout.dimShuffleChain] + LinalgRewrites.all
        + BlockwiseRewrites.all + ConvRewrites.all

    /// The rules as a set, indexed by op type.
    public static let all = RewriteSet(rules)
}
