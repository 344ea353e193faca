import Theano
import XCTest

/// The losses, the fused softmax cross-entropy op and its rewrite, and one-hot encoding:
/// values against SciPy (`log_softmax`, `softmax`, `expit`) and mpmath, gradients
/// (symbolic against expected values and finite differences, second derivatives of the
/// fused op), shape inference, extreme inputs and every bad input.
final class LossTests: BackendTestCase {
    /// Logits with an ordinary row, a mixed one, one that overflows a naive softmax, and a
    /// uniform one; labels with a negative entry (the last class).
    let logits = try! NDArray([1.0, 2, 3, -1, 0.5, 0.25, 1000, 0, -1000, 0, 0, 0], shape: [4, 3])
    let labels = NDArray([2, 0, 1, -1] as [Int32])
    /// -log_softmax(x)[arange(4), y]
    let expectedLoss = [0.4076059644443804, 2.1941121864019144, 1000.0, 1.0986122886681098]
    /// softmax(x) - eye(3)[y]
    let expectedGradient = [0.09003057317038046, 0.24472847105479764, -0.3347590442251782,
                            -0.8885425289497972, 0.4995177298132149, 0.3890247991365822,
                            1.0, -1.0, 0.0, 0.3333333333333333, 0.3333333333333333, -0.6666666666666667]
    /// Logits whose softmax does not underflow, where the unfused graph is exact too.
    let moderate = try! NDArray([1.0, 2, 3, -1, 0.5, 0.25, 10, 0, -10, 0, 0, 0], shape: [4, 3])
    var data = TestData(seed: 80)

    // MARK: - Fused softmax cross-entropy

    func testSoftmaxCrossEntropyWithLabels() throws {
        for dtype in [DType.float32, .float64] {
            let x = Tensor.matrix("x", dtype), y = Tensor.vector("y", .int32)
            let loss = try softmaxCrossEntropy(logits: x, labels: y)
            XCTAssertEqual(loss.type, TensorType(dtype, shape: [nil]))
            let f = try function([x, y], [loss, try grad(sum(loss), wrt: x)])
            let r = try f.call([logits.astype(dtype), labels])
            let tol = dtype == .float32 ? 1e-6 : 1e-12
            assertValues(r[0], expectedLoss, rtol: tol, atol: tol)
            assertValues(r[1], expectedGradient, rtol: tol, atol: tol)
            XCTAssertEqual(f.graph.count(CrossEntropySoftmax1Hot.self), 1)
            XCTAssertEqual(f.graph.count(CrossEntropySoftmax1HotGrad.self), 1)
        }
    }

    func testFusedOpGradientsSecondDerivativesAndShapes() throws {
        let y = Tensor.constant(NDArray([1, 0, 2, -2] as [Int64]))
        let point = data.array([4, 3])
        try verifyGrad({ try softmaxCrossEntropy(logits: $0[0], labels: y) }, at: [point])
        // The softmax output of the op and both outputs together.
        try verifyGrad({ x in
            let outs = try CrossEntropySoftmax1Hot().applyAll([x[0], y])
            return try outs[0].expandDims(axis: 1) * outs[1]
        }, at: [point])
        // Second derivatives: through the gradient op, with respect to its incoming gradient
        // and (through the softmax) to the logits.
        try verifyGrad({ x in
            let loss = try softmaxCrossEntropy(logits: x[0], labels: y)
            return try grad(sum(loss * x[1]), wrt: x[0])
        }, at: [point, data.array([4], low: 0.5, high: 2)])
        try verifyGrad({ v in try CrossEntropySoftmax1HotGrad().apply([v[0], v[1], y]) },
                       at: [data.array([4]), data.array([4, 3], low: 0, high: 1)])

        let x = Tensor.matrix("x", .float64), labels = Tensor.vector("labels", .int64)
        for (n, k) in [(4, 3), (0, 3), (1, 1)] {
            let value = try data.nonContiguous([n, k])
            let label = NDArray([Int64](repeating: 0, count: n))
            let outs = try CrossEntropySoftmax1Hot().applyAll([x, labels])
            try checkInferShape(outs[0], [x, labels], [value, label])
            try checkInferShape(outs[1], [x, labels], [value, label])
            let g = Tensor.vector("g", .float64)
            try checkInferShape(try CrossEntropySoftmax1HotGrad().apply([g, x, labels]), [g, x, labels],
                                [data.array([n]), value, label])
        }
    }

