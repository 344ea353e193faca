import Foundation
import Theano
@testable import TheanoCompile
import XCTest

/// The precompiled kernels (the tier that needs no C compiler) against the reference
/// `perform`: every scalar op on every dtype it accepts, in every layout (contiguous, strided,
/// transposed, broadcast rows and columns, scalars, size 0 and 1, blocks that cross rows),
/// fused programs from the fusion pass, and reductions over every set of axes.
///
/// Elementwise results must be the reference's bit for bit (the same expressions and libm
/// functions); reductions within DebugMode's tolerance (float sums accumulate in another
/// order), integers and bools exactly.
final class PrecompiledKernelTests: XCTestCase {
    // MARK: Helpers

    /// The precompiled kernel of `node`, failing the test when there is none.
    func kernel(_ node: Apply, file: StaticString = #filePath, line: UInt = #line) throws -> any Kernel {
        let program = try XCTUnwrap((node.op as? any CKernelOp)?.kernelProgram(node), "\(node.op) has no kernel program", file: file, line: line)
        return try XCTUnwrap(PrecompiledKernels.kernel(for: node, program: program), "no precompiled kernel for \(node.op)", file: file, line: line)
    }

    /// Runs `node` with its precompiled kernel and its reference on `values`.
    func runBoth(_ node: Apply, _ values: [NDArray], pool: ThreadPool? = nil,
                 file: StaticString = #filePath, line: UInt = #line) throws -> (got: [NDArray], want: [NDArray]) {
        let k = try kernel(node, file: file, line: line)
        let got = try k.run(node, values, KernelContext(buffers: BufferRecycler(), pool: pool))
        let want = try node.op.perform(node, values)
        return (got, want)
    }

    /// Same dtype, shape and values (NaN equal to NaN; integers compared as integers).
    func identical(_ a: NDArray, _ b: NDArray) -> String? {
        guard a.dtype == b.dtype, a.shape == b.shape else { return "\(a.dtype)\(a.shape) vs reference \(b.dtype)\(b.shape)" }
        if a.dtype.isFloatingPoint {
            for (i, (x, y)) in zip(a.doubles, b.doubles).enumerated() where !(x == y || (x.isNaN && y.isNaN)) {
                return "element \(i) is \(x), reference \(y)"
            }
        } else {
            for (i, (x, y)) in zip(a.toArray(of: Int64.self), b.toArray(of: Int64.self)).enumerated() where x != y {
                return "element \(i) is \(x), reference \(y)"
            }
        }
        return nil
    }

    /// Random values of `dtype` with the awkward ones mixed in: NaN, infinities, signed zeros,
    /// huge values (floats); zero, -1, extremes and wrapping products (integers). `exponent`:
    /// small non-negative integers (integer `pow` of a negative exponent throws).
    func values(_ shape: [Int], _ dtype: DType, _ rng: inout RandomGenerator, exponent: Bool = false) -> NDArray {
        let n = shape.reduce(1, *)
        let array: NDArray
        switch dtype {
        case .float32, .float64:
            let specials: [Double] = [.nan, .infinity, -.infinity, 0, -0.0, 1, -1, 0.5, -0.5, 100, -100, 1e30, -1e-30, 3e9, -2.5, 1e300]
            let v = (0..<n).map { _ in rng.next() % 4 == 0 ? specials[Int(rng.next() % UInt64(specials.count))] : rng.nextUnit() * 6 - 3 }
            array = (try? NDArray(v, shape: shape)) ?? NDArray(zeros: shape, dtype: .float64)
        case .bool:
            array = (try? NDArray((0..<n).map { _ in rng.next() % 2 == 0 }, shape: shape)) ?? NDArray(zeros: shape, dtype: .bool)
        case .uint8, .int8, .int16, .int32, .int64:
            let v: [Int64] = (0..<n).map { _ in
                if exponent { return Int64(rng.next() % 6) }
                switch rng.next() % 4 {
                case 0: return Int64(bitPattern: rng.next())
                case 1: return [Int64.min, Int64.max, -1, 0, 127, -128, 255, 32767, -32768, Int64(Int32.min)][Int(rng.next() % 10)]
                default: return Int64(rng.next() % 9) - 4
                }
            }
            array = (try? NDArray(v, shape: shape)) ?? NDArray(zeros: shape, dtype: .int64)
        }
        return array.astype(dtype)
    }

