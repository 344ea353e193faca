import TheanoArray

/// How a reduction folds values, as the reference (`NDArray+Reduce.swift`) does: float sums and
/// products accumulate in double and round once, integer and bool ones in int64 (wrapping);
/// max and min keep the dtype and propagate NaN (bools: any and all); all and any test `!= 0`
/// (NaN is true).
protocol Fold {
    associatedtype Input
    associatedtype Accumulator
    associatedtype Output
    static var identity: Accumulator { get }
    static func combine(_ a: Accumulator, _ x: Input) -> Accumulator
    static func merge(_ a: Accumulator, _ b: Accumulator) -> Accumulator
    static func finish(_ a: Accumulator) -> Output
}

enum FloatSumFold<T: KernelFloat>: Fold {
    static var identity: Double { 0 }
    @inline(__always) static func combine(_ a: Double, _ x: T) -> Double { a + Double(x) }
    @inline(__always) static func merge(_ a: Double, _ b: Double) -> Double { a + b }
    @inline(__always) static func finish(_ a: Double) -> T { T(a) }
}

enum FloatProdFold<T: KernelFloat>: Fold {
    static var identity: Double { 1 }
    @inline(__always) static func combine(_ a: Double, _ x: T) -> Double { a * Double(x) }
    @inline(__always) static func merge(_ a: Double, _ b: Double) -> Double { a * b }
    @inline(__always) static func finish(_ a: Double) -> T { T(a) }
}

enum IntSumFold<T: KernelInteger>: Fold {
    static var identity: Int64 { 0 }
    @inline(__always) static func combine(_ a: Int64, _ x: T) -> Int64 { a &+ Int64(truncatingIfNeeded: x) }
    @inline(__always) static func merge(_ a: Int64, _ b: Int64) -> Int64 { a &+ b }
    @inline(__always) static func finish(_ a: Int64) -> Int64 { a }
}

enum IntProdFold<T: KernelInteger>: Fold {
    static var identity: Int64 { 1 }
    @inline(__always) static func combine(_ a: Int64, _ x: T) -> Int64 { a &* Int64(truncatingIfNeeded: x) }
    @inline(__always) static func merge(_ a: Int64, _ b: Int64) -> Int64 { a &* b }
    @inline(__always) static func finish(_ a: Int64) -> Int64 { a }
}

enum BoolSumFold: Fold {
    static var identity: Int64 { 0 }
    @inline(__always) static func combine(_ a: Int64, _ x: Bool) -> Int64 { a &+ (x ? 1 : 0) }
    @inline(__always) static func merge(_ a: Int64, _ b: Int64) -> Int64 { a &+ b }
    @inline(__always) static func finish(_ a: Int64) -> Int64 { a }
}

enum BoolProdFold: Fold {
    static var identity: Int64 { 1 }
    @inline(__always) static func combine(_ a: Int64, _ x: Bool) -> Int64 { x ? a : 0 }
    @inline(__always) static func merge(_ a: Int64, _ b: Int64) -> Int64 { a &* b }
    @inline(__always) static func finish(_ a: Int64) -> Int64 { a }
}

/// The reference's extremum: the accumulator stays NaN once NaN, a NaN value wins.
enum FloatMaxFold<T: KernelFloat>: Fold {
    static var identity: T { -T.infinity }
    @inline(__always) static func combine(_ a: T, _ x: T) -> T { a != a ? a : (x != x ? x : (x > a ? x : a)) }
    @inline(__always) static func merge(_ a: T, _ b: T) -> T { combine(a, b) }
    @inline(__always) static func finish(_ a: T) -> T { a }
}

enum FloatMinFold<T: KernelFloat>: Fold {
    static var identity: T { T.infinity }
    @inline(__always) static func combine(_ a: T, _ x: T) -> T { a != a ? a : (x != x ? x : (x < a ? x : a)) }
    @inline(__always) static func merge(_ a: T, _ b: T) -> T { combine(a, b) }
    @inline(__always) static func finish(_ a: T) -> T { a }
}

enum IntMaxFold<T: KernelInteger>: Fold {
    static var identity: T { T.min }
    @inline(__always) static func combine(_ a: T, _ x: T) -> T { x > a ? x : a }
    @inline(__always) static func merge(_ a: T, _ b: T) -> T { combine(a, b) }
    @inline(__always) static func finish(_ a: T) -> T { a }
}

