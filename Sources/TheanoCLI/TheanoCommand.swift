import ArgumentParser
import Foundation
import Theano

@main
struct TheanoCommand: ParsableCommand {
    static func main() {
        restartWithPassiveOpenMPIfNeeded()
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
        subcommands: [Demo.self, BenchCommand.self, GraphCommand.self, CacheCommand.self, GPUExportCommand.self, GPUCheckCommand.self])
}

/// oneDNN (float32 GEMM, convolutions) runs on OpenMP threads, which by default keep spinning
/// after each parallel region, taking cores from the kernels' thread pool and OpenBLAS's
/// threads that run next (on two cores, the MLP step got several times slower). OpenMP reads
/// its wait policy once, when it loads, so restart once with `OMP_WAIT_POLICY=PASSIVE` unless
/// the user chose a policy. See docs/DNNL.md.
///
/// A passive thread goes to sleep at once, and waking it for the next oneDNN call costs more
/// than a short spin: with `GOMP_SPINCOUNT=10000` (GNU OpenMP's idle threads spin about 0.1 ms
/// before sleeping) the MLP, LeNet and RNN steps ran 6-17% faster than with no spin, and
/// faster than with 3,000 or 30,000 (docs/PERFORMANCE.md). A count the user set is kept.
///
/// OpenBLAS's own worker threads (float64 products, and the thin float32 ones such as a
/// 10-column classifier layer) busy-wait about 0.1 s after each call before sleeping. Between
/// the MLP step's oneDNN products that took a core from oneDNN's second thread, and in five of
/// eight processes the step ran twice as slowly (13-16 ms against 6-7 ms);
/// `OPENBLAS_THREAD_TIMEOUT=4` (sleep after 2^4 cycles) gave eight fast runs of eight. A value
/// the user set is kept.
func restartWithPassiveOpenMPIfNeeded() {
    guard ProcessInfo.processInfo.environment["OMP_WAIT_POLICY"] == nil else { return }
    setenv("OMP_WAIT_POLICY", "PASSIVE", 1)
    setenv("GOMP_SPINCOUNT", openMPSpinCount, 0)
    setenv("OPENBLAS_THREAD_TIMEOUT", openBLASThreadTimeout, 0)
    let argv = CommandLine.arguments.map { strdup($0) } + [nil]
    execv("/proc/self/exe", argv)
    // execv returns only on failure: carry on with spinning OpenMP threads.
}

/// The spin count the `theano` executable gives GNU OpenMP's idle threads (see
/// ``restartWithPassiveOpenMPIfNeeded()``).
let openMPSpinCount = "10000"

/// How long OpenBLAS's idle workers spin before sleeping, as a power of two of cycles (the
/// smallest value OpenBLAS takes; see ``restartWithPassiveOpenMPIfNeeded()``).
let openBLASThreadTimeout = "4"
