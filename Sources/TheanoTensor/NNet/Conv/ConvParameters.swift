import TheanoArray
import TheanoGraph

/// How a convolution pads its input with zeros, per spatial axis.
///
/// With kernel size `k` and dilation `d` along an axis, the dilated kernel spans
/// `e = d * (k - 1) + 1` input positions:
/// - `valid`: no padding; the kernel stays inside the input (Theano's default).
/// - `same`: `e - 1` zeros in all, `(e - 1) / 2` before and the rest after, so an odd kernel
///   is centred and an even kernel puts the extra zero *after* the input (as TensorFlow and
///   JAX's `"SAME"`). With stride 1 the output has the input's size; with stride `s` it has
///   `ceil(size / s)` positions, as in TensorFlow (whose split of the padding then depends on
///   the input size; ours does not).
/// - `full`: `e - 1` zeros on both sides; every overlap of kernel and input gives an output.
/// - `explicit(before:after:)`: the given numbers of zeros before and after each spatial axis
///   (one entry per spatial axis, non-negative).
public enum ConvPadding: Hashable, Sendable, CustomStringConvertible {
    case valid, same, full
    case explicit(before: [Int], after: [Int])

    /// Zeros before and after each spatial axis for these kernel sizes and dilations. A span
    /// `d * (k - 1)` beyond `Int` counts as `Int.max` (no trap; the output-size checks then
    /// throw).
    public func amounts(kernel: [Int], dilation: [Int]) -> (before: [Int], after: [Int]) {
        let span = zip(kernel, dilation).map { k, d -> Int in
            let (reach, o1) = k.subtractingReportingOverflow(1)
            let (product, o2) = d.multipliedReportingOverflow(by: reach)
            guard !o1, !o2 else { return o1 || (d > 0) != (reach > 0) ? 0 : Int.max }
            return Swift.max(product, 0)
        }
        switch self {
        case .valid: return (span.map { _ in 0 }, span.map { _ in 0 })
        case .same: return (span.map { $0 / 2 }, span.map { $0 - $0 / 2 })
        case .full: return (span, span)
        case .explicit(let before, let after): return (before, after)
        }
    }

    public var description: String {
        switch self {
        case .valid: return "valid"
        case .same: return "same"
        case .full: return "full"
        case .explicit(let before, let after): return "explicit(before: \(before), after: \(after))"
        }
    }
}

/// The parameters shared by ``Conv``, ``ConvGradInputs`` and ``ConvGradWeights``: one entry of
/// `stride` and `dilation` per spatial axis (1 to 3 axes), the padding, the number of channel
/// groups, and whether the filters are flipped (a true convolution) or not (a correlation).
public struct ConvParameters: Hashable, Sendable, CustomStringConvertible {
    public let stride: [Int]
    public let padding: ConvPadding
    public let dilation: [Int]
    public let groups: Int
    public let filterFlip: Bool

    public init(stride: [Int], padding: ConvPadding, dilation: [Int], groups: Int, filterFlip: Bool) {
        self.stride = stride
        self.padding = padding
        self.dilation = dilation
        self.groups = groups
        self.filterFlip = filterFlip
    }

    /// The number of spatial axes.
    public var spatialRank: Int { stride.count }

    /// `conv1d`, `conv2d` or `conv3d`: how errors name the operation.
    public var name: String { "conv\(spatialRank)d" }

    public var description: String {
        "stride=\(stride), padding=\(padding), dilation=\(dilation), groups=\(groups), filterFlip=\(filterFlip)"
    }

    /// Throws unless the parameters describe a convolution: 1 to 3 spatial axes, positive
    /// strides, dilations and groups, and explicit padding of the right length, non-negative.
    func validate(_ op: String) throws {
        guard (1...3).contains(spatialRank) else {
            throw TheanoError.invalidArgument("\(op): convolution has 1, 2 or 3 spatial axes, got \(spatialRank) strides \(stride)")
        }
        guard dilation.count == spatialRank else {
            throw TheanoError.invalidArgument("\(op): expected \(spatialRank) dilations (one per spatial axis), got \(dilation)")
        }
        if let bad = stride.first(where: { $0 < 1 }) {
            throw TheanoError.invalidArgument("\(op): strides must be positive, got \(bad) in \(stride)")
        }
        if let bad = dilation.first(where: { $0 < 1 }) {
            throw TheanoError.invalidArgument("\(op): dilations must be positive, got \(bad) in \(dilation)")
        }
        guard groups >= 1 else { throw TheanoError.invalidArgument("\(op): groups must be positive, got \(groups)") }
        if case .explicit(let before, let after) = padding {
            guard before.count == spatialRank, after.count == spatialRank else {
                throw TheanoError.invalidArgument(
                    "\(op): explicit padding needs \(spatialRank) entries before and after (one per spatial axis), got before \(before), after \(after)")
            }
            if let bad = (before + after).first(where: { $0 < 0 }) {
                throw TheanoError.invalidArgument("\(op): padding must be non-negative, got \(bad) in \(padding)")
            }
            for axis in 0..<spatialRank {
                _ = try checkedSum([before[axis], after[axis]], context: "\(op): padding \(padding) along spatial axis \(axis)")
            }
        }
    }

