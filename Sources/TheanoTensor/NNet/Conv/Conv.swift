import TheanoArray
import TheanoGraph

/// An N-d convolution (1, 2 or 3 spatial axes) of an input `[N, C, spatial...]` with filters
/// `[O, C / groups, kernel...]`, giving `[N, O, output...]`: the op behind ``conv2d(_:_:stride:padding:dilation:groups:filterFlip:)``
/// and its 1-d and 3-d forms.
///
/// `y[n, o, p] = sum over c in o's group and kernel positions k of
/// x[n, c, p * stride - padBefore + k' * dilation] * w[o, c, k]`, where `k'` is `k` read
/// backwards along every axis when ``ConvParameters/filterFlip`` (a true convolution, Theano's
/// default) and `k` itself otherwise (a correlation, as PyTorch and JAX compute). Positions in
/// the padding contribute zeros. Both operands must have the same float dtype.
public struct Conv: Op {
    public let parameters: ConvParameters

    public init(_ parameters: ConvParameters) { self.parameters = parameters }

    public var description: String { "Conv\(parameters.spatialRank)D{\(parameters)}" }

    public func makeNode(_ inputs: [Variable]) throws -> Apply {
        let p = parameters, op = p.name, n = p.spatialRank
        try p.validate(op)
        guard inputs.count == 2 else { throw TheanoError.invalidArgument("\(op): expected an input and filters, got \(inputs.count) inputs") }
        let (x, w) = (inputs[0], inputs[1])
        try checkConvOperand(x, rank: n + 2, role: "input", layout: "(batch, channels, \(spatialNames(n)))", op: op)
        try checkConvOperand(w, rank: n + 2, role: "filters", layout: "(out channels, in channels / groups, \(spatialNames(n)))", op: op)
        try checkSameDType(x, w, op: op)
        try p.checkChannels(inputChannels: x.type.shape[1], filters: w.type.shape, op: op)
        let spatial = try (0..<n).map { a in try p.outputSize(input: x.type.shape[a + 2], kernel: w.type.shape[a + 2], axis: a, op: op) }
        let shape = [x.type.shape[0], w.type.shape[0]] + spatial
        return Apply(op: self, inputs: inputs, outputTypes: [TensorType(x.type.dtype, shape: shape)])
    }

    public func perform(_ node: Apply, _ inputs: [NDArray]) throws -> [NDArray] {
        let g = try parameters.geometry(input: inputs[0].shape, filters: inputs[1].shape, op: parameters.name)
        let x = inputs[0].toArray(of: Double.self), w = inputs[1].toArray(of: Double.self)
        var y = [Double](repeating: 0, count: shapeSize(g.outputShape))
        try g.forEachTerm { xi, wi, yi in y[yi] += x[xi] * w[wi] }
        return [try NDArray(y, shape: g.outputShape).astype(node.outputTypes[0].dtype)]
    }

    public func inferShape(_ node: Apply, _ inputShapes: [[Variable]]) throws -> [[Variable]] {
        let (x, w) = (inputShapes[0], inputShapes[1])
        let spatial = try (0..<parameters.spatialRank).map { a in
            try parameters.outputSize(input: x[a + 2], kernel: w[a + 2], axis: a)
        }
        return [withStaticSizes([x[0], w[0]] + spatial, of: node.outputTypes[0])]
    }
}

/// The gradient of a convolution with respect to its input (a transposed convolution): the
/// inputs are the output gradient `[N, O, output...]`, the filters `[O, C / groups,
/// kernel...]` and one int64 scalar per spatial axis of the input; the result is the input
/// gradient `[N, C, input...]`. Several input sizes give the same output size when the stride
/// exceeds 1, which is why they are inputs. See ``conv2dGradInputs(_:_:inputShape:stride:padding:dilation:groups:filterFlip:)``.
public struct ConvGradInputs: Op {
    public let parameters: ConvParameters

    public init(_ parameters: ConvParameters) { self.parameters = parameters }

