import TheanoArray
import TheanoGraph

/// Which entries of a matrix (the last two axes of a variable) are known to be zero, read from
/// how the variable was built: what the linear-algebra rewrites need to replace a determinant
/// by the product of a diagonal.
enum MatrixStructure: Equatable {
    /// Zero above the diagonal.
    case lower
    /// Zero below the diagonal.
    case upper
    /// Zero off the diagonal.
    case diagonal

    /// The structure of `v`'s last two axes, or nil when nothing is known. Recognised:
    /// `cholesky`, the internal triangle and diagonal ops, `diag(v)`, and `tril` / `triu`
    /// (`where(mask, x, 0)`) whose mask is a constant or the `arange` comparison they build.
    static func of(_ v: Variable) -> MatrixStructure? {
        guard v.type.rank >= 2 else { return nil }
        if let value = v.constantValue { return ofConstant(value, as: v.type) }
        guard let node = v.owner else { return nil }
        switch node.op {
        case let op as Cholesky:
            return op.lower ? .lower : .upper
        case let op as TrianglePart:
            return op.lower ? .lower : .upper
        case is DiagonalMatrix:
            return .diagonal
        case let op as DiagonalScatter:
            return op.offset == 0 ? .diagonal : (op.offset > 0 ? .upper : .lower)
        default:
            break
        }
        guard scalarOp(node) == .where, uniformConstant(node.inputs[2]) == 0 else { return nil }
        let mask = node.inputs[0]
        guard mask.type.rank >= 2 else { return nil }
        if let value = mask.constantValue { return ofConstant(value, as: node.outputTypes[0]) }
        return ofTriangleMask(mask)
    }

    /// The structure of a small constant (its zeros, or a mask's false entries) standing for
    /// a matrix of type `type`: its last two axes must be the matrix's own, not broadcast.
    private static func ofConstant(_ value: NDArray, as type: TensorType) -> MatrixStructure? {
        guard value.rank >= 2, value.count <= ruleConstantLimit else { return nil }
        let (m, n) = (value.shape[value.rank - 2], value.shape[value.rank - 1])
        guard m > 0, n > 0, type.shape[type.rank - 2] == m, type.shape[type.rank - 1] == n else { return nil }
        let entries = value.doubles
        var zeroAbove = true, zeroBelow = true
        for (k, x) in entries.enumerated() where x != 0 {
            let i = (k / n) % m, j = k % n
            if j > i { zeroAbove = false }
            if j < i { zeroBelow = false }
        }
        switch (zeroAbove, zeroBelow) {
        case (true, true): return .diagonal
        case (true, false): return .lower
        case (false, true): return .upper
        case (false, false): return nil
        }
    }

    /// `tril` / `triu`'s mask with symbolic sizes: `(j - i) >= k` with `k >= 0` keeps an upper
    /// triangle, `(j - i) <= k` with `k <= 0` a lower one, `j` and `i` the column and row
    /// `arange`s from 0 in steps of 1.
    private static func ofTriangleMask(_ mask: Variable) -> MatrixStructure? {
        guard let node = mask.owner, let op = scalarOp(node), op == .ge || op == .le,
              let k = uniformConstant(node.inputs[1]),
              let difference = elemwiseNode(node.inputs[0], .sub),
              isIndexRange(difference.inputs[0], axis: 1), isIndexRange(difference.inputs[1], axis: 0) else { return nil }
        if op == .ge && k >= 0 { return .upper }
        if op == .le && k <= 0 { return .lower }
        return nil
    }

    /// Whether `v` is `arange(n)` (from 0 in steps of 1) laid along the second-to-last
    /// (`axis` 0) or last (`axis` 1) axis, every other axis of size 1.
    private static func isIndexRange(_ v: Variable, axis: Int) -> Bool {
        guard let node = v.owner, let shuffle = node.op as? DimShuffle, shuffle.inputRank == 1, shuffle.order.count >= 2,
              shuffle.order.dropLast(2).allSatisfy({ $0 == DimShuffle.newAxis }),
              Array(shuffle.order.suffix(2)) == (axis == 0 ? [0, DimShuffle.newAxis] : [DimShuffle.newAxis, 0]),
              let range = node.inputs[0].owner, range.op is ARange,
              uniformConstant(range.inputs[0]) == 0, uniformConstant(range.inputs[2]) == 1 else { return false }
        return true
    }
}
