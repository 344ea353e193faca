import Theano

/// Batch normalisation over every axis but the channel axis 1 (`[batch, features]` or NCHW):
/// training normalises with the batch's statistics and updates running averages of them;
/// inference normalises with the running averages.
///
/// `running = (1 - momentum) * running + momentum * batch` (PyTorch's convention; the
/// running variance uses the unbiased batch variance), `epsilon` inside the square root.
public final class BatchNorm: Layer {
    public let name: String
    public let gamma: Shared
    public let beta: Shared
    public let runningMean: Shared
    public let runningVariance: Shared
    public let momentum: Double
    public let epsilon: Double

    public init(_ channels: Int, momentum: Double = 0.1, epsilon: Double = 1e-5, name: String = "batchnorm") throws {
        guard channels > 0 else { throw TheanoError.invalidArgument("BatchNorm: channels must be positive, got \(channels)") }
        guard momentum >= 0, momentum <= 1 else { throw TheanoError.invalidArgument("BatchNorm: momentum must be in [0, 1], got \(momentum)") }
        guard epsilon > 0 else { throw TheanoError.invalidArgument("BatchNorm: epsilon must be positive, got \(epsilon)") }
        self.name = name
        self.momentum = momentum
        self.epsilon = epsilon
        gamma = Shared(try NDArray.full([channels], 1), name: "\(name).gamma")
        beta = Shared(try NDArray.zeros([channels]), name: "\(name).beta")
        runningMean = Shared(try NDArray.zeros([channels]), name: "\(name).running_mean")
        runningVariance = Shared(try NDArray.full([channels], 1), name: "\(name).running_var")
    }

    public var parameters: [(name: String, value: Shared)] { [("gamma", gamma), ("beta", beta)] }
    public var state: [(name: String, value: Shared)] { [("running_mean", runningMean), ("running_var", runningVariance)] }

    public func forward(_ x: Tensor, _ context: inout ForwardContext) throws -> Tensor {
        guard x.rank >= 2 else {
            throw TheanoError.typeMismatch("\(name) (BatchNorm): expected a batch [batch, channels, ...], got rank \(x.rank)")
        }
        let channels = gamma.value.shape[0]
        if let c = x.staticShape[1], c != channels {
            throw TheanoError.shapeMismatch("\(name) (BatchNorm): input has \(c) channels (shape \(formatStaticShape(x.staticShape))) but the layer has \(channels)")
        }
        let axes = [0] + Array(2..<x.rank)
        // Parameters broadcast along every axis but 1.
        let pattern = (0..<x.rank).map { $0 == 1 ? 0 : DimShuffle.newAxis }
        func spread(_ v: Tensor) throws -> Tensor { try v.dimshuffle(pattern) }
        switch context.phase {
        case .inference:
            let scale = try spread(gamma) / sqrt(spread(runningVariance) + Tensor(epsilon))
            return try (x - spread(runningMean)) * scale + spread(beta)
        case .training:
            let mean = try x.mean(axes: axes, keepdims: true)
            let centered = try x - mean
            let variance = try (centered * centered).mean(axes: axes, keepdims: true)
            let out = try centered / sqrt(variance + Tensor(epsilon)) * spread(gamma) + spread(beta)
            var count: Tensor = try x.shape(0)
            for axis in 2..<x.rank { count = try count * x.shape(axis) }
            let unbiased = try variance.flatten(ndim: 1) * cast(count, .float32) / cast(maximum(count - 1, 1), .float32)
            let m = Tensor(momentum), keep = Tensor(1 - momentum)
            context.updates[runningMean] = try keep * runningMean + m * stopGradient(mean.flatten(ndim: 1))
            context.updates[runningVariance] = try keep * runningVariance + m * stopGradient(unbiased)
            return out
        }
    }
}