    func testSoftmaxCrossEntropyWithTargets() throws {
        let t = try NDArray([0.2, 0.3, 0.5, 1, 0, 0, 0, 0.5, 0.5, 0.25, 0.25, 0.5], shape: [4, 3])
        for dtype in [DType.float32, .float64] {
            let x = Tensor.matrix("x", dtype), targets = Tensor.matrix("t", .float64)
            let loss = try softmaxCrossEntropy(logits: x, targets: targets)
            XCTAssertEqual(loss.dtype, dtype)
            let r = try function([x, targets], [loss, try grad(sum(loss), wrt: x)]).call([logits.astype(dtype), t])
            // -(t * log_softmax(x)).sum(1)
            assertValues(r[0], [1.1076059644443805, 2.1941121864019144, 1500.0, 1.0986122886681098], rtol: 1e-6)
            XCTAssertTrue(r[1].doubles.allSatisfy(\.isFinite))
        }
        try verifyGrad({ try softmaxCrossEntropy(logits: $0[0], targets: $0[1]) }, at: [data.array([3, 4]), data.array([3, 4], low: 0, high: 1)])
        try verifyGrad({ try softmaxCrossEntropy(logits: $0[0], targets: $0[1], axis: 0) }, at: [data.array([3, 2]), data.array([3, 2], low: 0, high: 1)])
    }

    // MARK: - The rewrite

    func testRewriteFusesTheTextbookForms() throws {
        let x = Tensor.matrix("x", .float64), y = Tensor.vector("y", .int32)
        let n = try x.shape(0)
        let forms: [(String, Tensor)] = [
            ("categoricalCrossEntropy(softmax(x), y)", try categoricalCrossEntropy(softmax(x), y)),
            ("-log(softmax(x))[arange(n), y]", try -log(softmax(x))[arange(n), y]),
            ("-log(softmax(x)[arange(n), y])", try -log(softmax(x)[arange(n), y])),
            ("-logSoftmax(x)[arange(n), y]", try -logSoftmax(x)[arange(n), y]),
            ("(-logSoftmax(x))[arange(n), y]", try (-logSoftmax(x))[arange(n), y]),
        ]
        for (name, loss) in forms {
            let optimized = try optimize([x, y], [loss])
            XCTAssertTrue(optimized.trace.appliedRewrites.contains("crossentropy_softmax_1hot"), "\(name): \(optimized.trace.entries)")
            XCTAssertEqual(optimized.ops, ["CrossEntropySoftmax1Hot"], name)
            try assertSameValues([x, y], [loss], [moderate, labels], rtol: 1e-12)
        }
        // The log-likelihood itself (no negation) is the negated loss.
        let likelihood = try optimize([x, y], [try logSoftmax(x)[arange(n), y]])
        XCTAssertEqual(likelihood.ops, ["CrossEntropySoftmax1Hot", "neg"])
        try assertSameValues([x, y], [try logSoftmax(x)[arange(n), y]], [moderate, labels], rtol: 1e-12)
        // In a mean: one fused node in the compiled function, whose value
        // stays finite where the unfused softmax underflows.
        let loss = try categoricalCrossEntropy(softmax(x), y).mean()
        let f = try function([x, y], [loss])
        XCTAssertEqual(f.graph.count(CrossEntropySoftmax1Hot.self), 1)
        XCTAssertEqual(f.graph.count(Softmax.self), 0)
        assertValues(try f.call([logits, labels])[0], [expectedLoss.reduce(0, +) / 4], rtol: 1e-12)
        // A static row count: arange(4) is a constant.
        let xs = Tensor.matrix("xs", .float64, shape: [4, 3])
        let optimized = try optimize([xs, y], [try categoricalCrossEntropy(softmax(xs), y)])
        XCTAssertEqual(optimized.ops.filter { $0 == "CrossEntropySoftmax1Hot" }.count, 1, "\(optimized.ops)")
    }

