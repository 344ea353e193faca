import Dispatch
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Theano
@testable import TheanoCompile
import XCTest

/// A new function starts at once on kernels that need no compiler while its generated C
/// compiles in the background, and switches to it between two calls (issue 11).
final class TieredCompilationTests: BackendTestCase {
    /// Options with an empty kernel cache folder, starting at once.
    func freshOptions() -> (CompileOptions, URL) {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("theano-tier-\(UUID().uuidString)")
        var options = CompileOptions.current
        options.cacheDirectory = folder
        options.kernelCompilation = .background
        return (options, folder)
    }

    func testFirstCallIsRightAndTheCompiledKernelsTakeOver() throws {
        let (options, folder) = freshOptions()
        defer { try? FileManager.default.removeItem(at: folder) }
        let x = Tensor.vector("x", .float32), y = Tensor.vector("y", .float32)
        let f = try function([x, y], [exp(-x * x) * sin(y) + tanh(x * y), sum((x - y) ** 2)], options: options)
        var data = TestData(seed: 4)
        let args = [data.array([257], .float32), data.array([257], .float32)]
        let reference = try function([x, y], [exp(-x * x) * sin(y) + tanh(x * y), sum((x - y) ** 2)],
                                     options: CompileOptions(backend: .reference)).call(args)
        // First call: whatever runs now computes the right values.
        for (got, want) in zip(try f.call(args), reference) { assertClose(got, want, rtol: 1e-5, atol: 1e-5) }
        let before = f.kernelReport.description
        if options.backend.name == "cpu", before.contains("C compiling") {
            // Until the swap, the fused nodes run precompiled kernels, not the Swift reference.
            XCTAssertTrue(before.contains("precompiled (C compiling)"), before)
        }
        f.waitForKernels()
        let report = f.kernelReport
        if options.backend.name == "cpu" {
            XCTAssertGreaterThan(report.count("generated C"), 0, "the generated C is in use after waiting: \(report)")
            XCTAssertFalse(report.description.contains("C compiling"), report.description)
        }
        for (got, want) in zip(try f.call(args), reference) { assertClose(got, want, rtol: 1e-5, atol: 1e-5) }
    }

    func testCallsWhileTheKernelsAreSwappedIn() throws {
        let (options, folder) = freshOptions()
        defer { try? FileManager.default.removeItem(at: folder) }
        let x = Tensor.matrix("x", .float64), w = Shared(try NDArray.zeros([8, 8], .float64), name: "w")
        let f = try function([x], [tanh(x) * 2 + log1p(exp(x))], updates: [w: w + x], options: options)
        var data = TestData(seed: 5)
        let arg = data.array([8, 8])
        let expected = try function([x], [tanh(x) * 2 + log1p(exp(x))], options: CompileOptions(backend: .reference))(arg)[0]
        let failures = Counter(), calls = Counter()
        // Four threads call until the swap has happened and a few calls ran after it (or a
        // minute has passed: the precompiled kernels are fast, so the count of calls before
        // the swap depends on how long the compiler takes).
        let swapped = Counter()
        let deadline = Date().addingTimeInterval(60)
        DispatchQueue.concurrentPerform(iterations: 4) { _ in
            var after = 0
            while after < 5 && Date() < deadline {
                calls.add()
                do {
                    let out = try f(arg)[0]
                    if zip(out.doubles, expected.doubles).contains(where: { Swift.abs($0 - $1) > 1e-9 * (1 + Swift.abs($1)) }) { failures.add() }
                } catch {
                    failures.add()
                }
                if !f.kernelReport.description.contains("C compiling") { after += 1 }
            }
            if after >= 5 { swapped.add() }
        }
        XCTAssertEqual(failures.value, 0, "a call during the swap computed a wrong value or failed")
        f.waitForKernels()
        XCTAssertEqual(swapped.value, 4)
        // Every call's update was applied exactly once.
        assertClose(w.value, try NDArray(arg.doubles.map { $0 * Double(calls.value) }, shape: [8, 8]), rtol: 1e-9, atol: 1e-9)
    }

    func testWaitingCompilesBeforeReturning() throws {
        var (options, folder) = freshOptions()
        defer { try? FileManager.default.removeItem(at: folder) }
        options.kernelCompilation = .wait
        let x = Tensor.vector("x", .float64)
        let f = try function([x], [exp(x) + 1], options: options)
        if options.backend.name == "cpu" {
            XCTAssertEqual(f.kernelReport.count("generated C"), 1, f.kernelReport.description)
        }
        assertValues(try f(NDArray([0.0]))[0], [2])
    }