    public var description: String { "Conv\(parameters.spatialRank)DGradInputs{\(parameters)}" }

    var opName: String { parameters.name + "GradInputs" }

    public func makeNode(_ inputs: [Variable]) throws -> Apply {
        let p = parameters, op = opName, n = p.spatialRank
        try p.validate(op)
        guard inputs.count == n + 2 else {
            throw TheanoError.invalidArgument("\(op): expected the output gradient, the filters and \(n) input sizes, got \(inputs.count) inputs")
        }
        let (gy, w) = (inputs[0], inputs[1])
        try checkConvOperand(gy, rank: n + 2, role: "output gradient", layout: "(batch, out channels, \(spatialNames(n)))", op: op)
        try checkConvOperand(w, rank: n + 2, role: "filters", layout: "(out channels, in channels / groups, \(spatialNames(n)))", op: op)
        try checkSameDType(gy, w, op: op)
        try checkSizeInputs(Array(inputs[2...]), op: op, what: "input size")
        try checkOutputChannels(gy, w, op: op)
        try p.checkChannels(inputChannels: nil, filters: w.type.shape, op: op)
        let sizes = inputs[2...].map(shapeConstantValue)
        try checkOutputSpatial(gy: gy, inputSizes: sizes, kernel: Array(w.type.shape[2...]), op: op)
        let channels = w.type.shape[1].map { $0 * p.groups }
        let shape = [gy.type.shape[0], channels] + sizes
        return Apply(op: self, inputs: inputs, outputTypes: [TensorType(gy.type.dtype, shape: shape)])
    }

    /// The geometry of the forward convolution this is the gradient of, checked against the
    /// output gradient's shape.
    public func geometry(_ inputs: [NDArray]) throws -> ConvGeometry {
        let (gy, w) = (inputs[0], inputs[1])
        let sizes = try inputs[2...].map { try $0.item(Int.self) }
        guard gy.rank == parameters.spatialRank + 2, w.rank == gy.rank else {
            throw TheanoError.shapeMismatch("\(opName): expected operands of rank \(parameters.spatialRank + 2), got \(formatShape(gy.shape)) and \(formatShape(w.shape))")
        }
        if let bad = sizes.first(where: { $0 < 0 }) { throw TheanoError.invalidArgument("\(opName): input size \(bad) is negative") }
        let g = try parameters.geometry(input: [gy.shape[0], w.shape[1] * parameters.groups] + sizes, filters: w.shape, op: opName)
        guard g.outputShape == gy.shape else {
            throw TheanoError.shapeMismatch(
                "\(opName): the output gradient has shape \(formatShape(gy.shape)), but an input of shape \(formatShape(g.inputShape)) convolved with filters \(formatShape(w.shape)) gives \(formatShape(g.outputShape))")
        }
        return g
    }

    public func perform(_ node: Apply, _ inputs: [NDArray]) throws -> [NDArray] {
        let g = try geometry(inputs)
        let gy = inputs[0].toArray(of: Double.self), w = inputs[1].toArray(of: Double.self)
        var gx = [Double](repeating: 0, count: shapeSize(g.inputShape))
        try g.forEachTerm { xi, wi, yi in gx[xi] += gy[yi] * w[wi] }
        return [try NDArray(gx, shape: g.inputShape).astype(node.outputTypes[0].dtype)]
    }

    public func inferShape(_ node: Apply, _ inputShapes: [[Variable]]) throws -> [[Variable]] {
        let channels = try ShapeMath.mul(inputShapes[1][1], shapeConstant(parameters.groups))
        return [withStaticSizes([inputShapes[0][0], channels] + Array(node.inputs[2...]), of: node.outputTypes[0])]
    }