    enum Layout { case contiguous, strided, transposed }

    /// `value` seen through another layout (same values).
    func laid(_ value: NDArray, _ layout: Layout) throws -> NDArray {
        switch layout {
        case .contiguous:
            return value
        case .transposed:
            guard value.rank == 2 else { return value }
            return try value.transposed().copy().transposed()
        case .strided:
            guard let last = value.shape.last else { return value }
            var wide = value.shape
            wide[wide.count - 1] = last * 2
            let big = try NDArray.zeros(wide, value.dtype)
            var index = Array(repeating: ArrayIndex.all, count: value.rank)
            index[value.rank - 1] = .slice(start: nil, stop: nil, step: 2)
            try NDArray.assign(value, into: try big.slice(index))
            return try big.slice(index)
        }
    }

    // MARK: Every scalar op

    /// Static shapes of the inputs, and the run-time shape of each.
    struct Case {
        let name: String
        let statics: [[Int?]]
        let shapes: [[Int]]
        var layouts: [Layout]
    }

    func cases(arity: Int) -> [Case] {
        let free: [Int?] = [nil, nil]
        func all(_ s: [Int], _ layout: Layout = .contiguous) -> Case {
            Case(name: "\(s) \(layout)", statics: Array(repeating: free, count: arity), shapes: Array(repeating: s, count: arity),
                 layouts: Array(repeating: layout, count: arity))
        }
        var result = [all([3, 37]), all([3, 37], .strided), all([5, 11], .transposed), all([0, 5]), all([4, 0]), all([1, 1]),
                      all([3, 1500]),
                      Case(name: "rank 0", statics: Array(repeating: [], count: arity), shapes: Array(repeating: [], count: arity),
                           layouts: Array(repeating: .contiguous, count: arity)),
                      Case(name: "static [1, 1]", statics: Array(repeating: [1, 1], count: arity), shapes: Array(repeating: [1, 1], count: arity),
                           layouts: Array(repeating: .contiguous, count: arity))]
        guard arity > 1 else { return result }
        for j in 0..<arity {
            func one(_ name: String, _ s: [Int?], _ shape: [Int], _ others: [Int], _ layout: Layout = .contiguous) -> Case {
                var c = all(others, layout)
                var statics = c.statics, shapes = c.shapes
                statics[j] = s
                shapes[j] = shape
                c = Case(name: "input \(j) \(name) of \(others) \(layout)", statics: statics, shapes: shapes, layouts: c.layouts)
                return c
            }
            result.append(one("row", [1, nil], [1, 37], [3, 37]))
            result.append(one("column", [nil, 1], [3, 1], [3, 37], .strided))
            result.append(one("scalar", [1, 1], [1, 1], [3, 37]))
            result.append(one("row", [1, nil], [1, 700], [5, 700]))
            result.append(one("column", [nil, 1], [9, 1], [9, 500], .transposed))
            result.append(one("row", [1, nil], [1, 5], [0, 5]))
        }
        return result
    }

    func testEveryScalarOpOnEveryDTypeMatchesTheReferenceExactly() throws {
        var rng = RandomGenerator(seed: 7)
        var checked = 0
        for op in ScalarOp.allCases {
            for types in op.acceptedInputTypes {
                for c in cases(arity: op.arity) {
                    let variables = zip(types, c.statics).map { Tensor.variable(nil, $0, shape: $1).variable }
                    let node = try Elemwise(op).makeNode(variables)
                    let inputs = try types.indices.map { i in
                        try laid(values(c.shapes[i], types[i], &rng, exponent: op == .pow && i == 1), c.layouts[i])
                    }
                    let (got, want) = try runBoth(node, inputs)
                    if let problem = identical(got[0], want[0]) {
                        XCTFail("\(op) on \(types), \(c.name): \(problem)")
                    }
                    checked += 1
                }
            }
        }
        XCTAssertGreaterThan(checked, 2000)
    }

