import Dispatch
import Foundation
import Synchronization
import Theano
@testable import TheanoCompile
import XCTest

#if canImport(Glibc)
import Glibc
#endif

/// Whatever goes wrong with the cache or the compiler, `function(...)` still compiles and runs
/// (on the reference), the kernel report says why, and `strict` makes it a ``TheanoError``.
final class KernelCacheFailureTests: XCTestCase {
    var root: URL!

    override func setUpWithError() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("theano-cache-failure-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: root)
    }

    /// Compiles `exp(x) + 1` with `options`, checks it runs, and returns the notes of its
    /// missing kernels; then checks that under `strict` the same failure is a TheanoError
    /// containing `expected`.
    func missingNotes(_ options: CompileOptions, expected: [String], file: StaticString = #filePath, line: UInt = #line) throws -> [String] {
        let x = Tensor.vector("x", .float64)
        let f = try function([x], [exp(x) + 1], options: options)
        assertValues(try f(NDArray([0.0]))[0], [2], file: file, line: line)
        let notes = f.kernelReport.missing.map { $0.note ?? "" }
        XCTAssertFalse(notes.isEmpty, f.kernelReport.description, file: file, line: line)
        for note in notes {
            for s in expected { XCTAssertTrue(note.contains(s), "note lacks '\(s)': \(note)", file: file, line: line) }
        }
        var strict = options
        strict.strict = true
        assertThrows(.unsupported, containing: expected + ["strict"], file: file, line: line) {
            try function([x], [exp(x) + 1], options: strict)
        }
        return notes
    }

    func testACacheFolderThatIsAFile() throws {
        let path = root.appendingPathComponent("cache")
        try Data("not a folder\n".utf8).write(to: path)
        _ = try missingNotes(CompileOptions(backend: .cpu, cacheDirectory: path), expected: [path.path, "not a folder", "THEANO_CACHE_DIR"])
        XCTAssertEqual(try String(contentsOf: path, encoding: .utf8), "not a folder\n", "the file is untouched")
        assertThrows(.io, containing: [path.path, "is a file"]) { try KernelCache(directory: path).clear() }
    }

    func testACacheFolderThatCannotBeCreated() throws {
        try Data("x".utf8).write(to: root.appendingPathComponent("file"))
        let path = root.appendingPathComponent("file/cache")
        _ = try missingNotes(CompileOptions(backend: .cpu, cacheDirectory: path), expected: [path.path, "is a file, not a folder"])
    }

    func testAFolderThatCannotBeWritten() throws {
        guard getuid() != 0 else { throw XCTSkip("root writes into read-only folders") }
        let path = root.appendingPathComponent("readonly")
        try FileManager.default.createDirectory(at: path, withIntermediateDirectories: true)
        chmod(path.path, 0o500)
        defer { chmod(path.path, 0o700) }
        _ = try missingNotes(CompileOptions(backend: .cpu, cacheDirectory: path), expected: [path.path, "Permission denied"])
    }

    func testACompilerThatWritesNoLibrary() throws {
        // `true` accepts `--version` and "succeeds" at every compile, writing nothing.
        guard FileManager.default.isExecutableFile(atPath: "/bin/true") else { throw XCTSkip("no /bin/true") }
        let options = CompileOptions(backend: .cpu, compilerPath: "/bin/true", cacheDirectory: root)
        _ = try missingNotes(options, expected: ["/bin/true", "wrote no library", "THEANO_CC"])
        XCTAssertEqual(KernelCache(directory: root).entries().count, 0)
        XCTAssertEqual(try leftovers(), [], "temporary files are removed")
    }

    func testACompilerThatWritesSomethingElse() throws {
        let compiler = root.appendingPathComponent("garbage-cc")
        try Data("""
            #!/bin/sh
            if [ "$1" = "--version" ]; then echo "garbage-cc 1.0"; exit 0; fi
            while [ $# -gt 0 ]; do if [ "$1" = "-o" ]; then out="$2"; fi; shift; done
            printf 'this is not a shared library' > "$out"

            """.utf8).write(to: compiler)
        chmod(compiler.path, 0o755)
        let cache = root.appendingPathComponent("cache")
        let options = CompileOptions(backend: .cpu, compilerPath: compiler.path, cacheDirectory: cache)
        _ = try missingNotes(options, expected: [compiler.path, "cannot be loaded", "not cached"])
        XCTAssertEqual(KernelCache(directory: cache).entries().count, 0, "a library that does not load is never cached")
        XCTAssertEqual(try leftovers(in: cache), [])
    }

