import Theano
import XCTest

/// The CPU backend's LAPACK block kernel (LAPACK in place on the stacked blocks, column-major
/// factorisations of the transposed blocks) against the ops' reference `perform` (row-major
/// LAPACKE on copied blocks), on random inputs: float32 and float64, both triangles, plain
/// and transposed LU solves, vector and matrix right-hand sides, broadcast batch axes,
/// non-contiguous inputs, sizes 0 and 1, and the errors.
final class LapackBlockKernelTests: XCTestCase {
    var data = TestData(seed: 2026)

    /// A batch of well-conditioned matrices: random entries of magnitude below `2 / n` plus
    /// `n + 1` on the diagonal (small enough off the diagonal that the unit-diagonal triangles
    /// are well conditioned too).
    func wellConditioned(_ shape: [Int], _ dtype: DType) throws -> NDArray {
        let n = shape[shape.count - 1]
        let scale = 2 / Double(Swift.max(n, 2))
        let a = data.array(shape, low: -scale, high: scale)
        let eye = try NDArray.eye(n, n, .float64).broadcast(to: shape)
        return try NDArray(zip(a.doubles, eye.doubles).map { $0 + Double(n + 1) * $1 }, shape: shape).astype(dtype)
    }

    /// Compiles `outputs` on the CPU and reference backends, checks that the CPU runs every
    /// node of `ops` with the block kernel, and compares the values.
    func assertKernelMatchesReference(
        _ what: String, _ inputs: [Tensor], _ outputs: [Tensor], ops: [String], _ values: [NDArray],
        file: StaticString = #filePath, line: UInt = #line
    ) throws {
        // Each op stays itself (not computed from a factorisation another node shares).
        let mode = Mode.current.excluding("det_share_lu")
        let cpu = try function(inputs, outputs, mode: mode, options: CompileOptions(backend: .cpu))
        let reference = try function(inputs, outputs, mode: mode, options: CompileOptions(backend: .reference))
        for op in ops {
            let entries = cpu.kernelReport.entries.filter { $0.op == op }
            XCTAssertFalse(entries.isEmpty, "\(what): \(op) not in \(cpu.kernelReport)", file: file, line: line)
            XCTAssertTrue(entries.allSatisfy { $0.implementation == "LAPACK blocks" }, "\(what): \(cpu.kernelReport)", file: file, line: line)
        }
        let got = try cpu.call(values), want = try reference.call(values)
        let float32 = values[0].dtype == .float32
        for k in got.indices {
            assertClose(got[k], want[k], rtol: float32 ? 1e-4 : 1e-11, atol: float32 ? 1e-5 : 1e-12,
                        "\(what) output \(k)", file: file, line: line)
        }
    }

    func testFactorisationsAndDeterminants() throws {
        for dtype in [DType.float32, .float64] {
            for shape in [[4, 4], [3, 5, 5], [2, 3, 1, 1], [0, 3, 3], [2, 0, 0]] {
                let a = Tensor.variable("a", dtype, shape: shape.map { _ in nil })
                let value = try wellConditioned(shape, dtype)
                let (sign, logAbs) = try slogdet(a)
                let lu = try luFactor(a)
                try assertKernelMatchesReference(
                    "\(dtype) \(shape)", [a], [try inv(a), try det(a), sign, logAbs, lu.lu, lu.pivots],
                    ops: ["MatrixInverse", "Determinant", "SignLogDeterminant", "LUFactor"], [value])
                let spd = try matmul(a, a.transposed(Array(0..<(shape.count - 2)) + [shape.count - 1, shape.count - 2]))
                try assertKernelMatchesReference(
                    "cholesky \(dtype) \(shape)", [a], [try cholesky(spd, lower: true), try cholesky(spd, lower: false)],
                    ops: ["Cholesky"], [value])
            }
        }
    }

    func testSolves() throws {
        for dtype in [DType.float32, .float64] {
            let a = Tensor.variable("a", dtype, shape: [nil, 1, nil, nil])
            let b = Tensor.variable("b", dtype, shape: [nil, nil, nil])
            let v = Tensor.variable("v", dtype, shape: [nil])
            let spd = try matmul(a, a.transposed([0, 1, 3, 2]))
            let lu = try luFactor(a)
            let outputs = [
                try solve(a, b), try solve(a, v),
                try solve(spd, b, assume: .positiveDefinite, lower: true), try solve(spd, b, assume: .positiveDefinite, lower: false),
                try solveTriangular(a, b, lower: true), try solveTriangular(a, b, lower: false, unitDiagonal: true),
                try solveTriangular(a, v, lower: false),
                try luSolve(lu.lu, lu.pivots, b), try luSolve(lu.lu, lu.pivots, b, transposed: true),
                try luSolve(lu.lu, lu.pivots, v, transposed: true),
            ]
            // 130 rows take trsm rather than substitution (TriangularSolve.swift).
            for (n, k) in [(4, 3), (1, 1), (5, 0), (0, 2), (130, 2)] {
                let values = [try wellConditioned([2, 1, n, n], dtype), data.array([3, n, k]).astype(dtype), data.array([n]).astype(dtype)]
                try assertKernelMatchesReference(
                    "\(dtype) n \(n) k \(k)", [a, b, v], outputs, ops: ["Solve", "SolveTriangular", "LUSolve", "LUFactor"], values)
            }
        }
    }

