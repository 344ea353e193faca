import Foundation
import Theano
import TheanoCUDA
import XCTest

/// Whole training steps on the CUDA backend (emulated device) with `strict: true`: every node
/// that moves data has a CUDA kernel (only views and shape arithmetic stay on the host), and
/// the losses and updated parameters follow the reference backend's over several steps.
final class CUDATrainingStepTests: XCTestCase {
    /// A LeNet-shaped convnet (two conv + ReLU + 2x2 max-pool blocks, a dense ReLU layer, a
    /// softmax classifier with integer labels), one SGD update per call.
    func testConvnetStepRunsStrictlyOnTheDeviceAndFollowsTheReference() throws {
        func step(_ options: CompileOptions) throws -> (Function, [Shared]) {
            var rng = RandomGenerator(seed: 3)
            let shapes: [[Int]] = [[4, 1, 3, 3], [6, 4, 3, 3], [24, 16], [16, 10]]
            let params = try shapes.map { Shared(try NDArray.randomNormal($0, std: 0.3, using: &rng)) }
            let x = Tensor.variable("x", .float32, shape: [nil, 1, 14, 14]), labels = Tensor.vector("y", .int32)
            func block(_ h: Tensor, _ w: Tensor) throws -> Tensor {
                try pool2d(relu(conv2d(h, w, filterFlip: false)), window: [2, 2], mode: .max)
            }
            let h = try block(block(x, params[0]), params[1])
            let hidden = try relu(flatten(h, ndim: 2).matmul(params[2]))
            let p = try logSoftmax(hidden.matmul(params[3]), axis: 1)
            let loss = try -p[arange(labels.shape(0)), labels].mean()
            var updates: [Shared: Tensor] = [:]
            for (q, g) in zip(params, try grad(loss, wrt: params)) { updates[q] = try q - Tensor(0.1) * g }
            return (try function([x, labels], [loss], updates: updates, options: options), params)
        }
        let device = CompileOptions(backend: Backend(CUDABackend(device: EmulatedCUDADevice())), strict: true)
        let (f, onDevice) = try step(device)
        let (g, onHost) = try step(CompileOptions(backend: .reference))
        let missing = f.kernelReport.entries.filter { $0.implementation.hasPrefix("reference") && !["Shape", "MakeVector", "Reshape", "DimShuffle"].contains(where: $0.op.hasPrefix) }
        XCTAssertTrue(missing.isEmpty, "\(f.kernelReport)")
        var data = TestData(seed: 4)
        for call in 0..<3 {
            let xb = data.array([5, 1, 14, 14], .float32), yb = NDArray((0..<5).map { Int32(($0 * 7 + call) % 10) })
            assertClose(try f(xb, yb)[0], try g(xb, yb)[0], rtol: 1e-4, atol: 1e-5, "loss of call \(call)")
            for (a, b) in zip(onDevice, onHost) { assertClose(a.value, b.value, rtol: 1e-4, atol: 1e-5, "parameters after call \(call)") }
        }
    }
}
