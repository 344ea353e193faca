import Foundation
import Theano
import TheanoCUDA
import XCTest

/// The files of the on-GPU check (`theano gpu-export`, replayed by `scripts/gpu_replay.py`):
/// replayed here on the emulated device exactly as the script launches them on a GPU (the
/// extent by value, one stride per operand, the operands' addresses in device memory, the
/// error word), every kernel's output equals the reference output written beside it.
final class GPUCheckExportTests: XCTestCase {
    func testExportedKernelsReproduceTheirReferenceOutputsOnTheEmulator() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("gpu-export-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let count = try GPUCheckExport.write(to: folder, count: 67)
        XCTAssertGreaterThan(count, 250, "ops x dtypes")
        let entries = try JSONDecoder().decode([GPUCheckExport.Entry].self, from: Data(contentsOf: folder.appendingPathComponent("manifest.json")))
        XCTAssertEqual(entries.count, count)
        let source = try String(contentsOf: folder.appendingPathComponent("kernels.cu"), encoding: .utf8)
        let device: any CUDADevice = EmulatedCUDADevice()
        let kernels = try device.load(source: source, kernels: entries.map(\.name))
        for entry in entries {
            let inputs = try entry.inputs.map { try NDArray.loadNPY(from: folder.appendingPathComponent($0)) }
            let expected = try NDArray.loadNPY(from: folder.appendingPathComponent(entry.output))
            XCTAssertEqual(inputs.map(\.dtype.name), entry.inputDTypes, entry.name)
            let got = try replay(try XCTUnwrap(kernels[entry.name]), on: device, inputs, output: expected.dtype)
            assertClose(got, expected, rtol: expected.dtype == .float32 ? 1e-5 : 1e-12, atol: 1e-6, entry.name)
        }
    }

    /// One launch as `gpu_replay.py` makes it: contiguous 1-D operands.
    func replay(_ kernel: CUDAKernel, on device: any CUDADevice, _ inputs: [NDArray], output dtype: DType) throws -> NDArray {
        let n = inputs[0].count
        var addresses: [DeviceAddress] = []
        defer { for a in addresses { device.free(a) } }
        func upload(_ bytes: UnsafeRawBufferPointer) throws -> DeviceAddress {
            let address = try device.allocate(bytes: Swift.max(bytes.count, 1))
            addresses.append(address)
            if let base = bytes.baseAddress, bytes.count > 0 { try device.copy(from: base, to: address, bytes: bytes.count) }
            return address
        }
        var operands: [UInt64] = []
        for input in inputs {
            let c = input.contiguous()
            operands.append(try upload(UnsafeRawBufferPointer(start: c.storage.baseAddress + c.offset * c.dtype.byteSize, count: c.byteCount)).raw)
        }
        let out = try device.allocate(bytes: n * dtype.byteSize)
        addresses.append(out)
        operands.append(out.raw)
        var strides = try [Int64](repeating: 1, count: operands.count).withUnsafeBytes { try upload($0) }.raw
        var data = try operands.withUnsafeBytes { try upload($0) }.raw
        var error = try [Int32(0)].withUnsafeBytes { try upload($0) }.raw
        var extent: [Int64] = [Int64(n), 1, 1, Int64(n)] + Array(repeating: 0, count: CUDAKernelSource.maxDimensions - 1)
        try extent.withUnsafeMutableBytes { e in
            try withUnsafeMutablePointer(to: &strides) { s in
                try withUnsafeMutablePointer(to: &data) { d in
                    try withUnsafeMutablePointer(to: &error) { r in
                        try device.launch(kernel, grid: 3, block: 32, arguments: [e.baseAddress, UnsafeMutableRawPointer(s), UnsafeMutableRawPointer(d), UnsafeMutableRawPointer(r)])
                    }
                }
            }
        }
        let result = try NDArray.zeros([n], dtype)
        try device.copy(from: out, to: result.storage.baseAddress, bytes: n * dtype.byteSize)
        return result
    }
}
