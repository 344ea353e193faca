import TheanoArray
import TheanoGraph

/// `exp(x) / sum(exp(x))` along one axis: the op behind ``softmax(_:axis:)``.
///
/// The input must be float32 or float64 (the function converts other dtypes); the output has
/// the input's type. `perform` is stable: each lane is shifted by its maximum, and lanes with
/// an infinite maximum take the limit (see ``NDArray/softmax(axis:)``). `axis` is stored
/// non-negative (the function normalises it).
public struct Softmax: Op {
    public let axis: Int

    public init(axis: Int) { self.axis = axis }

    public var description: String { "Softmax{axis=\(axis)}" }

    public func makeNode(_ inputs: [Variable]) throws -> Apply {
        try checkSoftmaxInput(inputs, axis: axis, op: "softmax")
        return Apply(op: self, inputs: inputs, outputTypes: [inputs[0].type])
    }

    public func perform(_ node: Apply, _ inputs: [NDArray]) throws -> [NDArray] {
        [try inputs[0].softmax(axis: axis)]
    }

    public func inferShape(_ node: Apply, _ inputShapes: [[Variable]]) throws -> [[Variable]] {
        [inputShapes[0]]
    }
}

/// `x - log(sum(exp(x)))` along one axis: the op behind ``logSoftmax(_:axis:)``.
///
/// Same contract as ``Softmax``; computed without forming the softmax, so it stays finite
/// where the softmax underflows to 0 (see ``NDArray/logSoftmax(axis:)``).
public struct LogSoftmax: Op {
    public let axis: Int

    public init(axis: Int) { self.axis = axis }

    public var description: String { "LogSoftmax{axis=\(axis)}" }

    public func makeNode(_ inputs: [Variable]) throws -> Apply {
        try checkSoftmaxInput(inputs, axis: axis, op: "logSoftmax")
        return Apply(op: self, inputs: inputs, outputTypes: [inputs[0].type])
    }

    public func perform(_ node: Apply, _ inputs: [NDArray]) throws -> [NDArray] {
        [try inputs[0].logSoftmax(axis: axis)]
    }

    public func inferShape(_ node: Apply, _ inputShapes: [[Variable]]) throws -> [[Variable]] {
        [inputShapes[0]]
    }
}

/// One floating-point input with `axis` (non-negative) among its axes.
private func checkSoftmaxInput(_ inputs: [Variable], axis: Int, op: String) throws {
    guard inputs.count == 1 else {
        throw TheanoError.invalidArgument("\(op): expected 1 input, got \(inputs.count)")
    }
    let x = inputs[0]
    guard x.type.dtype.isFloatingPoint else {
        throw TheanoError.typeMismatch(
            "\(op): the input must be float32 or float64 (the function \(op) converts other dtypes), got \(describeVariable(x))")
    }
    guard axis >= 0, axis < x.type.rank else {
        throw TheanoError.outOfRange(
            "\(op): axis \(axis) is out of range for \(describeVariable(x)) of rank \(x.type.rank)")
    }
}