    /// Transposed and strided views reach the kernel, which copies them once.
    func testNonContiguousInputs() throws {
        let a = Tensor.variable("a", .float64, shape: [nil, nil, nil]), b = Tensor.variable("b", .float64, shape: [nil, nil, nil])
        let transposedA = try wellConditioned([3, 4, 4], .float64).transposed([0, 2, 1])
        let everyOtherB = try data.array([3, 4, 4]).slice([.all, .all, .slice(start: 0, stop: 4, step: 2)])
        XCTAssertFalse(transposedA.isContiguous)
        XCTAssertFalse(everyOtherB.isContiguous)
        try assertKernelMatchesReference(
            "views", [a, b], [try solve(a, b), try inv(a), try slogdet(a).logAbsDet], ops: ["Solve", "MatrixInverse", "SignLogDeterminant"],
            [transposedA, everyOtherB])
    }

    /// A batch large enough to be split over the thread pool: the same values, and the error
    /// of the first failing block whichever thread met it first.
    func testLargeBatchesSplitOverThreads() throws {
        let a = Tensor.variable("a", .float64, shape: [nil, nil, nil]), b = Tensor.variable("b", .float64, shape: [nil, nil, nil])
        let value = try wellConditioned([96, 16, 16], .float64), rhs = data.array([96, 16, 3])
        let (sign, logAbs) = try slogdet(a)
        try assertKernelMatchesReference(
            "96 blocks", [a, b], [try solve(a, b), try inv(a), sign, logAbs], ops: ["Solve", "MatrixInverse", "SignLogDeterminant"],
            [value, rhs])
        var entries = value.doubles
        for block in [70, 41] {
            for j in 0..<16 { entries[block * 256 + 16 + j] = 0 }  // row 1 is zero
        }
        let f = try function([a, b], [try solve(a, b)], options: CompileOptions(backend: .cpu))
        XCTAssertThrowsError(try f.call([try NDArray(entries, shape: [96, 16, 16]), rhs])) { error in
            XCTAssertTrue("\(error)".contains("is singular (at batch index [41])"), "\(error)")
        }
    }

    /// The kernel's errors are the reference's: a singular matrix, one that is not positive
    /// definite, a non-finite entry, each naming the batch index.
    func testErrorsNameTheBlock() throws {
        let a = Tensor.variable("a", .float64, shape: [nil, nil, nil]), b = Tensor.variable("b", .float64, shape: [nil, nil, nil])
        var singular = try wellConditioned([3, 2, 2], .float64).doubles
        for j in 4..<8 { singular[j] = 1 }
        let cases: [(String, Tensor, [Double], String)] = [
            ("solve", try solve(a, b), singular, "is singular (at batch index [1])"),
            ("inv", try inv(a), singular, "is singular (at batch index [1])"),
            ("cholesky", try cholesky(a), singular, "not positive definite (at batch index [1])"),
            ("pd solve", try solve(a, b, assume: .positiveDefinite), singular, "not positive definite (at batch index [1])"),
            ("nan", try solve(a, b), [1, 0, 0, 1, 1, 0, 0, 1, .nan, 0, 0, 1], "contains NaN or infinity (at batch index [2])"),
        ]
        for (what, output, entries, message) in cases {
            let value = try NDArray(entries, shape: [3, 2, 2])
            let rhs = data.array([3, 2, 1])
            for backend in [Backend.cpu, .reference] {
                let f = try function([a, b], [output], options: CompileOptions(backend: backend))
                XCTAssertThrowsError(try f.call([value, rhs]), "\(what) on \(backend)") { error in
                    XCTAssertTrue("\(error)".contains(message), "\(what) on \(backend): \(error)")
                }
            }
        }
        let lu = Tensor.variable("lu", .float64, shape: [nil, nil, nil]), pivots = Tensor.variable("p", .int32, shape: [nil, nil])
        let f = try function([lu, pivots, b], [try luSolve(lu, pivots, b)], options: CompileOptions(backend: .cpu))
        let badPivots = try NDArray([0, 1, 5, 1] as [Int32], shape: [2, 2])
        XCTAssertThrowsError(try f.call([try wellConditioned([2, 2, 2], .float64), badPivots, data.array([2, 2, 1])])) { error in
            XCTAssertTrue("\(error)".contains("pivot 0 is 5 (at batch index [1])"), "\(error)")
        }
    }
}
