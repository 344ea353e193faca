import ArgumentParser
import Foundation
import Theano

@main
struct TheanoCommand: ParsableCommand {
    static func main() {
        restartWithFasterBLASKernelsIfNeeded()
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            exit(withError: error)
        }
    }

    static let configuration = CommandConfiguration(
        commandName: "theano",
        abstract: "Theano for Swift: symbolic tensor expressions, compiled.",
        subcommands: [Demo.self, BenchCommand.self, GraphCommand.self, CacheCommand.self])
}

/// OpenBLAS picks its kernels when it loads; on processors it misdetects (AVX-512 machines
/// given AVX2 kernels), restart once with `OPENBLAS_CORETYPE` set (see `OpenBLASInfo`).
func restartWithFasterBLASKernelsIfNeeded() {
    guard let core = OpenBLASInfo.recommendedCoreType else { return }
    setenv("OPENBLAS_CORETYPE", core, 1)
    let argv = CommandLine.arguments.map { strdup($0) } + [nil]
    execv("/proc/self/exe", argv)
    // execv returns only on failure: carry on with the kernels already loaded.
}
