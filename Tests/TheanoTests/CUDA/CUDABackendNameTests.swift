import Foundation
import Theano
import TheanoCUDA
import XCTest

/// The names that choose the CUDA backends (`THEANO_DEVICE`, `THEANO_BACKEND`,
/// `Backend.named`), found from `TheanoCompile` through the linked `TheanoCUDA` module.
final class CUDABackendNameTests: XCTestCase {
    func testTheProviderIsFoundByItsMangledName() {
        // TheanoCompile names the provider by this string; a rename must update both.
        XCTAssertEqual(_mangledTypeName(CUDABackendProvider.self), "10TheanoCUDA19CUDABackendProviderV")
    }

    func testNamesResolveToTheCUDABackends() {
        XCTAssertEqual(Backend.named("cuda-emulator")?.name, "cuda-emulator")
        XCTAssertEqual(Backend.named("CUDA")?.name, "cuda")
        XCTAssertEqual(Backend.named("cuda:0")?.name, "cuda")
        XCTAssertEqual(Backend.named("cuda:2")?.name, "cuda:2")
        XCTAssertEqual(Backend.named("cuda1")?.name, "cuda:1", "Theano's THEANO_FLAGS spelling")
        XCTAssertEqual(Backend.named("cpu")?.name, "cpu")
        for bad in ["cuda:", "cuda:-1", "cuda:x", "cudaa", "gpu", "cuda:١"] {
            XCTAssertNil(Backend.named(bad), bad)
        }
    }

    func testAGPUThatCannotBeOpenedFailsTheCompileWithAClearError() throws {
        // Without a driver (this machine) or without device 99 (any machine).
        let x = Tensor.vector("x", .float32)
        XCTAssertThrowsError(try function([x], [exp(x)], options: CompileOptions(backend: .cuda(99)))) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("CUDA"), text)
            XCTAssertTrue(text.contains("libcuda") || text.contains("no device 99") || text.contains("cuInit"), text)
        }
    }

    func testTheEmulatorBackendRunsAFunction() throws {
        let x = Tensor.vector("x", .float32)
        let f = try function([x], [exp(x) * 2], options: CompileOptions(backend: .cudaEmulator))
        XCTAssertEqual(f.kernelReport.count("CUDA kernel"), 1, "\(f.kernelReport)")
        assertClose(try f(NDArray([Float(0), 1]))[0], NDArray([Float(2), Float(2 * M_E)]), rtol: 1e-6, atol: 0)
    }

    func testTheDeviceVariableChoosesTheBackendOfAProgram() throws {
        // CompileOptions.current is read once per process, so a child process shows it: the
        // demo trains its logistic regression through the emulated GPU.
        let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("theano")
        guard FileManager.default.isExecutableFile(atPath: binary.path) else {
            throw XCTSkip("the theano executable is not built next to the tests")
        }
        let process = Process()
        process.executableURL = binary
        process.arguments = ["demo", "--model", "logistic", "--epochs", "1"]
        var environment = ProcessInfo.processInfo.environment
        environment["THEANO_DEVICE"] = "cuda-emulator"
        environment.removeValue(forKey: "THEANO_BACKEND")
        process.environment = environment
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0, output)
        XCTAssertTrue(output.contains("backend: cuda-emulator"), output)
        XCTAssertTrue(output.contains("test accuracy"), output)
        XCTAssertFalse(output.contains("is not a backend"), output)
    }
}
