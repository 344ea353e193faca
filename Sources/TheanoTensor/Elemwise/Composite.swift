import TheanoArray
import TheanoGraph

/// A small straight-line program of scalar ops: what a fused elementwise node computes for
/// every element. Built by the fusion rewrite; run by ``Composite`` (and compiled into one loop
/// by the C backend).
///
/// Each step applies a ``ScalarOp`` to operands that are program inputs, earlier steps or
/// scalar constants; `outputs` names the operands the node returns.
public struct ScalarProgram: Hashable, Sendable, CustomStringConvertible {
    public enum Operand: Hashable, Sendable {
        case input(Int)
        case step(Int)
        /// A scalar constant of the given dtype (its value as a Double is exact for every
        /// dtype the program uses: integers up to 2^53, float32 and float64 values).
        case constant(Double, DType)
    }

    public struct Step: Hashable, Sendable {
        public let op: ScalarOp
        public let operands: [Operand]
        /// The step's result dtype.
        public let dtype: DType

        public init(op: ScalarOp, operands: [Operand], dtype: DType) {
            self.op = op
            self.operands = operands
            self.dtype = dtype
        }
    }

    public let inputTypes: [DType]
    public let steps: [Step]
    public let outputs: [Operand]

    public init(inputTypes: [DType], steps: [Step], outputs: [Operand]) {
        self.inputTypes = inputTypes
        self.steps = steps
        self.outputs = outputs
    }

    /// The dtype of an operand.
    public func dtype(of operand: Operand) -> DType {
        switch operand {
        case .input(let i): return inputTypes[i]
        case .step(let s): return steps[s].dtype
        case .constant(_, let t): return t
        }
    }

    public var description: String {
        func name(_ o: Operand) -> String {
            switch o {
            case .input(let i): return "i\(i)"
            case .step(let s): return "t\(s)"
            case .constant(let v, let t): return t.isFloatingPoint ? "\(v)" : "\(Int64(v))"
            }
        }
        let body = steps.enumerated().map { "t\($0.offset)=\($0.element.op)(\($0.element.operands.map(name).joined(separator: ",")))" }
        return body.joined(separator: "; ") + " -> " + outputs.map(name).joined(separator: ",")
    }

    /// Checks the program is well formed (operands refer backwards, arities and dtypes agree).
    public func validate() throws {
        for (i, step) in steps.enumerated() {
            guard step.operands.count == step.op.arity else {
                throw TheanoError.graph("scalar program: step \(i) (\(step.op)) has \(step.operands.count) operands, needs \(step.op.arity)")
            }
            for o in step.operands {
                switch o {
                case .input(let k):
                    guard k >= 0 && k < inputTypes.count else {
                        throw TheanoError.graph("scalar program: step \(i) reads missing input \(k)")
                    }
                case .step(let k):
                    guard k >= 0 && k < i else {
                        throw TheanoError.graph("scalar program: step \(i) reads step \(k), which does not come before it")
                    }
                case .constant:
                    break
                }
            }
            guard case .success(let t) = step.op.outputDType(step.operands.map(dtype(of:))), t == step.dtype else {
                throw TheanoError.graph("scalar program: step \(i) (\(step.op)) has inconsistent dtypes")
            }
        }
    }

    /// Evaluates the program over arrays that share one shape (the reference meaning).
    public func evaluate(_ inputs: [NDArray], shape: [Int]) throws -> [NDArray] {
        var values: [NDArray] = []
        func value(_ o: Operand) throws -> NDArray {
            switch o {
            case .input(let i): return inputs[i]
            case .step(let s): return values[s]
            case .constant(let v, let t): return try NDArray.full([], v, t).broadcast(to: shape)
            }
        }
        for step in steps {
            values.append(try evaluateScalarOp(step.op, step.operands.map(value)))
        }
        return try outputs.map { try value($0).copy() }
    }
}

/// A fused elementwise node: runs a ``ScalarProgram`` over its broadcast inputs, producing one
/// or more outputs without materialising intermediate results.
///
/// Inputs share one rank and broadcast like ``Elemwise`` (axes of static size 1).
public struct Composite: Op {
    public let program: ScalarProgram
    /// When set, output 0 may be written into this input's storage (``destroyMap`` `[0: [k]]`,
    /// which the CPU backend's kernel does); the input must have exactly output 0's type. The
    /// in-place rewrite sets it where legal.
    public let inPlaceInput: Int?

    public init(_ program: ScalarProgram, inPlaceInput: Int? = nil) {
        self.program = program
        self.inPlaceInput = inPlaceInput
    }

