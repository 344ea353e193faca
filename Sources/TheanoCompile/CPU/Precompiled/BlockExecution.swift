import TheanoArray

/// How one input is read over the broadcast shape, in the C order of the (contiguous) result.
enum InputLayout {
    /// One element for every position.
    case scalar(UnsafeMutableRawPointer)
    /// C-contiguous over the broadcast shape: block `[s, s + n)` is elements `s..<s + n`.
    case contiguous(UnsafeMutableRawPointer)
    /// Anything else (strided views, broadcast axes of size > 1): each block is copied into a
    /// register first.
    case strided(StridedSource)

    /// The layout of `x` read over `shape`, `broadcast` marking its axes of static size 1
    /// (stride 0).
    init(_ x: NDArray, shape: [Int], broadcast: [Bool], scalar: Bool) {
        let base = x.storage.baseAddress + x.offset * x.dtype.byteSize
        if scalar {
            self = .scalar(base)
            return
        }
        let contiguous = contiguousStrides(shape)
        if shape.indices.allSatisfy({ d in shape[d] == 1 || (!broadcast[d] && x.strides[d] == contiguous[d]) }) {
            self = .contiguous(base)
            return
        }
        self = .strided(StridedSource(base: base, elementSize: x.dtype.byteSize, shape: shape,
                                      strides: shape.indices.map { broadcast[$0] ? 0 : x.strides[$0] }))
    }
}

/// An input read through strides: its axes of size 1 dropped and neighbouring axes merged
/// where its strides allow, so a broadcast row is a run of copies and a column a run of fills.
struct StridedSource {
    let base: UnsafeMutableRawPointer
    let elementSize: Int
    let sizes: [Int]
    /// In elements.
    let strides: [Int]

    init(base: UnsafeMutableRawPointer, elementSize: Int, shape: [Int], strides: [Int]) {
        var sizes: [Int] = [], merged: [Int] = []
        for d in shape.indices where shape[d] != 1 {
            if let last = sizes.indices.last, merged[last] == strides[d] * shape[d] {
                sizes[last] *= shape[d]
                merged[last] = strides[d]
            } else {
                sizes.append(shape[d])
                merged.append(strides[d])
            }
        }
        if sizes.isEmpty { sizes = [1]; merged = [0] }
        self.base = base
        self.elementSize = elementSize
        self.sizes = sizes
        self.strides = merged
    }

    /// Copies elements `[start, start + count)` (C order over the broadcast shape) to `out`.
    func gather(into out: UnsafeMutableRawPointer, start: Int, count: Int) {
        switch elementSize {
        case 1: gather(UInt8.self, into: out, start: start, count: count)
        case 2: gather(UInt16.self, into: out, start: start, count: count)
        case 4: gather(UInt32.self, into: out, start: start, count: count)
        default: gather(UInt64.self, into: out, start: start, count: count)
        }
    }

    private func gather<T>(_: T.Type, into out: UnsafeMutableRawPointer, start: Int, count: Int) {
        let src = base.assumingMemoryBound(to: T.self)
        let dst = out.assumingMemoryBound(to: T.self)
        let last = sizes.count - 1
        let inner = sizes[last], step = strides[last]
        // Position of `start`: the index along the inner axis and the offset of its row.
        var rest = start / inner
        var j = start - rest * inner
        var row = 0
        var index = Array(repeating: 0, count: last)
        for d in stride(from: last - 1, through: 0, by: -1) {
            let q = rest / sizes[d]
            index[d] = rest - q * sizes[d]
            row += index[d] * strides[d]
            rest = q
        }
        var done = 0
        while done < count {
            let n = Swift.min(inner - j, count - done)
            let from = src + row + j * step
            let to = dst + done
            switch step {
            case 0: to.update(repeating: from.pointee, count: n)
            case 1: to.update(from: from, count: n)
            default: for i in 0..<n { to[i] = from[i * step] }
            }
            done += n
            j = 0
            // Next row.
            var d = last - 1
            while d >= 0 {
                index[d] += 1
                row += strides[d]
                if index[d] < sizes[d] { break }
                row -= index[d] * strides[d]
                index[d] = 0
                d -= 1
            }
        }
    }
}

