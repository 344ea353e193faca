import ArgumentParser
import Foundation
import Theano

/// `theano gpu-export DIR`: writes the files `scripts/gpu-check.sh` replays on a GPU machine
/// (docs/GPU.md, "The on-GPU check").
struct GPUExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gpu-export",
        abstract: "Write every generated CUDA elementwise kernel with inputs and reference outputs, for scripts/gpu-check.sh.")

    @Argument(help: "The folder to write (created if missing).")
    var folder: String

    func run() throws {
        let count = try GPUCheckExport.write(to: URL(fileURLWithPath: folder))
        print("\(folder): \(count) kernels, their inputs and reference outputs")
    }
}
