import TheanoArray
import TheanoGraph

/// Sums products over pairs of axes, as NumPy's `tensordot(a, b, axes=(axesA, axesB))`: the op
/// behind ``tensordot(_:_:axes:)-(_,_,Int)`` and, for operands of rank > 2, ``dot(_:_:)``.
///
/// Axis `axesA[i]` of input 0 pairs with axis `axesB[i]` of input 1; paired axes must have equal
/// sizes (they never broadcast). The output's axes are input 0's other axes in order, then
/// input 1's. Axes are stored non-negative (the functions normalise them), so equal
/// contractions compare equal. Both inputs have one dtype (the functions promote first).
public struct TensorDot: Op {
    public let axesA: [Int]
    public let axesB: [Int]

    /// A contraction over non-negative axes `axesA` of input 0 and `axesB` of input 1.
    public init(axesA: [Int], axesB: [Int]) {
        self.axesA = axesA
        self.axesB = axesB
    }

    public var description: String { "TensorDot{axes=(\(axesA), \(axesB))}" }

    public func makeNode(_ inputs: [Variable]) throws -> Apply {
        guard inputs.count == 2 else {
            throw TheanoError.invalidArgument("tensordot: expected 2 inputs, got \(inputs.count)")
        }
        let (a, b) = (inputs[0], inputs[1])
        guard a.type.dtype == b.type.dtype else {
            throw TheanoError.typeMismatch(
                "tensordot: both inputs must have the same dtype (the function tensordot promotes them); input 0 is \(describeVariable(a)), input 1 is \(describeVariable(b))")
        }
        try TensorDot.checkAxes(axesA, axesB, a, b, op: "tensordot")
        for (i, j) in zip(axesA, axesB) {
            if let sa = a.type.shape[i], let sb = b.type.shape[j], sa != sb {
                throw TheanoError.shapeMismatch(contractionMessage("tensordot", a, i, b, j, sizes: (sa, sb)))
            }
        }
        let shape = freeAxesA(a.type.rank).map { a.type.shape[$0] } + freeAxesB(b.type.rank).map { b.type.shape[$0] }
        return Apply(op: self, inputs: inputs, outputTypes: [TensorType(a.type.dtype, shape: shape)])
    }

    public func perform(_ node: Apply, _ inputs: [NDArray]) throws -> [NDArray] {
        try checkRuntimeShapes(node, inputs)
        return [try NDArray.tensordotReference(inputs[0], inputs[1], axes: (axesA, axesB))]
    }

    /// Checks a call's input values: paired axes have equal sizes. Backends' kernels and
    /// `perform` share it.
    public func checkRuntimeShapes(_ node: Apply, _ inputs: [NDArray]) throws {
        let (a, b) = (inputs[0], inputs[1])
        for (i, j) in zip(axesA, axesB) where a.shape[i] != b.shape[j] {
            throw TheanoError.shapeMismatch(
                "tensordot: at run time, input 0 \(expressionText(node.inputs[0])) has shape \(formatShape(a.shape)) and input 1 \(expressionText(node.inputs[1])) has shape \(formatShape(b.shape)); axis \(i) of input 0 (size \(a.shape[i])) must equal axis \(j) of input 1 (size \(b.shape[j]))")
        }
    }

    public func inferShape(_ node: Apply, _ inputShapes: [[Variable]]) throws -> [[Variable]] {
        let (ra, rb) = (node.inputs[0].type.rank, node.inputs[1].type.rank)
        return [freeAxesA(ra).map { inputShapes[0][$0] } + freeAxesB(rb).map { inputShapes[1][$0] }]
    }

    /// Input 0's axes that are not summed, in order.
    func freeAxesA(_ rank: Int) -> [Int] { (0..<rank).filter { !axesA.contains($0) } }
    /// Input 1's axes that are not summed, in order.
    func freeAxesB(_ rank: Int) -> [Int] { (0..<rank).filter { !axesB.contains($0) } }

    /// Checks that the axis lists pair up and name distinct, in-range axes.
    static func checkAxes(_ axesA: [Int], _ axesB: [Int], _ a: Variable, _ b: Variable, op: String) throws {
        guard axesA.count == axesB.count else {
            throw TheanoError.invalidArgument(
                "\(op): the axis lists must have the same length, got \(axesA) for input 0 \(describeVariable(a)) and \(axesB) for input 1 \(describeVariable(b))")
        }
        for (axes, v, i) in [(axesA, a, 0), (axesB, b, 1)] {
            if let bad = axes.first(where: { $0 < 0 || $0 >= v.type.rank }) {
                throw TheanoError.outOfRange(
                    "\(op): axis \(bad) is out of range for input \(i) \(describeVariable(v)) of rank \(v.type.rank)")
            }
            guard Set(axes).count == axes.count else {
                throw TheanoError.invalidArgument("\(op): the axes \(axes) of input \(i) \(describeVariable(v)) repeat an axis")
            }
        }
    }
}
