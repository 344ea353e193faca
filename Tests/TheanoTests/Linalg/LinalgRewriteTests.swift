import Foundation
import Theano
import XCTest

/// The linear-algebra rewrites: each one's effect on the compiled graph, values unchanged.
final class LinalgRewriteTests: BackendTestCase {
    private let a = try! NDArray([4.0, 2, 0.5, 2, 3, 0.25, 0.5, 0.25, 2], shape: [3, 3])
    private let b = try! NDArray([1.0, -2, 0.5, 3, 2, -1], shape: [3, 2])

    private func unrewritten(_ name: String) -> Mode { Mode.current.excluding(name) }

    func testInverseOfInverseIsTheMatrix() throws {
        let m = Tensor.matrix("m", .float64)
        let f = try function([m], [inv(inv(m))])
        XCTAssertEqual(f.graph.count(MatrixInverse.self), 0, "\(f.graph)")
        assertClose(try f.call([a])[0], a)
    }

    func testInverseTimesMatrixIsASolve() throws {
        let m = Tensor.matrix("m", .float64), r = Tensor.matrix("r", .float64)
        let f = try function([m, r], [inv(m).matmul(r)])
        XCTAssertEqual(f.graph.count(MatrixInverse.self), 0, "\(f.graph)")
        XCTAssertEqual(f.graph.count(Solve.self) + f.graph.count(LUSolve.self), 1, "\(f.graph)")
        let x = try f.call([a, b])[0]
        assertClose(try NDArray.matmul(a, x), b, rtol: 1e-12, atol: 1e-12)
        let plain = try function([m, r], [inv(m).matmul(r)], mode: unrewritten("inv_matmul_to_solve")).call([a, b])[0]
        assertClose(x, plain, rtol: 1e-12, atol: 1e-12)
    }

    func testDeterminantOfACholeskyFactorIsItsDiagonalProduct() throws {
        let m = Tensor.matrix("m", .float64)
        let f = try function([m], [det(cholesky(m))])
        XCTAssertEqual(f.graph.count(Determinant.self), 0, "\(f.graph)")
        // det(L) = sqrt(det(A)), here against the unrewritten graph and a 2x2 by hand.
        let plain = try function([m], [det(cholesky(m))], mode: unrewritten("det_of_triangular")).call([a])[0]
        let value = try f.call([a])[0]
        assertClose(value, plain, rtol: 1e-12, atol: 1e-12)
        assertValues(try function([m], [det(cholesky(m))]).call([try NDArray([4.0, 2, 2, 3], shape: [2, 2])])[0], [Foundation.sqrt(8.0)])
    }

    /// `det` and `slogdet` of `tril`, `triu` (symbolic and static sizes, batched) and
    /// `diag(v)` become diagonal products: no determinant node, no factorisation, the
    /// unrewritten values.
    func testDeterminantOfATriangularMatrixIsItsDiagonalProduct() throws {
        let x = Tensor.variable("x", .float64, shape: [nil, nil, nil])
        let s = Tensor.variable("s", .float64, shape: [2, 3, 3])
        let v = Tensor.vector("v", .float64)
        var values = TestData(seed: 5)
        let xv = values.array([2, 3, 3]), vv = try NDArray([2.0, -0.5, 0, 3], shape: [4])
        let cases: [(String, [Tensor], Tensor, [NDArray])] = [
            ("tril", [x], try tril(x), [xv]), ("triu", [x], try triu(x), [xv]),
            ("strict triu", [x], try triu(x, k: 1), [xv]), ("tril k -1", [x], try tril(x, k: -1), [xv]),
            ("static tril", [s], try tril(s), [xv]), ("static triu", [s], try triu(s, k: 2), [xv]),
            ("diag", [v], try diag(v), [vv]),
        ]
        for (what, inputs, matrix, args) in cases {
            let (sign, logAbs) = try slogdet(matrix)
            let outputs = [try det(matrix), sign, logAbs]
            let f = try function(inputs, outputs)
            XCTAssertEqual(f.graph.count(Determinant.self) + f.graph.count(SignLogDeterminant.self), 0, "\(what): \(f.graph)")
            XCTAssertEqual(f.graph.count(LUFactor.self), 0, "\(what): \(f.graph)")
            let plain = try function(inputs, outputs, mode: unrewritten("det_of_triangular")).call(args)
            for (got, want) in zip(try f.call(args), plain) { assertClose(got, want, rtol: 1e-12, atol: 1e-12, what) }
        }
        // Not triangular: a band below the diagonal survives `triu(x, k: -1)`, and a mask row
        // broadcast over the rows keeps whole columns.
        let band = try function([x], [det(triu(x, k: -1))])
        XCTAssertEqual(band.graph.count(Determinant.self), 1, "\(band.graph)")
        let m = Tensor.variable("m", .float64, shape: [3, 3])
        let rowMask = Tensor.constant(try NDArray([true, false, false], shape: [1, 3]))
        let columns = try function([m], [det(`where`(rowMask, m, Tensor.constant(0, .float64)))])
        XCTAssertEqual(columns.graph.count(Determinant.self), 1, "\(columns.graph)")
        assertClose(try columns.call([a])[0], try function([m], [det(m * Tensor.constant(try NDArray([1.0, 0, 0], shape: [1, 3])))]).call([a])[0])
    }