    func testRewriteFusesTrainingGradients() throws {
        for dtype in [DType.float32, .float64] { try checkTrainingGradients(dtype) }
    }

    func checkTrainingGradients(_ dtype: DType) throws {
        let x = Tensor.matrix("x", dtype), w = Tensor.matrix("w", dtype), y = Tensor.vector("y", .int32)
        let logits = try x.matmul(w)
        // The classifier's spelling (rows from the labels, negation outside the mean), the
        // sum, and categoricalCrossEntropy of a softmax (rows from the probabilities).
        let losses: [(String, Tensor)] = [
            ("-logSoftmax(xw)[arange(y.shape[0]), y].mean()", try -logSoftmax(logits)[arange(y.shape(0)), y].mean()),
            ("-logSoftmax(xw)[arange(y.shape[0]), y].sum()", try -logSoftmax(logits)[arange(y.shape(0)), y].sum()),
            ("categoricalCrossEntropy(softmax(xw), y).mean()", try categoricalCrossEntropy(softmax(logits), y).mean()),
        ]
        let values = [data.array([4, 5], dtype), data.array([5, 3], dtype), labels]
        let (rtol, atol) = dtype == .float32 ? (1e-5, 1e-6) : (1e-12, 1e-14)
        for (name, loss) in losses {
            let gradient = try grad(loss, wrt: w)
            let optimized = try optimize([x, w, y], [loss, gradient])
            let applied = optimized.trace.appliedRewrites
            XCTAssertTrue(applied.contains("crossentropy_softmax_1hot") && applied.contains("crossentropy_softmax_1hot_grad"), "\(name): \(applied)")
            let counts = Dictionary(optimized.graph.toposort().map { ("\(type(of: $0.op))", 1) }, uniquingKeysWith: +)
            XCTAssertEqual(counts["CrossEntropySoftmax1Hot"], 1, "\(name): \(optimized.ops)")
            XCTAssertEqual(counts["CrossEntropySoftmax1HotGrad"], 1, "\(name): \(optimized.ops)")
            for gone in ["LogSoftmax", "Softmax", "AdvancedSubtensor", "IncSubtensor", "ARange"] {
                XCTAssertNil(counts[gone], "\(name) keeps \(gone): \(optimized.ops)")
            }
            try assertSameValues([x, w, y], [loss, gradient], values, rtol: rtol, atol: atol)
            // Excluding the gradient rule leaves the unfused gradient; excluding the forward
            // rule leaves no fused forward node (the gradient then reads a plain softmax).
            let partial = try optimize([x, w, y], [loss, gradient], excluding: ["crossentropy_softmax_1hot_grad"])
            XCTAssertFalse(partial.ops.contains("CrossEntropySoftmax1HotGrad"), name)
            let noForward = try optimize([x, w, y], [loss, gradient], excluding: ["crossentropy_softmax_1hot"])
            XCTAssertFalse(noForward.ops.contains("CrossEntropySoftmax1Hot"), "\(name): \(noForward.ops)")
            let f = try function([x, w, y], [loss, gradient], mode: .fastRun.excluding("crossentropy_softmax_1hot_grad"))
            let g = try function([x, w, y], [loss, gradient])
            for (a, b) in zip(try f.call(values), try g.call(values)) { assertClose(a, b, rtol: rtol, atol: atol, name) }
        }
    }

    func testRewriteDeclinesOtherGathers() throws {
        let x = Tensor.matrix("x", .float64), y = Tensor.vector("y", .int32), z = Tensor.matrix("z", .float64)
        let values = [logits, labels]
        // Rows other than 0..<n, another matrix's row count, another axis.
        try checkRuleDeclines("crossentropy_softmax_1hot", [x, y], try -logSoftmax(x)[arange(0, 4), y], values: values)
        try checkRuleDeclines("crossentropy_softmax_1hot", [x, y], try -logSoftmax(x, axis: 0)[arange(x.shape(0)), y], values: values)
        try checkRuleDeclines("crossentropy_softmax_1hot", [x, y, z], try -logSoftmax(x)[arange(z.shape(0)), y])
    }