    /// The output size along spatial `axis`, or nil when a size is unknown. Throws when the
    /// dilated kernel is larger than the padded input.
    func outputSize(input: Int?, kernel: Int?, axis: Int, op: String) throws -> Int? {
        guard let kernel else {
            // Without the kernel size only `same` padding fixes the output size.
            if case .same = padding, let input, input > 0 { return (input - 1) / stride[axis] + 1 }
            return nil
        }
        guard kernel >= 1 else {
            throw TheanoError.invalidArgument("\(op): kernel size \(kernel) along spatial axis \(axis) must be positive")
        }
        // Sizes, dilations and paddings come from users: every sum and product is checked.
        let context = "\(op): along spatial axis \(axis) the kernel of size \(kernel) with dilation \(dilation[axis])"
        let spanMinusOne = try checkedProduct([dilation[axis], kernel - 1], context: context)
        let span = try checkedSum([spanMinusOne, 1], context: context)
        guard let input else { return nil }
        var k = [Int](repeating: 1, count: spatialRank)
        k[axis] = kernel
        let pads = padding.amounts(kernel: k, dilation: dilation)
        let padded = try checkedSum([input, pads.before[axis], pads.after[axis]],
                                    context: "\(op): the padded input along spatial axis \(axis) (size \(input), padding \(padding), kernel \(kernel), dilation \(dilation[axis]))")
        guard padded >= span else {
            throw TheanoError.shapeMismatch(
                "\(op): along spatial axis \(axis) the kernel of size \(kernel) with dilation \(dilation[axis]) spans \(span) positions, more than the padded input's \(padded) (size \(input), padding \(padding))")
        }
        return (padded - span) / stride[axis] + 1
    }

    /// The output size along spatial `axis` as a symbolic int64 scalar:
    /// `(input + padding - dilation * (kernel - 1) - 1) // stride + 1`.
    func outputSize(input: Variable, kernel: Variable, axis: Int) throws -> Variable {
        let d = dilation[axis], s = stride[axis]
        // span - 1 = d * (k - 1)
        let spanMinusOne = try ShapeMath.add(ShapeMath.mul(kernel, shapeConstant(d)), shapeConstant(-d))
        let numerator: Variable
        switch padding {
        case .valid:
            numerator = try ShapeMath.add(input, try ShapeMath.mul(spanMinusOne, shapeConstant(-1)))
        case .same:
            numerator = input
        case .full:
            numerator = try ShapeMath.add(input, spanMinusOne)
        case .explicit(let before, let after):
            let total = try checkedSum([before[axis], after[axis]], context: "padding \(padding) along spatial axis \(axis)")
            let padded = try ShapeMath.add(input, shapeConstant(total))
            numerator = try ShapeMath.add(padded, try ShapeMath.mul(spanMinusOne, shapeConstant(-1)))
        }
        let q = try ShapeMath.floorDiv(try ShapeMath.add(numerator, shapeConstant(-1)), shapeConstant(s))
        return try ShapeMath.add(q, shapeConstant(1))
    }

    /// The full geometry of one convolution from the run-time shapes of its input `[N, C,
    /// spatial...]` and filters `[O, C / groups, kernel...]`; throws as `makeNode` does.
    public func geometry(input: [Int], filters: [Int], op: String) throws -> ConvGeometry {
        try validate(op)
        let n = spatialRank
        guard input.count == n + 2, filters.count == n + 2 else {
            throw TheanoError.shapeMismatch("\(op): expected an input and filters of rank \(n + 2), got shapes \(formatShape(input)) and \(formatShape(filters))")
        }
        try checkChannels(inputChannels: input[1], filters: filters.map { Optional($0) }, op: op)
        let output = try (0..<n).map { a in
            try outputSize(input: input[a + 2], kernel: filters[a + 2], axis: a, op: op)!
        }
        let kernel = Array(filters[2...])
        let pads = padding.amounts(kernel: kernel, dilation: dilation)
        return ConvGeometry(
            batch: input[0], inChannels: input[1], outChannels: filters[0], groups: groups,
            input: Array(input[2...]), kernel: kernel, output: output,
            stride: stride, dilation: dilation, padBefore: pads.before, filterFlip: filterFlip)
    }

