import TheanoArray
import TheanoGraph

/// The optimiser's plans, as explicit values. Read them top to bottom.
public enum StandardPipelines {
    /// Everything: merge, constant folding, canonicalisation (with shape inference),
    /// numerical stabilisation, specialisation, merge again. Constant folding runs again after
    /// the passes that create constant subexpressions.
    public static var fastRun: RewritePipeline {
        RewritePipeline([
            mergePass,
            constantFoldingPass(),
            .equilibrium("canonicalize", ShapeRewrites.all + Canonicalize.all),
            constantFoldingPass(),
            .equilibrium("stabilize", RewriteSet(Stabilize.all)),
            .equilibrium("specialize", Specialize.all),
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