    public var description: String {
        "Composite{\(program.steps.map { $0.op.name }.joined(separator: ","))}" + (inPlaceInput.map { ",inplace=\($0)" } ?? "")
    }

    public var destroyMap: [Int: [Int]] { inPlaceInput.map { [0: [$0]] } ?? [:] }

    public func makeNode(_ inputs: [Variable]) throws -> Apply {
        guard inputs.count == program.inputTypes.count else {
            throw TheanoError.invalidArgument("\(self): expected \(program.inputTypes.count) inputs, got \(inputs.count)")
        }
        for (i, (v, t)) in zip(inputs, program.inputTypes).enumerated() where v.type.dtype != t {
            throw TheanoError.typeMismatch("\(self): input \(i) must have dtype \(t), got \(describeVariable(v))")
        }
        let rank = inputs.first?.type.rank ?? 0
        if let bad = inputs.firstIndex(where: { $0.type.rank != rank }) {
            throw TheanoError.shapeMismatch("\(self): all inputs must have the same rank; input \(bad) is \(describeVariable(inputs[bad]))")
        }
        try program.validate()
        let shape = try Elemwise.broadcastStaticShape(inputs, opName: description)
        let types = program.outputs.map { TensorType(program.dtype(of: $0), shape: shape) }
        if let k = inPlaceInput {
            guard k >= 0, k < inputs.count, let first = types.first, inputs[k].type == first, !first.shape.contains(1) else {
                throw TheanoError.invalidArgument("\(self): input \(k) cannot hold output 0 in place (it needs exactly the output's type, with no broadcast axes)")
            }
        }
        return Apply(op: self, inputs: inputs, outputTypes: types)
    }

    public func perform(_ node: Apply, _ inputs: [NDArray]) throws -> [NDArray] {
        let shape = try Elemwise.runtimeShape(node, inputs, opName: description)
        let views = try inputs.map { try $0.broadcast(to: shape) }
        // The reference returns new arrays even for the in-place variant (which may, not must,
        // overwrite its input): writing in place is the backends' optimisation.
        return try program.evaluate(views, shape: shape)
    }

    public func inferShape(_ node: Apply, _ inputShapes: [[Variable]]) throws -> [[Variable]] {
        let dims = Elemwise.broadcastSymbolicShape(node, inputShapes)
        return node.outputTypes.map { _ in dims }
    }
}

/// A fused elementwise program whose single output is reduced at once (`sum((x - y) ** 2)`),
/// so the elementwise result is never stored.
public struct CompositeReduce: Op {
    public let program: ScalarProgram
    public let kind: ReduceKind
    /// Reduced axes, sorted.
    public let axes: [Int]
    public let keepdims: Bool

    public init(_ program: ScalarProgram, kind: ReduceKind, axes: [Int], keepdims: Bool) {
        self.program = program
        self.kind = kind
        self.axes = axes.sorted()
        self.keepdims = keepdims
    }

    public var description: String {
        "CompositeReduce{\(kind), axes=\(axes), \(program.steps.map { $0.op.name }.joined(separator: ","))}"
    }

    public func makeNode(_ inputs: [Variable]) throws -> Apply {
        guard program.outputs.count == 1 else {
            throw TheanoError.invalidArgument("\(self): the program must have exactly one output")
        }
        let elementwise = try Composite(program).makeNode(inputs)
        let reduced = try Reduce(kind, axes: axes, keepdims: keepdims).makeNode([elementwise.output])
        return Apply(op: self, inputs: inputs, outputTypes: reduced.outputTypes)
    }

    public func perform(_ node: Apply, _ inputs: [NDArray]) throws -> [NDArray] {
        let elementwise = try Composite(program).makeNode(node.inputs)
        let values = try Composite(program).perform(elementwise, inputs)
        let reduce = Reduce(kind, axes: axes, keepdims: keepdims)
        return try reduce.perform(try reduce.makeNode([elementwise.output]), values)
    }

    public func inferShape(_ node: Apply, _ inputShapes: [[Variable]]) throws -> [[Variable]] {
        let elementwise = try Composite(program).makeNode(node.inputs)
        let full = try Composite(program).inferShape(elementwise, inputShapes)[0]
        var dims: [Variable] = []
        for (axis, d) in full.enumerated() {
            if axes.contains(axis) {
                if keepdims { dims.append(shapeConstant(1)) }
            } else {
                dims.append(d)
            }
        }
        return [dims]
    }
}
