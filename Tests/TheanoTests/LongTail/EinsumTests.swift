import Theano
import XCTest

/// einsum against NumPy, its greedy contraction order, gradients and errors.
final class EinsumTests: BackendTestCase {
    /// Cases that need static sizes (an axis of size 1 broadcasting against another size).
    let staticOnly: Set<String> = ["ellipsis"]

    func testFixtureCases() throws {
        let cases = LongTail.einsumCases
        XCTAssertEqual(cases.count, 19)
        for c in cases {
            let values = try c.operands.map(LongTail.input)
            for fixed in [true, false] where fixed || !staticOnly.contains(c.name) {
                let inputs = values.enumerated().map { symbolic("x\($0.offset)", like: $0.element, fixed: fixed) }
                let y = try einsum(c.subscripts, inputs)
                let f = try function(inputs, [y])
                try assertFixture(try f.call(values)[0], "einsum_\(c.name)")
                try assertFixture(try f.call(try values.map(strided))[0], "einsum_\(c.name)")
                try checkInferShape(y, inputs, values)
            }
        }
    }

    func testGreedyOrder() throws {
        let a = Tensor.matrix("a", shape: [2, 3]), b = Tensor.matrix("b", shape: [3, 4]), c = Tensor.matrix("c", shape: [4, 5])
        // (a b) is 2x4, (b c) 3x5: a and b first, then the result with c.
        let first = try einsumPath("ij,jk,kl->il", [a, b, c])
        XCTAssertEqual(first.map { [$0.0, $0.1] }, [[0, 1], [0, 1]])
        let p = Tensor.matrix("p", shape: [10, 2]), q = Tensor.matrix("q", shape: [2, 10]), r = Tensor.matrix("r", shape: [10, 3])
        // (p q) is 10x10, (q r) 2x3: q and r first.
        let second = try einsumPath("ij,jk,kl->il", [p, q, r])
        XCTAssertEqual(second.map { [$0.0, $0.1] }, [[1, 2], [0, 1]])
        // No outer product while a contraction is possible: a with c share nothing.
        let third = try einsumPath("ij,kl,jk->il", [a, c, b])
        XCTAssertEqual(third.first.map { [$0.0, $0.1] }, [0, 2])
        XCTAssertTrue(try einsumPath("ij", [a]).isEmpty)
    }

    func testLowering() throws {
        let a = Tensor.matrix("a", .float64), b = Tensor.matrix("b", .float64)
        // A pair without batch letters is one TensorDot.
        let y = try einsum("ij,jk->ik", a, b)
        XCTAssertTrue(y.variable.owner?.op is TensorDot, "\(y)")
        try assertFixture(try evaluate(y, [a, b], [try LongTail.input("A"), try LongTail.input("B")]), "einsum_mm")
        // A pair with batch letters is a batched MatMul between reshapes.
        let u = Tensor.tensor3("u", .float64), v = Tensor.tensor3("v", .float64)
        let batched = try einsum("bij,bjk->bik", u, v)
        XCTAssertTrue(containsOp(batched, MatMul.self))
        XCTAssertFalse(containsOp(batched, Elemwise.self) && !containsOp(batched, MatMul.self))
        // Nothing summed: an elementwise product, no MatMul.
        let w = Tensor.matrix("w", .float64)
        let outer = try einsum("bi,bj->bji", w, w)
        XCTAssertFalse(containsOp(outer, MatMul.self))
        XCTAssertTrue(containsOp(outer, Elemwise.self))
        // A single operand without contraction is a transpose; the identity is the input.
        XCTAssertTrue(try einsum("ij->ji", a).variable.owner?.op is DimShuffle)
        XCTAssertTrue(try einsum("ij", a) == a)
        // Integer operands stay integers; mixed dtypes promote as in tensordot.
        let i = Tensor.matrix("i", .int64), f = Tensor.matrix("f", .float32)
        let ii = try einsum("ij,jk", i, i)
        XCTAssertEqual(ii.dtype, .int64)
        let two = try NDArray([Int64(1), 2, 3, 4], shape: [2, 2])
        XCTAssertEqual(try evaluate(ii, [i], [two]).toArray(of: Int64.self), [7, 10, 15, 22])
        XCTAssertEqual(try einsum("ij,jk", f, f).dtype, .float32)
    }

