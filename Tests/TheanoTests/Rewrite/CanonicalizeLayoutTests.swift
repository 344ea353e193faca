import Theano
import XCTest

/// Canonicalisation of casts, layout ops (transposes, reshapes, broadcasts) and fills.
final class CanonicalizeLayoutTests: BackendTestCase {
    var data = TestData(seed: 12)
    let x = Tensor.matrix("x", .float64)

    // MARK: Casts

    func testCastToOwnDTypeDisappears() throws {
        let same = try Elemwise(.cast(.float64)).apply([x])
        try checkRule("useless_cast", [x], try exp(same), expected: "exp(x)", values: [data.array([2, 3])])
    }

    func testLosslessCastChainsCollapse() throws {
        let f = Tensor.vector("f", .float32)
        try checkRule("cast_chain", [f], try exp(cast(cast(f, .float64), .float32)), expected: "exp(f)",
                      values: [data.array([4], .float32)])
        let i = Tensor.vector("i", .int8)
        try checkRule("cast_chain", [i], try cast(cast(i, .int32), .float32), expected: "cast{float32}(i)",
                      values: [NDArray([-128, -1, 0, 127] as [Int8])])
        let b = Tensor.vector("b", .bool)
        try checkRule("cast_chain", [b], try cast(cast(b, .uint8), .float64), expected: "cast{float64}(b)",
                      values: [NDArray([true, false])])
    }

    func testLossyCastChainsStay() throws {
        // float64 -> float32 rounds: the chain must stay.
        try checkRuleDeclines("cast_chain", [x], try cast(cast(x, .float32), .float64), values: [data.array([2, 2])])
        // int16 -> int8 wraps.
        let s = Tensor.vector("s", .int16)
        try checkRuleDeclines("cast_chain", [s], try cast(cast(s, .int8), .int32), values: [NDArray([300, -129, 5] as [Int16])])
    }

    // MARK: Transposes and dimshuffles

    func testIdentityDimShuffleDisappears() throws {
        let identity = try DimShuffle(inputRank: 2, order: [0, 1]).apply([x])
        try checkRule("useless_dimshuffle", [x], try exp(identity), expected: "exp(x)", values: [data.array([2, 3])])
    }

    func testDimShuffleChainsBecomeOne() throws {
        try checkRule("dimshuffle_chain", [x], try exp(transpose(transpose(x))), expected: "exp(x)", values: [data.array([2, 3])])
        let v = Tensor.vector("v", .float64)
        let row = try dimshuffle(v, [DimShuffle.newAxis, 0])
        try checkRule("dimshuffle_chain", [v], try transpose(row), expected: "DimShuffle{0,x}(v)", values: [data.array([3])])
        let t = Tensor.tensor3("t", .float64)
        try checkRule("dimshuffle_chain", [t], try transpose(transpose(t, axes: [1, 2, 0]), axes: [1, 2, 0]),
                      expected: "DimShuffle{2,0,1}(t)", values: [data.array([2, 3, 4])])
    }

    func testTransposesMoveBelowElementwiseOps() throws {
        try checkRule("lift_dimshuffle", [x], try transpose(exp(x)), expected: "exp(DimShuffle{1,0}(x))", values: [data.array([2, 3])])
        // ... where they meet and cancel.
        let out = try checkRule("lift_dimshuffle", [x], try transpose(exp(transpose(x))), expected: "exp(x)", values: [data.array([2, 3])])
        XCTAssertTrue(out.trace.appliedRewrites.contains("dimshuffle_chain"))
        // Constant operands are transposed at compile time.
        let s = Tensor.matrix("s", .float64, shape: [2, 3])
        let c = Tensor.constant(try NDArray([1.0, 2, 3, 4, 5, 6], shape: [2, 3]))
        let lifted = try checkRule("lift_dimshuffle", [s], try transpose(s + c), expected: "add(DimShuffle{1,0}(s), Constant{float64[3, 2]})",
                                   values: [data.array([2, 3])])
        XCTAssertEqual(lifted.graph.outputs[0].owner?.inputs[1].constantValue, try NDArray([1.0, 4, 2, 5, 3, 6], shape: [3, 2]))
    }

    func testTransposeLiftingDeclinesForSharedNodes() throws {
        let e = try exp(x)
        try checkRuleDeclines("lift_dimshuffle", [x], try transpose(e) * 2 + sum(e), values: [data.array([2, 2])])
    }

    func testBroadcastOperandsSurviveLifting() throws {
        // transpose(x + v) with v broadcast along rows.
        let v = Tensor.vector("v", .float64)
        try checkRule("lift_dimshuffle", [x, v], try transpose(x + v), expected: "add(DimShuffle{1,0}(x), DimShuffle{0,x}(v))",
                      values: [data.array([2, 3]), data.array([3])])
    }

    // MARK: Reshapes

    func testReshapeToTheSameShapeDisappears() throws {
        let s = Tensor.matrix("s", .float64, shape: [2, 3])
        try checkRule("useless_reshape", [s], try exp(reshape(s, [2, 3])), expected: "exp(s)", values: [data.array([2, 3])])
        let r = Tensor.matrix("r", .float64, shape: [nil, 3])
        try checkRule("useless_reshape", [r], try exp(reshape(r, [-1, 3])), expected: "exp(r)", values: [data.array([4, 3])])
        try checkRule("useless_reshape", [x], try exp(reshape(x, x.shapeList())), expected: "exp(x)", values: [data.array([4, 3])])
    }