    func testRunTimeErrorsAreTheReferencesErrors() throws {
        // Sizes that disagree.
        let x = Tensor.matrix("x"), y = Tensor.matrix("y")
        let add = try Elemwise(.add).makeNode([x.variable, y.variable])
        let a = try NDArray.zeros([2, 3]), b = try NDArray.zeros([2, 4])
        try assertSameError(add, [a, b])
        // Integer pow of a negative exponent, also inside a fused program.
        let i = Tensor.vector("i", .int32), j = Tensor.vector("j", .int32)
        let pow = try Elemwise(.pow).makeNode([i.variable, j.variable])
        try assertSameError(pow, [NDArray([2, 3] as [Int32]), NDArray([1, -1] as [Int32])])
        let program = ScalarProgram(inputTypes: [.int32, .int32], steps: [
            .init(op: .pow, operands: [.input(0), .input(1)], dtype: .int32),
            .init(op: .add, operands: [.step(0), .constant(1, .int32)], dtype: .int32),
        ], outputs: [.step(1)])
        let composite = try Composite(program).makeNode([i.variable, j.variable])
        try assertSameError(composite, [NDArray([2, 3] as [Int32]), NDArray([1, -1] as [Int32])])
        // max of an empty axis.
        let m = try Reduce(.max, axes: [1]).makeNode([x.variable])
        try assertSameError(m, [try NDArray.zeros([2, 0])])
    }

    func assertSameError(_ node: Apply, _ values: [NDArray], file: StaticString = #filePath, line: UInt = #line) throws {
        let k = try kernel(node, file: file, line: line)
        var reference: String?
        do { _ = try node.op.perform(node, values) } catch { reference = "\(error)" }
        XCTAssertNotNil(reference, "the reference should throw", file: file, line: line)
        do {
            _ = try k.run(node, values, KernelContext(buffers: BufferRecycler(), pool: nil))
            XCTFail("the kernel should throw", file: file, line: line)
        } catch {
            XCTAssertEqual("\(error)", reference, file: file, line: line)
        }
    }

    // MARK: Fused programs

    /// A random elementwise expression of the leaves, `depth` ops deep.
    func expression(_ leaves: [Tensor], depth: Int, _ rng: inout RandomGenerator) throws -> Tensor {
        if depth <= 0 { return leaves[Int(rng.next() % UInt64(leaves.count))] }
        func sub() throws -> Tensor { try expression(leaves, depth: depth - 1 - Int(rng.next() % 2), &rng) }
        let a = try sub()
        switch rng.next() % 24 {
        case 0: return try a + sub()
        case 1: return try a - sub()
        case 2: return try a * sub()
        case 3: return try a / sub()
        case 4: return try exp(-a * a)
        case 5: return try tanh(a)
        case 6: return try sigmoid(a)
        case 7: return try softplus(a)
        case 8: return try maximum(a, sub())
        case 9: return try minimum(a, 0.5)
        case 10: return try sqrt(abs(a))
        case 11: return try log(abs(a) + 1)
        case 12: return try `where`(gt(a, sub()), a, sub())
        case 13: return try clip(a, -1.5, 2)
        case 14: return try cast(cast(a, .float64) * 3 - 1, .float32)
        case 15: return try a * 2 + 1
        case 16: return try square(a) - sin(sub())
        case 17: return try cast(lt(a, 0), .float32) * a
        case 18: return try mod(a, sub())
        case 19: return try arctan2(a, sub())
        case 20: return try cast(cast(a * 10, .int32) + 3, .float32)
        case 21: return try -abs(a)
        case 22: return try expm1(minimum(a, 3))
        default: return try floor(a) + sign(sub())
        }
    }

