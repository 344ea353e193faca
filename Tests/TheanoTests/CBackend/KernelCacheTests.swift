import Dispatch
import Foundation
import Synchronization
import Theano
import XCTest

final class KernelCacheTests: XCTestCase {
    var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("theano-cache-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    func compileSample(_ options: CompileOptions) throws -> Function {
        let x = Tensor.vector("x", .float64)
        return try function([x], [exp(x) * 2 + 1], options: options)
    }

    func testEntriesAreReusedAndCleared() throws {
        let options = CompileOptions(backend: .cpu, cacheDirectory: directory)
        let f = try compileSample(options)
        XCTAssertGreaterThan(f.compiledKernelCount, 0)
        let cache = KernelCache(directory: directory)
        XCTAssertEqual(cache.entries().count, 1)
        _ = try compileSample(options)
        XCTAssertEqual(cache.entries().count, 1, "the same source is not compiled twice")
        assertValues(try f(NDArray([0.0, 1.0]))[0], [3, 2 * M_E + 1])
        XCTAssertGreaterThan(try cache.clear(), 0)
        XCTAssertEqual(cache.entries().count, 0)
    }

    func testATruncatedEntryIsRebuiltNotLoaded() throws {
        let options = CompileOptions(backend: .cpu, cacheDirectory: directory)
        _ = try compileSample(options)
        let entry = try XCTUnwrap(KernelCache(directory: directory).entries().first)
        let object = directory.appendingPathComponent("\(entry.name).so")
        let data = try Data(contentsOf: object)
        try data.prefix(data.count / 3).write(to: object)
        let f = try compileSample(options)
        assertValues(try f(NDArray([0.0]))[0], [3])
        XCTAssertEqual(try Data(contentsOf: object).count, data.count, "the entry was rebuilt")
        // A missing checksum also forces a rebuild.
        try FileManager.default.removeItem(at: directory.appendingPathComponent("\(entry.name).sum"))
        assertValues(try compileSample(options)(NDArray([0.0]))[0], [3])
    }

    func testTwoProcessesCompilingAtOnceBothSucceed() throws {
        let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("theano")
        guard FileManager.default.isExecutableFile(atPath: binary.path) else {
            throw XCTSkip("the theano executable is not built next to the tests")
        }
        func start() throws -> Process {
            let p = Process()
            p.executableURL = binary
            p.arguments = ["demo", "--model", "logistic", "--epochs", "1"]
            var env = ProcessInfo.processInfo.environment
            env["THEANO_CACHE_DIR"] = directory.path
            env["THEANO_LINKER"] = "c"
            p.environment = env
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            try p.run()
            return p
        }
        let a = try start(), b = try start()
        a.waitUntilExit()
        b.waitUntilExit()
        XCTAssertEqual(a.terminationStatus, 0)
        XCTAssertEqual(b.terminationStatus, 0)
        let cache = KernelCache(directory: directory)
        XCTAssertFalse(cache.entries().isEmpty)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".c") }
        XCTAssertEqual(leftovers, [], "temporary sources are removed")
    }

    func testOneCompiledFunctionCalledFromManyThreads() throws {
        let x = Tensor.vector("x", .float64)
        let f = try function([x], [sum(exp(x) * x), tanh(x) + 1], options: CompileOptions(backend: .cpu, cacheDirectory: directory))
        let input = try NDArray.randomNormal([100_000], seed: 3, .float64)
        let expected = try function([x], [sum(exp(x) * x), tanh(x) + 1], options: CompileOptions(backend: .reference))(input)
        let failures = Atomic<Int>(0)
        DispatchQueue.concurrentPerform(iterations: 16) { _ in
            let ok = (try? f(input)).map { out in
                abs(out[0].doubles[0] - expected[0].doubles[0]) < 1e-6 * abs(expected[0].doubles[0])
                    && out[1].doubles.elementsEqual(expected[1].doubles) { abs($0 - $1) < 1e-12 }
            } ?? false
            if !ok { failures.add(1, ordering: .relaxed) }
        }
        XCTAssertEqual(failures.load(ordering: .relaxed), 0)
    }
}
