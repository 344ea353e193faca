import TheanoArray
import TheanoGraph

/// What a pooling window computes.
public enum PoolMode: String, Hashable, Sendable {
    /// The largest element of the window (padding never wins).
    case max
    /// The window's sum divided by its size counting padded positions (Theano's
    /// `average_inc_pad`; a partial window at the end, with `ignoreBorder: false`, counts only
    /// the positions it covers).
    case averageIncludingPadding
    /// The window's sum divided by the number of input elements it covers (Theano's
    /// `average_exc_pad`).
    case averageExcludingPadding
    /// The sum of the window's elements.
    case sum
}

/// The parameters of ``Pool`` and its gradient ops, over the last `window.count` axes (1 to 3).
public struct PoolParameters: Hashable, Sendable, CustomStringConvertible {
    public let window: [Int]
    public let stride: [Int]
    public let padding: [Int]
    public let mode: PoolMode
    public let ignoreBorder: Bool

    public init(window: [Int], stride: [Int], padding: [Int], mode: PoolMode, ignoreBorder: Bool) {
        self.window = window
        self.stride = stride
        self.padding = padding
        self.mode = mode
        self.ignoreBorder = ignoreBorder
    }

    public var spatialRank: Int { window.count }
    public var name: String { "pool\(spatialRank)d" }

    public var description: String {
        "window=\(window), stride=\(stride), padding=\(padding), mode=\(mode), ignoreBorder=\(ignoreBorder)"
    }

    func validate(_ op: String) throws {
        let n = spatialRank
        guard (1...3).contains(n) else {
            throw TheanoError.invalidArgument("\(op): pooling runs over 1, 2 or 3 axes, got window \(window)")
        }
        guard stride.count == n, padding.count == n else {
            throw TheanoError.invalidArgument("\(op): expected \(n) strides and paddings for window \(window), got stride \(stride), padding \(padding)")
        }
        if let bad = (window + stride).first(where: { $0 < 1 }) {
            throw TheanoError.invalidArgument("\(op): window sizes and strides must be positive, got \(bad) (window \(window), stride \(stride))")
        }
        for a in 0..<n where padding[a] < 0 || padding[a] >= window[a] {
            throw TheanoError.invalidArgument("\(op): padding must be non-negative and smaller than the window, got padding \(padding) for window \(window)")
        }
        for a in 0..<n {
            _ = try checkedSum([padding[a], padding[a]], context: "\(op): padding \(padding) on both sides of pooled axis \(a)")
        }
        if !ignoreBorder, padding.contains(where: { $0 > 0 }) {
            throw TheanoError.invalidArgument("\(op): padding \(padding) requires ignoreBorder: true (as in Theano)")
        }
    }

    /// The number of windows along pooled axis `axis` for an input of `size` there.
    func outputSize(_ size: Int, axis a: Int, op: String) throws -> Int {
        let (w, s, p) = (window[a], stride[a], padding[a])
        guard size > 0 else {
            throw TheanoError.shapeMismatch("\(op): pooled axis \(a) has size 0; every pooled axis needs at least one element")
        }
        if ignoreBorder {
            let padded = try checkedSum([size, p, p], context: "\(op): pooled axis \(a) of size \(size) with padding \(p) on both sides")
            guard padded >= w else {
                throw TheanoError.shapeMismatch(
                    "\(op): the window \(w) along pooled axis \(a) is larger than the padded input (size \(size), padding \(p)); use ignoreBorder: false to keep a partial window")
            }
            return (padded - w) / s + 1
        }
        // Theano: partial windows at the end are kept, but none starts past the input's end.
        if s >= w { return (size - 1) / s + 1 }
        return Swift.max(0, (size - 1 - w + s) / s) + 1
    }

    /// The symbolic number of windows along pooled axis `a` (valid sizes assumed).
    func outputSize(_ size: Variable, axis a: Int) throws -> Variable {
        let (w, s, p) = (window[a], stride[a], padding[a])
        if ignoreBorder {
            let q = try ShapeMath.floorDiv(ShapeMath.add(size, shapeConstant(2 * p - w)), shapeConstant(s))
            return try ShapeMath.add(q, shapeConstant(1))
        }
        if s >= w {
            return try ShapeMath.add(ShapeMath.floorDiv(ShapeMath.add(size, shapeConstant(-1)), shapeConstant(s)), shapeConstant(1))
        }
        let q = try ShapeMath.floorDiv(ShapeMath.add(size, shapeConstant(s - 1 - w)), shapeConstant(s))
        let clipped: Variable
        if let value = shapeConstantValue(q) {
            clipped = shapeConstant(Swift.max(value, 0))
        } else {
            clipped = try maximum(Tensor(q), Tensor(shapeConstant(0))).variable
        }
        return try ShapeMath.add(clipped, shapeConstant(1))
    }