    /// Throws when the output gradient's known spatial sizes disagree with the forward
    /// convolution's output for the known input and kernel sizes.
    private func checkOutputSpatial(gy: Variable, inputSizes: [Int?], kernel: [Int?], op: String) throws {
        for a in 0..<parameters.spatialRank {
            if let expected = try parameters.outputSize(input: inputSizes[a], kernel: kernel[a], axis: a, op: op),
               let actual = gy.type.shape[a + 2], expected != actual {
                throw TheanoError.shapeMismatch(
                    "\(op): along spatial axis \(a), an input of size \(inputSizes[a].map(String.init) ?? "?") and a kernel of size \(kernel[a].map(String.init) ?? "?") give \(expected) output positions, but the output gradient \(describeVariable(gy)) has \(actual)")
            }
        }
    }
}

/// The gradient of a convolution with respect to its filters: the inputs are the input
/// `[N, C, input...]`, the output gradient `[N, O, output...]` and one int64 scalar per
/// spatial axis of the kernel; the result is the filter gradient `[O, C / groups, kernel...]`.
/// See ``conv2dGradWeights(_:_:filterShape:stride:padding:dilation:groups:filterFlip:)``.
public struct ConvGradWeights: Op {
    public let parameters: ConvParameters

    public init(_ parameters: ConvParameters) { self.parameters = parameters }

    public var description: String { "Conv\(parameters.spatialRank)DGradWeights{\(parameters)}" }

    var opName: String { parameters.name + "GradWeights" }

    public func makeNode(_ inputs: [Variable]) throws -> Apply {
        let p = parameters, op = opName, n = p.spatialRank
        try p.validate(op)
        guard inputs.count == n + 2 else {
            throw TheanoError.invalidArgument("\(op): expected the input, the output gradient and \(n) kernel sizes, got \(inputs.count) inputs")
        }
        let (x, gy) = (inputs[0], inputs[1])
        try checkConvOperand(x, rank: n + 2, role: "input", layout: "(batch, channels, \(spatialNames(n)))", op: op)
        try checkConvOperand(gy, rank: n + 2, role: "output gradient", layout: "(batch, out channels, \(spatialNames(n)))", op: op)
        try checkSameDType(x, gy, op: op)
        try checkSizeInputs(Array(inputs[2...]), op: op, what: "kernel size")
        if let a = x.type.shape[0], let b = gy.type.shape[0], a != b {
            throw TheanoError.shapeMismatch("\(op): the input has batch size \(a) but the output gradient \(b) (\(describeVariable(x)), \(describeVariable(gy)))")
        }
        let kernel = inputs[2...].map(shapeConstantValue)
        var inPerGroup: Int? = nil
        if let c = x.type.shape[1] {
            guard c % p.groups == 0 else {
                throw TheanoError.shapeMismatch("\(op): the input has \(c) channels, not a multiple of groups \(p.groups) (\(describeVariable(x)))")
            }
            inPerGroup = c / p.groups
        }
        let filters = [gy.type.shape[1], inPerGroup] + kernel
        try p.checkChannels(inputChannels: x.type.shape[1], filters: filters, op: op)
        for a in 0..<n {
            if let expected = try p.outputSize(input: x.type.shape[a + 2], kernel: kernel[a], axis: a, op: op),
               let actual = gy.type.shape[a + 2], expected != actual {
                throw TheanoError.shapeMismatch(
                    "\(op): along spatial axis \(a), the input \(describeVariable(x)) and a kernel of size \(kernel[a].map(String.init) ?? "?") give \(expected) output positions, but the output gradient \(describeVariable(gy)) has \(actual)")
            }
        }
        return Apply(op: self, inputs: inputs, outputTypes: [TensorType(x.type.dtype, shape: filters)])
    }

