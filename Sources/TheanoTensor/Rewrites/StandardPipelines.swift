import TheanoArray
import TheanoGraph

/// The optimiser's plans, as explicit values. Read them top to bottom.
public enum StandardPipelines {
    /// Everything: inlining, merge, constant folding, canonicalisation (with shape inference),
    /// the scan rewrites, numerical stabilisation, specialisation, merge again, then elementwise fusion. Constant folding also runs as a
    /// rule inside canonicalisation and specialisation, so constant subexpressions that their
    /// rules create fold at once.
    public static var fastRun: RewritePipeline {
        let folding = RewriteSet([constantFoldingRewrite()])
        return RewritePipeline([
            .equilibrium("inline", RewriteSet([inlineOpFromGraph])),
            mergePass,
            constantFoldingPass(),
            .equilibrium("canonicalize", folding + ShapeRewrites.all + Canonicalize.all),
            ScanRewrites.pass,
            .equilibrium("stabilize", RewriteSet(Stabilize.all + StabilizeCrossEntropy.all)),
            .equilibrium("specialize", folding + Specialize.all),
            blasPass,
            mergePass,
            fusionPass,
            inplacePass,
        ])
    }

    /// Only merge and constant folding: compiles fastest.
    public static var fastCompile: RewritePipeline {
        RewritePipeline([
            mergePass,
            constantFoldingPass(),
        ])
    }
}
