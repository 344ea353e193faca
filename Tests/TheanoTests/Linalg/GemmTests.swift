import Theano
@testable import TheanoCompile
import XCTest

// The BLAS update ops Gemm, Gemv and Ger: values against definitions (products from
// `naiveMatmul`, scaling and adding in Double), shapes, layouts, in-place writes and errors.

/// `alpha * x @ y + beta * z` from the definition (z broadcast), in x's dtype.
func referenceGemm(alpha: Double, _ x: NDArray, _ y: NDArray, beta: Double, _ z: NDArray?) throws -> NDArray {
    let product = try naiveMatmul(x.astype(.float64), y.astype(.float64))
    var values = product.doubles.map { alpha * $0 }
    if let z {
        let zs = try z.broadcast(to: product.shape).doubles
        values = zip(values, zs).map { $0 + beta * $1 }
    }
    return try NDArray(values, shape: product.shape).astype(x.dtype)
}

/// `a + alpha * outer(x, y)` from the definition (a broadcast), in x's dtype.
func referenceGer(alpha: Double, _ x: NDArray, _ y: NDArray, _ a: NDArray) throws -> NDArray {
    let (m, n) = (x.shape[0], y.shape[0])
    let (xs, ys) = (x.doubles, y.doubles)
    let base = try a.broadcast(to: [m, n]).doubles
    let values = (0..<(m * n)).map { base[$0] + alpha * xs[$0 / n] * ys[$0 % n] }
    return try NDArray(values, shape: [m, n]).astype(x.dtype)
}

/// A scalar constant of `dtype`.
func scalarConstant(_ value: Double, _ dtype: DType) -> Tensor {
    Tensor.constant(NDArray(scalar: value).astype(dtype))
}

final class GemmTests: BackendTestCase {
    let x = Tensor.matrix("x", .float64), y = Tensor.matrix("y", .float64), z = Tensor.matrix("z", .float64)

    func testHandCheckedValues() throws {
        let a = try NDArray([[1.0, 2], [3, 4]]), b = try NDArray([[5.0, 6], [7, 8]]), c = try NDArray([[1.0, 1], [1, 1]])
        // 2 * [[19, 22], [43, 50]] + 3 * 1
        let full = try gemm(x, y, alpha: 2, adding: z, beta: 3)
        assertValues(try evaluate(full, [x, y, z], [a, b, c]), [41, 47, 89, 103], shape: [2, 2])
        // X^T @ Y = [[26, 30], [38, 44]]; X @ Y^T = [[17, 23], [39, 53]]
        assertValues(try evaluate(try gemm(x, y, transposeX: true), [x, y], [a, b]), [26, 30, 38, 44], shape: [2, 2])
        assertValues(try evaluate(try x.gemm(y, alpha: -1, transposeY: true), [x, y], [a, b]), [-17, -23, -39, -53], shape: [2, 2])
        // A bias row broadcast over the rows.
        let bias = Tensor.vector("b", .float64)
        let biased = try gemm(x, y, adding: try bias.dimshuffle(DimShuffle.newAxis, 0))
        assertValues(try evaluate(biased, [x, y, bias], [a, b, NDArray([10.0, 20])]), [29, 42, 53, 70], shape: [2, 2])

        let v = Tensor.vector("v", .float64), w = Tensor.vector("w", .float64)
        // [[1, 2], [3, 4]] @ [1, -1] = [-1, -1]; transposed: [-2, -2]
        assertValues(try evaluate(try gemv(x, v, alpha: 2, adding: w, beta: 0.5), [x, v, w], [a, NDArray([1.0, -1]), NDArray([4.0, 8])]), [0, 2], shape: [2])
        assertValues(try evaluate(try x.gemv(v, transposeA: true), [x, v], [a, NDArray([1.0, -1])]), [-2, -2], shape: [2])
        // [[1, 2], [3, 4]] + 2 * outer([1, 2], [3, 4]) = [[7, 10], [15, 20]]
        assertValues(try evaluate(try ger(v, w, alpha: 2, adding: x), [x, v, w], [a, NDArray([1.0, 2]), NDArray([3.0, 4])]), [7, 10, 15, 20], shape: [2, 2])
        assertValues(try evaluate(try v.ger(w, adding: x), [x, v, w], [a, NDArray([1.0, 2]), NDArray([3.0, 4])]), [4, 6, 9, 12], shape: [2, 2])
    }

