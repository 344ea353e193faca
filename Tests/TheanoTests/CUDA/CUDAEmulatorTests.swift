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
        let emulator = try CUDAEmulator(unit: CUDAKernelSource.unit(kernels), kernels: all.map(\.name))
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
        let emulator = try CUDAEmulator(unit: CUDAKernelSource.unit([try CUDAKernelSource.elementwise(program, name: "th_fused")]), kernels: ["th_fused"])
        var data = TestData(seed: 32)
        let a = data.array([4, 3, 5]), b = data.array([1, 3, 1]), c = NDArray(scalar: 0.25)
        for (grid, block) in [(UInt32(1), UInt32(1)), (7, 3), (64, 128)] {
            let (outputs, error) = try emulator.elementwise("th_fused", inputs: [a, b, c], outputTypes: [.float64, .float64], grid: grid, block: block)
            XCTAssertEqual(error, 0)
            let av = a.doubles, bv = b.doubles
            let products = av.indices.map { av[$0] * bv[($0 / 5) % 3] }
            let expected = products.map { 1 / (1 + Foundation.exp(-$0)) + 0.25 }
            assertValues(outputs[0], expected, shape: [4, 3, 5], rtol: 1e-12)
            assertValues(outputs[1], products, shape: [4, 3, 5], rtol: 1e-12)
        }
    }
}