    func testAFullDiskIsATheanoError() throws {
        guard FileManager.default.fileExists(atPath: "/dev/full") else { throw XCTSkip("no /dev/full") }
        assertThrows(.io, containing: ["cannot write /dev/full", "No space left on device"]) {
            try CacheFiles.write(Data(repeating: 1, count: 100_000), to: "/dev/full")
        }
    }

    /// Files in a cache folder other than finished entries and the marker.
    func leftovers(in folder: URL? = nil) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: (folder ?? root).path).filter { name in
            name != KernelCache.markerName && !name.hasSuffix(".lock") && name.split(separator: ".").count != 2
        }
    }

    // MARK: Racing a clear

    /// What the threads of ``testCompilesRacingClearsAllSucceed`` share.
    private final class Race: Sendable {
        let done = Atomic<Bool>(false)
        let clears = Atomic<Int>(0)
        let cliClears = Atomic<Int>(0)
        let clearErrors = Mutex<[String]>([])
        let failures = Mutex<[String]>([])
        let finished = DispatchSemaphore(value: 0)
    }

    func testCompilesRacingClearsAllSucceed() throws {
        let unary: [(Tensor) throws -> Tensor] = [exp, sin, cos, tanh, arctan, sigmoid, erf, sinh]
        let x = Tensor.vector("x", .float64)
        let graphs = try unary.indices.map { i in try unary[i](x) + unary[(i + 3) % unary.count](x) * 2 }
        let input = NDArray([0.25, -0.5, 1.5])
        let expected = try graphs.map { try function([x], [$0], options: CompileOptions(backend: .reference))(input)[0].doubles }
        let folder: URL = root
        let options = CompileOptions(backend: .cpu, cacheDirectory: folder)
        let race = Race()

        // One thread clears in this process; another runs `theano cache clear` processes.
        Thread {
            while !race.done.load(ordering: .relaxed) {
                do { try KernelCache(directory: folder).clear() } catch { race.clearErrors.withLock { $0.append("\(error)") } }
                race.clears.add(1, ordering: .relaxed)
                usleep(200)
            }
            race.finished.signal()
        }.start()
        let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("theano")
        Thread {
            defer { race.finished.signal() }
            guard FileManager.default.isExecutableFile(atPath: binary.path) else { return }
            while !race.done.load(ordering: .relaxed) {
                let p = Process()
                p.executableURL = binary
                p.arguments = ["cache", "clear", "--dir", folder.path]
                p.standardOutput = FileHandle.nullDevice
                p.standardError = FileHandle.nullDevice
                do { try p.run() } catch { race.clearErrors.withLock { $0.append("\(error)") }; return }
                p.waitUntilExit()
                if p.terminationStatus != 0 { race.clearErrors.withLock { $0.append("theano cache clear exited \(p.terminationStatus)") } }
                race.cliClears.add(1, ordering: .relaxed)
            }
        }.start()

        for round in 0..<2 {
            DispatchQueue.concurrentPerform(iterations: graphs.count) { i in
                do {
                    let f = try function([x], [graphs[i]], options: options)
                    if !f.kernelReport.missing.isEmpty || f.compiledKernelCount == 0 {
                        race.failures.withLock { $0.append("round \(round), graph \(i):\n\(f.kernelReport)") }
                    }
                    let out = try f(input)[0].doubles
                    if !zip(out, expected[i]).allSatisfy({ abs($0 - $1) <= 1e-12 * max(1, abs($1)) }) {
                        race.failures.withLock { $0.append("round \(round), graph \(i): \(out) != \(expected[i])") }
                    }
                } catch {
                    race.failures.withLock { $0.append("round \(round), graph \(i) threw: \(error)") }
                }
            }
        }
        race.done.store(true, ordering: .relaxed)
        race.finished.wait()
        race.finished.wait()
        XCTAssertEqual(race.failures.withLock { $0 }, [])
        XCTAssertEqual(race.clearErrors.withLock { $0 }, [])
        XCTAssertGreaterThan(race.clears.load(ordering: .relaxed), 10, "the clears ran during the compiles")
        print("compiles raced \(race.clears.load(ordering: .relaxed)) clears in process and \(race.cliClears.load(ordering: .relaxed)) by the CLI")
    }
}
