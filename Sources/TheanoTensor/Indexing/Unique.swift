import TheanoArray
import TheanoGraph

/// The sorted distinct values of its flattened input (NumPy's `unique`), or, with an `axis`,
/// its distinct slices along that axis (rows for axis 0 of a matrix) in lexicographic order;
/// optionally, as further int64 outputs in this order: the index of each value's (slice's)
/// first occurrence (`returnIndex`), for each input element (slice) the position of its value
/// in the result (`returnInverse`: with the input's shape without an axis, as NumPy 2 gives
/// it; a vector along the axis with one), and how often each occurs (`returnCounts`).
///
/// Values are ordered as by ``ArgSort`` (NaN last). Without an axis all NaNs count as one
/// value (NumPy's `equal_nan=True`); with one, slices holding NaN are all distinct (as NumPy
/// compares them). The number of distinct values depends on the values and is unknown
/// statically (shape inference reads it from the output). Integer positions: no gradient.
public struct Unique: Op {
    public let returnIndex: Bool
    public let returnInverse: Bool
    public let returnCounts: Bool
    /// The axis whose slices are compared (non-negative), or nil for the flattened input.
    public let axis: Int?

    public init(returnIndex: Bool = false, returnInverse: Bool = false, returnCounts: Bool = false, axis: Int? = nil) {
        self.returnIndex = returnIndex
        self.returnInverse = returnInverse
        self.returnCounts = returnCounts
        self.axis = axis
    }

    public var description: String {
        var flags = [(returnIndex, "index"), (returnInverse, "inverse"), (returnCounts, "counts")].filter(\.0).map(\.1)
        if let axis { flags.append("axis=\(axis)") }
        return flags.isEmpty ? "Unique" : "Unique{\(flags.joined(separator: ", "))}"
    }

    public func makeNode(_ inputs: [Variable]) throws -> Apply {
        guard inputs.count == 1 else { throw TheanoError.invalidArgument("\(self): expected 1 input, got \(inputs.count)") }
        let x = inputs[0]
        var valuesShape: [Int?] = [nil]
        var inverseShape = x.type.shape
        if let axis {
            guard axis >= 0, axis < x.type.rank else {
                throw TheanoError.outOfRange("\(self): axis \(axis) is out of range for \(describeVariable(x)) of rank \(x.type.rank)")
            }
            valuesShape = x.type.shape
            valuesShape[axis] = nil
            inverseShape = [x.type.shape[axis]]
        }
        var outputs = [TensorType(x.type.dtype, shape: valuesShape)]
        if returnIndex { outputs.append(TensorType(.int64, shape: [nil])) }
        if returnInverse { outputs.append(TensorType(.int64, shape: inverseShape)) }
        if returnCounts { outputs.append(TensorType(.int64, shape: [nil])) }
        return Apply(op: self, inputs: inputs, outputTypes: outputs)
    }

    public func perform(_ node: Apply, _ inputs: [NDArray]) throws -> [NDArray] {
        let x = inputs[0]
        // The compared items: slices along the axis (moved first), each `width` elements long.
        let a = axis ?? 0
        let items = axis == nil ? try x.reshaped([x.count]) : x
        let count = items.shape.isEmpty ? 0 : items.shape[a]
        let moved = try items.transposed([a] + (0..<items.rank).filter { $0 != a })
        let width = count == 0 ? 0 : moved.count / count
        let keys = SortKeys(moved)
        let nanEqual = axis == nil
        func before(_ i: Int, _ j: Int) -> Bool {
            for k in 0..<width {
                if keys.before(i * width + k, j * width + k) { return true }
                if keys.before(j * width + k, i * width + k) { return false }
            }
            return false
        }
        func same(_ i: Int, _ j: Int) -> Bool {
            (0..<width).allSatisfy { k in
                let p = i * width + k, q = j * width + k
                if case .floats(let v) = keys, v[p].isNaN || v[q].isNaN { return nanEqual && v[p].isNaN && v[q].isNaN }
                return !keys.before(p, q) && !keys.before(q, p)
            }
        }
        let order = (0..<count).sorted { i, j in before(i, j) || (!before(j, i) && i < j) }
        // Group equal neighbours of the sorted order: a new group wherever the item changes.
        var firsts: [Int] = []            // position in `order` where each group starts
        for (k, item) in order.enumerated() where k == 0 || !same(order[k - 1], item) {
            firsts.append(k)
        }
        let representatives = firsts.map { Int64(order[$0]) }
        var outputs = [try items.take(NDArray(representatives), axis: a, context: "\(self)")]
        if returnIndex { outputs.append(NDArray(representatives)) }
        if returnInverse {
            var inverse = Array(repeating: Int64(0), count: count)
            var group = -1
            for (k, item) in order.enumerated() {
                if group + 1 < firsts.count && firsts[group + 1] == k { group += 1 }
                inverse[item] = Int64(group)
            }
            outputs.append(try NDArray(inverse, shape: axis == nil ? x.shape : [count]))
        }
        if returnCounts {
            let ends = Array(firsts.dropFirst()) + [order.count]
            outputs.append(NDArray(zip(firsts, ends).map { Int64($1 - $0) }))
        }
        return outputs
    }

    public func inferShape(_ node: Apply, _ inputShapes: [[Variable]]) throws -> [[Variable]] {
        let a = axis ?? 0
        let distinct = try ShapeIndex(a).makeNode([node.outputs[0]]).output
        var values = [distinct]
        if let axis {
            values = inputShapes[0]
            values[axis] = distinct
        }
        var shapes: [[Variable]] = [values]
        if returnIndex { shapes.append([distinct]) }
        if returnInverse { shapes.append(axis.map { [inputShapes[0][$0]] } ?? inputShapes[0]) }
        if returnCounts { shapes.append([distinct]) }
        return shapes
    }
}

/// The sorted distinct values of the flattened `x` (NumPy's `unique`), or its distinct slices
/// along `axis` (negative counts from the end), with, on request, the first occurrence of each
/// (`index`), each element's (slice's) position in the result (`inverse`) and each one's
/// count (`counts`); the ones not requested are nil. See ``Unique``.
///
/// ```swift
/// let u = try unique(x, returnCounts: true)
/// let counts = u.counts                  // non-nil: it was requested
/// let rows = try unique(m, axis: 0).values
/// ```
public func unique(_ x: Tensor, returnIndex: Bool = false, returnInverse: Bool = false, returnCounts: Bool = false, axis: Int? = nil) throws
    -> (values: Tensor, index: Tensor?, inverse: Tensor?, counts: Tensor?)
{
    let a = try axis.map { try normalizeAxis($0, rank: x.rank, context: "unique of \(describeVariable(x.variable))") }
    let op = Unique(returnIndex: returnIndex, returnInverse: returnInverse, returnCounts: returnCounts, axis: a)
    var outputs = try op.applyAll([x])
    let values = outputs.removeFirst()
    let index = returnIndex ? outputs.removeFirst() : nil
    let inverse = returnInverse ? outputs.removeFirst() : nil
    let counts = returnCounts ? outputs.removeFirst() : nil
    return (values, index, inverse, counts)
}
