import Theano
import XCTest

/// `verifyGrad` (central differences in float64) for every differentiable linear-algebra op,
/// on well-conditioned matrices (symmetric positive-definite ones where the op needs them).
/// Ops that read one triangle of their input are checked element by element, so their
/// gradients must be the folded (one-triangle) ones. A last test compiles the gradients on
/// the backend under test and compares them with the reference evaluation.
final class LapackGradientTests: BackendTestCase {
    var data = TestData(seed: 1515)

    /// A random `n x n` matrix plus `n` on the diagonal: well conditioned.
    func wellConditioned(_ n: Int, batch: [Int] = []) throws -> NDArray {
        let a = data.array(batch + [n, n], low: -1, high: 1)
        let eye = try NDArray.eye(n, n, .float64).broadcast(to: batch + [n, n])
        return try NDArray(zip(a.doubles, eye.doubles).map { $0 + Double(n) * $1 }, shape: batch + [n, n])
    }

    /// A random symmetric positive-definite `n x n` matrix: `B B^T + n I`.
    func positiveDefinite(_ n: Int, batch: [Int] = []) throws -> NDArray {
        let b = data.array(batch + [n, n], low: -1, high: 1)
        let x = Tensor.variable("b", .float64, shape: b.shape.map { $0 })
        let spd = try matmul(x, x.transpose(axes: Array(0..<batch.count) + [batch.count + 1, batch.count]))
        let value = try evaluate(spd, [x], [b])
        let eye = try NDArray.eye(n, n, .float64).broadcast(to: batch + [n, n])
        return try NDArray(zip(value.doubles, eye.doubles).map { $0 + Double(n) * $1 }, shape: batch + [n, n])
    }

    /// A random symmetric matrix with well-separated eigenvalues (`Q diag(1, 3, 5, ...) Q^T`
    /// plus a small symmetric perturbation).
    func separatedSymmetric(_ n: Int) throws -> NDArray {
        let p = data.array([n, n], low: -0.3, high: 0.3)
        var values = [Double](repeating: 0, count: n * n)
        for i in 0..<n {
            for j in 0..<n { values[i * n + j] = (p.doubles[i * n + j] + p.doubles[j * n + i]) / 2 }
            values[i * n + i] += Double(2 * i + 1)
        }
        return try NDArray(values, shape: [n, n])
    }

    func check(_ f: @escaping ([Tensor]) throws -> Tensor, _ points: [NDArray], file: StaticString = #filePath, line: UInt = #line) {
        do {
            try verifyGrad(f, at: points, absoluteTolerance: 1e-6, relativeTolerance: 1e-5)
        } catch {
            XCTFail("\(error)", file: file, line: line)
        }
    }

    func testInverseDeterminantSlogdet() throws {
        let a = try wellConditioned(3)
        check({ try inv($0[0]) }, [a])
        check({ try det($0[0]) }, [a])
        check({ try slogdet($0[0]).logAbsDet }, [a])
        // A negative determinant: log|det| still differentiates to inv(A)^T.
        let flipped = try NDArray(a.doubles.enumerated().map { $0.offset < 3 ? -$0.element : $0.element }, shape: [3, 3])
        check({ try slogdet($0[0]).logAbsDet }, [flipped])
        check({ x in let (s, l) = try slogdet(x[0]); return try s * exp(l) }, [flipped])
        check({ try inv($0[0]) }, [try wellConditioned(2, batch: [2, 2])])
        check({ try det($0[0]) }, [try wellConditioned(3, batch: [2])])
    }

    func testSolve() throws {
        let a = try wellConditioned(3)
        check({ try solve($0[0], $0[1]) }, [a, data.array([3])])
        check({ try solve($0[0], $0[1]) }, [a, data.array([3, 2])])
        // Batch axes that broadcast: A is [2, 3, 3], b one [3, 2] matrix for all.
        check({ try solve($0[0], $0[1]) }, [try wellConditioned(3, batch: [2]), data.array([3, 2])])
        check({ try solve($0[0], $0[1]) }, [a, data.array([2, 3, 1])])
        let spd = try positiveDefinite(3)
        check({ try solve($0[0], $0[1], assume: .symmetric) }, [spd, data.array([3, 2])])
        check({ try solve($0[0], $0[1], assume: .positiveDefinite) }, [spd, data.array([3])])
        check({ try solve($0[0], $0[1], assume: .symmetric, lower: false) }, [spd, data.array([3])])
        check({ try solve($0[0], $0[1], assume: .positiveDefinite, lower: false) }, [spd, data.array([3, 2])])
    }

    func testTriangularSolvesAndCholesky() throws {
        let a = try wellConditioned(3)
        check({ try solveTriangular($0[0], $0[1], lower: true) }, [a, data.array([3, 2])])
        check({ try solveTriangular($0[0], $0[1], lower: false) }, [a, data.array([3])])
        check({ try solveTriangular($0[0], $0[1], lower: true, unitDiagonal: true) }, [a, data.array([3, 2])])
        let spd = try positiveDefinite(3)
        check({ try cholesky($0[0]) }, [spd])
        check({ try cholesky($0[0], lower: false) }, [spd])
        check({ try cholesky($0[0]) }, [try positiveDefinite(2, batch: [2])])
        let symbolic = Tensor.matrix("s", .float64)
        let l = try evaluate(try cholesky(symbolic), [symbolic], [spd])
        check({ try choSolve($0[0], $0[1]) }, [l, data.array([3, 2])])
        check({ try choSolve($0[0], $0[1], lower: false) }, [l.T.copy(), data.array([3])])
        // Through the factor: the gradient of a solve with cholesky(S) with respect to S.
        check({ try choSolve(cholesky($0[0]), $0[1]) }, [spd, data.array([3])])
    }

