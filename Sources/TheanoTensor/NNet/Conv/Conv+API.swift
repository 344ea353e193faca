import TheanoArray
import TheanoGraph

// Convolution: free functions. Layouts are Theano's: inputs NCHW (`[batch, channels,
// spatial...]`), filters OIHW (`[out channels, in channels / groups, kernel...]`).
//
// `filterFlip` defaults to true, a true convolution (the kernel is read backwards), because
// that is Theano's `conv2d` default and this library follows Theano's meaning; pass
// `filterFlip: false` for the cross-correlation that PyTorch's `conv2d` and JAX's
// `conv_general_dilated` compute (the same result with the kernel flipped).

/// A 1-d convolution of `input` `[N, C, W]` with `filters` `[O, C / groups, K]`, giving
/// `[N, O, W']`.
///
/// - Parameters:
///   - stride: the step between output positions.
///   - padding: zeros around the input; see ``ConvPadding`` (`.same` puts the extra zero of
///     an even kernel after the input).
///   - dilation: the step between kernel taps.
///   - groups: channel groups; `C` and `O` must be multiples of it. `groups == C` with
///     filters `[C * m, 1, K]` is a depthwise convolution.
///   - filterFlip: true (the default, as Theano) for a true convolution; false for a
///     cross-correlation (PyTorch, JAX).
/// - Throws: when ranks, dtypes (float32 or float64, both the same), channel counts or
///   spatial sizes do not fit (the message names the channel counts and filter shape).
public func conv1d(_ input: Tensor, _ filters: Tensor, stride: Int = 1, padding: ConvPadding = .valid,
                   dilation: Int = 1, groups: Int = 1, filterFlip: Bool = true) throws -> Tensor {
    try Conv(ConvParameters(stride: [stride], padding: padding, dilation: [dilation], groups: groups, filterFlip: filterFlip))
        .apply([input, filters])
}

/// A 2-d convolution of `input` `[N, C, H, W]` with `filters` `[O, C / groups, KH, KW]`,
/// giving `[N, O, H', W']` with `H' = (H + padding - dilation * (KH - 1) - 1) / stride + 1`
/// (likewise `W'`).
///
/// `filterFlip: true` (the default) is a true convolution as in Theano, whose default this
/// keeps for compatibility; `filterFlip: false` is the cross-correlation of PyTorch and JAX.
/// See ``conv1d(_:_:stride:padding:dilation:groups:filterFlip:)`` for the parameters and
/// ``ConvPadding`` for padding (`.same` puts an even kernel's extra zero after the input, as
/// TensorFlow and JAX do).
///
/// - Throws: when ranks, dtypes, channel counts (`input has 3 channels but filters expect
///   4 ...`) or spatial sizes do not fit.
public func conv2d(_ input: Tensor, _ filters: Tensor, stride: [Int] = [1, 1], padding: ConvPadding = .valid,
                   dilation: [Int] = [1, 1], groups: Int = 1, filterFlip: Bool = true) throws -> Tensor {
    try checkSpatialArgs(stride: stride, dilation: dilation, n: 2, op: "conv2d")
    return try Conv(ConvParameters(stride: stride, padding: padding, dilation: dilation, groups: groups, filterFlip: filterFlip))
        .apply([input, filters])
}

/// A 3-d convolution of `input` `[N, C, D, H, W]` with `filters` `[O, C / groups, KD, KH,
/// KW]`; see ``conv2d(_:_:stride:padding:dilation:groups:filterFlip:)``.
public func conv3d(_ input: Tensor, _ filters: Tensor, stride: [Int] = [1, 1, 1], padding: ConvPadding = .valid,
                   dilation: [Int] = [1, 1, 1], groups: Int = 1, filterFlip: Bool = true) throws -> Tensor {
    try checkSpatialArgs(stride: stride, dilation: dilation, n: 3, op: "conv3d")
    return try Conv(ConvParameters(stride: stride, padding: padding, dilation: dilation, groups: groups, filterFlip: filterFlip))
        .apply([input, filters])
}

/// The gradient of `conv2d(x, filters, ...)` with respect to `x`, given the gradient of its
/// output `outputGrad` `[N, O, H', W']`: an array of `inputShape` `[N, C, H, W]` (only the
/// spatial entries are read; `N` and `C` follow from the operands). The spatial sizes are
/// needed because with a stride above 1 several input sizes give the same output size.
/// Differentiable again (its gradients are a convolution and ``conv2dGradWeights(_:_:filterShape:stride:padding:dilation:groups:filterFlip:)``).
public func conv2dGradInputs(_ outputGrad: Tensor, _ filters: Tensor, inputShape: [Int], stride: [Int] = [1, 1],
                             padding: ConvPadding = .valid, dilation: [Int] = [1, 1], groups: Int = 1,
                             filterFlip: Bool = true) throws -> Tensor {
    try convGradInputs(outputGrad, filters, inputShape: inputShape.map { Tensor(shapeConstant($0)) }, stride: stride,
                       padding: padding, dilation: dilation, groups: groups, filterFlip: filterFlip)
}