    /// Whether `t`'s graph (up to its inputs) has a node of op type `type`.
    private func containsOp<T: Op>(_ t: Tensor, _ type: T.Type) -> Bool {
        var work = [t.variable]
        var seen = Set<ObjectIdentifier>()
        while let v = work.popLast() {
            guard let node = v.owner, seen.insert(ObjectIdentifier(node)).inserted else { continue }
            if node.op is T { return true }
            work.append(contentsOf: node.inputs)
        }
        return false
    }

    func testGradients() throws {
        let values: [String: NDArray] = try Dictionary(uniqueKeysWithValues: ["A", "B", "S", "U", "V", "P", "Q", "a3", "b4"].map { ($0, try LongTail.input($0)) })
        func check(_ subscripts: String, _ names: [String]) throws {
            try verifyGrad({ try einsum(subscripts, $0) }, at: names.compactMap { values[$0] })
        }
        try check("ij,jk->ik", ["A", "B"])
        try check("ii->i", ["S"])
        try check("ii", ["S"])
        try check("bij,bjk->bik", ["U", "V"])
        try check("...ij,...jk->...ik", ["P", "Q"])
        try check("i,ij,j->", ["a3", "B", "b4"])
        try check("i,j->ji", ["a3", "b4"])
        try check("i,i->i", ["a3", "a3"])
        try check("bi,bj->bji", ["A", "A"])
    }

    func testSizesZeroAndOne() throws {
        let a = Tensor.matrix("a", .float64), b = Tensor.matrix("b", .float64)
        let y = try einsum("ij,jk->ik", a, b)
        let empty = try evaluate(y, [a, b], [try NDArray.ones([2, 0], .float64), try NDArray.ones([0, 3], .float64)])
        assertValues(empty, [0, 0, 0, 0, 0, 0], shape: [2, 3])
        let one = try evaluate(y, [a, b], [try NDArray.ones([1, 1], .float64), NDArray.full([1, 1], 2, .float64)])
        assertValues(one, [2], shape: [1, 1])
        let t = Tensor.tensor3("t", .float64)
        let bt = try einsum("bij,bjk->bik", t, t)
        let r = try evaluate(bt, [t], [try NDArray.ones([0, 2, 2], .float64)])
        XCTAssertEqual(r.shape, [0, 2, 2])
    }

    func testErrors() {
        let a = Tensor.matrix("a", shape: [2, 3]), b = Tensor.matrix("b", shape: [4, 4]), s = Tensor.matrix("s", shape: [3, 4])
        assertThrows(.invalidArgument, containing: ["einsum", "2 operand terms for 1 operand"]) { try einsum("ij,jk", a) }
        assertThrows(.invalidArgument, containing: ["einsum", "rank 2", "names 3"]) { try einsum("ijk", a) }
        assertThrows(.invalidArgument, containing: ["einsum", "'1'", "ij1"]) { try einsum("ij1", Tensor.tensor3("t")) }
        assertThrows(.invalidArgument, containing: ["einsum", "'k' appears in no operand"]) { try einsum("ij->k", a) }
        assertThrows(.invalidArgument, containing: ["einsum", "more than once"]) { try einsum("ij->ii", a) }
        assertThrows(.invalidArgument, containing: ["einsum", "'->' appears more than once"]) { try einsum("i->i->i", a) }
        assertThrows(.invalidArgument, containing: ["einsum", "'...'"]) { try einsum("...i->i", a) }
        assertThrows(.invalidArgument, containing: ["einsum", "'.'"]) { try einsum("i.j", a) }
        assertThrows(.invalidArgument, containing: ["einsum", "at least one operand"]) { try einsum("->", [Tensor]()) }
        assertThrows(.shapeMismatch, containing: ["einsum", "'j'", "size 3", "4"]) { try einsum("ij,jk->ik", a, b) }
        assertThrows(.shapeMismatch, containing: ["einsum", "'i'", "size 3", "4"]) { try einsum("ii", s) }
    }
}
