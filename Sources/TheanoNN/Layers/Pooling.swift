import Theano

/// 2-d max pooling over the last two axes of an NCHW batch.
public final class MaxPool2D: Layer {
    public let name: String
    public let window: [Int]
    public let stride: [Int]?
    public let padding: [Int]

    /// - Parameters:
    ///   - stride: the step between windows (the window by default: non-overlapping).
    public init(window: [Int] = [2, 2], stride: [Int]? = nil, padding: [Int] = [0, 0], name: String = "maxpool2d") {
        self.name = name
        self.window = window
        self.stride = stride
        self.padding = padding
    }

    public var parameters: [(name: String, value: Shared)] { [] }

    public func forward(_ x: Tensor, _ context: inout ForwardContext) throws -> Tensor {
        try requireRank(x, 4, name, "an NCHW batch [batch, channels, height, width]")
        return try pool2d(x, window: window, stride: stride, padding: padding, mode: .max, ignoreBorder: true)
    }
}

/// 2-d average pooling over the last two axes of an NCHW batch (padding excluded from the
/// averages, as PyTorch's `count_include_pad=False`).
public final class AvgPool2D: Layer {
    public let name: String
    public let window: [Int]
    public let stride: [Int]?
    public let padding: [Int]

    public init(window: [Int] = [2, 2], stride: [Int]? = nil, padding: [Int] = [0, 0], name: String = "avgpool2d") {
        self.name = name
        self.window = window
        self.stride = stride
        self.padding = padding
    }

    public var parameters: [(name: String, value: Shared)] { [] }

    public func forward(_ x: Tensor, _ context: inout ForwardContext) throws -> Tensor {
        try requireRank(x, 4, name, "an NCHW batch [batch, channels, height, width]")
        return try pool2d(x, window: window, stride: stride, padding: padding, mode: .averageExcludingPadding, ignoreBorder: true)
    }
}