    // MARK: - Other losses

    func testCategoricalCrossEntropy() throws {
        let p = try NDArray([0.1, 0.2, 0.7, 0.5, 0.25, 0.25], shape: [2, 3])
        let probabilities = Tensor.matrix("p", .float64)
        let rows = Tensor.matrix("t", .float64), labels = Tensor.vector("y", .int64)
        let f = try function([probabilities, rows, labels], [try categoricalCrossEntropy(probabilities, rows), try categoricalCrossEntropy(probabilities, labels)])
        let r = try f.call([p, try NDArray([0, 0, 1, 0.5, 0.5, 0], shape: [2, 3]), NDArray([2, 1] as [Int64])])
        assertValues(r[0], [0.35667494393873245, 1.0397207708399179], rtol: 1e-12)
        assertValues(r[1], [0.35667494393873245, 1.3862943611198906], rtol: 1e-12)
        let point = data.array([3, 4], low: 0.1, high: 1)
        try verifyGrad({ try categoricalCrossEntropy($0[0], $0[1]) }, at: [point, data.array([3, 4], low: 0, high: 1)])
        let y = Tensor.constant(NDArray([3, 0, 1] as [Int64]))
        try verifyGrad({ try categoricalCrossEntropy($0[0], y) }, at: [point])
    }

    func testBinaryLossesMeanSquaredErrorAndHinge() throws {
        let a = Tensor.vector("a", .float64), b = Tensor.vector("b", .float64)
        func run(_ loss: Tensor, _ u: [Double], _ v: [Double]) throws -> NDArray {
            try evaluate(loss, [a, b], [NDArray(u), NDArray(v)])
        }
        // -(t log p + (1 - t) log(1 - p))
        assertValues(try run(try binaryCrossEntropy(a, b), [0.1, 0.5, 0.9, 0.999], [0, 1, 1, 0.3]),
                     [0.10536051565782628, 0.6931471805599453, 0.10536051565782628, 4.835728845387569], rtol: 1e-12)
        assertValues(try run(try meanSquaredError(a, b), [1, -2, 0.5], [0.5, 1, 0.5]), [0.25, 9, 0])
        assertValues(try run(try hinge(a, b), [0.3, -2, 1.5, 0], [1, -1, -1, 1]), [0.7, 0, 2.5, 1], rtol: 1e-12)
        let s = Tensor.matrix("s", .float64), y = Tensor.vector("y", .int32)
        let scores = try NDArray([1.0, 2, 0.5, 0.2, -1, 3, 2, 0, 0.5], shape: [3, 3])
        assertValues(try evaluate(try multiclassHinge(s, labels: y), [s, y], [scores, NDArray([1, 0, -3] as [Int32])]), [0, 3.8, 0], rtol: 1e-12)
        assertValues(try evaluate(try multiclassHinge(s, labels: y, margin: 2), [s, y], [scores, NDArray([1, 0, 0] as [Int32])]), [1, 4.8, 0.5], rtol: 1e-12)

        try verifyGrad({ try binaryCrossEntropy($0[0], $0[1]) }, at: [data.array([5], low: 0.1, high: 0.9), data.array([5], low: 0, high: 1)])
        try verifyGrad({ try binaryCrossEntropyWithLogits($0[0], $0[1]) }, at: [data.array([2, 3]), data.array([2, 3], low: 0, high: 1)])
        try verifyGrad({ try meanSquaredError($0[0], $0[1]) }, at: [data.array([2, 3]), data.array([2, 3])])
        try verifyGrad({ try hinge($0[0], $0[1]) }, at: [NDArray([0.3, -2, 1.7, 0.2]), NDArray([1.0, -1, -1, 1])])
        let labels = Tensor.constant(NDArray([2, 0, 1] as [Int64]))
        try verifyGrad({ try multiclassHinge($0[0], labels: labels) }, at: [NDArray([0.1, 0.5, 0.3, 0.2, 0.9, -0.4, 1.5, 1.2, 0.0]).reshaped([3, 3])])
        for (name, f) in [("bce", { try binaryCrossEntropy($0, $1) }), ("bceLogits", { try binaryCrossEntropyWithLogits($0, $1) }),
                          ("mse", { try meanSquaredError($0, $1) }), ("hinge", { try hinge($0, $1) })] as [(String, (Tensor, Tensor) throws -> Tensor)] {
            let value = data.array([0, 3], low: 0.1, high: 0.9)
            let m = Tensor.matrix("m", .float64), n = Tensor.matrix("n", .float64)
            let loss = try f(m, n)
            XCTAssertEqual(loss.rank, 2, name)
            try checkInferShape(loss, [m, n], [value, value])
        }
    }