    /// A log-density's `slogdet` and `solve`, with their gradients (`slogdet`'s is `inv(A)^T`),
    /// factorise each matrix once; so do `det` and `inv` of one matrix.
    func testDeterminantsAndInversesShareTheSolvesFactorization() throws {
        let m = Tensor.variable("m", .float64, shape: [nil, nil, nil]), r = Tensor.variable("r", .float64, shape: [nil, nil, nil])
        let cost = try slogdet(m).logAbsDet.sum() + solve(m, r).sum()
        let outputs = [cost, try slogdet(m).sign] + (try grad(cost, wrt: [m, r]))
        let f = try function([m, r], outputs)
        XCTAssertEqual(f.graph.count(LUFactor.self), 1, "\(f.graph)")
        XCTAssertEqual(f.graph.count(SignLogDeterminant.self) + f.graph.count(MatrixInverse.self) + f.graph.count(Solve.self), 0, "\(f.graph)")
        var values = TestData(seed: 9)
        // Pivoting happens (row swaps change the sign) and one determinant is negative.
        var entries = values.array([3, 4, 4]).doubles
        for j in 0..<4 { entries[j] = 10 * Double(j + 1) }
        let mv = try NDArray(entries, shape: [3, 4, 4]), rv = values.array([3, 4, 2])
        let plain = try function([m, r], outputs, mode: unrewritten("det_share_lu")).call([mv, rv])
        for (got, want) in zip(try f.call([mv, rv]), plain) { assertClose(got, want, rtol: 1e-10, atol: 1e-12) }
        let g = try function([m], [det(m), inv(m)])
        XCTAssertEqual(g.graph.count(LUFactor.self), 1, "\(g.graph)")
        XCTAssertEqual(g.graph.count(Determinant.self) + g.graph.count(MatrixInverse.self), 0, "\(g.graph)")
        let plainG = try function([m], [det(m), inv(m)], mode: unrewritten("det_share_lu")).call([mv])
        for (got, want) in zip(try g.call([mv]), plainG) { assertClose(got, want, rtol: 1e-10, atol: 1e-12) }
        // A lone determinant keeps its own op (one factorisation either way).
        XCTAssertEqual(try function([m], [det(m)]).graph.count(Determinant.self), 1)
    }

    func testSolveAndItsGradientShareOneFactorization() throws {
        let m = Tensor.matrix("m", .float64), r = Tensor.matrix("r", .float64)
        let cost = try solve(m, r).sum()
        let outputs = [cost] + (try grad(cost, wrt: [m, r]))
        let f = try function([m, r], outputs)
        XCTAssertEqual(f.graph.count(LUFactor.self), 1, "\(f.graph)")
        XCTAssertEqual(f.graph.count(Solve.self), 0, "\(f.graph)")
        let got = try f.call([a, b])
        let plain = try function([m, r], outputs, mode: unrewritten("solve_share_lu")).call([a, b])
        for (x, y) in zip(got, plain) { assertClose(x, y, rtol: 1e-10, atol: 1e-12) }
    }

