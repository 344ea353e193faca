import TheanoArray
import TheanoGraph

/// Indices drawn from `0..<n` (NumPy's `choice` on a count): inputs are a random state (see
/// ``RandomState``), `n` (an int64 scalar), one int64 scalar per output axis and, when
/// `weighted`, the probabilities `p` (a float vector of length `n`, normalised by its sum);
/// outputs are the int64 indices and the next state.
///
/// - with replacement, unweighted: each element is a uniform integer (as
///   ``RandomDistribution/integers(low:high:)``);
/// - with replacement, weighted: each element inverts the cumulative distribution at a
///   53-bit uniform;
/// - without replacement, unweighted: the first elements of a uniform permutation (each index
///   `j` gets the 64-bit key of Philox block `j`; indices sorted by key);
/// - without replacement, weighted: the indices of the largest keys `log(u) / p_j`
///   (Efraimidis-Spirakis); indices with `p_j = 0` are never chosen.
public struct RandomChoice: Op {
    public let replace: Bool
    public let weighted: Bool

    public init(replace: Bool, weighted: Bool) {
        self.replace = replace
        self.weighted = weighted
    }

    public var description: String { "RandomChoice{replace: \(replace), weighted: \(weighted)}" }

    public func makeNode(_ inputs: [Variable]) throws -> Apply {
        let minimum = weighted ? 3 : 2
        guard inputs.count >= minimum else {
            throw TheanoError.invalidArgument("\(self): expected a state, n, the sizes\(weighted ? " and p" : ""), got \(inputs.count) inputs")
        }
        try RandomState.checkInput(inputs[0], opName: description)
        guard inputs[1].type.rank == 0, inputs[1].type.dtype == .int64 else {
            throw TheanoError.typeMismatch("\(self): n must be an int64 scalar, got \(describeVariable(inputs[1]))")
        }
        let sizes = weighted ? inputs[2..<(inputs.count - 1)] : inputs[2...]
        for (i, s) in sizes.enumerated() where s.type.rank != 0 || s.type.dtype != .int64 {
            throw TheanoError.typeMismatch("\(self): size \(i) must be an int64 scalar, got \(describeVariable(s))")
        }
        if weighted, let p = inputs.last, p.type.rank != 1 || !p.type.dtype.isFloatingPoint {
            throw TheanoError.typeMismatch("\(self): p must be a floating-point vector, got \(describeVariable(p))")
        }
        let shape = sizes.map(shapeConstantValue)
        return Apply(op: self, inputs: inputs, outputTypes: [TensorType(.int64, shape: shape), RandomState.type])
    }

    public func perform(_ node: Apply, _ inputs: [NDArray]) throws -> [NDArray] {
        let (key, counter) = try RandomState.read(inputs[0], opName: description)
        let n = try inputs[1].item(Int.self)
        let shape = try (weighted ? inputs[2..<(inputs.count - 1)] : inputs[2...]).map { try $0.item(Int.self) }
        if let bad = shape.firstIndex(where: { $0 < 0 }) {
            throw TheanoError.invalidArgument("\(self): size \(shape[bad]) at axis \(bad) is negative")
        }
        let count = try checkedShapeSize(shape, context: description)
        guard n >= 0, n < 1 << 40 else { throw TheanoError.invalidArgument("\(self): n must be in 0..<2^40, got \(n)") }
        if count > 0, n == 0 { throw TheanoError.invalidArgument("\(self): cannot choose \(count) elements from an empty range (n = 0)") }
        if !replace, count > n {
            throw TheanoError.invalidArgument("\(self): cannot choose \(count) elements from \(n) without replacement")
        }
        func block(_ i: Int) -> SIMD4<UInt32> { Philox4x32.block(key: key, stream: counter, index: UInt64(i)) }
        var p: [Double] = []
        if weighted {
            p = inputs[inputs.count - 1].doubles
            guard p.count == n else {
                throw TheanoError.shapeMismatch("\(self): p has \(p.count) entries, expected n = \(n)")
            }
            guard p.allSatisfy({ $0 >= 0 && $0.isFinite }), p.reduce(0, +) > 0 else {
                throw TheanoError.invalidArgument("\(self): p must be finite, non-negative and not all zero")
            }
            let total = p.reduce(0, +)
            p = p.map { $0 / total }
        }
        let indices: [Int64]
        switch (replace, weighted) {
        case (true, false):
            indices = (0..<count).map { Int64(PhiloxVariates.low64(block($0)).multipliedFullWidth(by: UInt64(n)).high) }
        case (true, true):
            var cumulative = [Double](repeating: 0, count: n)
            var running = 0.0
            for j in 0..<n { running += p[j]; cumulative[j] = running }
            let last = p.lastIndex(where: { $0 > 0 }) ?? n - 1
            indices = (0..<count).map { i in
                let u = PhiloxVariates.unit53(PhiloxVariates.low64(block(i)))
                var (lo, hi) = (0, last)
                while lo < hi {
                    let mid = (lo + hi) / 2
                    if cumulative[mid] > u { hi = mid } else { lo = mid + 1 }
                }
                return Int64(lo)
            }
        case (false, false):
            let keys = (0..<n).map { PhiloxVariates.low64(block($0)) }
            let order = (0..<n).sorted { (a: Int, b: Int) -> Bool in keys[a] != keys[b] ? keys[a] < keys[b] : a < b }
            indices = order.prefix(count).map(Int64.init)
        case (false, true):
            let available = p.filter { $0 > 0 }.count
            guard count <= available else {
                throw TheanoError.invalidArgument("\(self): cannot choose \(count) elements without replacement when only \(available) have non-zero probability")
            }
            let keys = (0..<n).map { j -> Double in
                guard p[j] > 0 else { return -.infinity }
                let u = (Double(PhiloxVariates.low64(block(j)) >> 11) + 1) * 0x1.0p-53
                return Double.log(u) / p[j]
            }
            let order = (0..<n).sorted { (a: Int, b: Int) -> Bool in keys[a] != keys[b] ? keys[a] > keys[b] : a < b }
            indices = order.prefix(count).map(Int64.init)
        }
        return [try NDArray(indices, shape: shape), RandomState.next(key, counter)]
    }

    public func inferShape(_ node: Apply, _ inputShapes: [[Variable]]) throws -> [[Variable]] {
        let sizes = node.outputTypes[0].shape.enumerated().map { axis, size in size.map(shapeConstant) ?? node.inputs[axis + 2] }
        return [sizes, [shapeConstant(2)]]
    }

    public func pullback(_ node: Apply, _ outputGradients: [Variable?]) throws -> [Variable?] {
        node.inputs.map { _ in nil }
    }
}

import RealModule
