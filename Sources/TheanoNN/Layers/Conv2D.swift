import Theano

/// A 2-d convolution layer: `activation(conv2d(x, W) + b)` for `x` of shape
/// `[batch, inChannels, height, width]` and filters `W` of shape
/// `[outChannels, inChannels / groups, kh, kw]`.
///
/// The layer computes a cross-correlation (`filterFlip: false`), as PyTorch, JAX and Lasagne's
/// layers do: learned filters make the flip irrelevant, and saved weights then mean the same
/// as theirs.
public final class Conv2D: Layer {
    public let name: String
    public let weight: Shared
    public let bias: Shared?
    public let activation: Activation
    public let stride: [Int]
    public let padding: ConvPadding
    public let dilation: [Int]
    public let groups: Int

    public init(_ inChannels: Int, _ outChannels: Int, kernel: [Int], stride: [Int] = [1, 1], padding: ConvPadding = .valid,
                dilation: [Int] = [1, 1], groups: Int = 1, activation: Activation = .identity, bias: Bool = true,
                initializer: WeightInit = .heNormal, seed: UInt64 = 0, name: String = "conv2d") throws {
        guard inChannels > 0, outChannels > 0, kernel.count == 2, kernel.allSatisfy({ $0 > 0 }), groups > 0,
              inChannels % groups == 0, outChannels % groups == 0 else {
            throw TheanoError.invalidArgument("Conv2D: need positive channels, a 2-element positive kernel and groups dividing both channel counts; got inChannels \(inChannels), outChannels \(outChannels), kernel \(kernel), groups \(groups)")
        }
        self.name = name
        self.activation = activation
        self.stride = stride
        self.padding = padding
        self.dilation = dilation
        self.groups = groups
        let shape = [outChannels, inChannels / groups] + kernel
        weight = Shared(try initializer.array(shape, seed: seed),
                        name: "\(name).W")
        self.bias = bias ? Shared(try NDArray.zeros([outChannels]), name: "\(name).b") : nil
    }

    public var parameters: [(name: String, value: Shared)] {
        [("W", weight)] + (bias.map { [("b", $0)] } ?? [])
    }

    public func forward(_ x: Tensor, _ context: inout ForwardContext) throws -> Tensor {
        try requireRank(x, 4, name, "an NCHW batch [batch, channels, height, width]")
        var y = try conv2d(x, weight, stride: stride, padding: padding, dilation: dilation, groups: groups, filterFlip: false)
        if let bias { y = try y + bias.dimshuffle(DimShuffle.newAxis, 0, DimShuffle.newAxis, DimShuffle.newAxis) }
        return try activation.apply(y)
    }
}