    func testOpTypesAndDescriptions() throws {
        XCTAssertEqual("\(Gemm())", "Gemm{N,N}")
        XCTAssertEqual("\(Gemm(transposeX: true, inPlace: true))", "Gemm{T,N,inplace}")
        XCTAssertEqual("\(Gemv(transposeA: true))", "Gemv{T}")
        XCTAssertEqual("\(Ger(inPlace: true))", "Ger{inplace}")
        XCTAssertEqual(Gemm().destroyMap, [:])
        XCTAssertEqual(Gemm(inPlace: true).destroyMap, [0: [0]])
        XCTAssertEqual(Gemv(inPlace: true).destroyMap, [0: [0]])
        XCTAssertEqual(Ger(inPlace: true).destroyMap, [0: [0]])
        // Static shapes: from the operands, from Z where the product does not know them.
        let a = Tensor.matrix("a", .float32, shape: [3, nil]), b = Tensor.matrix("b", .float32, shape: [nil, 5])
        XCTAssertEqual(try gemm(a, b).staticShape, [3, 5])
        XCTAssertEqual(try gemm(b, a, transposeX: true, transposeY: true).staticShape, [5, 3])
        let free = Tensor.matrix("f", .float32)
        XCTAssertEqual(try gemm(free, free, adding: Tensor.matrix("c", .float32, shape: [4, 1])).staticShape, [4, nil])
        XCTAssertEqual(try gemm(free, free, adding: Tensor.matrix("c", .float32, shape: [1, 1])).staticShape, [nil, nil])
        XCTAssertEqual(try gemm(a, b).dtype, .float32)
        XCTAssertEqual(try gemv(a, Tensor.vector("v", .float32), transposeA: true).staticShape, [nil])
        XCTAssertEqual(try ger(Tensor.vector("v", .float32, size: 2), Tensor.vector("w", .float32), adding: Tensor.matrix("m", .float32, shape: [1, 7])).staticShape, [2, 7])
    }

    /// Every transpose combination, with and without Z, broadcast Z, every layout, float32 and
    /// float64, sizes 0 and 1, against the definition; shape inference against reality.
    func testGemmAgainstDefinition() throws {
        var data = TestData(seed: 20)
        let sizes = [(3, 4, 5), (1, 3, 2), (2, 1, 3), (3, 2, 1), (0, 2, 3), (2, 0, 3), (2, 3, 0)]
        for dtype in [DType.float32, .float64] {
            for (m, k, n) in sizes {
                for (tx, ty) in [(false, false), (true, false), (false, true), (true, true)] {
                    let xv = tx ? try data.nonContiguous([k, m], dtype) : data.array([m, k], dtype)
                    let yv = ty ? try data.array([n, k], dtype).flipped(axis: 0) : try data.array([n, k], dtype).transposed()
                    let (opX, opY) = (tx ? xv.T : xv, ty ? yv.T : yv)
                    let zs: [NDArray?] = [nil, data.array([m, n], dtype), data.array([1, n], dtype), data.array([m, 1], dtype),
                                          data.array([1, 1], dtype), try data.nonContiguous([m, n], dtype)]
                    for zv in zs {
                        let context = "\(dtype) [\(m), \(k)] x [\(k), \(n)] t: \(tx), \(ty) z: \(zv.map { formatShape($0.shape) } ?? "none")"
                        let xs = symbolicInput("x", xv), ys = symbolicInput("y", yv)
                        let zt = zv.map { symbolicInput("z", $0) }
                        let out = try gemm(xs, ys, alpha: 1.5, adding: zt, beta: -0.5, transposeX: tx, transposeY: ty)
                        let inputs = [xs, ys] + (zt.map { [$0] } ?? [])
                        let values = [xv, yv] + (zv.map { [$0] } ?? [])
                        let expected = try referenceGemm(alpha: 1.5, opX, opY, beta: -0.5, zv)
                        assertClose(try evaluate(out, inputs, values), expected, rtol: 1e-5, atol: 1e-5, context)
                        try checkInferShape(out, inputs, values)
                    }
                }
            }
        }
    }

