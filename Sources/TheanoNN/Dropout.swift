import Theano

/// Inverted dropout for training: each element of `x` is kept with probability `1 - rate`
/// and scaled by `1 / (1 - rate)`, or set to zero, so the expected value of every element is
/// unchanged. The mask is a Bernoulli draw of `streams`, so a compiled training step draws a
/// new mask at every call (see ``RandomStreams``). At evaluation time, use `x` itself (or
/// `rate: 0`, which returns `x` unchanged).
///
/// ```swift
/// let streams = RandomStreams(seed: 0)
/// let h = try dropout(relu(x.matmul(w)), rate: 0.5, streams: streams)
/// ```
///
/// - Throws: ``TheanoError/Kind/invalidArgument`` when `rate` is not in [0, 1), and
///   ``TheanoError/Kind/typeMismatch`` when `x` is not floating-point.
public func dropout(_ x: Tensor, rate: Double, streams: RandomStreams) throws -> Tensor {
    guard rate >= 0, rate < 1 else {
        throw TheanoError.invalidArgument("dropout: rate must be in [0, 1) (the probability of dropping an element), got \(rate)")
    }
    guard x.dtype.isFloatingPoint else {
        throw TheanoError.typeMismatch("dropout: x must be floating-point, got \(x.type)")
    }
    if rate == 0 { return x }
    let keep = 1 - rate
    let mask = try streams.bernoulli(x.shapeList(), p: Tensor(keep), dtype: x.dtype)
    return try x * (mask * Tensor(1 / keep))
}