    /// The geometry of the forward convolution this is the gradient of, checked against the
    /// output gradient's shape.
    public func geometry(_ inputs: [NDArray]) throws -> ConvGeometry {
        let (x, gy) = (inputs[0], inputs[1])
        let kernel = try inputs[2...].map { try $0.item(Int.self) }
        guard x.rank == parameters.spatialRank + 2, gy.rank == x.rank else {
            throw TheanoError.shapeMismatch("\(opName): expected operands of rank \(parameters.spatialRank + 2), got \(formatShape(x.shape)) and \(formatShape(gy.shape))")
        }
        guard x.shape[1] % parameters.groups == 0 else {
            throw TheanoError.shapeMismatch("\(opName): the input has \(x.shape[1]) channels, not a multiple of groups \(parameters.groups)")
        }
        let filters = [gy.shape[1], x.shape[1] / parameters.groups] + kernel
        let g = try parameters.geometry(input: x.shape, filters: filters, op: opName)
        guard g.outputShape == gy.shape else {
            throw TheanoError.shapeMismatch(
                "\(opName): the output gradient has shape \(formatShape(gy.shape)), but the input \(formatShape(x.shape)) convolved with filters \(formatShape(filters)) gives \(formatShape(g.outputShape))")
        }
        return g
    }

    public func perform(_ node: Apply, _ inputs: [NDArray]) throws -> [NDArray] {
        let g = try geometry(inputs)
        let x = inputs[0].toArray(of: Double.self), gy = inputs[1].toArray(of: Double.self)
        var gw = [Double](repeating: 0, count: shapeSize(g.filterShape))
        try g.forEachTerm { xi, wi, yi in gw[wi] += x[xi] * gy[yi] }
        return [try NDArray(gw, shape: g.filterShape).astype(node.outputTypes[0].dtype)]
    }

    public func inferShape(_ node: Apply, _ inputShapes: [[Variable]]) throws -> [[Variable]] {
        let perGroup = try ShapeMath.floorDiv(inputShapes[0][1], shapeConstant(parameters.groups))
        return [withStaticSizes([inputShapes[1][1], perGroup] + Array(node.inputs[2...]), of: node.outputTypes[0])]
    }
}

// MARK: - Checks shared by the three ops

func spatialNames(_ n: Int) -> String {
    switch n {
    case 1: return "width"
    case 2: return "height, width"
    default: return "depth, height, width"
    }
}

/// A float32 or float64 operand of the given rank.
private func checkConvOperand(_ v: Variable, rank: Int, role: String, layout: String, op: String) throws {
    guard v.type.rank == rank else {
        throw TheanoError.shapeMismatch("\(op): the \(role) must have rank \(rank) \(layout), got \(describeVariable(v)) of rank \(v.type.rank)")
    }
    guard v.type.dtype.isFloatingPoint else {
        throw TheanoError.typeMismatch("\(op): the \(role) must be float32 or float64, got \(describeVariable(v))")
    }
}

private func checkSameDType(_ a: Variable, _ b: Variable, op: String) throws {
    guard a.type.dtype == b.type.dtype else {
        throw TheanoError.typeMismatch("\(op): the operands must have one dtype, got \(describeVariable(a)) and \(describeVariable(b))")
    }
}

/// The output gradient's channels must be the filters' output channels; batch sizes agree.
private func checkOutputChannels(_ gy: Variable, _ w: Variable, op: String) throws {
    if let a = gy.type.shape[1], let b = w.type.shape[0], a != b {
        throw TheanoError.shapeMismatch(
            "\(op): the output gradient has \(a) channels but the filters have \(b) output channels (\(describeVariable(gy)), filters shape \(Reshape.format(w.type.shape)))")
    }
}

/// Int64 scalar size inputs, non-negative where constant.
private func checkSizeInputs(_ sizes: [Variable], op: String, what: String) throws {
    for (i, s) in sizes.enumerated() {
        guard s.type.rank == 0, s.type.dtype == .int64 else {
            throw TheanoError.typeMismatch("\(op): \(what) \(i) must be an int64 scalar, got \(describeVariable(s))")
        }
        if let v = shapeConstantValue(s), v < 0 {
            throw TheanoError.invalidArgument("\(op): \(what) \(i) is \(v); sizes must be non-negative")
        }
    }
}
