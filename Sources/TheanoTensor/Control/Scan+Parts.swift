import TheanoArray
import TheanoGraph

/// A ``Scan`` node taken apart into its pieces, each with its outer value and its inner
/// (body) variables, so that rewrites can drop, add or change pieces and build a new node with
/// ``build()``. The body's variables are reused as they are; nothing of the old node changes.
struct ScanParts {
    struct Sequence {
        /// The outer sequence (row `t` is read at step `t`).
        var outer: Variable
        /// The body's stand-in for one row.
        var inner: Variable
    }

    struct Output {
        /// Negative taps for a recurrent output, [] for an output without feedback.
        var taps: [Int]
        /// The outer buffer of initial rows (recurrent outputs only).
        var initial: Variable?
        /// The body's stand-ins for the tapped values, one per tap.
        var tapInputs: [Variable]
        /// The body's value of this output at a step.
        var value: Variable
        /// The node output's type.
        var type: TensorType
        /// The last rows the node returns (nil: all).
        var storedRows: Scan.KeptRows?

        var depth: Int { -(taps.min() ?? 0) }
    }

    struct NonSequence {
        var outer: Variable
        var inner: Variable
    }

    var name: String
    var steps: Variable
    var sequences: [Sequence]
    var outputs: [Output]
    var nonSequences: [NonSequence]
    var until: Variable?
    var truncateGradient: Int?

    init(_ node: Apply, _ op: Scan) {
        let d = op.definition
        let body = d.body
        name = d.name
        steps = node.inputs[0]
        truncateGradient = d.truncateGradient
        sequences = zip(node.inputs[op.sequenceRange], body.inputs[0..<d.sequenceCount]).map { Sequence(outer: $0, inner: $1) }
        var tapInput = d.sequenceCount
        var initial = op.initialRange.lowerBound
        outputs = d.taps.indices.map { k in
            let taps = d.taps[k]
            var output = Output(taps: taps, initial: nil, tapInputs: [], value: body.outputs[k], type: d.outputTypes[k],
                                storedRows: d.storedRows[k])
            if !taps.isEmpty {
                output.initial = node.inputs[initial]
                output.tapInputs = Array(body.inputs[tapInput..<(tapInput + taps.count)])
                initial += 1
                tapInput += taps.count
            }
            return output
        }
        nonSequences = zip(node.inputs[op.nonSequenceRange], body.inputs[tapInput...]).map { NonSequence(outer: $0, inner: $1) }
        until = d.hasUntil ? body.outputs.last : nil
    }

    /// The number of steps when it is a constant and the loop has no `until`.
    var staticSteps: Int? {
        guard until == nil, let value = steps.constantValue else { return nil }
        return try? Int(value.item(Int64.self))
    }

    /// The type of the node output for an output without feedback whose body value is `value`.
    func stackedType(_ value: Variable) -> TensorType {
        TensorType(value.type.dtype, shape: [staticSteps] + value.type.shape)
    }

    /// The body's inputs, in the op's order.
    var bodyInputs: [Variable] {
        sequences.map(\.inner) + outputs.flatMap(\.tapInputs) + nonSequences.map(\.inner)
    }

    /// The body's outputs, in the op's order.
    var bodyOutputs: [Variable] { outputs.map(\.value) + (until.map { [$0] } ?? []) }

    /// A new node from the pieces.
    func build() throws -> Apply {
        let body = InnerGraph(name: "body", inputs: bodyInputs, outputs: bodyOutputs)
        let op = Scan(definition: Scan.Definition(
            name: name, body: body, sequenceCount: sequences.count, taps: outputs.map(\.taps),
            nonSequenceCount: nonSequences.count, hasUntil: until != nil, truncateGradient: truncateGradient,
            outputTypes: outputs.map(\.type), storedRows: outputs.map(\.storedRows)))
        let inputs = [steps] + sequences.map(\.outer) + outputs.compactMap(\.initial) + nonSequences.map(\.outer)
        return try op.makeNode(inputs)
    }

    /// Whether `v` (an inner variable) is computed from any of `roots` inside the body.
    func depends(_ v: Variable, on roots: Set<Variable>) -> Bool {
        if roots.contains(v) { return true }
        return graphRoots(outputs: [v], stoppingAt: Set(bodyInputs)).contains(where: roots.contains)
    }
}