enum IntMinFold<T: KernelInteger>: Fold {
    static var identity: T { T.max }
    @inline(__always) static func combine(_ a: T, _ x: T) -> T { x < a ? x : a }
    @inline(__always) static func merge(_ a: T, _ b: T) -> T { combine(a, b) }
    @inline(__always) static func finish(_ a: T) -> T { a }
}

/// `all` of numbers (`x != 0`; NaN is true).
enum AllFold<T: Numeric>: Fold {
    static var identity: Bool { true }
    @inline(__always) static func combine(_ a: Bool, _ x: T) -> Bool { a && x != 0 }
    @inline(__always) static func merge(_ a: Bool, _ b: Bool) -> Bool { a && b }
    @inline(__always) static func finish(_ a: Bool) -> Bool { a }
}

enum AnyFold<T: Numeric>: Fold {
    static var identity: Bool { false }
    @inline(__always) static func combine(_ a: Bool, _ x: T) -> Bool { a || x != 0 }
    @inline(__always) static func merge(_ a: Bool, _ b: Bool) -> Bool { a || b }
    @inline(__always) static func finish(_ a: Bool) -> Bool { a }
}

/// `all` of bools; also `min` of bools.
enum BoolAllFold: Fold {
    static var identity: Bool { true }
    @inline(__always) static func combine(_ a: Bool, _ x: Bool) -> Bool { a && x }
    @inline(__always) static func merge(_ a: Bool, _ b: Bool) -> Bool { a && b }
    @inline(__always) static func finish(_ a: Bool) -> Bool { a }
}

/// `any` of bools; also `max` of bools.
enum BoolAnyFold: Fold {
    static var identity: Bool { false }
    @inline(__always) static func combine(_ a: Bool, _ x: Bool) -> Bool { a || x }
    @inline(__always) static func merge(_ a: Bool, _ b: Bool) -> Bool { a || b }
    @inline(__always) static func finish(_ a: Bool) -> Bool { a }
}

/// Where each element of the broadcast shape (in C order) goes in the reduced result: the
/// shape with size-1 axes dropped and neighbouring axes of the same kind (kept or reduced)
/// merged, so a reduction walks runs of its innermost group.
struct ReductionGeometry {
    /// Outer groups, outermost first: size and stride in the result (0 when reduced).
    let outer: [(size: Int, stride: Int)]
    /// The innermost group: its length and whether it is reduced.
    let inner: Int
    let innerReduced: Bool
    /// Elements of the result.
    let resultCount: Int

    init(shape: [Int], reduced axes: [Int]) {
        var groups: [(size: Int, reduced: Bool)] = []
        for d in shape.indices where shape[d] != 1 {
            let r = axes.contains(d)
            if let last = groups.last, last.reduced == r {
                groups[groups.count - 1].size *= shape[d]
            } else {
                groups.append((shape[d], r))
            }
        }
        if groups.isEmpty { groups = [(1, true)] }
        var strides = Array(repeating: 0, count: groups.count)
        var size = 1
        for g in groups.indices.reversed() where !groups[g].reduced {
            strides[g] = size
            size *= groups[g].size
        }
        outer = groups.dropLast().indices.map { (groups[$0].size, strides[$0]) }
        inner = groups[groups.count - 1].size
        innerReduced = groups[groups.count - 1].reduced
        resultCount = size
    }
}

/// A reduction of one dtype and kind, for the kernel: a closure made where the fold's type is
/// known, so the loops inside are specialised for it (a generic type behind an existential
/// would run unspecialised code, with a witness-table call per element).
struct BlockReducer {
    /// Folds the `count` values of the broadcast shape into `output`, a fresh contiguous array
    /// of the result's shape. `blocks(range, fold)` produces the values of elements `range`
    /// block by block, calling `fold(values, start, n)` for each. With `parts` > 1 the elements
    /// are split in that many ranges, folded separately (on the pool, when there is one) and
    /// merged in order.
    typealias Blocks = (Range<Int>, (UnsafeRawPointer, Int, Int) throws -> Void) throws -> Void
    let reduce: (_ geometry: ReductionGeometry, _ count: Int, _ parts: Int, _ pool: ThreadPool?,
                 _ output: UnsafeMutableRawPointer, _ blocks: Blocks) throws -> Void

    init<F: Fold>(_: F.Type) {
        reduce = { geometry, count, parts, pool, output, blocks in
            try FoldReducer<F>.reduce(geometry, count: count, parts: parts, pool: pool, into: output, blocks: blocks)
        }
    }
}

