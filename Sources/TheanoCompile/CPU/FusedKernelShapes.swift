import TheanoArray

// Shape checks shared by the kernels of fused elementwise and reduction programs (the
// generated C ones and the precompiled ones).

/// The broadcast shape of `inputs` under the static rule (an axis of static size 1
/// broadcasts; every other size must agree), or nil when the run-time sizes disagree.
func staticBroadcastShape(_ inputs: [NDArray], _ broadcast: [[Bool]]) -> [Int]? {
    let rank = broadcast.first?.count ?? 0
    var shape = Array(repeating: 1, count: rank)
    var known = Array(repeating: false, count: rank)
    for (i, x) in inputs.enumerated() {
        guard x.rank == rank else { return nil }
        for d in 0..<rank where !broadcast[i][d] {
            if known[d] {
                if shape[d] != x.shape[d] { return nil }
            } else {
                shape[d] = x.shape[d]
                known[d] = true
            }
        }
    }
    return shape
}

/// Whether arrays of `shape` and these dtypes have a valid size the machine can hold
/// (broadcast views can stand for more elements than memory holds).
func outputsFit(_ shape: [Int], _ dtypes: [DType]) -> Bool {
    dtypes.allSatisfy { (try? checkedAllocation(shape, dtype: $0, context: "")) != nil }
}
