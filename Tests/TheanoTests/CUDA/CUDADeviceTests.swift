import Foundation
import Theano
import TheanoCUDA
import XCTest

/// The device interface the CUDA backend launches through: memory, transfers, modules and
/// launches with the driver's parameter convention, on the emulated device (and the driver
/// device's error where there is no GPU).
final class CUDADeviceTests: XCTestCase {
    func testAKernelRunsThroughTheDeviceInterface() throws {
        let device: any CUDADevice = EmulatedCUDADevice()
        // z = x * y + 1 over 1000 float32 (contiguous), launched on 4 blocks of 64 threads.
        let program = ScalarProgram(inputTypes: [.float32, .float32], steps: [
            ScalarProgram.Step(op: .mul, operands: [.input(0), .input(1)], dtype: .float32),
            ScalarProgram.Step(op: .add, operands: [.step(0), .constant(1, .float32)], dtype: .float32),
        ], outputs: [.step(1)])
        let kernels = try device.load(source: CUDAKernelSource.unit([try CUDAKernelSource.elementwise(program, name: "th_fma")]),
                                      kernels: ["th_fma"])
        let kernel = try XCTUnwrap(kernels["th_fma"])
        let n = 1000
        let x = (0..<n).map { Float($0) * 0.5 }, y = (0..<n).map { Float($0 % 7) - 3 }
        let bytes = n * 4
        let dx = try device.allocate(bytes: bytes), dy = try device.allocate(bytes: bytes), dz = try device.allocate(bytes: bytes)
        let dData = try device.allocate(bytes: 3 * 8), dStrides = try device.allocate(bytes: 8), dError = try device.allocate(bytes: 4)
        defer { for a in [dx, dy, dz, dData, dStrides, dError] { device.free(a) } }
        try x.withUnsafeBytes { try device.copy(from: $0.baseAddress!, to: dx, bytes: bytes) }
        try y.withUnsafeBytes { try device.copy(from: $0.baseAddress!, to: dy, bytes: bytes) }
        try [dx.raw, dy.raw, dz.raw].withUnsafeBytes { try device.copy(from: $0.baseAddress!, to: dData, bytes: 24) }
        try [Int64(1)].withUnsafeBytes { try device.copy(from: $0.baseAddress!, to: dStrides, bytes: 8) }
        try [Int32(0)].withUnsafeBytes { try device.copy(from: $0.baseAddress!, to: dError, bytes: 4) }
        // Parameters: the extent by value, then three device pointers by value.
        var extent: [Int64] = [Int64(n), 1, 1, Int64(n)] + Array(repeating: 0, count: CUDAKernelSource.maxDimensions - 1)
        var strides = dStrides.raw, data = dData.raw, error = dError.raw
        try extent.withUnsafeMutableBytes { e in
            try withUnsafeMutablePointer(to: &strides) { s in
                try withUnsafeMutablePointer(to: &data) { d in
                    try withUnsafeMutablePointer(to: &error) { r in
                        try device.launch(kernel, grid: 4, block: 64, arguments: [e.baseAddress, UnsafeMutableRawPointer(s), UnsafeMutableRawPointer(d), UnsafeMutableRawPointer(r)])
                    }
                }
            }
        }
        var z = [Float](repeating: 0, count: n)
        try z.withUnsafeMutableBytes { try device.copy(from: dz, to: $0.baseAddress!, bytes: bytes) }
        XCTAssertEqual(z, (0..<n).map { x[$0] * y[$0] + 1 })
        assertThrows(.invalidArgument, containing: ["th_fma", "1 to 1024"]) {
            try device.launch(kernel, grid: 1, block: 2048, arguments: [])
        }
    }

    func testTheDriverDeviceSaysWhyItCannotOpenAGPU() throws {
        do {
            let device = try CUDADriverDevice()
            // A GPU machine: the device names its architecture.
            XCTAssertTrue(device.name.contains("sm_"), device.name)
        } catch let error as TheanoError {
            XCTAssertEqual(error.kind, .unsupported)
            XCTAssertTrue(error.message.contains("CUDA"), error.message)
            XCTAssertTrue(error.message.contains("libcuda.so.1") || error.message.contains("cuInit"), error.message)
        }
    }
}
