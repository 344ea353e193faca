import Theano
import XCTest

final class GradEngineTests: BackendTestCase {
    func testGradientOfASimpleExpression() throws {
        let x = Tensor.vector("x", .float64)
        let cost = try sum(x * x * 3)
        let g = try grad(cost, wrt: x)
        assertValues(try g.eval([x: NDArray([1.0, -2.0, 0.5])]), [6, -12, 3])
    }

    func testContributionsOfEveryPathAreSummed() throws {
        let x = Tensor.scalar("x", .float64)
        let y = try exp(x)
        let cost = try y * y + y + x
        // d/dx = 2 e^{2x} + e^x + 1
        let g = try grad(cost, wrt: x)
        let v = 0.3
        assertValues(try g.eval([x: NDArray(scalar: v)]), [2 * Foundation.exp(2 * v) + Foundation.exp(v) + 1])
    }

    func testGradientWithRespectToSharedVariablesAndIntermediates() throws {
        let w = Shared(NDArray([1.0, 2.0]), name: "w")
        let x = Tensor.vector("x", .float64)
        let h = try (w * x).named("h")
        let cost = try sum(h * h)
        let gs = try grad(cost, wrt: [w, h])
        let f = try function([x], gs)
        let out = try f(NDArray([3.0, 4.0]))
        assertValues(out[0], [2 * 3 * 3, 2 * 8 * 4])  // 2 h x
        assertValues(out[1], [6, 16])                  // 2 h
    }

    func testBroadcastInputsGetSummedGradients() throws {
        let m = Tensor.matrix("m", .float64)
        let b = Tensor.variable("b", .float64, shape: [1, 3])
        let s = Tensor.scalar("s", .float64)
        let cost = try sum((m + b) * s)
        let gs = try grad(cost, wrt: [b, s])
        let f = try function([m, b, s], gs)
        let mv = try NDArray([1.0, 2, 3, 4, 5, 6], shape: [2, 3])
        let out = try f(mv, try NDArray([1.0, 1, 1], shape: [1, 3]), NDArray(scalar: 2.0))
        XCTAssertEqual(out[0].shape, [1, 3])
        assertValues(out[0], [4, 4, 4])
        assertValues(out[1], [21 + 6])
    }

    func testDisconnectedInputsRaiseByDefaultOrGiveZeros() throws {
        let x = Tensor.vector("x", .float64)
        let y = Tensor.vector("y", .float64)
        let cost = try sum(x * 2)
        assertThrows(.notDifferentiable, containing: ["does not depend on", "y"]) {
            try grad(cost, wrt: y)
        }
        let gy = try grad(cost, wrt: [y], disconnected: .zero)[0]
        assertValues(try gy.eval([y: NDArray([1.0, 2.0])]), [0, 0])
    }

    func testIntegerInputsGetZerosOrAreDisconnected() throws {
        let x = Tensor.vector("x", .float64)
        let k = Tensor.vector("k", .int32)
        let cost = try sum(x * k)
        let gk = try grad(cost, wrt: [k])[0]
        XCTAssertEqual(gk.dtype, .float64)
        assertValues(try gk.eval([k: NDArray([1, 2] as [Int32])]), [0, 0])
        assertThrows(.notDifferentiable, containing: ["k"]) {
            try grad(cost, wrt: [k], integers: .disconnected)
        }
    }

    func testStopGradientStopsIt() throws {
        let x = Tensor.scalar("x", .float64)
        let cost = try x * stopGradient(x * 3)
        // d/dx [x * c] with c = 3x held constant is c = 3x.
        assertValues(try grad(cost, wrt: x).eval([x: NDArray(scalar: 2.0)]), [6])
        // considerConstant: x reaches the cost only through the blocked variable.
        let blocked = try x * x
        assertThrows(.notDifferentiable, containing: ["does not depend on"]) {
            try grad(blocked * 1, wrt: [x], considerConstant: [blocked])
        }
        let partly = try grad(blocked * x, wrt: [x], considerConstant: [blocked])[0]
        assertValues(try partly.eval([x: NDArray(scalar: 3.0)]), [9])
    }

    func testKnownGradsStartTheBackwardPass() throws {
        let x = Tensor.vector("x", .float64)
        let y = try x * x
        let v = Tensor.vector("v", .float64)
        let g = try grad(nil, wrt: [x], knownGrads: [y: v])[0]
        let f = try function([x, v], [g])
        assertValues(try f(NDArray([1.0, 2.0]), NDArray([10.0, 100.0]))[0], [20, 400])
    }

    func testCostMustBeAFloatScalar() throws {
        let x = Tensor.vector("x", .float64)
        assertThrows(.invalidArgument, containing: ["scalar", "sum()"]) { try grad(x * 2, wrt: x) }
        let k = Tensor.scalar("k", .int32)
        assertThrows(.typeMismatch, containing: ["floating-point"]) { try grad(k * 2, wrt: k) }
    }

    func testNonDifferentiableOpThrowsNamingIt() throws {
        let x = Tensor.vector("x", .float64)
        let cost = try sum(argmax(x) * x)
        // argmax is disconnected (integer output), so only the direct path counts.
        XCTAssertNoThrow(try grad(cost, wrt: x))
    }

    func testVerifyGradReportsTheWorstElement() throws {
        try verifyGrad({ try exp($0[0]) * sin($0[1]) }, at: [NDArray([0.1, 0.2]), NDArray([0.3, 0.4])])
        // A deliberately wrong gradient: stopGradient hides part of the function.
        XCTAssertThrowsError(try verifyGrad({ try $0[0] * stopGradient($0[0]) }, at: [NDArray([1.0, 2.0])])) { error in
            guard let mismatch = error as? GradientMismatch else { return XCTFail("\(error)") }
            XCTAssertEqual(mismatch.input, 0)
            XCTAssertTrue(mismatch.description.contains("finite differences"))
        }
    }
}

import Foundation
