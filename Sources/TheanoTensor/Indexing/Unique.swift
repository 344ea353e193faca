import TheanoArray
import TheanoGraph

/// The sorted distinct values of its flattened input (NumPy's `unique`), and optionally, as
/// further int64 outputs in this order: the index of each value's first occurrence
/// (`returnIndex`), for each input element the position of its value in the result
/// (`returnInverse`, with the input's shape, as NumPy 2 gives it), and how often each value
/// occurs (`returnCounts`).
///
/// Values are ordered as by ``ArgSort`` (NaN last); all NaNs count as one value, as in NumPy
/// (`equal_nan=True`). The result's length depends on the values and is unknown statically
/// (shape inference reads it from the output). Integer positions: no gradient.
public struct Unique: Op {
    public let returnIndex: Bool
    public let returnInverse: Bool
    public let returnCounts: Bool

    public init(returnIndex: Bool = false, returnInverse: Bool = false, returnCounts: Bool = false) {
        self.returnIndex = returnIndex
        self.returnInverse = returnInverse
        self.returnCounts = returnCounts
    }

    public var description: String {
        let flags = [(returnIndex, "index"), (returnInverse, "inverse"), (returnCounts, "counts")].filter(\.0).map(\.1)
        return flags.isEmpty ? "Unique" : "Unique{\(flags.joined(separator: ", "))}"
    }

    public func makeNode(_ inputs: [Variable]) throws -> Apply {
        guard inputs.count == 1 else { throw TheanoError.invalidArgument("\(self): expected 1 input, got \(inputs.count)") }
        let x = inputs[0]
        var outputs = [TensorType(x.type.dtype, shape: [nil])]
        if returnIndex { outputs.append(TensorType(.int64, shape: [nil])) }
        if returnInverse {
            outputs.append(TensorType(.int64, shape: x.type.shape))
        }
        if returnCounts { outputs.append(TensorType(.int64, shape: [nil])) }
        return Apply(op: self, inputs: inputs, outputTypes: outputs)
    }

    public func perform(_ node: Apply, _ inputs: [NDArray]) throws -> [NDArray] {
        let flat = try inputs[0].reshaped([inputs[0].count])
        let keys = SortKeys(flat)
        let order = keys.order(start: 0, length: flat.count, descending: false)
        // Group equal neighbours of the sorted order: a new group wherever the value changes.
        var firsts: [Int] = []            // position in `order` where each group starts
        for (k, position) in order.enumerated() {
            if k == 0 || !sameValue(keys, order[k - 1], position) { firsts.append(k) }
        }
        let representatives = firsts.map { Int64(order[$0]) }
        var outputs = [try flat.take(NDArray(representatives), axis: 0, context: "\(self)")]
        if returnIndex { outputs.append(NDArray(representatives)) }
        if returnInverse {
            var inverse = Array(repeating: Int64(0), count: flat.count)
            var group = -1
            for (k, position) in order.enumerated() {
                if group + 1 < firsts.count && firsts[group + 1] == k { group += 1 }
                inverse[position] = Int64(group)
            }
            outputs.append(try NDArray(inverse, shape: inputs[0].shape))
        }
        if returnCounts {
            let ends = Array(firsts.dropFirst()) + [order.count]
            outputs.append(NDArray(zip(firsts, ends).map { Int64($1 - $0) }))
        }
        return outputs
    }

    /// Whether the elements at `i` and `j` are equal (NaN equals NaN).
    private func sameValue(_ keys: SortKeys, _ i: Int, _ j: Int) -> Bool {
        switch keys {
        case .floats(let k): return k[i] == k[j] || (k[i].isNaN && k[j].isNaN)
        case .integers(let k): return k[i] == k[j]
        }
    }

    public func inferShape(_ node: Apply, _ inputShapes: [[Variable]]) throws -> [[Variable]] {
        let distinct = try ShapeIndex(0).makeNode([node.outputs[0]]).output
        var shapes: [[Variable]] = [[distinct]]
        if returnIndex { shapes.append([distinct]) }
        if returnInverse { shapes.append(inputShapes[0]) }
        if returnCounts { shapes.append([distinct]) }
        return shapes
    }
}

/// The sorted distinct values of the flattened `x` (NumPy's `unique`), with, on request, the
/// first occurrence of each (`index`), each element's position in the values (`inverse`, with
/// `x`'s shape) and each value's count (`counts`); the ones not requested are nil.
///
/// ```swift
/// let u = try unique(x, returnCounts: true)
/// let (values, counts) = (u.values, u.counts!)
/// ```
public func unique(_ x: Tensor, returnIndex: Bool = false, returnInverse: Bool = false, returnCounts: Bool = false) throws
    -> (values: Tensor, index: Tensor?, inverse: Tensor?, counts: Tensor?)
{
    var outputs = try Unique(returnIndex: returnIndex, returnInverse: returnInverse, returnCounts: returnCounts).applyAll([x])
    let values = outputs.removeFirst()
    let index = returnIndex ? outputs.removeFirst() : nil
    let inverse = returnInverse ? outputs.removeFirst() : nil
    let counts = returnCounts ? outputs.removeFirst() : nil
    return (values, index, inverse, counts)
}
