import Foundation
import Theano
import XCTest

/// `jacobian` and `hessian` of expressions whose size is known only at run time (or is large):
/// the `JacobianOp` path, checked against closed forms and central differences.
final class RuntimeJacobianTests: BackendTestCase {
    /// Central differences of `f` (one float64 input, one output) at `x`: rows are outputs.
    private func numericJacobian(_ f: Function, at x: [Double], eps: Double = 1e-6) throws -> [[Double]] {
        var columns: [[Double]] = []
        for j in x.indices {
            var plus = x, minus = x
            plus[j] += eps
            minus[j] -= eps
            let a = try f(plus)[0].doubles, b = try f(minus)[0].doubles
            columns.append(zip(a, b).map { ($0 - $1) / (2 * eps) })
        }
        let m = columns.first?.count ?? 0
        return (0..<m).map { i in columns.map { $0[i] } }
    }

    private func assertMatchesDifferences(_ y: Tensor, _ x: Tensor, at point: [Double], file: StaticString = #filePath, line: UInt = #line) throws {
        let j = try jacobian(y, wrt: x)
        let computed = try function([x], [j])(point)[0]
        let expected = try numericJacobian(try function([x], [y]), at: point)
        XCTAssertEqual(computed.shape, [expected.count, point.count], file: file, line: line)
        assertValues(computed, expected.flatMap { $0 }, rtol: 1e-5, atol: 1e-6, file: file, line: line)
    }

    func testLinearAndElementwiseExpressions() throws {
        let x = Tensor.vector("x", .float64)
        let j = try jacobian(x * 2, wrt: x)
        XCTAssertEqual(j.staticShape, [nil, nil])
        assertValues(try function([x], [j])([1, 2, 3])[0], [2, 0, 0, 0, 2, 0, 0, 0, 2], shape: [3, 3])
        // exp(x) * sum(x): J = diag(exp(x)) sum(x) + exp(x) 1^T.
        let v = [0.3, -0.5, 1.2, 0.0]
        let out = try function([x], [try jacobian(exp(x) * x.sum(), wrt: x)])(v)[0]
        let s = v.reduce(0, +)
        var expected: [Double] = []
        for i in v.indices {
            for k in v.indices { expected.append(Foundation.exp(v[i]) * ((i == k ? s : 0) + 1)) }
        }
        assertValues(out, expected, shape: [4, 4])
        try assertMatchesDifferences(try sin(x) * x[0] + x * x, x, at: [0.1, 0.7, -1.3])
        try assertMatchesDifferences(try cumulativeLike(x), x, at: [0.4, -0.2, 0.9, 1.5, -0.6])
    }

    /// A non-elementwise expression: x / |x| plus a shifted product.
    private func cumulativeLike(_ x: Tensor) throws -> Tensor {
        try x / sqrt((x * x).sum()) + x * x.max()
    }

    func testSoftmaxJacobian() throws {
        let x = Tensor.vector("x", .float64)
        let j = try jacobian(softmax(x), wrt: x)
        let v = [0.5, -1.0, 2.0]
        let out = try function([x], [j])(v)[0]
        let e = v.map { Foundation.exp($0) }, total = e.reduce(0, +)
        let s = e.map { $0 / total }
        var expected: [Double] = []
        for i in s.indices {
            for k in s.indices { expected.append((i == k ? s[i] : 0) - s[i] * s[k]) }
        }
        assertValues(out, expected, shape: [3, 3])
    }

    func testMatrixExpressionsAndOtherVariables() throws {
        // y = tanh(W x): dy/dx = diag(1 - y^2) W, dy/dW[i, j, k] = (1 - y_i^2) delta_ij x_k.
        let w = Tensor.matrix("W", .float64)
        let x = Tensor.vector("x", .float64)
        let y = try tanh(w.matmul(x))
        let f = try function([w, x], [try jacobian(y, wrt: x), try jacobian(y, wrt: w), y])
        let wv: [[Double]] = [[0.2, -0.4, 0.1], [0.5, 0.3, -0.2]]
        let xv = [1.0, -0.5, 2.0]
        let out = try f(wv, xv)
        let yv = out[2].doubles
        var dx: [Double] = [], dw: [Double] = []
        for i in 0..<2 {
            let slope: Double = 1 - yv[i] * yv[i]
            for k in 0..<3 { dx.append(slope * wv[i][k]) }
            for r in 0..<2 {
                for k in 0..<3 { dw.append(i == r ? slope * xv[k] : 0) }
            }
        }
        XCTAssertEqual(out[0].shape, [2, 3])
        assertValues(out[0], dx)
        XCTAssertEqual(out[1].shape, [2, 2, 3])
        assertValues(out[1], dw)
        // A rank-2 expression of a shared variable.
        let s = Shared(NDArray([1.0, 2.0]), name: "s")
        let z = Tensor.matrix("z", .float64)
        let js = try jacobian(z * s * s, wrt: s)
        let value = try function([z], [js])([[1, 2], [3, 4]])[0]
        XCTAssertEqual(value.shape, [2, 2, 2])
        // d (z[i, k] s_k^2) / d s_m = 2 z[i, k] s_k delta_km
        let zs: [[Double]] = [[1, 2], [3, 4]], sv = [1.0, 2.0]
        var expected: [Double] = []
        for i in 0..<2 {
            for k in 0..<2 {
                for m in 0..<2 { expected.append(k == m ? 2 * zs[i][k] * sv[k] : 0) }
            }
        }
        assertValues(value, expected)
    }