    /// Checks an input type: float, of rank at least the window's, and the static output shape.
    func outputType(_ x: Variable, op: String) throws -> TensorType {
        try validate(op)
        let n = spatialRank
        guard x.type.rank >= n else {
            throw TheanoError.shapeMismatch("\(op): the input must have at least \(n) axes to pool over, got \(describeVariable(x)) of rank \(x.type.rank)")
        }
        guard x.type.dtype.isFloatingPoint else {
            throw TheanoError.typeMismatch("\(op): the input must be float32 or float64, got \(describeVariable(x))")
        }
        let lead = x.type.rank - n
        let pooled = try (0..<n).map { a in try x.type.shape[lead + a].map { try outputSize($0, axis: a, op: op) } }
        return TensorType(x.type.dtype, shape: Array(x.type.shape[..<lead]) + pooled)
    }

    /// The geometry for an input of this run-time shape.
    /// The leading, pooled and output sizes for an input of `shape`, checked as
    /// ``geometry(_:op:)`` checks them, without listing the windows (for kernels that walk the
    /// windows directly).
    public func outline(_ shape: [Int], op: String) throws -> (lead: [Int], input: [Int], output: [Int]) {
        try validate(op)
        let n = spatialRank
        guard shape.count >= n else {
            throw TheanoError.shapeMismatch("\(op): the input must have at least \(n) axes, got shape \(formatShape(shape))")
        }
        let input = Array(shape[(shape.count - n)...])
        let output = try (0..<n).map { try outputSize(input[$0], axis: $0, op: op) }
        return (Array(shape[..<(shape.count - n)]), input, output)
    }

    public func geometry(_ shape: [Int], op: String) throws -> PoolGeometry {
        let (lead, input, output) = try outline(shape, op: op)
        // The geometry lists every window's cells: refuse a list larger than memory.
        _ = try checkedAllocation([try checkedProduct(output, context: op), try checkedProduct(window, context: op)], dtype: .int64, context: op)
        return PoolGeometry(parameters: self, lead: lead, input: input, output: output)
    }
}

/// The windows of one pooling, resolved: for each output position (row-major over the pooled
/// axes), the input positions it covers, in row-major window order, and its divisor.
public struct PoolGeometry: Sendable {
    public let lead: [Int]
    public let input: [Int]
    public let output: [Int]
    /// Per output position: flat spatial indices of the input elements in the window.
    public let cells: [[Int]]
    /// Per output position: what an average divides by (1 for max and sum).
    public let divisors: [Double]

    public var batch: Int { lead.reduce(1, *) }
    public var inputSpatial: Int { input.reduce(1, *) }
    public var outputSpatial: Int { output.reduce(1, *) }
    public var inputShape: [Int] { lead + input }
    public var outputShape: [Int] { lead + output }

    init(parameters p: PoolParameters, lead: [Int], input: [Int], output: [Int]) {
        self.lead = lead
        self.input = input
        self.output = output
        let n = input.count
        // Per axis and output index: the covered input range and the padded range.
        var ranges: [[(Range<Int>, Int)]] = []
        for a in 0..<n {
            ranges.append((0..<output[a]).map { o -> (Range<Int>, Int) in
                let rawStart = o * p.stride[a] - p.padding[a]
                let rawEnd = Swift.min(rawStart + p.window[a], input[a] + p.padding[a])
                return (Swift.max(rawStart, 0)..<Swift.min(rawEnd, input[a]), rawEnd - rawStart)
            })
        }
        var cells: [[Int]] = [], divisors: [Double] = []
        let outCount = output.reduce(1, *)
        cells.reserveCapacity(outCount)
        for oFlat in 0..<outCount {
            var o = [Int](repeating: 0, count: n), rem = oFlat
            for a in Swift.stride(from: n - 1, through: 0, by: -1) { o[a] = rem % output[a]; rem /= output[a] }
            var list = [0], padded = 1, covered = 1
            for a in 0..<n {
                let (range, extent) = ranges[a][o[a]]
                list = list.flatMap { base in range.map { base * input[a] + $0 } }
                padded *= extent
                covered *= range.count
            }
            // Flat index of the first axis scaled through the later ones: `list` was built
            // as base * size + i per axis, which is the row-major flat index.
            cells.append(list)
            switch p.mode {
            case .max, .sum: divisors.append(1)
            case .averageIncludingPadding: divisors.append(Double(padded))
            case .averageExcludingPadding: divisors.append(Double(covered))
            }
        }
        self.cells = cells
        self.divisors = divisors
    }

    /// The winner of window `o` in the lane starting at `base`: the flat index of its first
    /// maximum in row-major window order (a NaN wins over numbers, the first NaN first).
    public func winner(_ x: [Double], base: Int, output o: Int) -> Int {
        let window = cells[o]
        var best = base + window[0], bestValue = x[best]
        for c in window.dropFirst() {
            let v = x[base + c]
            if v > bestValue || (v.isNaN && !bestValue.isNaN) { best = base + c; bestValue = v }
        }
        return best
    }
}
