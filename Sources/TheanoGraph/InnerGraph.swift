import TheanoArray

/// A graph held inside an op: the body of an ``InnerGraphOp`` (`OpFromGraph` today, `scan`
/// and `ifelse` next).
///
/// `inputs` are plain symbolic variables standing for the node's arguments (in the op's own
/// order); `outputs` are computed from them, and may also read constants and shared
/// variables.
public struct InnerGraph: @unchecked Sendable {
    /// A short label for printing and reports (`"body"`, `"then"`, ...).
    public let name: String
    public let inputs: [Variable]
    public let outputs: [Variable]

    public init(name: String, inputs: [Variable], outputs: [Variable]) {
        self.name = name
        self.inputs = inputs
        self.outputs = outputs
    }
}

/// An op that carries inner graphs.
///
/// One protocol for every such op, so that the rest of the system treats them alike:
/// - rewrite pipelines optimise each inner graph once, at compile time
///   (``RewritePipeline/run(_:_:)`` replaces the op by ``replacingInnerGraphs(_:)`` of the
///   optimised graphs);
/// - backends compile the inner graphs into nested programs (the CPU backend's kernels inside
///   run fused C);
/// - ``debugPrint(_:types:depth:)`` shows each inner graph indented under its node.
public protocol InnerGraphOp: Op {
    /// The inner graphs, in a fixed order.
    var innerGraphs: [InnerGraph] { get }

    /// This op with its inner graphs replaced by `graphs` (same count, order and input and
    /// output types): an optimised version of the op.
    func replacingInnerGraphs(_ graphs: [InnerGraph]) throws -> Self

    /// Whether the optimiser may optimise the inner graphs on their own (false when a
    /// rewrite of the outer graph replaces the node anyway, such as inlining).
    var optimizesInnerGraphs: Bool { get }
}

extension InnerGraphOp {
    public var optimizesInnerGraphs: Bool { true }
}