enum FoldReducer<F: Fold> {
    static func reduce(_ geometry: ReductionGeometry, count: Int, parts: Int, pool: ThreadPool?, into output: UnsafeMutableRawPointer,
                       blocks: BlockReducer.Blocks) throws {
        let resultCount = geometry.resultCount
        // One part accumulates in the result itself when it has the accumulator's type.
        let inPlace = parts == 1 && F.Accumulator.self == F.Output.self
        let acc = inPlace ? output.assumingMemoryBound(to: F.Accumulator.self)
            : UnsafeMutablePointer<F.Accumulator>.allocate(capacity: resultCount * parts)
        defer { if !inPlace { acc.deallocate() } }
        acc.initialize(repeating: F.identity, count: resultCount * parts)
        try ParallelBlocks.forEach(parts, pool: pool) { part in
            let size = count / parts
            let range = part * size ..< (part == parts - 1 ? count : (part + 1) * size)
            try accumulate(geometry, range: range, into: acc + part * resultCount, blocks: blocks)
        }
        if inPlace { return }
        for part in 1..<Swift.max(parts, 1) {
            let partial = acc + part * resultCount
            for i in 0..<resultCount { acc[i] = F.merge(acc[i], partial[i]) }
        }
        let out = output.assumingMemoryBound(to: F.Output.self)
        for i in 0..<resultCount { out[i] = F.finish(acc[i]) }
    }

    private static func accumulate(_ geometry: ReductionGeometry, range: Range<Int>, into acc: UnsafeMutablePointer<F.Accumulator>,
                                   blocks: BlockReducer.Blocks) throws {
        guard !range.isEmpty else { return }
        var cursor = Cursor(geometry, at: range.lowerBound)
        try blocks(range) { values, _, n in
            let x = values.assumingMemoryBound(to: F.Input.self)
            var k = 0
            while k < n {
                let len = Swift.min(geometry.inner - cursor.j, n - k)
                if geometry.innerReduced {
                    acc[cursor.base] = F.merge(acc[cursor.base], fold(x + k, len))
                } else {
                    let a = acc + cursor.base + cursor.j
                    let v = x + k
                    for i in 0..<len { a[i] = F.combine(a[i], v[i]) }
                }
                k += len
                cursor.advance(len, geometry)
            }
        }
    }

    /// Folds `n` contiguous values in eight interleaved accumulators (independent chains the
    /// processor overlaps), merged at the end.
    @inline(__always)
    static func fold(_ x: UnsafePointer<F.Input>, _ n: Int) -> F.Accumulator {
        var i = 0
        var total = F.identity
        if n >= 32 {
            var a0 = F.identity, a1 = F.identity, a2 = F.identity, a3 = F.identity
            var a4 = F.identity, a5 = F.identity, a6 = F.identity, a7 = F.identity
            while i + 8 <= n {
                a0 = F.combine(a0, x[i]); a1 = F.combine(a1, x[i + 1])
                a2 = F.combine(a2, x[i + 2]); a3 = F.combine(a3, x[i + 3])
                a4 = F.combine(a4, x[i + 4]); a5 = F.combine(a5, x[i + 5])
                a6 = F.combine(a6, x[i + 6]); a7 = F.combine(a7, x[i + 7])
                i += 8
            }
            total = F.merge(F.merge(F.merge(a0, a1), F.merge(a2, a3)), F.merge(F.merge(a4, a5), F.merge(a6, a7)))
        }
        while i < n {
            total = F.combine(total, x[i])
            i += 1
        }
        return total
    }

    /// The position of an element: its index in the innermost group and the result offset of
    /// its run.
    struct Cursor {
        var j: Int
        var base: Int
        var index: [Int]

        init(_ g: ReductionGeometry, at start: Int) {
            var rest = start / g.inner
            j = start - rest * g.inner
            base = 0
            index = Array(repeating: 0, count: g.outer.count)
            for d in g.outer.indices.reversed() {
                let q = rest / g.outer[d].size
                index[d] = rest - q * g.outer[d].size
                base += index[d] * g.outer[d].stride
                rest = q
            }
        }

        @inline(__always)
        mutating func advance(_ n: Int, _ g: ReductionGeometry) {
            j += n
            guard j == g.inner else { return }
            j = 0
            var d = g.outer.count - 1
            while d >= 0 {
                index[d] += 1
                base += g.outer[d].stride
                if index[d] < g.outer[d].size { return }
                base -= index[d] * g.outer[d].stride
                index[d] = 0
                d -= 1
            }
        }
    }
}
