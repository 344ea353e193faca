import TheanoArray
import TheanoGraph

/// A value that can appear between the brackets of a tensor subscript: `Int`, the range types,
/// ``Tensor`` (an integer scalar, an integer array or a bool mask), ``NDArray`` and Swift
/// arrays (constant index arrays or masks), and ``TensorIndex`` with its static members
/// `.all`, `.newAxis`, `.ellipsis`, `.slice(start, stop, step)` and `.symbolicSlice(...)`.
///
/// ```swift
/// x[0]  x[-1]  x[1..<3]  x[1...]  x[..<2]  x[1...2]  x[.slice(nil, nil, -1)]
/// x[.all, 0]  x[1..<3, .newAxis, .ellipsis]  x[idx]  x[rows, cols]  x[mask]  x[i]
/// ```
public protocol TensorIndexConvertible {
    /// This value as one index entry.
    var tensorIndex: TensorIndex { get }
}

/// One entry of a tensor subscript, with NumPy's meaning.
public struct TensorIndex: TensorIndexConvertible, Sendable, CustomStringConvertible {
    /// What the entry is.
    public enum Kind: Sendable {
        /// One position (negative counts from the end); the axis is dropped.
        case integer(Int)
        /// `start:stop:step` with NumPy's defaults (nil), negative values and clamping.
        case slice(start: Int?, stop: Int?, step: Int?)
        /// A slice whose bounds are integer scalar tensors (nil: the default).
        case symbolicSlice(start: Tensor?, stop: Tensor?, step: Tensor?)
        /// A new axis of size 1 (NumPy's `None`).
        case newAxis
        /// As many full slices as needed (`...`).
        case ellipsis
        /// An integer scalar (a symbolic position), an integer array (advanced indexing) or a
        /// bool mask.
        case tensor(Tensor)
    }

    public let kind: Kind

    public init(_ kind: Kind) {
        self.kind = kind
    }

    public var tensorIndex: TensorIndex { self }

    public var description: String {
        switch kind {
        case .integer(let i): return "\(i)"
        case let .slice(start, stop, step):
            return ArrayIndex.slice(start: start, stop: stop, step: step).description
        case let .symbolicSlice(start, stop, step):
            let text = (start?.description ?? "") + ":" + (stop?.description ?? "")
            return step.map { text + ":\($0)" } ?? text
        case .newAxis: return "newAxis"
        case .ellipsis: return "..."
        case .tensor(let t): return t.description
        }
    }
}

// The static members live on the protocol (constrained to TensorIndex) so that `.all`,
// `.newAxis`, ... can be written directly in a subscript of `any TensorIndexConvertible`.
extension TensorIndexConvertible where Self == TensorIndex {
    /// The full slice (NumPy's `:`).
    public static var all: TensorIndex { TensorIndex(.slice(start: nil, stop: nil, step: nil)) }
    /// A new axis of size 1 (NumPy's `None` / `np.newaxis`).
    public static var newAxis: TensorIndex { TensorIndex(.newAxis) }
    /// As many full slices as the remaining axes need (NumPy's `...`).
    public static var ellipsis: TensorIndex { TensorIndex(.ellipsis) }

    /// NumPy's `start:stop:step`: nil bounds take the defaults, negative bounds count from
    /// the end, out-of-range bounds are clamped, and a negative step walks backwards
    /// (`.slice(nil, nil, -1)` reverses).
    public static func slice(_ start: Int?, _ stop: Int?, _ step: Int? = nil) -> TensorIndex {
        TensorIndex(.slice(start: start, stop: stop, step: step))
    }

    /// A slice whose bounds are integer scalar tensors, known only at run time.
    public static func symbolicSlice(_ start: Tensor?, _ stop: Tensor?, _ step: Tensor? = nil) -> TensorIndex {
        TensorIndex(.symbolicSlice(start: start, stop: stop, step: step))
    }
}

extension Int: TensorIndexConvertible {
    public var tensorIndex: TensorIndex { TensorIndex(.integer(self)) }
}

extension Range: TensorIndexConvertible where Bound == Int {
    /// `a..<b` is the slice `a:b`.
    public var tensorIndex: TensorIndex { .slice(lowerBound, upperBound) }
}

extension ClosedRange: TensorIndexConvertible where Bound == Int {
    /// `a...b` is the slice `a:b+1` (`a...(-1)` runs to the end).
    public var tensorIndex: TensorIndex { .slice(lowerBound, sliceStop(through: upperBound)) }
}

extension PartialRangeFrom: TensorIndexConvertible where Bound == Int {
    /// `a...` is the slice `a:`.
    public var tensorIndex: TensorIndex { .slice(lowerBound, nil) }
}

extension PartialRangeUpTo: TensorIndexConvertible where Bound == Int {
    /// `..<b` is the slice `:b`.
    public var tensorIndex: TensorIndex { .slice(nil, upperBound) }
}

extension PartialRangeThrough: TensorIndexConvertible where Bound == Int {
    /// `...b` is the slice `:b+1` (`...(-1)` runs to the end).
    public var tensorIndex: TensorIndex { .slice(nil, sliceStop(through: upperBound)) }
}

extension Tensor: TensorIndexConvertible {
    /// An integer scalar indexes one position, an integer array gathers, a bool tensor masks.
    public var tensorIndex: TensorIndex { TensorIndex(.tensor(self)) }
}

extension NDArray: TensorIndexConvertible {
    /// A constant index array (integer) or mask (bool).
    public var tensorIndex: TensorIndex { TensorIndex(.tensor(Tensor.constant(self))) }
}

extension Array: TensorIndexConvertible where Element: NDArrayElement {
    /// A constant index array (`[0, 2, 2]`) or mask (`[true, false, true]`).
    public var tensorIndex: TensorIndex { NDArray(self).tensorIndex }
}

/// The exclusive stop of a slice that runs through `last` (`nil`, the end, for -1 and Int.max).
func sliceStop(through last: Int) -> Int? {
    last == -1 || last == Int.max ? nil : last + 1
}
