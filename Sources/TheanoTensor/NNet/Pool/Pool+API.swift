import TheanoArray
import TheanoGraph

// Pooling: free functions over the trailing axes (Theano's `pool_2d` semantics).

/// Pools the last axis of `x` with windows of `window` elements every `stride` (default:
/// `window`, non-overlapping) over `x` padded with `padding` zeros on both sides.
///
/// - Parameters:
///   - mode: what each window computes; see ``PoolMode``. For `.max` the gradient goes to
///     one element per window, the first maximum in row-major window order (as Theano).
///   - ignoreBorder: true (the default) drops a partial window at the end; false keeps it
///     (Theano's `ignore_border=False`; it cannot be combined with padding).
/// - Throws: for a non-float input, a window or stride below 1, padding negative or not
///   smaller than the window, or a window larger than the padded input with `ignoreBorder`.
public func pool1d(_ x: Tensor, window: Int, stride: Int? = nil, padding: Int = 0, mode: PoolMode = .max,
                   ignoreBorder: Bool = true) throws -> Tensor {
    try Pool(PoolParameters(window: [window], stride: [stride ?? window], padding: [padding], mode: mode, ignoreBorder: ignoreBorder))
        .apply([x])
}

/// Pools the last two axes of `x` (e.g. `[N, C, H, W]` gives `[N, C, H', W']`) with windows of
/// `window` every `stride` (default: `window`); see ``pool1d(_:window:stride:padding:mode:ignoreBorder:)``
/// for the parameters. With `ignoreBorder: true`, `H' = (H + 2 * padding - window) / stride + 1`.
public func pool2d(_ x: Tensor, window: [Int], stride: [Int]? = nil, padding: [Int] = [0, 0], mode: PoolMode = .max,
                   ignoreBorder: Bool = true) throws -> Tensor {
    try poolNode(x, window: window, stride: stride, padding: padding, mode: mode, ignoreBorder: ignoreBorder, n: 2)
}

/// Pools the last three axes of `x`; see ``pool2d(_:window:stride:padding:mode:ignoreBorder:)``.
public func pool3d(_ x: Tensor, window: [Int], stride: [Int]? = nil, padding: [Int] = [0, 0, 0], mode: PoolMode = .max,
                   ignoreBorder: Bool = true) throws -> Tensor {
    try poolNode(x, window: window, stride: stride, padding: padding, mode: mode, ignoreBorder: ignoreBorder, n: 3)
}

/// Global pooling of `x` `[N, C, H, W]` over its two spatial axes, giving `[N, C]` (the
/// spatial axes are dropped; reshape to keep them). `.max` takes the maximum, `.sum` the sum,
/// and both average modes the mean (there is no padding).
public func globalPool2d(_ x: Tensor, mode: PoolMode) throws -> Tensor {
    guard x.rank == 4 else {
        throw TheanoError.shapeMismatch("globalPool2d: the input must have rank 4 (batch, channels, height, width), got \(describeVariable(x.variable))")
    }
    switch mode {
    case .max: return try max(x, axes: [2, 3])
    case .sum: return try sum(x, axes: [2, 3])
    case .averageIncludingPadding, .averageExcludingPadding: return try mean(x, axes: [2, 3])
    }
}

private func poolNode(_ x: Tensor, window: [Int], stride: [Int]?, padding: [Int], mode: PoolMode, ignoreBorder: Bool, n: Int) throws -> Tensor {
    guard window.count == n else {
        throw TheanoError.invalidArgument("pool\(n)d: expected \(n) window sizes, got \(window)")
    }
    return try Pool(PoolParameters(window: window, stride: stride ?? window, padding: padding, mode: mode, ignoreBorder: ignoreBorder))
        .apply([x])
}

extension Tensor {
    /// Pooling over the last axis; see ``pool1d(_:window:stride:padding:mode:ignoreBorder:)``.
    public func pool1d(window: Int, stride: Int? = nil, padding: Int = 0, mode: PoolMode = .max, ignoreBorder: Bool = true) throws -> Tensor {
        try TheanoTensor.pool1d(self, window: window, stride: stride, padding: padding, mode: mode, ignoreBorder: ignoreBorder)
    }

    /// Pooling over the last two axes; see ``pool2d(_:window:stride:padding:mode:ignoreBorder:)``.
    public func pool2d(window: [Int], stride: [Int]? = nil, padding: [Int] = [0, 0], mode: PoolMode = .max, ignoreBorder: Bool = true) throws -> Tensor {
        try TheanoTensor.pool2d(self, window: window, stride: stride, padding: padding, mode: mode, ignoreBorder: ignoreBorder)
    }

    /// Pooling over the last three axes; see ``pool3d(_:window:stride:padding:mode:ignoreBorder:)``.
    public func pool3d(window: [Int], stride: [Int]? = nil, padding: [Int] = [0, 0, 0], mode: PoolMode = .max, ignoreBorder: Bool = true) throws -> Tensor {
        try TheanoTensor.pool3d(self, window: window, stride: stride, padding: padding, mode: mode, ignoreBorder: ignoreBorder)
    }

    /// Global pooling over the two spatial axes of `[N, C, H, W]`, giving `[N, C]`; see ``globalPool2d(_:mode:)``.
    public func globalPool2d(mode: PoolMode) throws -> Tensor { try TheanoTensor.globalPool2d(self, mode: mode) }
}
