import Foundation
import Theano
import TheanoCUDA
import XCTest

/// Values stay in device memory between nodes and across calls on the CUDA backend (its
/// emulated device here): a training step copies only its inputs to the device and its
/// outputs back, shared variables keep their updated values on the device, and any host code
/// that reads them (`value`, a CPU function, a host kernel) gets host copies.
final class CUDAResidencyTests: XCTestCase {
    private struct MLP {
        let step: Function
        let parameters: [Shared]
    }

    /// A two-layer perceptron with biases, ReLU, log-softmax and an integer-label NLL loss,
    /// one SGD update per call.
    private func mlp(_ options: CompileOptions) throws -> MLP {
        var rng = RandomGenerator(seed: 11)
        let sizes = [(20, 32), (32, 5)]
        let weights = try sizes.map { Shared(try NDArray.randomNormal([$0.0, $0.1], std: 0.3, using: &rng)) }
        let biases = try sizes.map { Shared(try NDArray.randomNormal([$0.1], std: 0.1, using: &rng)) }
        let x = Tensor.matrix("x", .float32, shape: [nil, 20]), labels = Tensor.vector("y", .int32)
        let h = try relu(x.matmul(weights[0]) + biases[0])
        let p = try logSoftmax(h.matmul(weights[1]) + biases[1], axis: 1)
        let loss = try -p[arange(labels.shape(0)), labels].mean()
        let parameters = weights + biases
        var updates: [Shared: Tensor] = [:]
        for (q, g) in zip(parameters, try grad(loss, wrt: parameters)) { updates[q] = try q - Tensor(0.1) * g }
        return MLP(step: try function([x, labels], [loss], updates: updates, options: options), parameters: parameters)
    }

    private func batch(_ call: Int) -> (NDArray, NDArray) {
        var data = TestData(seed: UInt64(20 + call))
        return (data.array([16, 20], .float32), NDArray((0..<16).map { Int32(($0 * 3 + call) % 5) }))
    }

    func testATrainingStepMovesOnlyItsInputsAndItsLoss() throws {
        let device = CachingCUDADevice(EmulatedCUDADevice())
        let model = try mlp(CompileOptions(backend: Backend(CUDABackend(device: device)), strict: true))
        // The batch is placed on the device once per call (two products read it), the
        // labels stay on the host (the loss reads them there).
        let placed = model.step.kernelReport.placedOnDevice
        XCTAssertEqual(placed.first, "input x (copied once per call)", "\(model.step.kernelReport)")
        XCTAssertTrue("\(model.step.kernelReport)".contains("on the device: input x"))
        let (x0, y0) = batch(0)
        _ = try model.step(x0, y0)
        for parameter in model.parameters {
            XCTAssertTrue(parameter.storage.storedValue().isOnDevice, "updated parameters stay in device memory\n\(model.step.kernelReport)")
        }
        for call in 1...3 {
            let before = device.statistics
            let (x, y) = batch(call)
            let loss = try model.step(x, y)[0]
            XCTAssertFalse(loss.isOnDevice, "a call returns host arrays")
            let after = device.statistics
            // The batch goes to the device once (read by two products), with the batch size
            // the mean divides by (a shape entry worked out on the host); the labels are read
            // on the host. Only the loss comes back.
            XCTAssertEqual(after.arraysToDevice - before.arraysToDevice, 2, "\(model.step.kernelReport)")
            XCTAssertEqual(after.bytesToDevice - before.bytesToDevice, x.byteCount + 8)
            XCTAssertEqual(after.arraysToHost - before.arraysToHost, 1, "\(model.step.kernelReport)")
            XCTAssertEqual(after.bytesToHost - before.bytesToHost, 4)
            // Once the parameters live on the device, the device asks the driver for no new
            // memory.
            if call >= 2 { XCTAssertEqual(after.driverAllocations, before.driverAllocations, "call \(call)") }
        }
    }

    func testDeviceValuesFollowTheReferenceAndReadBackOnTheHost() throws {
        let onDevice = try mlp(CompileOptions(backend: .cudaEmulator, strict: true))
        let onHost = try mlp(CompileOptions(backend: .reference))
        for call in 0..<3 {
            let (x, y) = batch(call)
            assertClose(try onDevice.step(x, y)[0], try onHost.step(x, y)[0], rtol: 1e-4, atol: 1e-5, "loss of call \(call)")
            for (a, b) in zip(onDevice.parameters, onHost.parameters) {
                let value = a.value
                XCTAssertFalse(value.isOnDevice)
                assertClose(value, b.value, rtol: 1e-4, atol: 1e-5, "parameters after call \(call)")
                assertClose(try a.storage.hostValue(), b.value, rtol: 1e-4, atol: 1e-5)
            }
        }
    }