    func testEigh() throws {
        let s = try separatedSymmetric(4)
        check({ try eigh($0[0]).values }, [s])
        check({ try eigh($0[0]).vectors }, [s])
        check({ try eigh($0[0], lower: false).vectors }, [s])
        check({ x in let (w, v) = try eigh(x[0]); return try sum(w) + sum(v * v * v) }, [s])
        check({ try eigvalsh($0[0]) }, [s])
        check({ try eigvalsh($0[0], lower: false) }, [s])
    }

    func testComposedFunctions() throws {
        let a = try wellConditioned(3)
        check({ try trace($0[0]) }, [a])
        check({ try trace($0[0]) }, [data.array([2, 3, 3])])
        check({ try trace($0[0], offset: 1) }, [data.array([2, 3, 4])])
        check({ try trace($0[0], offset: -2) }, [data.array([4, 3])])
        check({ try kron($0[0], $0[1]) }, [data.array([2, 3]), data.array([2, 2])])
        check({ try matrixPower($0[0], 3) }, [a])
        check({ try matrixPower($0[0], -2) }, [a])
    }

    func testDecompositions() throws {
        let tall = data.array([4, 3])
        check({ try svdvals($0[0]) }, [tall])
        check({ try svd($0[0], fullMatrices: false).u }, [tall])
        check({ try svd($0[0], fullMatrices: false).vt }, [tall])
        check({ x in let (u, s, vt) = try svd(x[0], fullMatrices: false); return try sum(u) * sum(s) + sum(vt * vt * vt) }, [data.array([3, 4])])
        check({ try svd($0[0]).s }, [tall])
        check({ try qr($0[0]).q }, [tall])
        check({ try qr($0[0]).r }, [tall])
        check({ try qrR($0[0]) }, [try wellConditioned(3)])
        check({ try qr($0[0], complete: true).q }, [try wellConditioned(3)])
        check({ try pinv($0[0]) }, [tall])
        check({ try pinv($0[0]) }, [data.array([2, 2, 3])])
        check({ try lstsq($0[0], $0[1]) }, [tall, data.array([4])])
        check({ try expm($0[0]) }, [data.array([3, 3], low: -1, high: 1)])
        check({ try expm($0[0]) }, [data.array([2, 2, 2], low: -2, high: 2)])
        let a = try wellConditioned(3)
        check({ x in let (lu, p) = try luFactor(x[0]); return try luSolve(lu, p, x[1]) }, [a, data.array([3, 2])])
        check({ x in let (lu, p) = try luFactor(x[0]); return try luSolve(lu, p, x[1], transposed: true) }, [a, data.array([3])])
        check({ try luFactor($0[0]).lu }, [a])
        check({ x in let (p, l, u) = try lu(x[0]); return try matmul(p, l) + u }, [a])
    }

    func testNorms() throws {
        let x = data.array([2, 4])
        for ord in [2.0, 1, 3, .infinity, -.infinity] {
            check({ try vectorNorm($0[0], ord: ord) }, [x])
            check({ try vectorNorm($0[0], ord: ord, axis: 1, keepdims: true) }, [x])
        }
        check({ try norm($0[0]) }, [data.array([2, 3, 2])])
        check({ try norm($0[0], ord: .nuclear, axes: [2, 0], keepdims: true) }, [data.array([2, 3, 2])])
        let m = data.array([2, 4, 3])
        for ord in [MatrixNormOrder.frobenius, .nuclear, .one, .minusOne, .two, .minusTwo, .infinity, .minusInfinity] {
            check({ try matrixNorm($0[0], ord: ord) }, [m])
        }
    }

    /// Gradients are graphs of differentiable ops, so they differentiate again.
    func testSecondOrder() throws {
        let a = try wellConditioned(3), spd = try positiveDefinite(3)
        check({ x in try grad(sum(slogdet(x[0]).logAbsDet), wrt: x[0]) }, [a])
        check({ x in try grad(sum(inv(x[0]) * inv(x[0])), wrt: x[0]) }, [a])
        check({ x in try grad(sum(solve(x[0], x[1]) * x[1]), wrt: x[0]) }, [a, data.array([3])])
        check({ x in try grad(sum(cholesky(x[0]) * cholesky(x[0])), wrt: x[0]) }, [spd])
        check({ x in try grad(sum(eigvalsh(x[0]) * eigvalsh(x[0])), wrt: x[0]) }, [try separatedSymmetric(3)])
        check({ x in try grad(sum(svdvals(x[0])), wrt: x[0]) }, [data.array([3, 2])])
    }

    /// The gradients compiled on this backend equal the reference evaluation.
    func testCompiledGradientsMatchReference() throws {
        let a = Tensor.variable("a", .float64, shape: [nil, 3, 3]), b = Tensor.matrix("b", .float64)
        let x = try solve(a, b)
        let (_, logdet) = try slogdet(a)
        let cost = try sum(x * x) + sum(logdet) + sum(cholesky(matmul(a, a.transpose(axes: [0, 2, 1]))))
        let grads = try grad(cost, wrt: [a, b])
        let (ga, gb) = (grads[0], grads[1])
        let values = [try wellConditioned(3, batch: [2]), data.array([3, 2])]
        let compiled = try function([a, b], [ga, gb]).call(values)
        let reference = try evaluateGraph(inputs: [a.variable, b.variable], outputs: [ga.variable, gb.variable], values: values)
        assertClose(compiled[0], reference[0], rtol: 1e-10, atol: 1e-12)
        assertClose(compiled[1], reference[1], rtol: 1e-10, atol: 1e-12)
    }
}