    func testPositiveDefiniteSolveAndItsGradientShareOneCholeskyFactor() throws {
        let m = Tensor.matrix("m", .float64), r = Tensor.matrix("r", .float64)
        let cost = try solve(m, r, assume: .positiveDefinite).sum()
        let outputs = [cost] + (try grad(cost, wrt: [m, r]))
        let f = try function([m, r], outputs)
        XCTAssertEqual(f.graph.count(Cholesky.self), 1, "\(f.graph)")
        XCTAssertEqual(f.graph.count(Solve.self), 0, "\(f.graph)")
        let got = try f.call([a, b])
        let plain = try function([m, r], outputs, mode: unrewritten("solve_pd_to_cholesky")).call([a, b])
        for (x, y) in zip(got, plain) { assertClose(x, y, rtol: 1e-10, atol: 1e-12) }
        // A lone solve keeps LAPACK's one-call positive-definite solve.
        let single = try function([m, r], [solve(m, r, assume: .positiveDefinite)])
        XCTAssertEqual(single.graph.count(Solve.self), 1, "\(single.graph)")
        assertClose(try NDArray.matmul(a, try single.call([a, b])[0]), b, rtol: 1e-12, atol: 1e-12)
    }

    func testGaussianLogDensityFactorsTheMatrixOnce() throws {
        // -0.5 * (r^T A^-1 r) - sum(log(diag(L))): the solve reuses the factor the log-determinant took.
        let m = Tensor.matrix("m", .float64), v = Tensor.vector("v", .float64)
        let l = try cholesky(m)
        let density = try -0.5 * (v * solve(m, v, assume: .positiveDefinite)).sum() - log(diagonal(l)).sum()
        let f = try function([m, v], [density])
        XCTAssertEqual(f.graph.count(Cholesky.self), 1, "\(f.graph)")
        let vv = NDArray([1.0, -1, 0.5])
        let value = try f.call([a, vv])[0].item(Double.self)
        let plain = try function([m, v], [density], mode: unrewritten("solve_pd_to_cholesky")).call([a, vv])[0].item(Double.self)
        XCTAssertEqual(value, plain, accuracy: 1e-12)
    }

    func testUnbatchedBlockwiseRunsItsCoreOpOnce() throws {
        let x = Tensor.vector("x", .float64), y = Tensor.vector("y", .float64)
        let f = try function([x, y], [blockwise(Outer(), coreRanks: [1, 1], [x, y])[0]])
        XCTAssertEqual(f.graph.count(Blockwise.self), 0, "\(f.graph)")
        let xv = NDArray([1.0, 2]), yv = NDArray([3.0, -1, 0.5])
        assertValues(try f.call([xv, yv])[0], [3, -1, 0.5, 6, -2, 1], shape: [2, 3])
        // Batch axes of static size 1 go, and come back on the output.
        let xb = Tensor.variable("xb", .float64, shape: [1, 1, nil])
        let g = try function([xb, y], [blockwise(Outer(), coreRanks: [1, 1], [xb, y])[0]])
        XCTAssertEqual(g.graph.count(Blockwise.self), 0, "\(g.graph)")
        let got = try g.call([try NDArray([1.0, 2], shape: [1, 1, 2]), yv])[0]
        assertValues(got, [3, -1, 0.5, 6, -2, 1], shape: [1, 1, 2, 3])
        // A real batch keeps the Blockwise (of a core op that does not batch by itself).
        let xs = Tensor.matrix("xs", .float64)
        let h = try function([xs, y], [blockwise(TensorDot(axesA: [0], axesB: [0]), coreRanks: [1, 1], [xs, y])[0]])
        XCTAssertEqual(h.graph.count(Blockwise.self), 1, "\(h.graph)")
    }
}