    func testSymbolicScalarsAndBetaZero() throws {
        let alpha = Tensor.scalar("alpha", .float64), beta = Tensor.scalar("beta", .float64)
        let out = try gemm(x, y, alpha: alpha, adding: z, beta: beta)
        var data = TestData(seed: 21)
        let (a, b) = (data.array([2, 3]), data.array([3, 4]))
        var c = data.array([2, 4]).map { $0 }
        let f = try function([x, y, z, alpha, beta], [out])
        assertClose(try f(a, b, c, NDArray(scalar: 0.25), NDArray(scalar: 2.0))[0], try referenceGemm(alpha: 0.25, a, b, beta: 2, c))
        // beta = 0 multiplies Z by zero as `0 * z` does: NaN and infinity give NaN.
        c = try NDArray([Double.nan, 1, 2, 3, 4, .infinity, 6, 7], shape: [2, 4])
        let r = try f(a, b, c, NDArray(scalar: 1.0), NDArray(scalar: 0.0))[0].doubles
        XCTAssertTrue(r[0].isNaN && r[5].isNaN)
        XCTAssertEqual(r[1], try naiveMatmul(a, b).doubles[1], accuracy: 1e-12)
    }

    func testGemvAgainstDefinition() throws {
        var data = TestData(seed: 22)
        for dtype in [DType.float32, .float64] {
            for (m, k) in [(3, 4), (1, 3), (3, 1), (0, 2), (2, 0)] {
                for ta in [false, true] {
                    let av = ta ? try data.array([k, m], dtype).flipped(axis: 1) : try data.nonContiguous([m, k], dtype)
                    let opA = ta ? av.T : av
                    let xvs = [data.array([k], dtype), try data.nonContiguous([k], dtype), try data.array([k], dtype).flipped(axis: 0)]
                    let yvs: [NDArray?] = [nil, data.array([m], dtype), data.array([1], dtype), try data.array([m], dtype).flipped(axis: 0)]
                    for xv in xvs {
                        for yv in yvs {
                            let context = "\(dtype) [\(m), \(k)] t: \(ta) y: \(yv.map { formatShape($0.shape) } ?? "none")"
                            let (at, xt) = (symbolicInput("a", av), symbolicInput("x", xv))
                            let yt = yv.map { symbolicInput("y", $0) }
                            let out = try gemv(at, xt, alpha: 2, adding: yt, beta: 0.5, transposeA: ta)
                            let inputs = [at, xt] + (yt.map { [$0] } ?? [])
                            let values = [av, xv] + (yv.map { [$0] } ?? [])
                            let expected = try referenceGemm(alpha: 2, opA, xv.expandingDims(1), beta: 0.5, yv.map { try $0.expandingDims(1) })
                            assertClose(try evaluate(out, inputs, values), try expected.reshaped([m]), rtol: 1e-5, atol: 1e-5, context)
                            try checkInferShape(out, inputs, values)
                        }
                    }
                }
            }
        }
    }

    func testGerAgainstDefinition() throws {
        var data = TestData(seed: 23)
        for dtype in [DType.float32, .float64] {
            for (m, n) in [(3, 4), (1, 3), (3, 1), (0, 2), (2, 0)] {
                let avs = [data.array([m, n], dtype), try data.array([n, m], dtype).transposed(), try data.nonContiguous([m, n], dtype),
                           data.array([1, n], dtype), data.array([m, 1], dtype)]
                for av in avs {
                    let xv = try data.nonContiguous([m], dtype), yv = try data.array([n], dtype).flipped(axis: 0)
                    let (at, xt, yt) = (symbolicInput("a", av), symbolicInput("x", xv), symbolicInput("y", yv))
                    let out = try ger(xt, yt, alpha: -1.5, adding: at)
                    assertClose(try evaluate(out, [at, xt, yt], [av, xv, yv]), try referenceGer(alpha: -1.5, xv, yv, av),
                                rtol: 1e-5, atol: 1e-5, "\(dtype) [\(m), \(n)] a: \(av.shape) \(av.strides)")
                    try checkInferShape(out, [at, xt, yt], [av, xv, yv])
                }
            }
        }
    }

    // MARK: In place

    /// Runs `op` on a node built from `inputs` with `values`, as the runtime would.
    func perform(_ op: some Op, _ inputs: [Tensor], _ values: [NDArray]) throws -> NDArray {
        let node = try op.makeNode(inputs.map(\.variable))
        return try op.perform(node, values)[0]
    }