    func testHessianOfRunTimeSizes() throws {
        let x = Tensor.vector("x", .float64)
        let h = try hessian((x * x * x).sum(), wrt: x)
        XCTAssertEqual(h.staticShape, [nil, nil])
        assertValues(try function([x], [h])([1, -2, 0.5])[0], [6, 0, 0, 0, -12, 0, 0, 0, 3])
        // x^T A x: A + A^T.
        let a = Tensor.matrix("A", .float64)
        let q = try hessian(x.dot(a.matmul(x)), wrt: x)
        let av: [[Double]] = [[1, 2], [3, 5]]
        assertValues(try function([x, a], [q])([0.3, -0.7], av)[0], [2, 5, 5, 10])
        // log-sum-exp: diag(p) - p p^T.
        let l = try hessian(logsumexp(x, axis: 0), wrt: x)
        let v = [0.1, 0.4]
        let e = v.map { Foundation.exp($0) }, p = e.map { $0 / e.reduce(0, +) }
        assertValues(try function([x], [l])(v)[0], [p[0] - p[0] * p[0], -p[0] * p[1], -p[0] * p[1], p[1] - p[1] * p[1]])
    }

    func testWhichImplementation() throws {
        // Static and small: rows unrolled into the graph. Otherwise one Jacobian node.
        let small = Tensor.vector("small", .float64, size: 4)
        let f = try function([small], [try jacobian(exp(small), wrt: small)], mode: .fastRun)
        XCTAssertEqual(f.graph.count("Jacobian"), 0, "\(f.graph)")
        let large = Tensor.vector("large", .float64, size: 20)
        let g = try function([large], [try jacobian(exp(large), wrt: large)], mode: .fastRun)
        XCTAssertEqual(g.graph.count(JacobianOp.self), 1, "\(g.graph)")
        let values = (0..<20).map { Double($0) / 10 }
        let out = try g(values)[0]
        var expected: [Double] = []
        for i in 0..<20 {
            for k in 0..<20 { expected.append(i == k ? Foundation.exp(values[i]) : 0) }
        }
        assertValues(out, expected)
        if backendName == "cpu" {
            let entry = try XCTUnwrap(g.kernelReport.entries.first { $0.op == "Jacobian" })
            XCTAssertEqual(entry.implementation, "nested program")
            XCTAssertEqual(entry.nested.count, 1)
        }
        // The exp is computed once, outside the per-row graph, which only scales the
        // cotangent.
        let op = try XCTUnwrap(g.graph.nodes(of: JacobianOp.self).first?.op as? JacobianOp)
        let inner = op.innerGraphs[0]
        let innerOps = toposort(outputs: inner.outputs, stoppingAt: Set(inner.inputs)).map { "\($0.op)" }
        XCTAssertFalse(innerOps.contains { $0.contains("exp") }, "\(innerOps)")
        XCTAssertTrue(g.graph.nodes.contains { $0.name.contains("exp") }, "\(g.graph)")
    }

    func testEmptyAndDisconnected() throws {
        let x = Tensor.vector("x", .float64)
        let j = try jacobian(x * 3, wrt: x)
        let out = try function([x], [j])([Double]())[0]
        XCTAssertEqual(out.shape, [0, 0])
        let w = Tensor.vector("w", .float64)
        let d = try jacobian(x * 3, wrt: w, disconnected: .zero)
        let zeros = try function([x, w], [d])([1, 2], [5, 6, 7])[0]
        assertValues(zeros, Array(repeating: 0, count: 6), shape: [2, 3])
        assertThrows(.notDifferentiable, containing: ["disconnected"]) { try jacobian(x * 3, wrt: w) }
    }

    func testDifferentiatingAgainIsAClearError() throws {
        let x = Tensor.vector("x", .float64)
        let j = try jacobian(exp(x), wrt: x)
        assertThrows(.notDifferentiable, containing: ["Jacobian", "static size", "specifyShape"]) {
            try grad(j.sum(), wrt: x)
        }
    }
}