/// Elements per block: the registers of a program stay in the first cache levels.
let precompiledBlockSize = 2048

extension BlockProgram {
    /// Runs the program over elements `range` of the broadcast shape, block by block, calling
    /// `body` after each block with the value pointers (indexed by value number), the block's
    /// start and length. `outputs`: the base of each output (elementwise programs), written
    /// where ``Storage/output(_:)`` says.
    func run(_ layouts: [InputLayout], outputs: [UnsafeMutableRawPointer], range: Range<Int>,
             body: (UnsafeMutablePointer<UnsafeMutableRawPointer>, Int, Int) throws -> Void) throws {
        let blockBytes = precompiledBlockSize * 8
        let scratch = UnsafeMutableRawPointer.allocate(byteCount: registerCount * blockBytes + Swift.max(slotCount, 1) * 8, alignment: 64)
        defer { scratch.deallocate() }
        let slots = scratch + registerCount * blockBytes
        let values = UnsafeMutablePointer<UnsafeMutableRawPointer>.allocate(capacity: storage.count)
        defer { values.deallocate() }
        for (slot, bits) in constants { (slots + slot * 8).storeBytes(of: bits, as: UInt64.self) }
        // Fixed pointers.
        for (v, s) in storage.enumerated() {
            switch s {
            case .input(let i):
                switch layouts[i] {
                case .scalar(let p), .contiguous(let p): values[v] = p
                case .strided: values[v] = scratch + (stepRegisters + i) * blockBytes
                }
            case .slot(let k): values[v] = slots + k * 8
            case .register(let r): values[v] = scratch + r * blockBytes
            case .output(let k): values[v] = outputs[k]
            }
        }
        for step in scalarSteps {
            let (a, b, c) = step.operands
            try step.kernel(values[a], values[b], values[c], values[step.result], 1)
        }
        var directOutputs: [(value: Int, base: UnsafeMutableRawPointer, size: Int)] = []
        for (v, s) in storage.enumerated() {
            if case .output(let k) = s { directOutputs.append((v, outputs[k], dtypes[v].byteSize)) }
        }
        var start = range.lowerBound
        while start < range.upperBound {
            let n = Swift.min(precompiledBlockSize, range.upperBound - start)
            for (i, layout) in layouts.enumerated() {
                switch layout {
                case .scalar: break
                case .contiguous(let p): values[i] = p + start * inputTypes[i].byteSize
                case .strided(let source): source.gather(into: values[i], start: start, count: n)
                }
            }
            for o in directOutputs { values[o.value] = o.base + start * o.size }
            for step in blockSteps {
                let (a, b, c) = step.operands
                try step.kernel(values[a], values[b], values[c], values[step.result], n)
            }
            try body(values, start, n)
            start += n
        }
    }
}

/// Copies `n` elements of `elementSize` bytes from `source` to `target`, or repeats one
/// element when `scalar`.
func copyElements(_ source: UnsafeRawPointer, scalar: Bool, to target: UnsafeMutableRawPointer, count n: Int, elementSize: Int) {
    if !scalar {
        target.copyMemory(from: source, byteCount: n * elementSize)
        return
    }
    switch elementSize {
    case 1: target.assumingMemoryBound(to: UInt8.self).update(repeating: source.load(as: UInt8.self), count: n)
    case 2: target.assumingMemoryBound(to: UInt16.self).update(repeating: source.load(as: UInt16.self), count: n)
    case 4: target.assumingMemoryBound(to: UInt32.self).update(repeating: source.load(as: UInt32.self), count: n)
    default: target.assumingMemoryBound(to: UInt64.self).update(repeating: source.load(as: UInt64.self), count: n)
    }
}