    /// Runs the CPU backend's OpenBLAS kernel of `op` (the in-place variants write into their
    /// accumulator; the reference `perform` always returns a new array).
    func blasKernel(_ op: some Op, _ inputs: [Tensor], _ values: [NDArray]) throws -> NDArray {
        let node = try op.makeNode(inputs.map(\.variable))
        let kernel: any Kernel
        switch op {
        case let op as Gemm: kernel = GemmKernel(op: op)
        case let op as Gemv: kernel = GemvKernel(op: op)
        case let op as Ger: kernel = GerKernel(op: op)
        default: throw TheanoError.unsupported("no BLAS kernel for \(op)")
        }
        return try kernel.run(node, values, KernelContext(buffers: BufferRecycler(), pool: nil))[0]
    }

    func testReferenceOfAnInPlaceOpReturnsANewArray() throws {
        let z = try NDArray([[1.0, 2], [3, 4]])
        let out = try perform(Gemm(inPlace: true), [self.z, scalarConstant(1, .float64), x, y, scalarConstant(1, .float64)],
                              [z, NDArray(scalar: 1.0), z, NDArray.eye(2, nil, .float64), NDArray(scalar: 1.0)])
        assertValues(out, [2, 4, 6, 8], shape: [2, 2])
        assertValues(z, [1, 2, 3, 4], shape: [2, 2])
        XCTAssertFalse(out.sharesStorage(with: z))
    }

    func testInPlaceGemmWritesIntoZ() throws {
        var data = TestData(seed: 24)
        for dtype in [DType.float32, .float64] {
            let (alpha, beta) = (scalarConstant(2, dtype), scalarConstant(0.5, dtype))
            let (xs, ys, zs) = (Tensor.matrix("x", dtype), Tensor.matrix("y", dtype), Tensor.matrix("z", dtype))
            let xv = data.array([3, 4], dtype), yv = try data.array([5, 4], dtype).transposed()
            // Row-major, column-major (a transposed view) and strided (written back) Z.
            let zvs = [data.array([3, 5], dtype), try data.array([5, 3], dtype).transposed(), try data.nonContiguous([3, 5], dtype),
                       try data.array([3, 5], dtype).flipped(axis: 1)]
            for zv in zvs {
                let before = zv.copy()
                for (tx, ty) in [(false, false), (true, true)] {
                    let original = zv.copy()
                    // The op transposes what it is given: pass X^T to get op(X) = xv.
                    let (opX, opY) = (xv, yv)
                    let x = tx ? xv.T : xv, y = ty ? yv.T : yv
                    let out = try blasKernel(Gemm(transposeX: tx, transposeY: ty, inPlace: true), [zs, alpha, xs, ys, beta],
                                          [zv, NDArray(scalar: 2).astype(dtype), x, y, NDArray(scalar: 0.5).astype(dtype)])
                    XCTAssertTrue(out.sharesStorage(with: zv), "the result is Z's storage")
                    XCTAssertEqual(out.strides, zv.strides)
                    // zv reads the same storage, so it sees the new values.
                    assertClose(zv, try referenceGemm(alpha: 2, opX, opY, beta: 0.5, original), rtol: 1e-5, atol: 1e-5, "\(dtype) \(zv.strides)")
                }
                XCTAssertNotEqual(zv.doubles, before.doubles)
            }
        }
    }

    func testInPlaceOperandAliasingZReadsTheOldValues() throws {
        // Z is also X: BLAS must read X's old values, so the op copies X first.
        let z = try NDArray([[1.0, 2], [3, 4]])
        let out = try blasKernel(Gemm(inPlace: true), [self.z, scalarConstant(1, .float64), x, y, scalarConstant(1, .float64)],
                              [z, NDArray(scalar: 1.0), z, NDArray.eye(2, nil, .float64), NDArray(scalar: 1.0)])
        assertValues(out, [2, 4, 6, 8], shape: [2, 2])
        assertValues(z, [2, 4, 6, 8], shape: [2, 2])
    }

    func testInPlaceOnABroadcastViewFallsBackToANewArray() throws {
        let row = try NDArray([[1.0, 2]])
        let z = try row.broadcast(to: [2, 2])
        let out = try perform(Gemm(inPlace: true), [self.z, scalarConstant(1, .float64), x, y, scalarConstant(1, .float64)],
                              [z, NDArray(scalar: 1.0), NDArray.eye(2, nil, .float64), NDArray.eye(2, nil, .float64), NDArray(scalar: 1.0)])
        assertValues(out, [2, 2, 1, 3], shape: [2, 2])
        assertValues(row, [1, 2], shape: [1, 2])
        XCTAssertFalse(out.sharesStorage(with: row))
    }

