import CTheanoRuntime
import TheanoArray
import TheanoGraph
import TheanoTensor

// The CPU backend's pooling kernels: Swift loops on raw pointers over the windows that
// `PoolGeometry` resolves (the op's own checks, so the same errors as `perform`), float32 and
// float64, accumulating in the element type. Max pooling and its gradient share the tie rule
// of the reference: the first maximum in row-major window order wins (a NaN beats numbers).

/// What the report calls these kernels.
let swiftLoops = "Swift loops"

private func isPoolType(_ dtype: DType) -> Bool { dtype == .float32 || dtype == .float64 }

/// The report's name for max pooling's kernel: 2x2 windows with stride 2 and no padding run
/// the runtime library's C loops (when every window lies inside the input, which only the
/// shape decides: an odd size with `ignoreBorder` false takes the Swift loops).
private func maxPoolImplementation(_ p: PoolParameters) -> String {
    p.window == [2, 2] && p.stride == [2, 2] && p.padding.allSatisfy({ $0 == 0 }) ? "C loops (2x2, stride 2)" : swiftLoops
}

extension Pool: CPUKernelOp {
    func cpuKernel(_ node: Apply, _ session: LinkSession) throws -> KernelChoice? {
        guard isPoolType(node.outputTypes[0].dtype) else { return nil }
        return .kernel(PoolForwardKernel(op: self), implementation: parameters.mode == .max ? maxPoolImplementation(parameters) : swiftLoops)
    }
}

extension MaxPoolGrad: CPUKernelOp {
    func cpuKernel(_ node: Apply, _ session: LinkSession) throws -> KernelChoice? {
        isPoolType(node.outputTypes[0].dtype) ? .kernel(PoolBackwardKernel(parameters: parameters, max: true), implementation: maxPoolImplementation(parameters)) : nil
    }
}

extension AveragePoolGrad: CPUKernelOp {
    func cpuKernel(_ node: Apply, _ session: LinkSession) throws -> KernelChoice? {
        isPoolType(node.outputTypes[0].dtype) ? .kernel(PoolBackwardKernel(parameters: parameters, max: false), implementation: swiftLoops) : nil
    }
}

/// The windows of a geometry as one flat table: output `o` reads input cells
/// `cells[start[o] ..< start[o + 1]]` (array-of-arrays access costs a retain per window).
private struct WindowTable {
    let cells: [Int32]
    let start: [Int32]

    init(_ g: PoolGeometry) {
        var cells: [Int32] = [], start: [Int32] = [0]
        cells.reserveCapacity(g.cells.reduce(0) { $0 + $1.count })
        for window in g.cells {
            for c in window { cells.append(Int32(c)) }
            start.append(Int32(cells.count))
        }
        self.cells = cells
        self.start = start
    }
}

/// Runs `body(range)` over the leading (batch and channel) index space in parts on the pool
/// when the work is large enough.
private func forEachPlane(_ planes: Int, elementsPerPlane: Int, pool: ThreadPool?, _ body: (Range<Int>) -> Void) throws {
    let total = planes * Swift.max(elementsPerPlane, 1)
    let parts = total >= ParallelBlocks.threshold ? Swift.min(planes, 2 * Swift.max(pool?.threads ?? 1, 1)) : 1
    guard parts > 1 else { return body(0..<planes) }
    try ParallelBlocks.forEach(parts, pool: pool) { p in
        body((p * planes / parts)..<((p + 1) * planes / parts))
    }
}

struct PoolForwardKernel: Kernel {
    let op: Pool

    func run(_ node: Apply, _ inputs: [NDArray], _ context: KernelContext) throws -> [NDArray] {
        let p = op.parameters
        let outline = try p.outline(inputs[0].shape, op: p.name)
        let dtype = node.outputTypes[0].dtype
        let x = inputs[0].astype(dtype).contiguous()
        let out = try context.buffers.allocate(outline.lead + outline.output, dtype)
        if p.mode == .max, let plain = PlainMaxPool2D(p, outline) {
            try withExtendedLifetime(x) {
                switch dtype {
                case .float32: try plain.forward(x, out, context.pool, Float.self)
                default: try plain.forward(x, out, context.pool, Double.self)
                }
            }
            return [out]
        }
        let g = try p.geometry(inputs[0].shape, op: p.name)
        let table = WindowTable(g)
        try withExtendedLifetime(x) {
            switch dtype {
            case .float32: try forward(g, p.mode, table, x, out, context.pool, Float.self)
            default: try forward(g, p.mode, table, x, out, context.pool, Double.self)
            }
        }
        return [out]
    }

