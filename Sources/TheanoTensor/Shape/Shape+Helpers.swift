import TheanoArray
import TheanoGraph

// Helpers shared by the shape ops: reading static sizes out of graphs, turning user shape
// arguments into int64 scalar variables, and integer arithmetic on symbolic sizes.

/// The value of an integer (or bool) rank-0 constant, or nil for anything else.
func shapeConstantValue(_ v: Variable) -> Int? {
    guard let value = v.constantValue, value.rank == 0, !value.dtype.isFloatingPoint else { return nil }
    return try? value.item(Int.self)
}

/// The statically known entries of an integer shape vector: all of them for a constant, the
/// constant inputs of a ``MakeVector``, nil elsewhere. Its length must be static.
func staticEntries(ofShapeVector v: Variable) -> [Int?] {
    let n = v.type.shape.first.flatMap { $0 } ?? 0
    if let value = v.constantValue {
        return value.toArray(of: Int.self).map { Optional($0) }
    }
    if let node = v.owner, node.op is MakeVector {
        return node.inputs.map(shapeConstantValue)
    }
    return Array(repeating: nil, count: n)
}

/// One int64 scalar variable per entry of an int64 shape vector of static length: constants
/// for a constant vector, the inputs of a ``MakeVector``, ``ShapeEntry`` nodes otherwise.
func entryVariables(ofShapeVector v: Variable) throws -> [Variable] {
    let n = v.type.shape.first.flatMap { $0 } ?? 0
    if let value = v.constantValue {
        return value.toArray(of: Int.self).map(shapeConstant)
    }
    if let node = v.owner, node.op is MakeVector, node.inputs.allSatisfy({ $0.type.dtype == .int64 }) {
        return node.inputs
    }
    return try (0..<n).map { try ShapeEntry($0).makeNode([v]).output }
}

/// A user's size argument as an int64 scalar variable: it must be a rank-0 integer tensor
/// (weakly typed literals included). `opName` and `position` name it in errors. A constant
/// -1 is accepted only when `allowsInferred` (reshape's "infer this size").
func shapeSizeVariable(_ t: Tensor, opName: String, position: Int, allowsInferred: Bool = false) throws -> Variable {
    guard t.rank == 0, t.dtype.isInteger else {
        throw TheanoError.typeMismatch(
            "\(opName): shape entry \(position) must be an integer scalar, got \(describeVariable(t.variable))")
    }
    if let n = shapeConstantValue(t.variable) {
        guard n >= 0 || (allowsInferred && n == -1) else {
            throw TheanoError.invalidArgument(
                "\(opName): shape entry \(position) is \(n); sizes must be non-negative\(allowsInferred ? " (or -1 for one inferred size)" : "")")
        }
        return t.dtype == .int64 && !t.variable.isWeakConstant ? t.variable : shapeConstant(n)
    }
    return try cast(t, .int64).variable
}

/// Static sizes as int64 constant variables, rejecting negative sizes.
func shapeConstantVariables(_ shape: [Int], opName: String) throws -> [Variable] {
    if let bad = shape.firstIndex(where: { $0 < 0 }) {
        throw TheanoError.invalidArgument("\(opName): shape \(formatShape(shape)) has a negative size at position \(bad)")
    }
    return shape.map(shapeConstant)
}

/// A new axis's position in a result of rank `input.rank + 1` (negative counts from the end of
/// the result), or a thrown error naming `opName`, the axis and both ranks.
func normalizeNewAxis(_ axis: Int, input: Tensor, opName: String) throws -> Int {
    let rank = input.rank + 1
    guard axis >= -rank, axis < rank else {
        throw TheanoError.outOfRange(
            "\(opName): axis \(axis) is out of range for a result of rank \(rank) (the input \(describeVariable(input.variable)) has rank \(input.rank); valid axes: \(-rank)...\(rank - 1))")
    }
    return axis < 0 ? axis + rank : axis
}

/// `dims` with every size that `type` knows statically replaced by a constant.
func withStaticSizes(_ dims: [Variable], of type: TensorType) -> [Variable] {
    zip(dims, type.shape).map { dim, size in size.map(shapeConstant) ?? dim }
}

/// Integer arithmetic on int64 scalar size variables, folding constants so static shapes stay
/// constants.
enum ShapeMath {
    static func mul(_ a: Variable, _ b: Variable) throws -> Variable {
        if let x = shapeConstantValue(a), let y = shapeConstantValue(b) {
            let (p, overflow) = x.multipliedReportingOverflow(by: y)
            if !overflow { return shapeConstant(p) }
        }
        if shapeConstantValue(a) == 1 { return b }
        if shapeConstantValue(b) == 1 { return a }
        return try elemwise(.mul, [Tensor(a), Tensor(b)]).variable
    }

    static func add(_ a: Variable, _ b: Variable) throws -> Variable {
        if let x = shapeConstantValue(a), let y = shapeConstantValue(b) {
            let (s, overflow) = x.addingReportingOverflow(y)
            if !overflow { return shapeConstant(s) }
        }
        if shapeConstantValue(a) == 0 { return b }
        if shapeConstantValue(b) == 0 { return a }
        return try elemwise(.add, [Tensor(a), Tensor(b)]).variable
    }

    /// Floor division; a zero divisor gives 0 (as integer division does in elementwise ops).
    static func floorDiv(_ a: Variable, _ b: Variable) throws -> Variable {
        if let x = shapeConstantValue(a), let y = shapeConstantValue(b), y != 0 {
            let (q, overflow) = x.dividedReportingOverflow(by: y)
            if !overflow {
                let floored = x % y != 0 && (x < 0) != (y < 0) ? q - 1 : q
                return shapeConstant(floored)
            }
        }
        if shapeConstantValue(b) == 1 { return a }
        return try elemwise(.floorDiv, [Tensor(a), Tensor(b)]).variable
    }

    static func product(_ sizes: [Variable]) throws -> Variable {
        try sizes.reduce(shapeConstant(1)) { try mul($0, $1) }
    }

    static func sum(_ sizes: [Variable]) throws -> Variable {
        try sizes.reduce(shapeConstant(0)) { try add($0, $1) }
    }
}