    func testInPlaceGemvAndGerWriteIntoTheirAccumulator() throws {
        var data = TestData(seed: 25)
        for dtype in [DType.float32, .float64] {
            let (a, xs, ys) = (Tensor.matrix("a", dtype), Tensor.vector("x", dtype), Tensor.vector("y", dtype))
            let one = scalarConstant(1, dtype)
            let av = data.array([3, 4], dtype), xv = data.array([4], dtype)
            for yv in [data.array([3], dtype), try data.nonContiguous([3], dtype), try data.array([3], dtype).flipped(axis: 0)] {
                let original = yv.copy()
                let out = try blasKernel(Gemv(inPlace: true), [ys, one, a, xs, one], [yv, NDArray(scalar: 3).astype(dtype), av, xv, NDArray(scalar: -1).astype(dtype)])
                XCTAssertTrue(out.sharesStorage(with: yv))
                let expected = try referenceGemm(alpha: 3, av, xv.expandingDims(1), beta: -1, original.expandingDims(1)).reshaped([3])
                assertClose(yv, expected, rtol: 1e-5, atol: 1e-5, "\(dtype) \(yv.strides)")
            }
            let (u, w) = (data.array([3], dtype), try data.nonContiguous([4], dtype))
            for gv in [data.array([3, 4], dtype), try data.array([4, 3], dtype).transposed(), try data.nonContiguous([3, 4], dtype)] {
                let original = gv.copy()
                let out = try blasKernel(Ger(inPlace: true), [a, one, xs, ys], [gv, NDArray(scalar: 0.5).astype(dtype), u, w])
                XCTAssertTrue(out.sharesStorage(with: gv))
                assertClose(gv, try referenceGer(alpha: 0.5, u, w, original), rtol: 1e-5, atol: 1e-5, "\(dtype) \(gv.strides)")
            }
        }
    }

    func testFunctionalVariantsLeaveTheirInputsAlone() throws {
        var data = TestData(seed: 26)
        let zv = data.array([2, 2])
        let before = zv.copy()
        let out = try perform(Gemm(), [z, scalarConstant(1, .float64), x, y, scalarConstant(1, .float64)],
                              [zv, NDArray(scalar: 1.0), data.array([2, 3]), data.array([3, 2]), NDArray(scalar: 2.0)])
        XCTAssertFalse(out.sharesStorage(with: zv))
        assertClose(zv, before)
    }

    // MARK: Errors

    func testGraphConstructionErrors() throws {
        let one = scalarConstant(1, .float64)
        let i = Tensor.matrix("i", .int32), f = Tensor.matrix("f", .float32), v = Tensor.vector("v", .float64)
        assertThrows(.typeMismatch, containing: ["Gemm{N,N}", "X (input 1)", "float32 or float64", "int32"]) {
            try Gemm().makeNode([Tensor.constant(NDArray(scalar: Int32(1))).variable, i.variable, i.variable])
        }
        assertThrows(.typeMismatch, containing: ["Gemm{N,N}", "Y (input 3)", "f (float32[?, ?])", "float64"]) {
            try Gemm().makeNode([z, one, x, f, one].map(\.variable))
        }
        assertThrows(.shapeMismatch, containing: ["Gemm{N,N}", "Y (input 2)", "matrix", "v (float64[?])"]) {
            try Gemm().makeNode([one, x, v].map(\.variable))
        }
        assertThrows(.shapeMismatch, containing: ["Gemm{N,N}", "alpha (input 0)", "scalar"]) {
            try Gemm().makeNode([x, x, y].map(\.variable))
        }
        assertThrows(.typeMismatch, containing: ["beta (input 4)", "float64", "float32"]) {
            try Gemm().makeNode([z, one, x, y, scalarConstant(1, .float32)].map(\.variable))
        }
        assertThrows(.invalidArgument, containing: ["Gemm{N,N}", "got 2 inputs"]) { try Gemm().makeNode([x, y].map(\.variable)) }
        assertThrows(.invalidArgument, containing: ["Gemm{N,N,inplace}", "needs Z"]) {
            try Gemm(inPlace: true).makeNode([one, x, y].map(\.variable))
        }
        let a23 = Tensor.matrix("a", .float64, shape: [2, 3]), b43 = Tensor.matrix("b", .float64, shape: [4, 3])
        assertThrows(.shapeMismatch, containing: ["Gemm{N,N}", "not aligned", "3 columns", "4 rows"]) { try gemm(a23, b43) }
        XCTAssertEqual(try gemm(a23, b43, transposeY: true).staticShape, [2, 4])
        assertThrows(.shapeMismatch, containing: ["Z (input 0)", "axis 1 has size 5, expected 4"]) {
            try gemm(a23, b43, adding: Tensor.matrix("c", .float64, shape: [2, 5]), transposeY: true)
        }
        assertThrows(.shapeMismatch, containing: ["Gemm{N,T,inplace}", "writes into Z", "broadcasts along axis 0"]) {
            try Gemm(transposeY: true, inPlace: true).makeNode([Tensor.matrix("c", .float64, shape: [1, 4]), one, a23, b43, one].map(\.variable))
        }
        assertThrows(.shapeMismatch, containing: ["Gemv{T}", "not aligned", "x v (float64[3])", "2 columns (transposed)", "3 elements"]) {
            try gemv(a23, Tensor.vector("v", .float64, size: 3), transposeA: true)
        }
        assertThrows(.shapeMismatch, containing: ["Gemv{N}", "y (input 0)", "vector"]) {
            try Gemv().makeNode([x, one, x, v, one].map(\.variable))
        }
        assertThrows(.shapeMismatch, containing: ["Ger", "A (input 0)", "axis 0 has size 2, expected 3"]) {
            try ger(Tensor.vector("u", .float64, size: 3), v, adding: a23)
        }
        assertThrows(.typeMismatch, containing: ["Ger", "float32 or float64"]) {
            try ger(Tensor.vector("u", .int64), Tensor.vector("w", .int64), adding: Tensor.matrix("m", .int64))
        }
    }