    func testBinaryCrossEntropyWithLogitsIsStable() throws {
        let x = NDArray([-100.0, -2, 0, 3, 100]), t = NDArray([0.0, 1, 0.5, 0, 1])
        for dtype in [DType.float32, .float64] {
            let logits = Tensor.vector("x", dtype), targets = Tensor.vector("t", dtype)
            let loss = try binaryCrossEntropyWithLogits(logits, targets)
            let r = try function([logits, targets], [loss, try grad(sum(loss), wrt: logits)]).call([x.astype(dtype), t.astype(dtype)])
            // mpmath: max(x, 0) - x t + log(1 + exp(-|x|)); the gradient sigmoid(x) - t.
            assertValues(r[0], [3.720075976020836e-44, 2.1269280110429725, 0.69314718055994531, 3.0485873515737421, 3.720075976020836e-44], rtol: 1e-6)
            assertValues(r[1], [3.7200759760208356e-44, -0.8807970779778824, 0, 0.9525741268224334, 0], rtol: 1e-6)
            // The probability form on sigmoid(x): the optimiser makes it -softplus(∓x).
            let p = try binaryCrossEntropy(sigmoid(logits), targets)
            let v = try function([logits, targets], [p]).call([x.astype(dtype), t.astype(dtype)])[0]
            XCTAssertTrue(v.doubles.allSatisfy(\.isFinite), "\(dtype): \(v.doubles)")
        }
    }

    // MARK: - One-hot

    func testOneHot() throws {
        let y = Tensor.vector("y", .int32)
        let encoded = try oneHot(y, depth: 3)
        XCTAssertEqual(encoded.type, TensorType(.float32, shape: [nil, 3]))
        // Out of range (3, -1) gives rows of zeros, as in JAX.
        assertValues(try evaluate(encoded, [y], [NDArray([0, 2, 3, -1, 1] as [Int32])]),
                     [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0], shape: [5, 3])
        let m = Tensor.matrix("m", .int64)
        let r = try evaluate(try m.oneHot(depth: 2, dtype: .int8), [m], [try NDArray([1, 0, 0, 1] as [Int64], shape: [2, 2])])
        XCTAssertEqual(r.dtype, .int8)
        assertValues(r, [0, 1, 1, 0, 1, 0, 0, 1], shape: [2, 2, 2])
        for shape in [[4], [0], [2, 3]] {
            let value = data.array(shape, .int64, low: 0, high: 4)
            let labels = Tensor.variable("labels", .int64, shape: shape.map { _ in nil })
            try checkInferShape(try oneHot(labels, depth: 4), [labels], [value])
        }
        // No gradient flows to integer labels; the encoding is a constant to the loss.
        let x = Tensor.matrix("x", .float64)
        let g = try grad(sum(x * oneHot(y, depth: 3, dtype: .float64)), wrt: x)
        assertValues(try evaluate(g, [x, y], [data.array([2, 3]), NDArray([2, 0] as [Int32])]), [0, 0, 1, 1, 0, 0])
        assertThrows(.typeMismatch, containing: ["oneHot", "f", "float32"]) { try oneHot(Tensor.vector("f"), depth: 3) }
        assertThrows(.typeMismatch, containing: ["oneHot", "bool"]) { try oneHot(Tensor.vector("b", .bool), depth: 3) }
        assertThrows(.invalidArgument, containing: ["oneHot", "depth", "-1"]) { try oneHot(y, depth: -1) }
    }

