import ArgumentParser
import Foundation
import Theano

/// `theano gpu-check`: the CUDA backend's conformance check, run through a device backend
/// (the real driver on a GPU machine, `cuda-emulator` anywhere) against the reference backend:
/// one case per kind of kernel the backend has (fused elementwise, reductions, softmax, cuBLAS
/// products, the fused cross-entropy, lookups and their gradients, random draws, pooling,
/// convolutions) and whole training steps (an MLP and a LeNet-shaped convnet over three SGD
/// updates). Prints one line per case and exits non-zero if one differs or throws
/// (`scripts/gpu-check.sh`, docs/GPU.md).
struct GPUCheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gpu-check",
        abstract: "Compare the CUDA backend with the reference backend, case by case (exit status 1 on a difference).")

    @Option(help: "The device backend: cuda, cuda:N or cuda-emulator.")
    var backend = "cuda"

    @Option(name: .customLong("case"), help: "Run only the cases whose name contains this text (repeatable; default: all).")
    var cases: [String] = []

    func run() throws {
        guard let device = Backend.named(backend) else {
            throw ValidationError("unknown backend '\(backend)': expected cuda, cuda:N or cuda-emulator")
        }
        let known = try GPUCheckCases.all()
        let cases = known.filter { c in self.cases.isEmpty || self.cases.contains { c.name.localizedCaseInsensitiveContains($0) } }
        guard !cases.isEmpty else { throw ValidationError("no case matches \(self.cases); the cases: \(known.map(\.name).joined(separator: ", "))") }
        // One small function first: a missing driver or NVRTC is reported once, not per case.
        do {
            let x = Tensor.vector("x")
            _ = try function([x], [x + 1], options: CompileOptions(backend: device)).call([NDArray([Float(1)])])
        } catch {
            print("FAIL the \(backend) backend does not run: \(error)")
            throw ExitCode(1)
        }
        if let provider = device.implementation as? CUDABackend, let opened = try? provider.openDevice() {
            let library = opened.dnnLibrary
            let problem = ((opened as? CachingCUDADevice)?.base as? CUDADriverDevice)?.dnnLibraryProblem
            print("device: \(opened.name); convolutions: " + (library.map { "\($0), else im2col + cuBLAS" } ?? "im2col + cuBLAS (\(problem ?? "no cuDNN"))"))
        }
        var failures = 0
        for c in cases {
            let start = Date()
            do {
                let outcome = try c.run(CompileOptions(backend: device), CompileOptions(backend: .reference))
                let seconds = Date().timeIntervalSince(start)
                let status = outcome.worst <= 1 ? "ok  " : "FAIL"
                if outcome.worst > 1 { failures += 1 }
                print(String(format: "%@ %-34@ error/tolerance %.3g  %.2f s  %@", status, c.name as NSString, outcome.worst, seconds, outcome.report as NSString))
            } catch {
                failures += 1
                print("FAIL \(c.name): \(error)")
            }
        }
        print("\(cases.count - failures) passed, \(failures) failed")
        if failures > 0 { throw ExitCode(1) }
    }
}
