import TheanoArray
import TheanoGraph

/// The length of a slice `start:stop:step` of an axis, as an int64 scalar: the shape graphs
/// of indexing ops use it when the axis size or a bound is only known at run time.
///
/// Inputs: the axis size, then the symbolic bounds in order (those marked
/// ``IndexBound/symbolic``). Follows NumPy's clamping; a zero step throws.
public struct SliceLength: Op {
    public let start: IndexBound?
    public let stop: IndexBound?
    public let step: IndexBound?

    public init(start: IndexBound?, stop: IndexBound?, step: IndexBound?) {
        self.start = start
        self.stop = stop
        self.step = step
    }

    public var description: String {
        "SliceLength{" + IndexEntry.slice(start: start, stop: stop, step: step).description + "}"
    }

    public func makeNode(_ inputs: [Variable]) throws -> Apply {
        let symbolic = [start, stop, step].filter { $0 == .symbolic }.count
        guard inputs.count == 1 + symbolic else {
            throw TheanoError.invalidArgument("\(self): expected \(1 + symbolic) inputs (the axis size and \(symbolic) bounds), got \(inputs.count)")
        }
        for v in inputs where v.type.rank != 0 || !v.type.dtype.isInteger {
            throw TheanoError.typeMismatch("\(self): every input must be an integer scalar, got \(describeVariable(v))")
        }
        return Apply(op: self, inputs: inputs, outputTypes: [TensorType(.int64, shape: [])])
    }

    public func perform(_ node: Apply, _ inputs: [NDArray]) throws -> [NDArray] {
        var k = 1
        func value(_ b: IndexBound?) throws -> Int? {
            switch b {
            case nil: return nil
            case .constant(let v): return v
            case .symbolic:
                defer { k += 1 }
                return try inputs[k].item(Int.self)
            }
        }
        let size = try inputs[0].item(Int.self)
        let (a, b, c) = (try value(start), try value(stop), try value(step))
        guard c != 0 else { throw TheanoError.invalidArgument("\(self): slice step cannot be zero") }
        let r = try resolveSliceOfAnyStep(start: a, stop: b, step: c, size: size)
        return [NDArray(scalar: Int64(r.count))]
    }

    public func inferShape(_ node: Apply, _ inputShapes: [[Variable]]) throws -> [[Variable]] { [[]] }
}

/// The number of true elements of a bool tensor, as an int64 scalar: the size of the axis a
/// boolean mask selects, used by the shape graphs of masked indexing.
public struct MaskCount: Op {
    public init() {}
    public var description: String { "MaskCount" }

    public func makeNode(_ inputs: [Variable]) throws -> Apply {
        guard inputs.count == 1 else { throw TheanoError.invalidArgument("MaskCount: expected 1 input, got \(inputs.count)") }
        guard inputs[0].type.dtype == .bool else {
            throw TheanoError.typeMismatch("MaskCount: the input must have dtype bool, got \(describeVariable(inputs[0]))")
        }
        return Apply(op: self, inputs: inputs, outputTypes: [TensorType(.int64, shape: [])])
    }

    public func perform(_ node: Apply, _ inputs: [NDArray]) throws -> [NDArray] {
        [NDArray(scalar: Int64(inputs[0].toArray(of: Bool.self).filter { $0 }.count))]
    }

    public func inferShape(_ node: Apply, _ inputShapes: [[Variable]]) throws -> [[Variable]] { [[]] }
}
