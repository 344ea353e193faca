import TheanoArray
import TheanoGraph

// Shape checks shared by the linear-algebra ops, at graph construction (static sizes) and at
// run time. Messages name the function, the input and both shapes.

enum LinalgChecks {
    /// The static size of a square core `[n, n]` of input `index`.
    ///
    /// - Throws: `.shapeMismatch` when both sizes are known and differ.
    static func square(_ op: String, _ inputs: [Variable], _ index: Int, _ core: [Int?]) throws -> Int? {
        let (m, n) = (core[0], core[1])
        if let m, let n, m != n {
            throw TheanoError.shapeMismatch(
                "\(op): input \(index) \(describeVariable(inputs[index])) must be square in its last two axes, got \(m) x \(n)")
        }
        return m ?? n
    }

    /// The run-time check of a square core.
    static func square(_ op: String, _ node: Apply, _ index: Int, _ core: [Int]) throws {
        guard core[0] == core[1] else {
            throw TheanoError.shapeMismatch(
                "\(op): at run time, input \(index) \(expressionText(node.inputs[index])) must be square in its last two axes, got \(core[0]) x \(core[1])")
        }
    }

    /// Checks that the first core axis of input `rhs` (the rows of `b`) has the size of the
    /// square matrix input 0, statically.
    static func rows(_ op: String, _ inputs: [Variable], _ rhs: Int, _ core: [Int?], size n: Int?) throws {
        if let n, let rows = core[0], rows != n {
            throw TheanoError.shapeMismatch(
                "\(op): input \(rhs) \(describeVariable(inputs[rhs])) has \(rows) rows in its core axes, but input 0 \(describeVariable(inputs[0])) is \(n) x \(n)")
        }
    }

    /// The run-time check of ``rows(_:_:_:_:size:)``.
    static func rows(_ op: String, _ node: Apply, _ rhs: Int, _ core: [Int], size n: Int) throws {
        guard core[0] == n else {
            throw TheanoError.shapeMismatch(
                "\(op): at run time, input \(rhs) \(expressionText(node.inputs[rhs])) has \(core[0]) rows in its core axes, but input 0 \(expressionText(node.inputs[0])) is \(n) x \(n)")
        }
    }

    /// Input `index` of `op`'s user function converted to a float type: float32 and float64
    /// stay; other dtypes throw (linear algebra has no integer form; cast first).
    static func floatOperand(_ op: String, _ x: Tensor, _ index: Int) throws -> Tensor {
        guard x.dtype == .float32 || x.dtype == .float64 else {
            throw TheanoError.typeMismatch(
                "\(op): input \(index) \(describeVariable(x.variable)) must be float32 or float64, got \(x.dtype) (cast it with cast(x, .float64))")
        }
        return x
    }

    /// Both operands as floats of their common dtype (float32 with float64 gives float64).
    static func floatPair(_ op: String, _ a: Tensor, _ b: Tensor) throws -> (Tensor, Tensor) {
        let fa = try floatOperand(op, a, 0), fb = try floatOperand(op, b, 1)
        if fa.dtype == fb.dtype { return (fa, fb) }
        return (try cast(fa, .float64), try cast(fb, .float64))
    }

    /// Checks the rank of an operand of a user function before any node is built.
    static func rank(_ op: String, _ x: Tensor, _ index: Int, atLeast minimum: Int) throws {
        guard x.rank >= minimum else {
            throw TheanoError.invalidArgument(
                "\(op): input \(index) \(describeVariable(x.variable)) has rank \(x.rank), but needs at least \(minimum) (\(coreDescription(minimum)), after any batch axes)")
        }
    }
}