    func testRealReshapesStay() throws {
        let r = Tensor.matrix("r", .float64, shape: [nil, 3])
        try checkRuleDeclines("useless_reshape", [r], try reshape(r, [3, -1]), values: [data.array([4, 3])])
        try checkRuleDeclines("useless_reshape", [x], try reshape(x, [x.shape(1), x.shape(0)]), values: [data.array([4, 3])])
    }

    func testReshapeChainsBecomeOne() throws {
        let s = Tensor.matrix("s", .float64, shape: [2, 3])
        let out = try checkRule("reshape_chain", [s], try reshape(reshape(s, [6]), [3, 2]), expected: "Reshape{2}(s, Constant{int64[2]})",
                                values: [data.array([2, 3])])
        XCTAssertEqual(out.ops, ["Reshape{2}"])
        // A chain whose last reshape undoes the first disappears.
        try checkRule("reshape_chain", [s], try exp(reshape(reshape(s, [6]), [2, 3])), expected: "exp(s)", values: [data.array([2, 3])])
    }

    func testReshapeChainsKeepStaticSizes() throws {
        // reshape(x, [2, 3]) knows its shape; reshape(x, [-1]) of it knows 6. Reshaping x
        // directly would not know it, so the rule declines.
        try checkRuleDeclines("reshape_chain", [x], try reshape(reshape(x, [2, 3]), [-1]), values: [data.array([3, 2])])
    }

    // MARK: Broadcasts and fills

    func testBroadcastToTheSameShapeDisappears() throws {
        let s = Tensor.matrix("s", .float64, shape: [2, 3])
        try checkRule("useless_alloc", [s], try exp(broadcastTo(s, [2, 3])), expected: "exp(s)", values: [data.array([2, 3])])
        try checkRule("useless_alloc", [s], try exp(alloc(s, shape: [2, 3])), expected: "exp(s)", values: [data.array([2, 3])])
        try checkRule("useless_alloc", [x], try exp(alloc(x, shape: x.shapeList())), expected: "exp(x)", values: [data.array([2, 3])])
    }

    func testRealBroadcastsStay() throws {
        let v = Tensor.vector("v", .float64, size: 3)
        try checkRuleDeclines("useless_alloc", [v], try broadcastTo(v, [2, 3]), values: [data.array([3])])
    }

    func testElementwiseWorkSinksIntoFills() throws {
        // exp(zeros) computes one exp, then fills.
        try checkRule("fill_sink", [x], try exp(zerosLike(x)) * 2, expected: "Alloc(2.0, Shape[0](x), Shape[1](x))", values: [data.array([2, 3])])
        // A non-constant fill value works the same.
        let s = Tensor.scalar("s", .float64)
        try checkRule("fill_sink", [x, s], try tanh(alloc(s, shape: x.shapeList())),
                      expected: "Alloc(tanh(DimShuffle{x,x}(s)), Shape[0](x), Shape[1](x))", values: [data.array([2, 3]), NDArray(scalar: 0.5)])
    }

    func testFillsThatAnotherOperandMakesRedundantDisappear() throws {
        let out = try checkRule("elemwise_alloc", [x], try exp(onesLike(x) * x), expected: "exp(x)", values: [data.array([2, 3])])
        XCTAssertTrue(out.trace.appliedRewrites.contains("mul_by_one"))
        let s = Tensor.scalar("s", .float64)
        try checkRule("elemwise_alloc", [x, s], try alloc(s, shape: x.shapeList()) + x, expected: "add(DimShuffle{x,x}(s), x)",
                      values: [data.array([2, 3]), NDArray(scalar: 0.5)])
    }

    func testBroadcastFillsAreFillsToo() throws {
        // The seed of a gradient is broadcastTo(1, shape): multiplying by it disappears.
        let out = try checkRule("elemwise_alloc", [x], try broadcastTo(1.0, x.shapeList()) * tanh(x), expected: "tanh(x)",
                                values: [data.array([2, 3])])
        XCTAssertFalse(out.ops.contains("BroadcastTo"))
        try checkRule("fill_sink", [x], try exp(broadcastTo(0.0, x.shapeList())), expected: "BroadcastTo(1.0, Shape[0](x), Shape[1](x))",
                      values: [data.array([2, 3])])
    }

    func testGradientGraphsLoseTheirSeedFill() throws {
        let g = try grad(sum(tanh(x)), wrt: [x])[0]
        let out = try optimize([x], [g])
        XCTAssertFalse(out.ops.contains("BroadcastTo"), "\(out.ops)")
        XCTAssertFalse(out.ops.contains("Alloc"), "\(out.ops)")
        try assertSameValues([x], [g], [data.array([2, 3])])
    }

    func testFillsThatSetTheShapeStay() throws {
        // v (a row) does not have the fill's shape: the fill stays.
        let v = Tensor.vector("v", .float64)
        let s = Tensor.scalar("s", .float64)
        try checkRuleDeclines("elemwise_alloc", [x, v, s], try alloc(s, shape: x.shapeList()) + v,
                              values: [data.array([2, 3]), data.array([3]), NDArray(scalar: 2.0)])
    }

    func testStopGradientIsRemoved() throws {
        try checkRule("remove_stop_gradient", [x], try exp(stopGradient(x)), expected: "exp(x)", values: [data.array([2, 3])])
    }
}
