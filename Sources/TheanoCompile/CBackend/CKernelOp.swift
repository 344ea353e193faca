import TheanoArray
import TheanoGraph
import TheanoTensor

/// What the C backend compiles for a node: an elementwise program, optionally followed by a
/// reduction of its single output.
struct KernelProgram: Hashable {
    struct Reduction: Hashable {
        let kind: ReduceKind
        let axes: [Int]
        let keepdims: Bool
    }

    let program: ScalarProgram
    let reduction: Reduction?
    /// Output 0 is written into this input's buffer.
    var inPlaceInput: Int? = nil
}

/// An op the C backend turns into a kernel. Backends attach to ops from their own module.
protocol CKernelOp {
    func kernelProgram(_ node: Apply) -> KernelProgram?
}

extension Elemwise: CKernelOp {
    func kernelProgram(_ node: Apply) -> KernelProgram? {
        let types = node.inputs.map(\.type.dtype)
        let step = ScalarProgram.Step(op: scalar, operands: types.indices.map { .input($0) }, dtype: node.outputTypes[0].dtype)
        return KernelProgram(program: ScalarProgram(inputTypes: types, steps: [step], outputs: [.step(0)]), reduction: nil)
    }
}

extension Composite: CKernelOp {
    func kernelProgram(_ node: Apply) -> KernelProgram? {
        KernelProgram(program: program, reduction: nil, inPlaceInput: inPlaceInput)
    }
}

extension Reduce: CKernelOp {
    func kernelProgram(_ node: Apply) -> KernelProgram? {
        let program = ScalarProgram(inputTypes: [node.inputs[0].type.dtype], steps: [], outputs: [.input(0)])
        return KernelProgram(program: program, reduction: .init(kind: kind, axes: axes, keepdims: keepdims))
    }
}

extension CompositeReduce: CKernelOp {
    func kernelProgram(_ node: Apply) -> KernelProgram? {
        KernelProgram(program: program, reduction: .init(kind: kind, axes: axes, keepdims: keepdims))
    }
}
