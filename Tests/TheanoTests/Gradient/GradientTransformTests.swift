import Theano
import XCTest

final class GradientTransformTests: BackendTestCase {
    func testJacobianOfAKnownFunction() throws {
        // f(x) = [x0 * x1, sin(x0), x1^2]; J = [[x1, x0], [cos x0, 0], [0, 2 x1]]
        let x = Tensor.vector("x", .float64, size: 2)
        let f = try stack([x[0] * x[1], sin(x[0]), x[1] * x[1]], axis: 0)
        let j = try jacobian(f, wrt: x)
        XCTAssertEqual(j.staticShape, [3, 2])
        let v = [0.5, -1.5]
        assertValues(try j.eval([x: NDArray(v)]), [v[1], v[0], Foundation.cos(v[0]), 0, 0, 2 * v[1]], shape: [3, 2])
    }

    func testHessianOfAQuadraticFormIsASymmetrisedMatrix() throws {
        let a = try NDArray([1.0, 2, 3, 4, 5, 6, 7, 8, 10], shape: [3, 3])
        let x = Tensor.vector("x", .float64, size: 3)
        let cost = try x.dot(Tensor.constant(a).dot(x))
        let h = try hessian(cost, wrt: x)
        let value = try h.eval([x: NDArray([0.3, -0.2, 1.1])])
        let expected = zip(a.doubles, try a.transposed().doubles).map { $0 + $1 }
        assertValues(value, expected, shape: [3, 3])
    }

    func testRopEqualsJacobianTimesVector() throws {
        let x = Tensor.vector("x", .float64, size: 3)
        let f = try exp(x) * x.sum()
        let v = Tensor.vector("v", .float64, size: 3)
        let jv = try rop([f], wrt: [x], vectors: [v])[0]
        let j = try jacobian(f, wrt: x)
        let direct = try j.dot(v)
        let fn = try function([x, v], [jv, direct])
        let out = try fn(NDArray([0.1, 0.2, -0.3]), NDArray([1.0, -2.0, 0.5]))
        assertClose(out[0], out[1])
    }

    func testLopEqualsVectorTimesJacobian() throws {
        let x = Tensor.vector("x", .float64, size: 3)
        let f = try tanh(x) * x[0]
        let u = Tensor.vector("u", .float64, size: 3)
        let uj = try lop([f], wrt: [x], vectors: [u])[0]
        let direct = try u.dot(jacobian(f, wrt: x))
        let fn = try function([x, u], [uj, direct])
        let out = try fn(NDArray([0.4, -0.2, 0.9]), NDArray([2.0, 1.0, -1.0]))
        assertClose(out[0], out[1])
    }

    func testJacobianOfARunTimeSize() throws {
        // Sizes known only at run time are fine (see RuntimeJacobianTests).
        let x = Tensor.vector("x", .float64)
        let j = try jacobian(x * 2, wrt: x)
        XCTAssertEqual(j.staticShape, [nil, nil])
        assertValues(try j.eval([x: NDArray([1.0, 2.0])]), [2, 0, 0, 2], shape: [2, 2])
    }

    func testCompositeExpressions() throws {
        // logsumexp, a norm, and a small MLP-like expression.
        try verifyGrad({ try logsumexp($0[0], axis: 1) }, at: [try NDArray.randomNormal([3, 4], seed: 1, .float64)])
        try verifyGrad({ try sqrt(sum($0[0] * $0[0])) }, at: [try NDArray.randomNormal([5], seed: 2, .float64)])
        try verifyGrad({ args in
            let h = try tanh(args[0].matmul(args[1]))
            return try mean(h * h)
        }, at: [try NDArray.randomNormal([4, 3], seed: 3, .float64), try NDArray.randomNormal([3, 2], seed: 4, .float64)])
    }
}

import Foundation
