import Theano
import XCTest

/// The opt-in rules that are right for finite inputs only (`CanonicalizeFiniteOnly`): off in
/// the default pipeline (IEEE results for NaN and infinities kept), on by name or by group
/// through `Mode.including` and `RewritePipeline.enabling`.
final class FiniteOnlyRewriteTests: BackendTestCase {
    var data = TestData(seed: 23)
    let x = Tensor.matrix("x", .float64)
    let group = CanonicalizeFiniteOnly.group

    /// fastRun with the named opt-in rules on.
    func enabled(_ names: String...) -> RewritePipeline { StandardPipelines.fastRun.enabling(Set(names)) }

    func testTheDefaultPipelineKeepsIEEEResults() throws {
        let special = try NDArray([Double.infinity, -.infinity, .nan, 0, 2], shape: [1, 5])
        let outputs = [try x - x, try x * 0, try 0 / x, try cast(x .== x, .float64), try cast(x .!= x, .float64)]
        for output in outputs {
            let optimized = try optimize([x], [output])
            XCTAssertTrue(Set(optimized.trace.appliedRewrites).isDisjoint(with: CanonicalizeFiniteOnly.all.map(\.name)),
                          "\(optimized.trace.entries)")
        }
        let r = try function([x], outputs)(special)
        assertValues(r[0], [.nan, .nan, .nan, 0, 0])
        assertValues(r[1], [.nan, .nan, .nan, 0, 0])
        assertValues(r[2], [0, 0, .nan, .nan, 0])
        assertValues(r[3], [1, 1, 0, 1, 1])
        assertValues(r[4], [0, 0, 1, 0, 0])
        // Cancelling a factor against itself is the canonical form's liberty, on by default.
        assertValues(try function([x], [try x / x])(special)[0], [1, 1, 1, 1, 1])
    }

    func testEveryFiniteOnlyRuleIsOptInInTheStandardPipeline() {
        let optIn = Set(StandardPipelines.fastRun.optInRewrites.map(\.name))
        XCTAssertEqual(optIn, ["mul_by_zero", "zero_div", "sub_self", "compare_self"])
        XCTAssertTrue(CanonicalizeFiniteOnly.all.allSatisfy { $0.optInGroup == group })
        // Enabling a group turns all of them on; a name turns one on.
        XCTAssertEqual(StandardPipelines.fastRun.enabling([group]).optInRewrites.count, 0)
        XCTAssertEqual(Set(StandardPipelines.fastRun.enabling(["sub_self"]).optInRewrites.map(\.name)),
                       ["mul_by_zero", "zero_div", "compare_self"])
    }

    func testSubSelfGivesZerosWhenEnabled() throws {
        let xv = data.array([2, 3])
        let a = try optimize([x], [try x - x], pipeline: enabled("sub_self"))
        XCTAssertEqual(a.text(), "Alloc(0.0, Shape[0](x), Shape[1](x))")
        XCTAssertTrue(a.trace.appliedRewrites.contains("sub_self"))
        // With a static shape, constant folding turns the fill into a constant (exact for
        // integers).
        let s = Tensor.matrix("s", .int32, shape: [2, 2])
        let b = try optimize([s], [try s - s], pipeline: enabled(group))
        XCTAssertEqual(b.graph.outputs[0].constantValue, try NDArray.full([2, 2], 0, .int32))
        let f = try function([x], [x - x], mode: .fastRun.including("sub_self"))
        assertValues(try f(xv)[0], [0, 0, 0, 0, 0, 0])
    }

    func testDivSelfGivesOnesByDefault() throws {
        let a = try optimize([x], [try x / x], pipeline: StandardPipelines.fastRun)
        XCTAssertEqual(a.text(), "Alloc(1.0, Shape[0](x), Shape[1](x))")
        let f = try function([x], [x / x])
        assertValues(try f(try NDArray([0.0, 2], shape: [1, 2]))[0], [1, 1])
        // Excluding it by name keeps IEEE's 0 / 0.
        let g = try function([x], [x / x], mode: .fastRun.excluding("div_self", "cancel_common_factors", "mul_canonizer"))
        assertValues(try g(try NDArray([0.0, 2], shape: [1, 2]))[0], [.nan, 1])
    }

    func testMulByZeroAndZeroDivWhenEnabled() throws {
        // PyTensor's local_mul_zero and local_zero_div (tests/tensor/rewriting/test_math.py,
        // test_local_zero_div), opt-in here.
        let v = Tensor.vector("v", .float32)
        for (output, rule) in [(try v * 0, "mul_by_zero"), (try 0 * v, "mul_by_zero"), (try 0 / v, "zero_div")] {
            let a = try optimize([v], [output], pipeline: enabled(rule))
            XCTAssertEqual(a.text(), "Alloc(0.0, Shape[0](v))", rule)
            XCTAssertEqual(a.graph.outputs[0].type, output.type)
            let f = try function([v], [output], mode: .fastRun.including(rule))
            assertValues(try f(NDArray([Float.infinity, .nan, 1] as [Float]))[0], [0, 0, 0])
        }
        let t = Tensor.variable("t", .float32, shape: [nil, nil, nil, nil])
        let fourD = try optimize([t], [try 0 / t], pipeline: enabled(group))
        XCTAssertFalse(fourD.ops.contains("true_div"))
    }

    func testCompareSelfWhenEnabled() throws {
        let i = Tensor.vector("i", .int32)
        for (output, value) in [(try i .== i, true), (try i .<= i, true), (try i .>= i, true),
                                (try i .!= i, false), (try i .< i, false), (try i .> i, false)] {
            let a = try optimize([i], [output], pipeline: enabled("compare_self"))
            XCTAssertEqual(a.ops, ["Shape[0]", "Alloc"], "\(a.text())")
            let f = try function([i], [output], mode: .fastRun.including(group))
            XCTAssertEqual(try f(NDArray([1, 2, 3] as [Int32]))[0], NDArray([value, value, value]))
        }
    }

    func testIncludingAndExcludingCompose() throws {
        let mode = Mode.fastRun.including(group)
        XCTAssertTrue(mode.description.contains("including \(group)"), mode.description)
        let f = try function([x], [x - x], mode: mode.excluding("sub_self"))
        XCTAssertTrue(f.debugDescription().contains("sub"), f.debugDescription())
        let g = try function([x], [x - x], mode: mode)
        XCTAssertFalse(g.debugDescription().contains("sub"), g.debugDescription())
        // Including a name that is not opt-in only puts back an excluded rule.
        let h = try function([x], [try exp(x * 1)], mode: Mode.fastRun.excluding("mul_by_one").including("mul_by_one"))
        XCTAssertFalse(h.debugDescription().contains("mul"), h.debugDescription())
    }
}