    func testFusedProgramsMatchTheReference() throws {
        var rng = RandomGenerator(seed: 11)
        var checked: [String: Int] = [:]
        for trial in 0..<40 {
            let x = Tensor.matrix("x"), y = Tensor.matrix("y")
            let b = Tensor.vector("b"), s = Tensor.scalar("s")
            let leaves = [x, y, x, y, b, s]
            var outputs: [Tensor] = []
            for _ in 0..<3 { outputs.append(try expression(leaves, depth: 3 + Int(rng.next() % 4), &rng)) }
            let r = try expression(leaves, depth: 4, &rng) + y  // a matrix
            switch trial % 4 {
            case 0: outputs.append(try sum(r))
            case 1: outputs.append(try max(r, axis: 1))
            case 2: outputs.append(try sum(r, axis: 0))
            default: outputs.append(try mean(r * r, axis: 1, keepdims: true))
            }
            let graph = try FunctionGraph(inputs: [x, y, b, s].map(\.variable), outputs: outputs.map(\.variable))
            try StandardPipelines.fastRun.run(graph, RewriteContext())
            for node in graph.toposort() where node.op is Composite || node.op is CompositeReduce || node.op is Elemwise || node.op is Reduce {
                let rows = 3 + Int(rng.next() % 5), columns = [1, 7, 1100, 2049][Int(rng.next() % 4)]
                let inputs = try node.inputs.enumerated().map { i, v -> NDArray in
                    let shape = v.type.shape.enumerated().map { d, size in size ?? (d == 0 && v.type.rank == 2 ? rows : columns) }
                    let value = values(shape, v.type.dtype, &rng)
                    return try laid(value, i % 3 == 1 ? .strided : .contiguous)
                }
                let (got, want) = try runBoth(node, inputs)
                let precision = DebugCheck.leastPreciseFloat(node)
                for (g, w) in zip(got, want) {
                    if let problem = node.op is Composite || node.op is Elemwise ? identical(g, w) : DebugCheck.mismatch(g, w, computedIn: precision) {
                        XCTFail("trial \(trial): \(node.op) on \(node.inputs.map(\.type)): \(problem)")
                    }
                }
                checked["\(type(of: node.op))", default: 0] += 1
            }
        }
        XCTAssertGreaterThan(checked["Composite", default: 0], 40, "\(checked)")
        XCTAssertGreaterThan(checked["CompositeReduce", default: 0], 20, "\(checked)")
    }

    // MARK: Reductions

    func testReductionsOverEveryAxisSetMatchTheReference() throws {
        var rng = RandomGenerator(seed: 3)
        let axisSets: [[Int]] = [[], [0], [1], [2], [0, 1], [0, 2], [1, 2], [0, 1, 2]]
        let shapes: [(static: [Int?], shape: [Int], layout: Layout)] = [
            ([nil, nil, nil], [3, 4, 5], .contiguous),
            ([nil, nil, nil], [3, 4, 5], .strided),
            ([nil, nil, nil], [3, 0, 5], .contiguous),
            ([1, nil, 1], [1, 4, 1], .contiguous),
            ([nil, nil, nil], [2, 3, 1500], .contiguous),
            ([nil, nil, nil], [700, 2, 3], .strided),
        ]
        for dtype in DType.allCases {
            for kind in ReduceKind.allCases {
                for axes in axisSets {
                    for keepdims in [false, true] {
                        for s in shapes {
                            let x = Tensor.variable("x", dtype, shape: s.static)
                            let node = try Reduce(kind, axes: axes, keepdims: keepdims).makeNode([x.variable])
                            let value = try laid(values(s.shape, dtype, &rng), s.layout)
                            if !kind.hasIdentity && axes.contains(where: { s.shape[$0] == 0 }) { continue }
                            let (got, want) = try runBoth(node, [value])
                            if let problem = DebugCheck.mismatch(got[0], want[0], computedIn: DebugCheck.leastPreciseFloat(node)) {
                                XCTFail("\(kind) of \(dtype) \(s.shape) \(s.layout) over \(axes) keepdims \(keepdims): \(problem)")
                            }
                        }
                    }
                }
            }
        }
        // Rank 0 and a broadcast input of a fused reduction.
        let s = Tensor.scalar("s")
        let node = try Reduce(.sum, axes: []).makeNode([s.variable])
        let (got, want) = try runBoth(node, [NDArray(scalar: Float(2.5))])
        XCTAssertNil(identical(got[0], want[0]))
        let program = ScalarProgram(inputTypes: [.float32, .float32], steps: [
            .init(op: .mul, operands: [.input(0), .input(1)], dtype: .float32),
        ], outputs: [.step(0)])
        let x = Tensor.matrix("x"), row = Tensor.variable("r", .float32, shape: [1, nil])
        for axes in [[0], [1], [0, 1]] {
            let fused = try CompositeReduce(program, kind: .sum, axes: axes, keepdims: false).makeNode([x.variable, row.variable])
            let (g, w) = try runBoth(fused, [values([6, 900], .float32, &rng), values([1, 900], .float32, &rng)])
            XCTAssertNil(DebugCheck.mismatch(g[0], w[0], computedIn: .float32), "sum over \(axes)")
        }
    }

