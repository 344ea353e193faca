import Theano

/// Inverted dropout: in training, each element is zeroed with probability `rate` and the rest
/// scaled by `1 / (1 - rate)`; in inference, the identity.
public final class Dropout: Layer {
    public let name: String
    public let rate: Double
    public let streams: RandomStreams

    public init(rate: Double, seed: UInt64 = 0, name: String = "dropout") throws {
        guard rate >= 0, rate < 1 else {
            throw TheanoError.invalidArgument("Dropout: rate must be in [0, 1), got \(rate)")
        }
        self.name = name
        self.rate = rate
        streams = RandomStreams(seed: seed)
    }

    public var parameters: [(name: String, value: Shared)] { [] }

    public func forward(_ x: Tensor, _ context: inout ForwardContext) throws -> Tensor {
        guard context.phase == .training, rate > 0 else { return x }
        return try dropout(x, rate: rate, streams: streams)
    }
}
