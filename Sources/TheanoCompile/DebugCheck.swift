import TheanoArray
import TheanoGraph
import TheanoTensor

/// DebugMode's checks of one node: the backend's kernel against the reference `perform`
/// (when the kernel is an implementation of its own), and no undeclared change to any input.
enum DebugCheck {
    static func run(_ node: Apply, _ inputs: [NDArray], comparesWithReference: Bool,
                    fast: ([NDArray]) throws -> [NDArray]) throws -> [NDArray] {
        // Inputs may be broadcast views standing for more than memory holds: out of memory
        // is an error here, not a trap.
        // Device inputs (of a device kernel) are compared on the host.
        let snapshots = try inputs.map { try $0.onHost().copy(context: "DebugMode: a snapshot of an input of \(node.op)") }
        let results = try fast(inputs)
        let destroyed = Set(node.op.destroyMap.values.flatMap { $0 })
        for (i, (before, after)) in zip(snapshots, inputs).enumerated() where !destroyed.contains(i) {
            if !identical(before, try after.onHost()) {
                throw TheanoError.graph(
                    "DebugMode: \(node.op) changed its input \(i) (\(describeVariable(node.inputs[i]))) without declaring it in its destroyMap")
            }
        }
        guard comparesWithReference else { return results }
        let reference = try node.op.perform(node, snapshots)
        guard reference.count == results.count else {
            throw TheanoError.graph("DebugMode: \(node.op) returned \(results.count) outputs, the reference \(reference.count)")
        }
        let precision = leastPreciseFloat(node)
        for (k, (got, want)) in zip(results, reference).enumerated() {
            if let problem = mismatch(try got.onHost(), want, computedIn: precision) {
                throw TheanoError.graph("DebugMode: output \(k) of \(node.op) differs from the reference implementation: \(problem)")
            }
        }
        return results
    }

    /// Bitwise-equal values (NaN equal to NaN).
    private static func identical(_ a: NDArray, _ b: NDArray) -> Bool {
        guard a.shape == b.shape, a.dtype == b.dtype else { return false }
        return zip(a.doubles, b.doubles).allSatisfy { $0 == $1 || ($0.isNaN && $1.isNaN) }
    }

    /// The least precise float dtype a node computes in: among its inputs and outputs, and
    /// the steps of a fused program (a float32 step cast to float64 carries float32 error).
    static func leastPreciseFloat(_ node: Apply) -> DType? {
        var dtypes = node.inputs.map(\.type.dtype) + node.outputTypes.map(\.dtype)
        if let op = node.op as? Composite { dtypes += op.program.steps.map(\.dtype) }
        if let op = node.op as? CompositeReduce { dtypes += op.program.steps.map(\.dtype) }
        if dtypes.contains(.float32) { return .float32 }
        return dtypes.contains(.float64) ? .float64 : nil
    }

    /// Why two results differ beyond the tolerance of the precision they were computed in
    /// (by default the result's dtype), or nil.
    static func mismatch(_ got: NDArray, _ want: NDArray, computedIn precision: DType? = nil) -> String? {
        guard got.dtype == want.dtype else { return "dtype \(got.dtype), reference \(want.dtype)" }
        guard got.shape == want.shape else { return "shape \(formatShape(got.shape)), reference \(formatShape(want.shape))" }
        let float = got.dtype.isFloatingPoint ? (precision ?? got.dtype) : got.dtype
        let tolerance: Double = float == .float32 ? 1e-4 : (float == .float64 ? 1e-10 : 0)
        for (i, (x, y)) in zip(got.doubles, want.doubles).enumerated() {
            if x.isNaN && y.isNaN { continue }
            if x == y { continue }
            if x.isFinite && y.isFinite && Swift.abs(x - y) <= tolerance * (1 + Swift.abs(y)) { continue }
            return "element \(i) is \(x), reference \(y)"
        }
        return nil
    }
}
