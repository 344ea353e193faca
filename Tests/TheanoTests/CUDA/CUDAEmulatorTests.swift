import Foundation
import Theano
import TheanoCUDA
import XCTest

/// The CUDA backend's generated kernels, compiled as C with the CUDA emulator's prelude and
/// launched on the CPU (several blocks, grid-stride loops), against the reference
/// implementation of every scalar op on every dtype it accepts, with strided and broadcast
/// operands. This checks the kernels' math and indexing without a GPU.
final class CUDAEmulatorTests: XCTestCase {
    private struct Case {
        let op: ScalarOp
        let types: [DType]
        let out: DType
        let name: String
    }

    private func cases() -> [Case] {
        var out: [Case] = []
        for op in ScalarOp.allCases {
            for t in DType.allCases {
                let types: [DType] = op == .where ? [.bool, t, t] : Array(repeating: t, count: op.arity)
                guard case .success(let result) = op.outputDType(types) else { continue }
                out.append(Case(op: op, types: types, out: result, name: "th_e\(out.count)_\(op.name)_\(t.name)"))
            }
        }
        return out
    }

    func testEveryScalarOpMatchesTheReferenceOnStridedAndBroadcastOperands() throws {
        let all = cases()
        let kernels = try all.map { c in
            try CUDAKernelSource.elementwise(ScalarProgram(
                inputTypes: c.types, steps: [ScalarProgram.Step(op: c.op, operands: c.types.indices.map { .input($0) }, dtype: c.out)],
                outputs: [.step(0)]), name: c.name)
        }
        let emulator = try CUDAEmulator(unit: CUDAKernelSource.unit(kernels), elementwise: all.map(\.name))
        var data = TestData(seed: 31)
        var checked = 0
        for c in all {
            // Input 0 a transposed view, input 1 broadcast along rows, input 2 contiguous.
            let inputs: [NDArray] = try c.types.enumerated().map { i, t in
                switch i {
                case 0: return try data.array([5, 3], t).transposed()
                case 1: return data.array([1, 5], t)
                default: return data.array([3, 5], t)
                }
            }
            let node = try Elemwise(c.op).makeNode(inputs.map { Variable(type: TensorType($0.dtype, shape: $0.shape.map { $0 }), name: "x") })
            let (outputs, status) = try emulator.elementwise(c.name, inputs: inputs, outputTypes: [c.out], grid: 2, block: 4)
            let reference: NDArray
            do {
                reference = try node.op.perform(node, inputs)[0]
            } catch {
                XCTAssertNotEqual(status, 0, "\(c.name): the reference throws (\(error)), the kernel must report it")
                continue
            }
            XCTAssertEqual(status, 0, "\(c.name)")
            let tolerance = c.out == .float32 ? 1e-5 : 1e-12
            assertClose(outputs[0], reference, rtol: tolerance, atol: tolerance, "\(c.name) on \(inputs.map { formatShape($0.shape) })")
            checked += 1
        }
        XCTAssertGreaterThan(checked, 200)
    }

    func testAFusedKernelOverManyBlocksAndARankThreeBroadcast() throws {
        // y = sigmoid(a * b) + c over [4, 3, 5]: a full, b broadcast [1, 3, 1], c a scalar.
        let program = ScalarProgram(inputTypes: [.float64, .float64, .float64], steps: [
            ScalarProgram.Step(op: .mul, operands: [.input(0), .input(1)], dtype: .float64),
            ScalarProgram.Step(op: .sigmoid, operands: [.step(0)], dtype: .float64),
            ScalarProgram.Step(op: .add, operands: [.step(1), .input(2)], dtype: .float64),
        ], outputs: [.step(2), .step(0)])
        let emulator = try CUDAEmulator(unit: CUDAKernelSource.unit([try CUDAKernelSource.elementwise(program, name: "th_fused")]), elementwise: ["th_fused"])
        var data = TestData(seed: 32)
        let a = data.array([4, 3, 5]), b = data.array([1, 3, 1]), c = NDArray(scalar: 0.25)
        for (grid, block) in [(UInt32(1), UInt32(1)), (7, 3), (16, 64)] {
            let (outputs, error) = try emulator.elementwise("th_fused", inputs: [a, b, c], outputTypes: [.float64, .float64], grid: grid, block: block)
            XCTAssertEqual(error, 0)
            let av = a.doubles, bv = b.doubles
            let products = av.indices.map { av[$0] * bv[($0 / 5) % 3] }
            let expected = products.map { 1 / (1 + Foundation.exp(-$0)) + 0.25 }
            assertValues(outputs[0], expected, shape: [4, 3, 5], rtol: 1e-12)
            assertValues(outputs[1], products, shape: [4, 3, 5], rtol: 1e-12)
        }
    }

