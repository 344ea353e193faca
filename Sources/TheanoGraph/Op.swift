import TheanoArray

/// An operation: the type of every node in a graph.
///
/// Conforming types are small `Hashable` structs whose stored properties are the operation's
/// parameters, so two equal ops compute the same function and equal subgraphs can merge. One
/// type tells an op's whole story:
/// - ``makeNode(_:)`` checks the inputs and computes the output types (errors here are the
///   graph-construction errors users see);
/// - ``perform(_:_:)`` is the reference implementation: simple and obviously right, the
///   definition every faster kernel is tested against;
/// - ``inferShape(_:_:)`` gives symbolic output shapes without computing outputs;
/// - ``pullback(_:_:)`` gives the symbolic gradient;
/// - ``viewMap`` and ``destroyMap`` declare aliasing.
///
/// Backends attach fast kernels from their own modules (`extension Elemwise: CKernel`); an op
/// never carries backend code.
public protocol Op: Hashable, Sendable, CustomStringConvertible {
    /// Checks `inputs` and builds the node with its output types. Throws a ``TheanoError``
    /// naming this op, the offending input and the expected and actual types.
    func makeNode(_ inputs: [Variable]) throws -> Apply

    /// Computes the outputs from input values (the reference implementation). `node` gives the
    /// static types, e.g. which axes broadcast.
    func perform(_ node: Apply, _ inputs: [NDArray]) throws -> [NDArray]

    /// The symbolic shape of each output, one int64 scalar variable per axis, given the
    /// symbolic shapes of the inputs.
    func inferShape(_ node: Apply, _ inputShapes: [[Variable]]) throws -> [[Variable]]

    /// The gradient with respect to each input, given the gradient of the cost with respect to
    /// each output (`nil`: that output does not reach the cost). Returns `nil` for an input the
    /// outputs do not depend on differentiably (disconnected). Throws
    /// ``TheanoError/Kind/notDifferentiable`` when the gradient is not defined.
    func pullback(_ node: Apply, _ outputGradients: [Variable?]) throws -> [Variable?]

    /// Output index -> the input indices whose storage that output may share (a view).
    var viewMap: [Int: [Int]] { get }

    /// Output index -> the input indices the op overwrites to produce that output.
    var destroyMap: [Int: [Int]] { get }
}

extension Op {
    public func pullback(_ node: Apply, _ outputGradients: [Variable?]) throws -> [Variable?] {
        throw TheanoError.notDifferentiable("\(self) has no gradient: the operation is not differentiable")
    }

    public var viewMap: [Int: [Int]] { [:] }
    public var destroyMap: [Int: [Int]] { [:] }

    /// Whether this op equals another op of any type (same type and parameters).
    public func isEqual(to other: any Op) -> Bool {
        guard let o = other as? Self else { return false }
        return self == o
    }
}