    /// A CPU function, and a host kernel inside a device function, read a shared variable
    /// whose value is in device memory through a host copy; the variable stays on the device.
    func testHostCodeReadsDeviceValuesThroughCopies() throws {
        let w = Shared(try NDArray([1, 2, 3, 4, 5, 6] as [Float], shape: [2, 3]))
        let double = try function([], [], updates: [w: w * 2], options: CompileOptions(backend: .cudaEmulator, strict: true))
        _ = try double()
        XCTAssertTrue(w.storage.storedValue().isOnDevice)
        let sum = try function([], [w.sum(axis: 1)], options: CompileOptions(backend: .cpu))
        XCTAssertEqual(try sum()[0].toArray(of: Float.self), [12, 30])
        // A sort has no CUDA kernel: it runs on the host, on a copy of the device value.
        let sorted = try function([], [sort(-w, axis: 1)], options: CompileOptions(backend: .cudaEmulator))
        XCTAssertEqual(try sorted()[0].toArray(of: Float.self), [-6, -4, -2, -12, -10, -8])
        XCTAssertTrue(w.storage.storedValue().isOnDevice)
        XCTAssertEqual(w.value.toArray(of: Float.self), [2, 4, 6, 8, 10, 12])
        // Setting a host value replaces the device one.
        try w.setValue(try NDArray([0, 0, 0, 1, 1, 1] as [Float], shape: [2, 3]))
        XCTAssertFalse(w.storage.storedValue().isOnDevice)
        XCTAssertEqual(try sum()[0].toArray(of: Float.self), [0, 3])
    }

    /// A call that throws changes no shared variable, on the device as on the host: device
    /// kernels write new arrays, so the variable's device value is the one it had.
    func testAFailedCallLeavesDeviceValuesAsTheyWere() throws {
        let w = Shared(try NDArray([1, 2, 3, 4] as [Float], shape: [2, 2]))
        let v = Shared(try NDArray([10, 20] as [Float], shape: [2]))
        let x = Tensor.matrix("x", .float32)
        let options = CompileOptions(backend: .cudaEmulator, strict: true)
        let step = try function([x], [w.sum()], updates: [w: w + x * 2, v: v + 1], options: options)
        _ = try step(try NDArray([1, 1, 1, 1] as [Float], shape: [2, 2]))
        XCTAssertTrue(w.storage.storedValue().isOnDevice)
        XCTAssertTrue(v.storage.storedValue().isOnDevice)
        // `x` does not broadcast against `w`: the elementwise update fails at run time.
        XCTAssertThrowsError(try step(try NDArray([1, 1, 1] as [Float], shape: [1, 3])))
        XCTAssertEqual(w.value.toArray(of: Float.self), [3, 4, 5, 6])
        XCTAssertEqual(v.value.toArray(of: Float.self), [11, 21])
        // And an update of the wrong shape is refused before anything is stored.
        let bad = try function([x], [], updates: [v: x.sum(axis: 0)], options: options)
        XCTAssertThrowsError(try bad(try NDArray([1, 2, 3, 4, 5, 6] as [Float], shape: [2, 3])))
        XCTAssertEqual(v.value.toArray(of: Float.self), [11, 21])
        XCTAssertEqual(w.value.toArray(of: Float.self), [3, 4, 5, 6])
    }

    /// A function's output that is a device-resident shared variable itself comes back as a
    /// host copy; an identity update keeps the device value.
    func testOutputsOfDeviceValuesAreHostCopies() throws {
        let w = Shared(try NDArray([1, 2] as [Float], shape: [2]))
        let options = CompileOptions(backend: .cudaEmulator, strict: true)
        _ = try function([], [], updates: [w: w * 3], options: options)()
        let read = try function([], [w, w * 1], updates: [w: w], options: options)
        let outputs = try read()
        XCTAssertFalse(outputs[0].isOnDevice)
        XCTAssertEqual(outputs[0].toArray(of: Float.self), [3, 6])
        XCTAssertEqual(outputs[1].toArray(of: Float.self), [3, 6])
        XCTAssertTrue(w.storage.storedValue().isOnDevice)
        XCTAssertTrue("\(w.storage.storedValue())".contains("on CUDA emulator"), "\(w.storage.storedValue())")
    }

    /// Views of device arrays (a transpose, a slice, a broadcast row, a reshape of a strided
    /// view) are read in place by the kernels after them.
    func testViewsOfDeviceArraysFeedDeviceKernels() throws {
        let device = CachingCUDADevice(EmulatedCUDADevice())
        let options = CompileOptions(backend: Backend(CUDABackend(device: device)), strict: true)
        let a = Tensor.matrix("a", .float32)
        let b = try exp(a) * 1  // computed on the device
        let outputs = [try b.T * 2, try b[1...] + b[0], try b.T.reshape([-1]) + 0, try b.T.matmul(b)]
        let f = try function([a], outputs, options: options)
        let g = try function([a], outputs, options: CompileOptions(backend: .reference))
        var data = TestData(seed: 5)
        let value = data.array([3, 4], .float32)
        let before = device.statistics
        for (got, want) in zip(try f(value), try g(value)) { assertClose(got, want, rtol: 1e-5, atol: 1e-6) }
        let after = device.statistics
        XCTAssertEqual(after.arraysToDevice - before.arraysToDevice, 1, "only `a` goes to the device\n\(f.kernelReport)")
        XCTAssertEqual(after.arraysToHost - before.arraysToHost, outputs.count, "only the outputs come back")
    }
}
