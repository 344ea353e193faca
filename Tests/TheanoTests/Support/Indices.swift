/// Every index of `shape`, in C order.
func allIndices(_ shape: [Int]) -> [[Int]] {
    var result: [[Int]] = [[]]
    for n in shape {
        result = result.flatMap { prefix in (0..<n).map { prefix + [$0] } }
    }
    return result
}
