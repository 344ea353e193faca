import Dispatch
import Foundation
import Synchronization
import Theano
@testable import TheanoCompile
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

    /// Binaries (cubins) are stored under the extensions the cache lists and clears; another
    /// extension is refused with an error, and nothing is written or built.
    func testBinariesOfAnUnlistedExtensionAreRefused() throws {
        let cache = KernelCache(directory: directory)
        var built = false
        assertThrows(.invalidArgument, containing: ["KernelCache", ".cubin", ".so"]) {
            try cache.binary(describedBy: ["a kernel"], fileExtension: "so") { built = true; return Data([1, 2, 3]) }
        }
        XCTAssertFalse(built)
        XCTAssertEqual(cache.entries().count, 0)
        let stored = try cache.binary(describedBy: ["a kernel"], fileExtension: "cubin") { Data([1, 2, 3]) }
        XCTAssertTrue(stored.built)
        XCTAssertEqual(stored.data, Data([1, 2, 3]))
        XCTAssertFalse(try cache.binary(describedBy: ["a kernel"], fileExtension: "cubin") { Data() }.built)
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

    // MARK: What the key holds

    static let epycInfo = """
        processor\t: 0
        vendor_id\t: AuthenticAMD
        cpu family\t: 25
        model\t\t: 17
        model name\t: AMD EPYC
        stepping\t: 1
        cpu MHz\t\t: 2596.142
        flags\t\t: fpu sse2 avx2 avx512f
        bugs\t\t: spectre_v1

        processor\t: 1
        vendor_id\t: AuthenticAMD
        flags\t\t: fpu
        """
    static let gcc = CCompiler(path: "/usr/bin/cc", identity: "cc (Debian 12.2.0-14+deb12u1) 12.2.0", target: "",
                               flags: ["-O3", "-march=native"])

    func testTheKeyIsTheSHA256OfSourceCompilerAndCPU() {
        let cpu = CPUIdentity(machine: "x86_64", cpuinfo: Self.epycInfo)
        let key = KernelCache.key(source: "int f;", compiler: Self.gcc, cpu: cpu)
        XCTAssertEqual(key.count, 64)
        XCTAssertTrue(key.allSatisfy { $0.isHexDigit && !$0.isUppercase })
        XCTAssertEqual(key, KernelCache.key(source: "int f;", compiler: Self.gcc, cpu: cpu), "keys are stable")
        XCTAssertNotEqual(key, KernelCache.key(source: "int g;", compiler: Self.gcc, cpu: cpu))
    }

    func testTheKeyChangesWithTheCPU() {
        let epyc = CPUIdentity(machine: "x86_64", cpuinfo: Self.epycInfo)
        let key = KernelCache.key(source: "int f;", compiler: Self.gcc, cpu: epyc)
        let variants = [
            Self.epycInfo.replacingOccurrences(of: "avx512f", with: "avx512bw"),  // another feature set
            Self.epycInfo.replacingOccurrences(of: "model\t\t: 17", with: "model\t\t: 1"),
            Self.epycInfo.replacingOccurrences(of: "stepping\t: 1", with: "stepping\t: 2"),
            Self.epycInfo.replacingOccurrences(of: "AuthenticAMD", with: "GenuineIntel"),
        ]
        for info in variants {
            XCTAssertNotEqual(key, KernelCache.key(source: "int f;", compiler: Self.gcc, cpu: CPUIdentity(machine: "x86_64", cpuinfo: info)), info)
        }
        let arm = CPUIdentity(machine: "aarch64", cpuinfo: "processor\t: 0\nFeatures\t: fp asimd\nCPU part\t: 0xd0c\n")
        XCTAssertNotEqual(key, KernelCache.key(source: "int f;", compiler: Self.gcc, cpu: arm))
        // What changes from read to read (clock speed) or says nothing of the ISA stays out.
        let slower = Self.epycInfo.replacingOccurrences(of: "2596.142", with: "1800.000")
        XCTAssertEqual(key, KernelCache.key(source: "int f;", compiler: Self.gcc, cpu: CPUIdentity(machine: "x86_64", cpuinfo: slower)))
    }

    func testTheKeyChangesWithTheCompiler() {
        let cpu = CPUIdentity(machine: "x86_64", cpuinfo: Self.epycInfo)
        let key = KernelCache.key(source: "int f;", compiler: Self.gcc, cpu: cpu)
        let others = [
            CCompiler(path: "/usr/bin/cc", identity: "cc (Debian 12.2.0-14+deb12u2) 12.2.0", target: "", flags: Self.gcc.flags),
            CCompiler(path: "/usr/local/bin/cc", identity: Self.gcc.identity, target: "", flags: Self.gcc.flags),
            CCompiler(path: "/usr/bin/cc", identity: Self.gcc.identity, target: "aarch64-linux-gnu", flags: Self.gcc.flags),
            CCompiler(path: "/usr/bin/cc", identity: Self.gcc.identity, target: "", flags: ["-O2", "-march=native"]),
        ]
        for compiler in others {
            XCTAssertNotEqual(key, KernelCache.key(source: "int f;", compiler: compiler, cpu: cpu), "\(compiler)")
        }
    }

    func testTheCPUIdentityReadsTheFirstProcessorOnly() {
        let cpu = CPUIdentity(machine: "x86_64", cpuinfo: Self.epycInfo)
        XCTAssertEqual(cpu.fields["flags"], "avx2 avx512f fpu sse2")
        XCTAssertEqual(cpu.fields["model name"], "AMD EPYC")
        XCTAssertNil(cpu.fields["cpu MHz"])
        XCTAssertNil(cpu.note)
        XCTAssertEqual(cpu.summary, "x86_64, AMD EPYC, AuthenticAMD, family 25 model 17 stepping 1, 4 feature flags")
        let bare = CPUIdentity(machine: "riscv64", cpuinfo: "")
        XCTAssertEqual(bare.fingerprint, "machine: riscv64")
        XCTAssertNotNil(bare.note)
        // This machine's identity names at least its architecture.
        XCTAssertFalse(CPUIdentity.current.machine.isEmpty)
        XCTAssertTrue(CPUIdentity.current.fingerprint.hasPrefix("machine: "))
    }

    func testKernelNamesAreSHA256Prefixes() {
        // FIPS 180-2 test vector: SHA-256("abc").
        XCTAssertEqual(KernelCache.hash("abc"), "ba7816bf8f01cfea414140de5dae2223")
        XCTAssertEqual(KernelCache.checksumText(Data("abc".utf8)),
                       "3 ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    func testEntriesForAnotherCPUAreSeparate() throws {
        let compiler = try XCTUnwrap(CCompiler.find(), "no C compiler")
        let source = "int th_probe(void) { return 7; }\n"
        let other = CPUIdentity(machine: "x86_64", cpuinfo: Self.epycInfo.replacingOccurrences(of: "avx512f", with: "sse4_2"))
        var compiled = false
        _ = try KernelCache(directory: directory).library(source: source, compiler: compiler, compiled: &compiled)
        XCTAssertTrue(compiled)
        compiled = false
        _ = try KernelCache(directory: directory).library(source: source, compiler: compiler, compiled: &compiled)
        XCTAssertFalse(compiled, "the same CPU reuses its entry")
        _ = try KernelCache(directory: directory, cpu: other).library(source: source, compiler: compiler, compiled: &compiled)
        XCTAssertTrue(compiled, "another CPU never loads it")
        XCTAssertEqual(KernelCache(directory: directory).entries().count, 2)
        XCTAssertTrue(KernelCache(directory: directory).entries().allSatisfy { $0.name.count == 64 })
    }

    func testCacheListNamesTheCPU() throws {
        let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("theano")
        guard FileManager.default.isExecutableFile(atPath: binary.path) else {
            throw XCTSkip("the theano executable is not built next to the tests")
        }
        let p = Process()
        let pipe = Pipe()
        p.executableURL = binary
        p.arguments = ["cache", "list", "--dir", directory.path]
        p.standardOutput = pipe
        try p.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 0)
        XCTAssertTrue(output.contains("CPU in new keys: \(CPUIdentity.current.summary)"), output)
    }
}