    func testAFailedBackgroundCompileKeepsTheFirstKernelsAndSaysWhy() throws {
        guard FileManager.default.isExecutableFile(atPath: "/bin/false") else { throw XCTSkip("no /bin/false") }
        var (options, folder) = freshOptions()
        defer { try? FileManager.default.removeItem(at: folder) }
        options.compilerPath = "/bin/false"
        let x = Tensor.vector("x", .float64)
        let f = try function([x], [exp(x) + 1], options: options)
        assertValues(try f(NDArray([0.0]))[0], [2])
        f.waitForKernels()
        if options.backend.name == "cpu" {
            let node = try XCTUnwrap(f.kernelReport.entries.first { $0.op == "Composite" || $0.op == "add" || $0.op == "exp" },
                                     f.kernelReport.description)
            XCTAssertTrue(node.note?.contains("did not compile") ?? false, f.kernelReport.description)
        }
        assertValues(try f(NDArray([0.0]))[0], [2])
    }

    /// A process that finds a unit being compiled by another (its entry lock held) starts on
    /// the precompiled kernels instead of waiting, and takes the compiled kernels once the lock
    /// is released.
    func testAUnitLockedByAnotherCompileDoesNotBlockTheCaller() throws {
        guard backendName == "cpu" else { return }
        let x = Tensor.vector("x", .float64), y = Tensor.vector("y", .float64)
        let out = try tanh(x * y) + exp(-x) * 3
        // Learn the units' cache keys from a first compile in another folder.
        var (options, first) = freshOptions()
        defer { try? FileManager.default.removeItem(at: first) }
        options.kernelCompilation = .wait
        _ = try function([x, y], [out], options: options)
        guard let firstFolder = try KernelCache(directory: first).existingFolder() else { return XCTFail("no cache was written") }
        let keys = try FileManager.default.contentsOfDirectory(atPath: firstFolder.path)
            .filter { $0.hasSuffix(".so") }.map { String($0.dropLast(3)) }
        XCTAssertFalse(keys.isEmpty)
        // Another "process" holds every entry lock of an empty cache (flock locks belong to the
        // open file, so a second open in this process conflicts the same way).
        let (waiting, second) = freshOptions()
        defer { try? FileManager.default.removeItem(at: second) }
        let secondFolder = try KernelCache(directory: second).existingFolder() ?? second
        try FileManager.default.createDirectory(at: secondFolder, withIntermediateDirectories: true)
        var locks: [Int32] = []
        for key in keys {
            let fd = open(secondFolder.appendingPathComponent("\(key).lock").path, O_CREAT | O_RDWR, 0o644)
            XCTAssertGreaterThanOrEqual(fd, 0)
            XCTAssertEqual(flock(fd, LOCK_EX), 0)
            locks.append(fd)
        }
        let release = { for fd in locks { _ = flock(fd, LOCK_UN); _ = close(fd) }; locks = [] }
        defer { release() }
        // Compiling and calling must finish while the locks are held.
        let done = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var result: Result<(Function, [NDArray]), any Error>?
        DispatchQueue.global().async {
            result = Result {
                let f = try function([x, y], [out], options: waiting)
                return (f, try f.call([NDArray([0.5, -1, 2] as [Double]), NDArray([1, 2, 3] as [Double])]))
            }
            done.signal()
        }
        let finished = done.wait(timeout: .now() + 60) == .success
        XCTAssertTrue(finished, "the compile waited for another process's lock")
        guard finished, let (f, values) = try result?.get() else { release(); return }
        XCTAssertTrue(f.kernelReport.description.contains("precompiled (C compiling)"), f.kernelReport.description)
        let want = try function([x, y], [out], options: CompileOptions(backend: .reference))
            .call([NDArray([0.5, -1, 2] as [Double]), NDArray([1, 2, 3] as [Double])])
        assertClose(values[0], want[0], rtol: 1e-12, atol: 1e-12)
        release()
        f.waitForKernels()
        XCTAssertGreaterThan(f.kernelReport.count("generated C"), 0, f.kernelReport.description)
    }
}