    private func forward<T: NDArrayElement & BinaryFloatingPoint>(_ g: PoolGeometry, _ mode: PoolMode, _ table: WindowTable,
                                                                  _ x: NDArray, _ out: NDArray, _ pool: ThreadPool?, _: T.Type) throws {
        let xp = x.storagePointer(as: T.self) + x.offset, yp = out.storagePointer(as: T.self) + out.offset
        let divisors = g.divisors.map { T($0) }
        try table.cells.withUnsafeBufferPointer { cells in
            try table.start.withUnsafeBufferPointer { start in
                try divisors.withUnsafeBufferPointer { divisors in
                    try forEachPlane(g.batch, elementsPerPlane: g.inputSpatial, pool: pool) { planes in
                        for b in planes {
                            let src = xp + b * g.inputSpatial, dst = yp + b * g.outputSpatial
                            for o in 0..<g.outputSpatial {
                                let lo = Int(start[o]), hi = Int(start[o + 1])
                                if mode == .max {
                                    dst[o] = src[firstMaximum(src, cells, lo, hi)]
                                } else {
                                    var total: T = 0
                                    for k in lo..<hi { total += src[Int(cells[k])] }
                                    dst[o] = total / divisors[o]
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// ``MaxPoolGrad`` (`max`) or ``AveragePoolGrad``: inputs `x` and the output gradient.
struct PoolBackwardKernel: Kernel {
    let parameters: PoolParameters
    let max: Bool

    func run(_ node: Apply, _ inputs: [NDArray], _ context: KernelContext) throws -> [NDArray] {
        let p = parameters, op = p.name + (max ? "MaxGrad" : "AverageGrad")
        let outline = try p.outline(inputs[0].shape, op: op)
        guard inputs[1].shape == outline.lead + outline.output else {
            throw TheanoError.shapeMismatch("\(op): expected a second operand of shape \(formatShape(outline.lead + outline.output)) for an input of shape \(formatShape(inputs[0].shape)), got \(formatShape(inputs[1].shape))")
        }
        let dtype = node.outputTypes[0].dtype
        let x = inputs[0].astype(dtype).contiguous(), gy = inputs[1].astype(dtype).contiguous()
        let out = try context.buffers.allocate(inputs[0].shape, dtype)
        if max, let plain = PlainMaxPool2D(p, outline) {
            try withExtendedLifetime((x, gy)) {
                switch dtype {
                case .float32: try plain.backward(x, gy, out, context.pool, Float.self)
                default: try plain.backward(x, gy, out, context.pool, Double.self)
                }
            }
            return [out]
        }
        let g = try p.geometry(inputs[0].shape, op: op)
        let table = WindowTable(g)
        try withExtendedLifetime((x, gy)) {
            switch dtype {
            case .float32: try backward(g, table, x, gy, out, context.pool, Float.self)
            default: try backward(g, table, x, gy, out, context.pool, Double.self)
            }
        }
        return [out]
    }

    private func backward<T: NDArrayElement & BinaryFloatingPoint>(_ g: PoolGeometry, _ table: WindowTable, _ x: NDArray, _ gy: NDArray,
                                                                   _ out: NDArray, _ pool: ThreadPool?, _: T.Type) throws {
        let xp = x.storagePointer(as: T.self) + x.offset, gp = gy.storagePointer(as: T.self) + gy.offset
        let dp = out.storagePointer(as: T.self) + out.offset
        let divisors = g.divisors.map { T($0) }
        let max = self.max
        try table.cells.withUnsafeBufferPointer { cells in
            try table.start.withUnsafeBufferPointer { start in
                try divisors.withUnsafeBufferPointer { divisors in
                    try forEachPlane(g.batch, elementsPerPlane: g.inputSpatial, pool: pool) { planes in
                        for b in planes {
                            let src = xp + b * g.inputSpatial, dst = dp + b * g.inputSpatial, grad = gp + b * g.outputSpatial
                            dst.update(repeating: 0, count: g.inputSpatial)
                            for o in 0..<g.outputSpatial {
                                let lo = Int(start[o]), hi = Int(start[o + 1])
                                if max {
                                    dst[firstMaximum(src, cells, lo, hi)] += grad[o]
                                } else {
                                    let share = grad[o] / divisors[o]
                                    for k in lo..<hi { dst[Int(cells[k])] += share }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The first maximum of `p` over the cells `cells[lo..<hi]` (a NaN beats numbers; the first
/// NaN wins).
@inline(__always)
private func firstMaximum<T: BinaryFloatingPoint>(_ p: UnsafeMutablePointer<T>, _ cells: UnsafeBufferPointer<Int32>, _ lo: Int, _ hi: Int) -> Int {
    var best = Int(cells[lo]), value = p[best]
    var k = lo + 1
    while k < hi {
        let c = Int(cells[k])
        let v = p[c]
        if v > value || (v.isNaN && !value.isNaN) { best = c; value = v }
        k += 1
    }
    return best
}

/// 2-d max pooling without padding, every window inside the input (the common case: LeNet's
/// 2x2 windows), as direct loops over rows and columns. Same tie rule as the general path.
private struct PlainMaxPool2D {
    let planes, height, width, outHeight, outWidth, windowH, windowW, strideH, strideW: Int

    init?(_ p: PoolParameters, _ g: (lead: [Int], input: [Int], output: [Int])) {
        guard g.input.count == 2, p.padding.allSatisfy({ $0 == 0 }) else { return nil }
        (planes, height, width) = (shapeSize(g.lead), g.input[0], g.input[1])
        (outHeight, outWidth) = (g.output[0], g.output[1])
        (windowH, windowW, strideH, strideW) = (p.window[0], p.window[1], p.stride[0], p.stride[1])
        // Every window whole: partial windows at the border (ignoreBorder false) take the
        // general path.
        guard windowH > 0, windowW > 0, outHeight == 0 || (outHeight - 1) * strideH + windowH <= height,
              outWidth == 0 || (outWidth - 1) * strideW + windowW <= width else { return nil }
    }

    /// 2x2 windows with stride 2 (most convnets' pooling): vectorised C loops in the runtime
    /// library (`maxpool2x2.c`), 3-8x faster than the loops below, same rules.
    private var isTwoByTwo: Bool { windowH == 2 && windowW == 2 && strideH == 2 && strideW == 2 }

    // The loops avoid data-dependent branches: on random data a compare-and-branch per cell
    // mispredicts about half the time, which made this kernel 5x slower. The maximum is
    // folded with selects, the winner found with 0/1 arithmetic; a window holding a NaN (rare)
    // takes the plain loop, where the first NaN wins.

    /// The input offset of window `(oh, ow)`'s first maximum in a plane, and the maximum.
    @inline(__always)
    private func winner<T: BinaryFloatingPoint>(_ src: UnsafeMutablePointer<T>, _ oh: Int, _ ow: Int) -> (Int, T) {
        let start = oh * strideH * width + ow * strideW
        if windowH == 2 && windowW == 2 {
            let a = src[start], b = src[start + 1], c = src[start + width], d = src[start + width + 1]
            let nan = bit(a != a) | bit(b != b) | bit(c != c) | bit(d != d)
            if nan != 0 { return slowWinner(src, start) }
            // Left to right with "greater than": ties keep the earlier cell.
            let ab = b > a ? b : a, m = d > (c > ab ? c : ab) ? d : (c > ab ? c : ab)
            let n0 = 1 - bit(a == m), n1 = n0 * (1 - bit(b == m)), n2 = n1 * (1 - bit(c == m))
            return (start + n0 + n1 * (width - 1) + n2, m)
        }
        var value = src[start], nan = bit(value != value)
        var row = start
        for _ in 0..<windowH {
            for j in 0..<windowW {
                let v = src[row + j]
                value = v > value ? v : value
                nan |= bit(v != v)
            }
            row += width
        }
        if nan != 0 { return slowWinner(src, start) }
        // The first cell equal to the maximum, in row-major window order.
        var found = 0, index = 0
        row = start
        for _ in 0..<windowH {
            for j in 0..<windowW {
                let hit = bit(src[row + j] == value) & (1 - found)
                index += hit * (row + j)
                found |= hit
            }
            row += width
        }
        return (index, value)
    }

    /// The winner by comparisons, where a NaN beats numbers and the first NaN wins.
    private func slowWinner<T: BinaryFloatingPoint>(_ src: UnsafeMutablePointer<T>, _ start: Int) -> (Int, T) {
        var best = start, value = src[start]
        var row = start
        for _ in 0..<windowH {
            for j in 0..<windowW {
                let v = src[row + j]
                if v > value || (v.isNaN && !value.isNaN) { best = row + j; value = v }
            }
            row += width
        }
        return (best, value)
    }

    /// The maximum of window `(oh, ow)` (NaN when it holds one).
    @inline(__always)
    private func maximum<T: BinaryFloatingPoint>(_ src: UnsafeMutablePointer<T>, _ oh: Int, _ ow: Int) -> T {
        let start = oh * strideH * width + ow * strideW
        if windowH == 2 && windowW == 2 {
            let a = src[start], b = src[start + 1], c = src[start + width], d = src[start + width + 1]
            let ab = b > a ? b : a, cd = d > c ? d : c
            let m = cd > ab ? cd : ab
            let nan = bit(a != a) | bit(b != b) | bit(c != c) | bit(d != d)
            return nan != 0 ? slowWinner(src, start).1 : m
        }
        var value = src[start], nan = bit(value != value)
        var row = start
        for _ in 0..<windowH {
            for j in 0..<windowW {
                let v = src[row + j]
                value = v > value ? v : value
                nan |= bit(v != v)
            }
            row += width
        }
        return nan != 0 ? slowWinner(src, start).1 : value
    }

    func forward<T: NDArrayElement & BinaryFloatingPoint>(_ x: NDArray, _ out: NDArray, _ pool: ThreadPool?, _: T.Type) throws {
        let xp = x.storagePointer(as: T.self) + x.offset, yp = out.storagePointer(as: T.self) + out.offset
        let inPlane = height * width, outPlane = outHeight * outWidth
        if isTwoByTwo {
            return try forEachPlane(planes, elementsPerPlane: inPlane, pool: pool) { range in
                let (b, e) = (Int64(range.lowerBound), Int64(range.upperBound))
                let (h, w, oh, ow) = (Int64(height), Int64(width), Int64(outHeight), Int64(outWidth))
                if T.self == Float.self {
                    th_maxpool2x2_f32(UnsafeRawPointer(xp).assumingMemoryBound(to: Float.self), UnsafeMutableRawPointer(yp).assumingMemoryBound(to: Float.self), b, e, h, w, oh, ow)
                } else {
                    th_maxpool2x2_f64(UnsafeRawPointer(xp).assumingMemoryBound(to: Double.self), UnsafeMutableRawPointer(yp).assumingMemoryBound(to: Double.self), b, e, h, w, oh, ow)
                }
            }
        }
        try forEachPlane(planes, elementsPerPlane: inPlane, pool: pool) { range in
            for b in range {
                let src = xp + b * inPlane, dst = yp + b * outPlane
                for oh in 0..<outHeight {
                    for ow in 0..<outWidth { dst[oh * outWidth + ow] = maximum(src, oh, ow) }
                }
            }
        }
    }

    func backward<T: NDArrayElement & BinaryFloatingPoint>(_ x: NDArray, _ gy: NDArray, _ out: NDArray, _ pool: ThreadPool?, _: T.Type) throws {
        let xp = x.storagePointer(as: T.self) + x.offset, gp = gy.storagePointer(as: T.self) + gy.offset
        let dp = out.storagePointer(as: T.self) + out.offset
        let inPlane = height * width, outPlane = outHeight * outWidth
        if isTwoByTwo {
            return try forEachPlane(planes, elementsPerPlane: inPlane, pool: pool) { range in
                let (b, e) = (Int64(range.lowerBound), Int64(range.upperBound))
                let (h, w, oh, ow) = (Int64(height), Int64(width), Int64(outHeight), Int64(outWidth))
                if T.self == Float.self {
                    th_maxpool2x2_grad_f32(UnsafeRawPointer(xp).assumingMemoryBound(to: Float.self), UnsafeRawPointer(gp).assumingMemoryBound(to: Float.self),
                                           UnsafeMutableRawPointer(dp).assumingMemoryBound(to: Float.self), b, e, h, w, oh, ow)
                } else {
                    th_maxpool2x2_grad_f64(UnsafeRawPointer(xp).assumingMemoryBound(to: Double.self), UnsafeRawPointer(gp).assumingMemoryBound(to: Double.self),
                                           UnsafeMutableRawPointer(dp).assumingMemoryBound(to: Double.self), b, e, h, w, oh, ow)
                }
            }
        }
        try forEachPlane(planes, elementsPerPlane: inPlane, pool: pool) { range in
            for b in range {
                let src = xp + b * inPlane, dst = dp + b * inPlane, grad = gp + b * outPlane
                dst.update(repeating: 0, count: inPlane)
                for oh in 0..<outHeight {
                    for ow in 0..<outWidth { dst[winner(src, oh, ow).0] += grad[oh * outWidth + ow] }
                }
            }
        }
    }
}

/// 1 for true, 0 for false, without a branch.
@inline(__always)
private func bit(_ b: Bool) -> Int { Int(unsafeBitCast(b, to: UInt8.self)) }