    /// Throws when the channel arithmetic fails where sizes are known: the input's channels
    /// must be the filters' input channels times `groups`, and the output channels (filters'
    /// axis 0) a multiple of `groups`.
    func checkChannels(inputChannels: Int?, filters: [Int?], op: String) throws {
        if let c = inputChannels, let cg = filters[1], c != cg * groups {
            throw TheanoError.shapeMismatch(
                "\(op): input has \(c) channels but filters expect \(cg * groups) (filters shape \(Reshape.format(filters)), groups \(groups))")
        }
        if let o = filters[0], o % groups != 0 {
            throw TheanoError.shapeMismatch(
                "\(op): filters have \(o) output channels, not a multiple of groups \(groups) (filters shape \(Reshape.format(filters)))")
        }
    }
}

/// Every size of one convolution, resolved: what the reference loops and the CPU kernels
/// iterate over. Arrays are `[N, C, input...]`, `[O, C / groups, kernel...]` and `[N, O,
/// output...]`.
public struct ConvGeometry: Sendable, Equatable {
    public let batch, inChannels, outChannels, groups: Int
    public let input, kernel, output: [Int]
    public let stride, dilation, padBefore: [Int]
    public let filterFlip: Bool

    public var inputShape: [Int] { [batch, inChannels] + input }
    public var filterShape: [Int] { [outChannels, inChannels / Swift.max(groups, 1)] + kernel }
    public var outputShape: [Int] { [batch, outChannels] + output }
    public var inputSpatial: Int { input.reduce(1, *) }
    public var kernelSpatial: Int { kernel.reduce(1, *) }
    public var outputSpatial: Int { output.reduce(1, *) }

    /// For each stored kernel position `kk` (row-major over the kernel's spatial axes) and
    /// output position `o`, the flat spatial index of the input element it multiplies, or -1
    /// where that falls in the padding: entry `kk * outputSpatial + o`. With `filterFlip` the
    /// stored kernel is read backwards (a true convolution).
    /// - Throws: `.outOfMemory` when the table would not fit in memory, `.unsupported` when an
    ///   input plane has more positions than 32-bit indices hold.
    public func inputIndexTable() throws -> [Int32] {
        let n = input.count
        let count = try checkedAllocation([kernelSpatial, outputSpatial], dtype: .int32, context: "convolution index table") / 4
        guard inputSpatial <= Int(Int32.max) else {
            throw TheanoError.unsupported("convolution: an input of \(formatShape(input)) positions per channel is more than 32-bit indices hold")
        }
        var table = [Int32](repeating: -1, count: count)
        var kk = [Int](repeating: 0, count: n)
        for kFlat in 0..<kernelSpatial {
            var rem = kFlat
            for a in Swift.stride(from: n - 1, through: 0, by: -1) { kk[a] = rem % kernel[a]; rem /= kernel[a] }
            var o = [Int](repeating: 0, count: n)
            for oFlat in 0..<outputSpatial {
                var rem2 = oFlat
                for a in Swift.stride(from: n - 1, through: 0, by: -1) { o[a] = rem2 % output[a]; rem2 /= output[a] }
                var flat = 0, inside = true
                for a in 0..<n {
                    let k = filterFlip ? kernel[a] - 1 - kk[a] : kk[a]
                    let i = o[a] * self.stride[a] - padBefore[a] + k * dilation[a]
                    if i < 0 || i >= input[a] { inside = false; break }
                    flat = flat * input[a] + i
                }
                if inside { table[kFlat * outputSpatial + oFlat] = Int32(flat) }
            }
        }
        return table
    }

    /// Calls `body(x, w, y)` with the flat C-order indices into the input, filters and output
    /// for every product `x * w` that contributes to `y`: the definition of the convolution
    /// (`y[n, o, p] = sum over c, k of x[n, c, p * stride - pad + k' * dilation] * w[o, c, k]`,
    /// `k'` the flipped `k` when `filterFlip`).
    public func forEachTerm(_ body: (Int, Int, Int) -> Void) throws {
        let table = try inputIndexTable()
        let cg = inChannels / groups, og = outChannels / groups
        let (inS, kS, outS) = (inputSpatial, kernelSpatial, outputSpatial)
        for b in 0..<batch {
            for g in 0..<groups {
                for oc in g * og..<(g + 1) * og {
                    for ic in 0..<cg {
                        let xBase = (b * inChannels + g * cg + ic) * inS
                        let wBase = (oc * cg + ic) * kS
                        let yBase = (b * outChannels + oc) * outS
                        for k in 0..<kS {
                            for o in 0..<outS {
                                let i = Int(table[k * outS + o])
                                if i >= 0 { body(xBase + i, wBase + k, yBase + o) }
                            }
                        }
                    }
                }
            }
        }
    }
}