/// ``conv2dGradInputs(_:_:inputShape:stride:padding:dilation:groups:filterFlip:)`` with a
/// symbolic input shape (integer scalars such as `x.shape(2)`).
@_disfavoredOverload
public func conv2dGradInputs(_ outputGrad: Tensor, _ filters: Tensor, inputShape: [Tensor], stride: [Int] = [1, 1],
                             padding: ConvPadding = .valid, dilation: [Int] = [1, 1], groups: Int = 1,
                             filterFlip: Bool = true) throws -> Tensor {
    try checkSpatialArgs(stride: stride, dilation: dilation, n: 2, op: "conv2dGradInputs")
    return try convGradInputs(outputGrad, filters, inputShape: inputShape, stride: stride, padding: padding,
                              dilation: dilation, groups: groups, filterFlip: filterFlip)
}

/// A transposed convolution ("deconvolution") of `input` `[N, Cin, H, W]` with `filters`
/// `[Cin, Cout / groups, KH, KW]`, giving an array of `outputShape` `[N, Cout, H', W']`: the
/// gradient of `conv2d` with respect to its input, i.e.
/// `conv2dGradInputs(input, filters, inputShape: outputShape, ...)`. The parameters are
/// those of the convolution it transposes.
public func conv2dTranspose(_ input: Tensor, _ filters: Tensor, outputShape: [Int], stride: [Int] = [1, 1],
                            padding: ConvPadding = .valid, dilation: [Int] = [1, 1], groups: Int = 1,
                            filterFlip: Bool = true) throws -> Tensor {
    try conv2dGradInputs(input, filters, inputShape: outputShape, stride: stride, padding: padding,
                         dilation: dilation, groups: groups, filterFlip: filterFlip)
}

/// ``conv2dTranspose(_:_:outputShape:stride:padding:dilation:groups:filterFlip:)`` with a
/// symbolic output shape.
@_disfavoredOverload
public func conv2dTranspose(_ input: Tensor, _ filters: Tensor, outputShape: [Tensor], stride: [Int] = [1, 1],
                            padding: ConvPadding = .valid, dilation: [Int] = [1, 1], groups: Int = 1,
                            filterFlip: Bool = true) throws -> Tensor {
    try conv2dGradInputs(input, filters, inputShape: outputShape, stride: stride, padding: padding,
                         dilation: dilation, groups: groups, filterFlip: filterFlip)
}

/// The gradient of `conv2d(input, w, ...)` with respect to `w`, given the gradient of its
/// output `outputGrad`: an array of `filterShape` `[O, C / groups, KH, KW]` (only the kernel
/// sizes are read; the channels follow from the operands). Differentiable again.
public func conv2dGradWeights(_ input: Tensor, _ outputGrad: Tensor, filterShape: [Int], stride: [Int] = [1, 1],
                              padding: ConvPadding = .valid, dilation: [Int] = [1, 1], groups: Int = 1,
                              filterFlip: Bool = true) throws -> Tensor {
    try convGradWeights(input, outputGrad, filterShape: filterShape.map { Tensor(shapeConstant($0)) }, stride: stride,
                        padding: padding, dilation: dilation, groups: groups, filterFlip: filterFlip)
}

/// ``conv2dGradWeights(_:_:filterShape:stride:padding:dilation:groups:filterFlip:)`` with a
/// symbolic filter shape.
@_disfavoredOverload
public func conv2dGradWeights(_ input: Tensor, _ outputGrad: Tensor, filterShape: [Tensor], stride: [Int] = [1, 1],
                              padding: ConvPadding = .valid, dilation: [Int] = [1, 1], groups: Int = 1,
                              filterFlip: Bool = true) throws -> Tensor {
    try checkSpatialArgs(stride: stride, dilation: dilation, n: 2, op: "conv2dGradWeights")
    return try convGradWeights(input, outputGrad, filterShape: filterShape, stride: stride, padding: padding,
                               dilation: dilation, groups: groups, filterFlip: filterFlip)
}