    // MARK: - Errors

    func testBadInputs() throws {
        let x = Tensor.matrix("x", .float32, shape: [4, 3]), y = Tensor.vector("y", .int32, size: 5)
        assertThrows(.shapeMismatch, containing: ["softmaxCrossEntropy", "x", "[4, 3]", "y", "[5]"]) { try softmaxCrossEntropy(logits: x, labels: y) }
        assertThrows(.shapeMismatch, containing: ["CrossEntropySoftmax1Hot", "[4, 3]", "[5]"]) { try CrossEntropySoftmax1Hot().applyAll([x, y]) }
        assertThrows(.shapeMismatch, containing: ["categoricalCrossEntropy", "[4, 3]", "[5]"]) { try categoricalCrossEntropy(x, y) }
        assertThrows(.shapeMismatch, containing: ["multiclassHinge", "[4, 3]", "[5]"]) { try multiclassHinge(x, labels: y) }
        let matrixLabels = Tensor.matrix("labels", .int32), floatLabels = Tensor.vector("labels", .float32)
        assertThrows(.typeMismatch, containing: ["softmaxCrossEntropy", "labels", "int32", "integer vector"]) { try softmaxCrossEntropy(logits: x, labels: matrixLabels) }
        assertThrows(.typeMismatch, containing: ["softmaxCrossEntropy", "float32", "targets:"]) { try softmaxCrossEntropy(logits: x, labels: floatLabels) }
        assertThrows(.typeMismatch, containing: ["softmaxCrossEntropy", "matrix"]) { try softmaxCrossEntropy(logits: Tensor.vector("v"), labels: y) }
        assertThrows(.typeMismatch, containing: ["categoricalCrossEntropy", "integer labels"]) { try categoricalCrossEntropy(x, floatLabels) }
        assertThrows(.typeMismatch, containing: ["CrossEntropySoftmax1Hot", "labels"]) { try CrossEntropySoftmax1Hot().applyAll([x, floatLabels]) }
        let targets = Tensor.matrix("t", .float32, shape: [4, 2])
        for (name, f) in [("softmaxCrossEntropy", { try softmaxCrossEntropy(logits: x, targets: targets) }),
                          ("categoricalCrossEntropy", { try categoricalCrossEntropy(x, targets) }),
                          ("binaryCrossEntropy", { try binaryCrossEntropy(x, targets) }),
                          ("binaryCrossEntropyWithLogits", { try binaryCrossEntropyWithLogits(x, targets) }),
                          ("meanSquaredError", { try meanSquaredError(x, targets) }),
                          ("hinge", { try hinge(x, targets) })] as [(String, () throws -> Tensor)] {
            assertThrows(.shapeMismatch, containing: [name, "x", "[4, 3]", "t", "[4, 2]"], f)
        }

        // At run time: labels out of range, and a batch mismatch the types could not see.
        let logits = Tensor.matrix("logits", .float64), labels = Tensor.vector("labels", .int64)
        let f = try function([logits, labels], [try softmaxCrossEntropy(logits: logits, labels: labels)])
        let twoRows = try NDArray(Array(self.logits.doubles[0..<6]), shape: [2, 3])
        assertThrows(.outOfRange, containing: ["CrossEntropySoftmax1Hot", "label 3", "row 1", "3 classes"]) {
            try f.call([twoRows, NDArray([0, 3] as [Int64])])
        }
        assertThrows(.outOfRange, containing: ["CrossEntropySoftmax1Hot", "label -4"]) {
            try f.call([twoRows, NDArray([0, -4] as [Int64])])
        }
        assertThrows(.shapeMismatch, containing: ["CrossEntropySoftmax1Hot", "[3]", "2 rows"]) {
            try f.call([twoRows, NDArray([0, 1, 2] as [Int64])])
        }
    }
}
