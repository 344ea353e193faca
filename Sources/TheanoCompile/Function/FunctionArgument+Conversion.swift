import TheanoArray
import TheanoGraph

// Converting a call's arguments to their inputs' dtypes: the rules of `FunctionArgument`.

extension FunctionArgumentValue {
    /// The value converted to `dtype`: exactly when the rules allow it, with any cast when
    /// `allowDowncast`. `input` names the input in errors (`argument 1 ('w')`).
    func converted(to dtype: DType, allowDowncast: Bool, input: String) throws -> NDArray {
        if array.dtype == dtype { return array }
        if allowDowncast { return array.astype(dtype) }
        switch origin {
        case .array:
            if DType.promote(array.dtype, dtype) == dtype { return array.astype(dtype) }
            throw TheanoError.typeMismatch(
                "function call: \(input): expected dtype \(dtype), got an array of dtype \(array.dtype) (shape \(formatShape(array.shape))), whose values \(dtype) cannot all hold; convert it with .astype(.\(dtype)), or compile with allowInputDowncast: true to convert any value")
        case .swiftValues:
            let result = array.astype(dtype)
            if let (index, reason) = firstChangedValue(from: array, to: result) {
                let position = array.rank == 0 ? "" : " at index \(multiIndex(index, shape: array.shape))"
                throw TheanoError.typeMismatch(
                    "function call: \(input): the value \(describeElement(array, index))\(position) does not convert to \(dtype) without changing: \(reason); pass a value that fits, or compile with allowInputDowncast: true to convert with truncation and wrapping")
            }
            return result
        }
    }
}

/// The first element (flat C-order index) that converting `source` to `result`'s dtype
/// changed, with the reason; nil when every value is kept. Floating-point values may round to
/// float32 (Theano's rule for Python floats and floatX), but a finite value may not overflow.
private func firstChangedValue(from source: NDArray, to result: NDArray) -> (Int, String)? {
    let target = result.dtype
    let sourceIsFloat = source.dtype.isFloatingPoint
    let targetIsFloat = target.isFloatingPoint
    switch (sourceIsFloat, targetIsFloat) {
    case (false, false):
        let a = source.toArray(of: Int64.self), b = result.toArray(of: Int64.self)
        guard let i = a.indices.first(where: { a[$0] != b[$0] }) else { return nil }
        return (i, target == .bool ? "only 0 and 1 convert to bool" : "\(a[i]) is beyond the range of \(target)")
    case (false, true):
        let a = source.toArray(of: Int64.self), b = result.toArray(of: Double.self)
        guard let i = a.indices.first(where: { Int64(exactly: b[$0]) != a[$0] }) else { return nil }
        return (i, "\(a[i]) is not exactly representable in \(target)")
    case (true, false):
        let a = source.toArray(of: Double.self), b = result.toArray(of: Int64.self)
        guard let i = a.indices.first(where: { Int64(exactly: a[$0]) != b[$0] }) else { return nil }
        let x = a[i]
        if target == .bool { return (i, "only 0 and 1 convert to bool") }
        if !x.isFinite { return (i, "\(x) is not a finite number") }
        if x != x.rounded(.towardZero) { return (i, "\(x) is not an integer") }
        return (i, "\(x) is beyond the range of \(target)")
    case (true, true):
        // float32 -> float64 is exact; float64 -> float32 rounds, and must not overflow.
        let a = source.toArray(of: Double.self), b = result.toArray(of: Double.self)
        guard let i = a.indices.first(where: { a[$0].isFinite && !b[$0].isFinite }) else { return nil }
        return (i, "it overflows \(target) (largest finite value \(Float.greatestFiniteMagnitude))")
    }
}

/// The element at flat index `i` as the user wrote it.
private func describeElement(_ array: NDArray, _ i: Int) -> String {
    if array.dtype.isFloatingPoint { return "\(array.toArray(of: Double.self)[i])" }
    if array.dtype == .bool { return "\(array.toArray(of: Bool.self)[i])" }
    return "\(array.toArray(of: Int64.self)[i])"
}

/// A flat C-order index as `[i, j, ...]`.
private func multiIndex(_ flat: Int, shape: [Int]) -> String {
    var rest = flat
    var index = [Int](repeating: 0, count: shape.count)
    for axis in shape.indices.reversed() where shape[axis] > 0 {
        index[axis] = rest % shape[axis]
        rest /= shape[axis]
    }
    return "[\(index.map(String.init).joined(separator: ", "))]"
}