    /// Every reduction kind on every dtype, over leading, trailing and middle axes of a
    /// strided input, in one part and split into several (the second pass), through the warp
    /// shuffle and block trees with one OS thread per CUDA thread, against the reference.
    func testReductionsMatchTheReferenceThroughWarpAndBlockTrees() throws {
        var kernels: [String] = [], names: [String] = []
        var specs: [(kind: ReduceKind, dtype: DType, name: String)] = []
        for kind in [ReduceKind.sum, .prod, .max, .min, .all, .any] {
            for t in DType.allCases {
                let name = "th_r\(specs.count)_\(kind)_\(t.name)"
                let program = ScalarProgram(inputTypes: [t], steps: [], outputs: [.input(0)])
                kernels.append(try CUDAReductionSource.reduction(program, kind: kind, name: name))
                names.append(name)
                specs.append((kind, t, name))
            }
        }
        let emulator = try CUDAEmulator(unit: CUDAKernelSource.unit(kernels), reductions: names)
        var data = TestData(seed: 33)
        for spec in specs {
            // [6, 40, 3] read through a transpose of [3, 40, 6]; prod over few values only.
            let low: Double = spec.kind == .prod ? 0.5 : -3, high: Double = spec.kind == .prod ? 1.5 : 3
            let x = try data.array([3, 40, 6], spec.dtype, low: low, high: high).transposed([2, 1, 0])
            // Every kind and dtype over the middle axis, split in two parts, one warp per block;
            // float64 also over other axes, in one part and in three, with two-warp blocks.
            var configurations: [(axes: [Int], parts: Int, block: UInt32)] = [([1], 2, 32)]
            if spec.dtype == .float64 || spec.dtype == .int32 {
                configurations += [([0, 2], 1, 64), ([0, 1, 2], 3, 64), ([2], 1, 32)]
            }
            for (axes, parts, block) in configurations {
                let what = "\(spec.name) over \(axes), \(parts) part(s), blocks of \(block)"
                let (got, status) = try emulator.reduce(spec.name, kind: spec.kind, element: spec.dtype, inputs: [x], axes: axes,
                                                        parts: parts, grid: 3, block: block)
                XCTAssertEqual(status, 0, what)
                let want = try x.reduce(spec.kind, axes: axes)
                let tolerance = spec.dtype == .float32 ? 1e-5 : 1e-10
                assertClose(try got.reshaped(want.shape), want, rtol: tolerance, atol: tolerance, what)
            }
        }
    }

    /// A fused reduction (the sum of squares of a difference, as `CompositeReduce` builds)
    /// with a broadcast operand.
    func testAFusedReductionWithABroadcastOperand() throws {
        let program = ScalarProgram(inputTypes: [.float32, .float32], steps: [
            ScalarProgram.Step(op: .sub, operands: [.input(0), .input(1)], dtype: .float32),
            ScalarProgram.Step(op: .square, operands: [.step(0)], dtype: .float32),
        ], outputs: [.step(1)])
        let unit = CUDAKernelSource.unit([try CUDAReductionSource.reduction(program, kind: .sum, name: "th_sumsq")])
        let emulator = try CUDAEmulator(unit: unit, reductions: ["th_sumsq"])
        var data = TestData(seed: 34)
        let a = data.array([40, 9], .float32), m = data.array([1, 9], .float32)
        let (got, status) = try emulator.reduce("th_sumsq", kind: .sum, element: .float32, inputs: [a, m], axes: [0], parts: 2, grid: 2, block: 64)
        XCTAssertEqual(status, 0)
        let av = a.doubles, mv = m.doubles
        let want = (0..<9).map { j in (0..<40).reduce(0.0) { s, i in let d = Double(Float(av[i * 9 + j]) - Float(mv[j])); return s + d * d } }
        assertValues(got, want, rtol: 1e-5)
    }
}