    // MARK: Threads

    func testLargeLoopsOnThePoolGiveTheSameResults() throws {
        let pool = ThreadPool(threads: 3)
        var rng = RandomGenerator(seed: 5)
        let x = Tensor.vector("x"), y = Tensor.vector("y")
        let program = ScalarProgram(inputTypes: [.float32, .float32], steps: [
            .init(op: .mul, operands: [.input(0), .input(0)], dtype: .float32),
            .init(op: .neg, operands: [.step(0)], dtype: .float32),
            .init(op: .exp, operands: [.step(1)], dtype: .float32),
            .init(op: .sin, operands: [.input(1)], dtype: .float32),
            .init(op: .mul, operands: [.step(2), .step(3)], dtype: .float32),
        ], outputs: [.step(4), .step(3)])
        let n = 300_017
        let a = values([n], .float32, &rng), b = values([n], .float32, &rng)
        let elementwise = try Composite(program).makeNode([x.variable, y.variable])
        let (parallel, want) = try runBoth(elementwise, [a, b], pool: pool)
        let (serial, _) = try runBoth(elementwise, [a, b])
        for k in 0..<2 {
            XCTAssertNil(identical(parallel[k], want[k]))
            XCTAssertNil(identical(serial[k], want[k]))
        }
        let sumProgram = ScalarProgram(inputTypes: [.float32, .float32], steps: [
            .init(op: .sub, operands: [.input(0), .input(1)], dtype: .float32),
            .init(op: .square, operands: [.step(0)], dtype: .float32),
        ], outputs: [.step(1)])
        let finite = a.map { $0.isFinite ? $0 : 1 }.astype(.float32), other = b.map { $0.isFinite ? $0 : 2 }.astype(.float32)
        let reduce = try CompositeReduce(sumProgram, kind: .sum, axes: [0], keepdims: false).makeNode([x.variable, y.variable])
        let (sumParallel, sumWant) = try runBoth(reduce, [finite, other], pool: pool)
        let (sumSerial, _) = try runBoth(reduce, [finite, other])
        XCTAssertNil(identical(sumParallel[0], sumSerial[0]), "the result does not depend on the threads")
        XCTAssertNil(DebugCheck.mismatch(sumParallel[0], sumWant[0], computedIn: .float32))
    }

    // MARK: Coverage

    func testEveryElementwiseNodeHasAKernel() throws {
        for op in ScalarOp.allCases {
            for types in op.acceptedInputTypes {
                let node = try Elemwise(op).makeNode(types.map { Tensor.variable(nil, $0, shape: [nil]).variable })
                _ = try kernel(node)
            }
        }
        for dtype in DType.allCases {
            for kind in ReduceKind.allCases {
                _ = try kernel(try Reduce(kind, axes: [0], keepdims: false).makeNode([Tensor.matrix("x", dtype).variable]))
            }
        }
    }
}
