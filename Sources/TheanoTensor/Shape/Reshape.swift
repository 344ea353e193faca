import TheanoArray
import TheanoGraph

/// Gives the elements of its first input, in C order, the shape held by its second input (an
/// int64 vector of length `ndim`, where one entry may be -1: inferred from the size).
///
/// The output is a view of the input when the input is C-contiguous, otherwise a copy. Sizes
/// that are constants (a constant vector, or constant inputs of a ``MakeVector``) are static
/// in the output type; a -1 is resolved statically when the input's size is static.
public struct Reshape: Op {
    /// The rank of the output (the length of the shape vector).
    public let ndim: Int

    public init(ndim: Int) { self.ndim = ndim }

    public var description: String { "Reshape{\(ndim)}" }

    public var viewMap: [Int: [Int]] { [0: [0]] }

    public func makeNode(_ inputs: [Variable]) throws -> Apply {
        guard inputs.count == 2 else { throw TheanoError.invalidArgument("\(self): expected 2 inputs (array, shape), got \(inputs.count)") }
        let (x, s) = (inputs[0], inputs[1])
        guard s.type.dtype == .int64, s.type.rank == 1, s.type.shape[0] == ndim else {
            throw TheanoError.typeMismatch("\(self): the shape must be an int64 vector of length \(ndim), got \(describeVariable(s))")
        }
        let entries = staticEntries(ofShapeVector: s)
        let known = entries.compactMap { $0 }
        if let bad = known.first(where: { $0 < -1 }) {
            throw TheanoError.invalidArgument("\(self): invalid size \(bad) in the target shape \(Reshape.format(entries)) of \(describeVariable(x))")
        }
        let inferred = known.filter { $0 == -1 }.count
        guard inferred <= 1 else {
            throw TheanoError.invalidArgument("\(self): at most one size can be -1, got the target shape \(Reshape.format(entries)) for \(describeVariable(x))")
        }
        let mismatch = {
            TheanoError.shapeMismatch("\(self): cannot reshape \(describeVariable(x)) into shape \(Reshape.format(entries)): the number of elements differs")
        }
        let knownProduct = try checkedShapeSize(known.filter { $0 >= 0 }, context: "\(self): the target shape")
        var shape: [Int?] = entries.map { $0 == -1 ? nil : $0 }
        if let inputShape = x.type.staticShape {
            let size = try checkedShapeSize(inputShape, context: "\(self): the input \(describeVariable(x))")
            if known.count == ndim {
                do {
                    shape = try resolveReshape(from: inputShape, to: known).map { Optional($0) }
                } catch let error as TheanoError {
                    let detail = error.message.hasPrefix("reshape: ") ? String(error.message.dropFirst(9)) : error.message
                    throw TheanoError(error.kind, "\(self): \(detail); the input is \(describeVariable(x))")
                }
            } else if knownProduct > 0 && size % knownProduct != 0 {
                throw mismatch()
            }
        } else if known.count == ndim && inferred == 0 {
            // The known input sizes must divide the (fully known) target size.
            let partial = try checkedShapeSize(x.type.shape.compactMap { $0 }, context: "\(self): the input \(describeVariable(x))")
            if partial > 0 && knownProduct % partial != 0 { throw mismatch() }
        }
        return Apply(op: self, inputs: inputs, outputTypes: [TensorType(x.type.dtype, shape: shape)])
    }

    public func perform(_ node: Apply, _ inputs: [NDArray]) throws -> [NDArray] {
        let x = inputs[0]
        let target = inputs[1].toArray(of: Int.self)
        _ = try checkedShapeSize(target.filter { $0 >= 0 }, context: "\(self): the target shape")
        let result = try x.reshaped(target)
        if let problem = node.outputTypes[0].mismatch(with: result) {
            throw TheanoError.shapeMismatch("\(self): the result does not match its static type: \(problem)")
        }
        return [result]
    }

    /// Output size `i` is entry `i` of the shape vector, or, where that entry is -1 (or may be
    /// -1 at run time), the input size divided by the product of the other entries.
    public func inferShape(_ node: Apply, _ inputShapes: [[Variable]]) throws -> [[Variable]] {
        let out = node.outputTypes[0]
        if let s = out.staticShape { return [s.map(shapeConstant)] }
        let entries = try entryVariables(ofShapeVector: node.inputs[1])
        let size = try ShapeMath.product(inputShapes[0])
        // With exactly one -1, the product of all entries is minus the product of the others.
        let othersProduct = try elemwise(.neg, [Tensor(try ShapeMath.product(entries))])
        let inferredSize = try ShapeMath.floorDiv(size, try maximum(othersProduct, 1).variable)
        let dims: [Variable] = try entries.enumerated().map { i, entry in
            if let n = out.shape[i] { return shapeConstant(n) }
            if shapeConstantValue(entry) == -1 { return inferredSize }
            return try `where`(Tensor(entry) .== -1, Tensor(inferredSize), Tensor(entry)).variable
        }
        return [dims]
    }

    /// A target shape with unknown entries shown as `?`.
    static func format(_ entries: [Int?]) -> String {
        "[" + entries.map { $0.map(String.init) ?? "?" }.joined(separator: ", ") + "]"
    }
}
