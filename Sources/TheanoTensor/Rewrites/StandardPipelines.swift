import TheanoArray
import TheanoGraph

/// The optimiser's plans, as explicit values. Read them top to bottom.
public enum StandardPipelines {
    /// Everything: merge, constant folding, shape inference, canonicalisation, numerical
    /// stabilisation, specialisation, merge again.
    public static var fastRun: RewritePipeline {
        RewritePipeline([
            .equilibrium("inline", RewriteSet([inlineOpFromGraph])),
            mergePass,
            constantFoldingPass(),
            .equilibrium("canonicalize", ShapeRewrites.all),
            constantFoldingPass(),
            mergePass,
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