    func testRuntimeErrors() throws {
        var data = TestData(seed: 27)
        let f = try function([x, y, z], [try gemm(x, y, adding: z)])
        assertThrows(.shapeMismatch, containing: ["Gemm{N,N}", "at run time", "[2, 3]", "[4, 2]", "columns of op(X)"]) {
            try f(data.array([2, 3]), data.array([4, 2]), data.array([2, 2]))
        }
        // Z's axes have unknown static sizes, so they do not broadcast: [1, 2] is an error.
        assertThrows(.shapeMismatch, containing: ["Gemm{N,N}", "Z z", "[1, 2]", "[2, 2]", "not declared broadcastable"]) {
            try f(data.array([2, 3]), data.array([3, 2]), data.array([1, 2]))
        }
        let v = Tensor.vector("v", .float64), w = Tensor.vector("w", .float64)
        let g = try function([x, v, w], [try ger(v, w, adding: x)])
        assertThrows(.shapeMismatch, containing: ["Ger", "A x", "[3, 3]", "[2, 3]"]) {
            try g(data.array([3, 3]), data.array([2]), data.array([3]))
        }
        let h = try function([x, v], [try gemv(x, v)])
        assertThrows(.shapeMismatch, containing: ["Gemv{N}", "at run time", "[2, 3]", "[2]"]) { try h(data.array([2, 3]), data.array([2])) }
    }

    func testNDArrayKernelErrors() throws {
        let a = try NDArray([[1.0, 2], [3, 4]])
        assertThrows(.typeMismatch, containing: ["gemm", "float32 or float64", "int32"]) {
            try NDArray.gemm(alpha: 1, a.astype(.int32), a.astype(.int32))
        }
        assertThrows(.typeMismatch, containing: ["gemm", "b of dtype float32"]) { try NDArray.gemm(alpha: 1, a, a.astype(.float32)) }
        assertThrows(.shapeMismatch, containing: ["gemm", "not aligned"]) { try NDArray.gemm(alpha: 1, a, NDArray(zeros: [3, 2], dtype: .float64)) }
        assertThrows(.shapeMismatch, containing: ["gemm", "c of shape [3, 2]", "does not broadcast"]) {
            try NDArray.gemm(alpha: 1, a, a, adding: NDArray(zeros: [3, 2], dtype: .float64))
        }
        assertThrows(.shapeMismatch, containing: ["gemv", "x must have rank 1"]) { try NDArray.gemv(alpha: 1, a, a) }
        assertThrows(.shapeMismatch, containing: ["ger", "a of shape [2, 2]", "[3, 2]"]) {
            try NDArray.ger(alpha: 1, NDArray([1.0, 2, 3]), NDArray([1.0, 2]), adding: a)
        }
    }
}
