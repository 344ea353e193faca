/// Visits every element of an n-dimensional index space in C order, for several operands at
/// once, one contiguous inner row at a time.
///
/// Operands are described by their strides (in elements) over the same `shape` and a starting
/// offset; a stride of 0 broadcasts. Dimensions of size 1 are dropped and adjacent dimensions
/// that are contiguous for every operand are merged, so a contiguous array is walked as a single
/// row.
@usableFromInline
package struct StridedWalk {
    @usableFromInline let shape: [Int]
    @usableFromInline let strides: [[Int]]
    @usableFromInline let offsets: [Int]

    @usableFromInline
    package init(shape: [Int], strides: [[Int]], offsets: [Int]) {
        // Drop size-1 axes, then merge axes that are contiguous for all operands.
        var dims: [Int] = []
        var st: [[Int]] = Array(repeating: [], count: strides.count)
        for axis in shape.indices where shape[axis] != 1 {
            let canMerge = !dims.isEmpty && strides.indices.allSatisfy { k in
                st[k][st[k].count - 1] == strides[k][axis] * shape[axis]
            }
            if canMerge {
                dims[dims.count - 1] *= shape[axis]
                for k in strides.indices { st[k][st[k].count - 1] = strides[k][axis] }
            } else {
                dims.append(shape[axis])
                for k in strides.indices { st[k].append(strides[k][axis]) }
            }
        }
        self.shape = dims
        self.strides = st
        self.offsets = offsets
    }

    /// The number of elements visited.
    @usableFromInline var count: Int { shape.reduce(1, *) }

    /// Calls `row(offsets, n, innerStrides)` for every inner row: element `i` of the row is at
    /// `offsets[k] + i * innerStrides[k]` for operand `k`.
    @inlinable
    package func forEachRow(_ row: (_ offsets: [Int], _ count: Int, _ innerStrides: [Int]) throws -> Void) rethrows {
        let rank = shape.count
        if shape.contains(0) { return }
        if rank == 0 {
            try row(offsets, 1, Array(repeating: 0, count: offsets.count))
            return
        }
        let n = shape[rank - 1]
        let inner = strides.map { $0[rank - 1] }
        var offs = offsets
        var index = Array(repeating: 0, count: rank)
        let ops = offsets.count
        while true {
            try row(offs, n, inner)
            var d = rank - 2
            while d >= 0 {
                index[d] += 1
                for k in 0..<ops { offs[k] += strides[k][d] }
                if index[d] < shape[d] { break }
                for k in 0..<ops { offs[k] -= strides[k][d] * shape[d] }
                index[d] = 0
                d -= 1
            }
            if d < 0 { return }
        }
    }
}