/// The gradient of an N-d convolution (1 to 3 spatial axes, as many as `stride` has
/// entries) with respect to its input; `inputShape` is the full input shape `[N, C,
/// spatial...]` of which only the spatial entries are read. See
/// ``conv2dGradInputs(_:_:inputShape:stride:padding:dilation:groups:filterFlip:)``.
public func convGradInputs(_ outputGrad: Tensor, _ filters: Tensor, inputShape: [Tensor], stride: [Int],
                           padding: ConvPadding = .valid, dilation: [Int]? = nil, groups: Int = 1,
                           filterFlip: Bool = true) throws -> Tensor {
    let n = stride.count, op = "conv\(n)dGradInputs"
    let dilation = dilation ?? Array(repeating: 1, count: n)
    guard inputShape.count == n + 2 else {
        throw TheanoError.invalidArgument("\(op): inputShape must have \(n + 2) entries [batch, channels, spatial...], got \(inputShape.count)")
    }
    let sizes = try inputShape[2...].enumerated().map { try shapeSizeVariable($0.element, opName: op, position: $0.offset + 2) }
    return try ConvGradInputs(ConvParameters(stride: stride, padding: padding, dilation: dilation, groups: groups, filterFlip: filterFlip))
        .apply([outputGrad, filters] + sizes.map(Tensor.init))
}

/// The gradient of an N-d convolution with respect to its filters; `filterShape` is the full
/// filter shape `[O, C / groups, kernel...]` of which only the kernel sizes are read. See
/// ``conv2dGradWeights(_:_:filterShape:stride:padding:dilation:groups:filterFlip:)``.
public func convGradWeights(_ input: Tensor, _ outputGrad: Tensor, filterShape: [Tensor], stride: [Int],
                            padding: ConvPadding = .valid, dilation: [Int]? = nil, groups: Int = 1,
                            filterFlip: Bool = true) throws -> Tensor {
    let n = stride.count, op = "conv\(n)dGradWeights"
    let dilation = dilation ?? Array(repeating: 1, count: n)
    guard filterShape.count == n + 2 else {
        throw TheanoError.invalidArgument("\(op): filterShape must have \(n + 2) entries [out channels, in channels / groups, kernel...], got \(filterShape.count)")
    }
    let sizes = try filterShape[2...].enumerated().map { try shapeSizeVariable($0.element, opName: op, position: $0.offset + 2) }
    return try ConvGradWeights(ConvParameters(stride: stride, padding: padding, dilation: dilation, groups: groups, filterFlip: filterFlip))
        .apply([input, outputGrad] + sizes.map(Tensor.init))
}

/// Throws unless `stride` and `dilation` have one entry per spatial axis.
private func checkSpatialArgs(stride: [Int], dilation: [Int], n: Int, op: String) throws {
    guard stride.count == n, dilation.count == n else {
        throw TheanoError.invalidArgument("\(op): expected \(n) strides and \(n) dilations (one per spatial axis), got stride \(stride), dilation \(dilation)")
    }
}

extension Tensor {
    /// This input `[N, C, W]` convolved with `filters`; see ``conv1d(_:_:stride:padding:dilation:groups:filterFlip:)``.
    public func conv1d(_ filters: Tensor, stride: Int = 1, padding: ConvPadding = .valid, dilation: Int = 1,
                       groups: Int = 1, filterFlip: Bool = true) throws -> Tensor {
        try TheanoTensor.conv1d(self, filters, stride: stride, padding: padding, dilation: dilation, groups: groups, filterFlip: filterFlip)
    }

    /// This input `[N, C, H, W]` convolved with `filters`; see ``conv2d(_:_:stride:padding:dilation:groups:filterFlip:)``.
    public func conv2d(_ filters: Tensor, stride: [Int] = [1, 1], padding: ConvPadding = .valid, dilation: [Int] = [1, 1],
                       groups: Int = 1, filterFlip: Bool = true) throws -> Tensor {
        try TheanoTensor.conv2d(self, filters, stride: stride, padding: padding, dilation: dilation, groups: groups, filterFlip: filterFlip)
    }

    /// This input `[N, C, D, H, W]` convolved with `filters`; see ``conv3d(_:_:stride:padding:dilation:groups:filterFlip:)``.
    public func conv3d(_ filters: Tensor, stride: [Int] = [1, 1, 1], padding: ConvPadding = .valid, dilation: [Int] = [1, 1, 1],
                       groups: Int = 1, filterFlip: Bool = true) throws -> Tensor {
        try TheanoTensor.conv3d(self, filters, stride: stride, padding: padding, dilation: dilation, groups: groups, filterFlip: filterFlip)
    }
}
